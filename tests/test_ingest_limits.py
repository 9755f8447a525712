"""Malformed and oversized containers: every one refused with a clear message, never a crash.

The corpus is built here by code (no binary files): zip bombs, bad CRCs, members lying
about their size, nested archives, deep JSON, huge numbers, bad encodings, truncated
and lying workbooks. Each case is refused by the library, by ``filiere ingest`` (one
``FILE[:LINE]: message`` line per problem, exit 1, no traceback) and by
``POST /datasets`` (422 problem).
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import DatasetError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label
from filiere.ingest import read_upload, validate
from filiere.ingest.limits import IngestLimits, MiB
from filiere.testing.hostile import (
    ITEM_ROWS,
    bad_crc,
    far_row,
    huge_json_number,
    lying_dimension,
    lying_large,
    lying_small,
    nested_zip,
    newline_bomb,
    patch_sheet,
    truncated_xlsx,
    workbook,
    zip_of,
)

#: name -> (upload file name, a maker of its bytes, the expected message as a regex).
CASES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "zip-bad-crc": ("lot.zip", bad_crc, r"lot.zip/items.csv: damaged zip member \(Bad CRC-32"),
    "zip-member-says-smaller": ("lot.zip", lying_small, r"lot.zip/items.csv: damaged zip member"),
    "zip-member-says-larger": (
        "lot.zip",
        lying_large,
        r"lot.zip/items.csv: the zip says this member holds 10000000 bytes, it holds 47",
    ),
    "zip-nested": ("lot.zip", nested_zip, r"lot.zip/more/inner.zip: an archive inside the zip"),
    "zip-not-a-zip": ("lot.zip", lambda: b"PK\x03\x04 not really", r"lot.zip: not a readable zip"),
    "json-deep": ("lot.json", lambda: b"[" * 100_000, r"lot.json:1: JSON nested more than 32"),
    "json-deep-in-a-row": (
        "lot.json",
        lambda: b'{"items": [\n{"id": ' + b"[" * 50_000 + b"\n}]}",
        r"lot.json:2: JSON nested more than 32",
    ),
    "json-huge-number": ("lot.json", huge_json_number, r"lot.json:2: a number of 5000 digits"),
    "json-latin1": (
        "lot.json",
        lambda: '{"items": [{"id": "É"}]}'.encode("latin-1"),
        r"lot.json:1: unreadable bytes: not UTF-8",
    ),
    "csv-utf16-broken": (
        "items.csv",
        lambda: b"\xff\xfei\x00d\x00\x00\xd8",
        r"items.csv: unreadable UTF-16 text",
    ),
    "xlsx-truncated": ("lot.xlsx", truncated_xlsx, r"lot.xlsx: not a readable xlsx workbook"),
    "xlsx-not-a-zip": ("lot.xlsx", lambda: b"hello", r"lot.xlsx: not a readable xlsx workbook"),
    "xlsx-bad-sheet-xml": (
        "lot.xlsx",
        lambda: patch_sheet(workbook(ITEM_ROWS), lambda x: x.replace("</sheetData>", "<row>")),
        r"lot.xlsx\[items\]: not a readable xlsx workbook",
    ),
}


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail (rather than hang) a read that would take minutes: a guard, not a benchmark."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("still reading after 60 s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def refused(name: str, data: bytes, limits: IngestLimits | None = None) -> list[str]:
    with pytest.raises(DatasetError) as err:
        validate(read_upload(name, data, limits))
    return [str(i) for i in err.value.issues]


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_container_is_refused_with_a_clear_message(case: str, deadline: None) -> None:
    name, make, message = CASES[case]
    issues = refused(name, make())
    assert len(issues) == 1 and re.match(message, issues[0]), issues


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_ingest_prints_the_message_and_exits_1(case: str, tmp_path: Path) -> None:
    name, make, message = CASES[case]
    path = tmp_path / name
    path.write_bytes(make())
    graph = tmp_path / "graph.json"
    result = CliRunner().invoke(cli, ["--store", str(graph), "ingest", "--no-progress", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert re.match(message, lines[0]), lines
    assert "Traceback" not in result.output
    assert not graph.exists()


def test_a_zip_bomb_is_refused_by_what_it_expands_to(tmp_path: Path) -> None:
    bomb = newline_bomb()
    assert len(bomb) < 600_000  # 500 MiB of newlines in about 500 KB
    issues = refused("bombe.zip", bomb)
    assert issues == [
        "bombe.zip/items.csv: the dataset expands to more than 256 MiB once decompressed "
        "(limit FILIERE_INGEST_MAX_BYTES)"
    ]


def test_limits_are_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bombe.zip"
    path.write_bytes(newline_bomb(8 * MiB))
    monkeypatch.setenv("FILIERE_INGEST_MAX_BYTES", str(4 * MiB))
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "g.json"), "ingest", str(path)])
    assert result.exit_code == 1
    assert "more than 4 MiB once decompressed" in result.stderr
    monkeypatch.setenv("FILIERE_INGEST_MAX_BYTES", str(16 * MiB))
    monkeypatch.setenv("FILIERE_INGEST_MAX_ROWS", "1000")
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "g.json"), "ingest", str(path)])
    assert result.exit_code == 1
    assert "bombe.zip/items.csv:1001: more than 1000 rows" in result.stderr


def test_a_lying_dimension_is_read_by_the_cells_present(deadline: None) -> None:
    tables = read_upload("lot.xlsx", lying_dimension())
    assert tables["items"].rows == [(2, {"id": "P", "name": "Pompe", "kind": "product"})]
    assert tables["items"].columns == ["id", "name", "kind"]


def _in_last_row(cell: str) -> Callable[[str], str]:
    def change(xml: str) -> str:
        head, tail = xml.rsplit("</row>", 1)
        return head + cell + "</row>" + tail

    return change


def test_a_cell_far_right_is_refused_an_empty_one_ignored(deadline: None) -> None:
    wide = patch_sheet(
        workbook(ITEM_ROWS), _in_last_row('<c r="XFD2" t="inlineStr"><is><t>loin</t></is></c>')
    )
    assert refused("lot.xlsx", wide) == [
        "lot.xlsx[items]:2: 16384 columns, more than the limit of 256 (FILIERE_INGEST_MAX_COLUMNS)"
    ]
    empty = patch_sheet(workbook(ITEM_ROWS), _in_last_row('<c r="XFD2" s="0"/>'))
    assert read_upload("lot.xlsx", empty)["items"].rows == [
        (2, {"id": "P", "name": "Pompe", "kind": "product"})
    ]


def test_rows_far_below_are_bounded(deadline: None) -> None:
    issues = refused("lot.xlsx", far_row(), IngestLimits(max_rows=10_000))
    assert issues == [
        "lot.xlsx[items]:10001: more than 10000 rows in the dataset (limit FILIERE_INGEST_MAX_ROWS)"
    ]


def test_too_many_cells_columns_rows_are_refused() -> None:
    wide = ",".join(f"c{i}" for i in range(300)) + "\n"
    assert refused("items.csv", wide.encode()) == [
        "items.csv:1: 300 columns, more than the limit of 256 (FILIERE_INGEST_MAX_COLUMNS)"
    ]
    # Trailing empty cells (Excel's trailing separators) do not count as columns.
    padded = ("id,name,kind" + "," * 400 + "\nP,Pompe,product\n").encode()
    assert read_upload("items.csv", padded)["items"].columns == ["id", "name", "kind"]
    rows = ("id,name,kind\n" + "P,Pompe,product\n" * 50).encode()
    assert refused("items.csv", rows, IngestLimits(max_cells=90)) == [
        "items.csv:31: more than 90 cells in the dataset (limit FILIERE_INGEST_MAX_CELLS)"
    ]
    sheet = workbook([["id", "name", "kind"]] + [["P", "Pompe", "product"]] * 20)
    assert refused("lot.xlsx", sheet, IngestLimits(max_rows=5)) == [
        "lot.xlsx[items]:6: more than 5 rows in the dataset (limit FILIERE_INGEST_MAX_ROWS)"
    ]
    many = zip_of({f"t{i}.csv": b"id\n" for i in range(30)})
    assert refused("lot.zip", many, IngestLimits(max_files=20)) == [
        "lot.zip/t27.csv: more than 20 files in the dataset"
    ]


def test_a_json_file_is_bounded_before_it_is_parsed() -> None:
    rows = ",\n".join(f'{{"id": "P{i}", "name": "x", "kind": "product"}}' for i in range(50))
    data = ('{"items": [\n' + rows + "]}").encode()
    assert refused("lot.json", data, IngestLimits(max_rows=20)) == [
        "lot.json: more than 20 rows in the dataset (limit FILIERE_INGEST_MAX_ROWS)"
    ]
    values = ('{"items": [' + ",".join(["1"] * 1000) + "]}").encode()
    assert refused("lot.json", values, IngestLimits(max_cells=500)) == [
        "lot.json: more than 500 cells in the dataset (limit FILIERE_INGEST_MAX_CELLS)"
    ]
    assert len(read_upload("lot.json", data, IngestLimits(max_rows=50))["items"].rows) == 50


def test_a_workbook_bomb_is_refused_by_its_inflated_size() -> None:
    big = workbook([["id", "name", "kind"]] + [["P", "x" * 1000, "product"]] * 3000)
    assert len(big) < 200_000
    issues = refused("lot.xlsx", big, IngestLimits(max_bytes=MiB))
    assert issues == [
        "lot.xlsx: the dataset expands to more than 1 MiB once decompressed "
        "(limit FILIERE_INGEST_MAX_BYTES)"
    ]


def test_the_api_answers_422_for_each_malformed_container(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from api_support import start_api

    with start_api(embedded_store, tmp_path, request) as api, api.client("editor") as c:
        for case in sorted(CASES):
            name, make, message = CASES[case]
            r = c.post("/datasets", files={"file": (name, make())})
            assert r.status_code == 422, (case, r.text)
            errors = r.json()["errors"]
            line = errors[0].get("line")
            where = errors[0]["file"] + (f":{line}" if line else "")
            assert re.match(message, f"{where}: {errors[0]['message']}"), (case, errors)
        r = c.post("/datasets", files={"file": ("bombe.zip", newline_bomb())})
        assert r.status_code == 422 and "256 MiB" in r.json()["errors"][0]["message"]
        assert c.get("/health").status_code == 200
    assert embedded_store.get_node(Label.ITEM, "P") is None
