"""The import tool CSV writer (``filiere export --neo4j-admin``), without Neo4j.

The files are read back with :mod:`csv` and rebuilt as records, the way the import tool
reads them: the round trip must give the very records a transactional ingest writes.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import DatasetError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import KEY, KEYED_LABELS, Label, Rel, constraints_cypher
from filiere.ingest.neo4j_admin import (
    COMMAND_FILE,
    README_FILE,
    SCHEMA_FILE,
    AdminImportError,
    dataset_batch,
    dataset_records,
    write_admin_csv,
)

DEMO = Path(__file__).resolve().parents[1] / "filiere" / "data" / "demo"
BAD = Path(__file__).resolve().parent / "data" / "bad"

_HEADER = re.compile(r"^(?P<name>[^:]*):(?P<kind>[A-Za-z_]+)(\((?P<space>[^)]*)\))?$")


def _typed(kind: str, text: str) -> Any:
    if text == "":
        return None  # csv cannot tell "" from a missing value: tested on the raw lines
    if kind.endswith("[]"):
        return [_typed(kind[:-2], part) for part in text.split(";")]
    if kind == "double":
        return float(text)
    if kind == "long":
        return int(text)
    if kind == "boolean":
        assert text in ("true", "false")
        return text == "true"
    assert kind == "string", kind
    return text


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def read_back(directory: Path, node_files: list[str], rel_files: list[str]) -> GraphBatch:
    """Rebuild records from import files, as the import tool reads them."""
    nodes: list[NodeRecord] = []
    for name in node_files:
        header, rows = _read(directory / name)
        for row in rows:
            props: dict[str, Any] = {}
            labels: list[str] = []
            key = space = ""
            for column, text in zip(header, row, strict=True):
                if column == ":LABEL":
                    labels = text.split(";")
                    continue
                m = _HEADER.match(column)
                assert m, column
                if m["kind"] == "ID":
                    key, space = text, m["space"]
                    props[m["name"]] = text
                    continue
                value = _typed(m["kind"], text)
                if value is not None:
                    props[m["name"]] = value
            label = Label(space)
            assert labels[0] == label.value
            nodes.append(NodeRecord(label, key, props, tuple(Label(x) for x in labels[1:])))
    rels: list[RelRecord] = []
    for name in rel_files:
        header, rows = _read(directory / name)
        for row in rows:
            fields = dict(zip(header, row, strict=True))
            start_col, end_col = header[0], header[1]
            rprops: dict[str, Any] = {}
            for column in header[3:]:
                text = fields[column]
                m = _HEADER.match(column)
                assert m, column
                value = _typed(m["kind"], text)
                if value is not None:
                    rprops[m["name"]] = value
            rels.append(
                RelRecord(
                    Rel(fields[":TYPE"]),
                    Label(start_col[len(":START_ID(") : -1]),
                    fields[start_col],
                    Label(end_col[len(":END_ID(") : -1]),
                    fields[end_col],
                    rprops,
                )
            )
    return GraphBatch(nodes, rels)


def test_demo_round_trips_to_the_records_an_ingest_writes(tmp_path: Path) -> None:
    batch = dataset_batch(DEMO)
    files = write_admin_csv(batch, tmp_path)
    assert files.nodes == len(batch.nodes) and files.relationships == len(batch.rels)
    back = read_back(tmp_path, files.node_files, files.rel_files)
    assert back.canonical() == batch.canonical()
    # loaded_at too: the canonical form leaves it out.
    assert {n.props["loaded_at"] for n in back.nodes} == {n.props["loaded_at"] for n in batch.nodes}


def test_streamed_records_write_the_same_files(tmp_path: Path) -> None:
    """``filiere neo4j import``'s path (checked rows, records streamed) writes the batch's files."""
    records = dataset_records(DEMO)
    streamed = write_admin_csv(records, tmp_path / "streamed")
    batch = dataset_batch(DEMO, source=records.source)
    built = write_admin_csv(batch, tmp_path / "built")
    assert streamed.node_files == built.node_files and streamed.rel_files == built.rel_files
    assert (streamed.nodes, streamed.relationships) == (built.nodes, built.relationships)
    assert streamed.counts == built.counts and sum(streamed.counts.values()) > 0
    for name in (*built.node_files, *built.rel_files):
        read = {d: _read(tmp_path / d / name) for d in ("streamed", "built")}
        assert read["streamed"][0] == read["built"][0]  # the header
        # Rows may come in another order; loaded_at is the time each was made. (The
        # streamed files quote a text only where CSV needs it: compared once parsed.)
        rows = {
            d: sorted(tuple(re.sub(r"^\d{4}-\d\d-\d\dT.*", "T", x) for x in row) for row in v)
            for d, (_header, v) in read.items()
        }
        assert rows["streamed"] == rows["built"]
    back = read_back(tmp_path / "streamed", streamed.node_files, streamed.rel_files)
    assert back.canonical() == batch.canonical()


def test_headers_have_one_id_space_per_keyed_label(tmp_path: Path) -> None:
    files = write_admin_csv(dataset_batch(DEMO), tmp_path)
    spaces = {}
    for name in files.node_files:
        header = (tmp_path / name).read_text(encoding="utf-8").splitlines()[0].split(",")
        ids = [c for c in header if ":ID(" in c]
        assert len(ids) == 1 and header[-1] == ":LABEL"
        m = _HEADER.match(ids[0])
        assert m
        spaces[m["space"]] = m["name"]
    assert spaces == {label.value: KEY[label] for label in KEYED_LABELS}
    located = (tmp_path / "rels-LOCATED_IN-Supplier-Region.csv").read_text(encoding="utf-8")
    assert located.startswith(":START_ID(Supplier),:END_ID(Region),:TYPE,")
    items = (tmp_path / "nodes-Item.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "unit_value_eur:double" in items and "name:string" in items
    produces = (tmp_path / "rels-PRODUCES-Country-Item.csv").read_text(encoding="utf-8")
    assert "share:double" in produces and "year:long" in produces
    country = (tmp_path / "nodes-Country.csv").read_text(encoding="utf-8")
    assert "eu:boolean" in country
    assert '"Item;Product"' not in items  # labels are a plain field


def _batch(*nodes: NodeRecord, rels: tuple[RelRecord, ...] = ()) -> GraphBatch:
    return GraphBatch(list(nodes), list(rels))


def test_french_names_quotes_commas_and_newlines_round_trip(tmp_path: Path) -> None:
    names = [
        'Fonderie "Le Creusot", site n°2',
        "Usinage\nde précision ; 5 axes",
        "Cœur d'acier — Île-de-France\r\nsuite",
        " espaces ",
    ]
    nodes = [
        NodeRecord.make(Label.SUPPLIER, f"S{i}", {"name": n, "country": "FR"})
        for i, n in enumerate(names)
    ]
    nodes.append(NodeRecord.make(Label.SUPPLIER, 'S,"x"', {"name": "clé bizarre"}))
    files = write_admin_csv(_batch(*nodes), tmp_path)
    assert files.multiline
    assert "--multiline-fields=true" in files.arguments()
    back = read_back(tmp_path, files.node_files, files.rel_files)
    assert back.canonical() == _batch(*nodes).canonical()
    raw = (tmp_path / "nodes-Supplier.csv").read_bytes()
    assert "précision".encode() in raw  # UTF-8, not an escape


def test_empty_text_and_missing_value_differ(tmp_path: Path) -> None:
    a = NodeRecord.make(Label.ITEM, "A", {"name": "A", "unit": ""}, (Label.PRODUCT,))
    b = NodeRecord.make(Label.ITEM, "B", {"name": "B"}, (Label.MATERIAL,))
    write_admin_csv(_batch(a, b), tmp_path)
    lines = (tmp_path / "nodes-Item.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id:ID(Item),name:string,unit:string,:LABEL"
    assert lines[1:] == ['"A","A","",Item;Product', '"B","B",,Item;Material']
    files = write_admin_csv(_batch(a, b), tmp_path)
    assert not files.multiline and "--multiline-fields=false" in files.arguments()


def test_a_column_with_two_types_splits_the_file(tmp_path: Path) -> None:
    a = NodeRecord.make(Label.ITEM, "A", {"name": "A", "grade": 3})
    b = NodeRecord.make(Label.ITEM, "B", {"name": "B", "grade": "3b"})
    c = NodeRecord.make(Label.ITEM, "C", {"name": "C"})
    files = write_admin_csv(_batch(a, b, c), tmp_path)
    assert len(files.node_files) == 2
    headers = {(tmp_path / f).read_text(encoding="utf-8").splitlines()[0] for f in files.node_files}
    assert headers == {
        "id:ID(Item),grade:string,name:string,:LABEL",
        "id:ID(Item),grade:long,name:string,:LABEL",
    }
    back = read_back(tmp_path, files.node_files, files.rel_files)
    assert back.canonical() == _batch(a, b, c).canonical()


def test_lists_are_typed_arrays(tmp_path: Path) -> None:
    a = NodeRecord.make(Label.ITEM, "A", {"name": "A", "tags": ["aimant", "terre rare"]})
    files = write_admin_csv(_batch(a), tmp_path)
    text = (tmp_path / files.node_files[0]).read_text(encoding="utf-8").splitlines()
    assert text == [
        "id:ID(Item),name:string,tags:string[],:LABEL",
        '"A","A","aimant;terre rare",Item',
    ]
    bad = NodeRecord.make(Label.ITEM, "B", {"name": "B", "tags": ["a;b"]})
    with pytest.raises(AdminImportError, match="delimiter"):
        write_admin_csv(_batch(bad), tmp_path / "bad")


def test_export_neo4j_admin_writes_command_and_constraints(tmp_path: Path) -> None:
    out = tmp_path / "admin"
    result = CliRunner(env={"FILIERE_LANG": "en"}).invoke(
        cli,
        [
            "--store",
            str(tmp_path / "g.json"),
            "export",
            "--neo4j-admin",
            "--dataset",
            str(DEMO),
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    command = (out / COMMAND_FILE).read_text(encoding="utf-8")
    assert "neo4j-admin database import full neo4j --overwrite-destination=true" in command
    for f in sorted(out.glob("*.csv")):
        flag = "--nodes=" if f.name.startswith("nodes-") else "--relationships="
        assert f"{flag}'\"$DIR\"'/{f.name}" in command
    assert (out / SCHEMA_FILE).read_text(encoding="utf-8").splitlines() == [
        f"{s};" for s in constraints_cypher()
    ]
    assert "neo4j-admin database import full" in (out / README_FILE).read_text(encoding="utf-8")
    assert not (tmp_path / "g.json").exists()  # a dataset export leaves the store alone


def test_export_neo4j_admin_of_the_store(tmp_path: Path) -> None:
    store = str(tmp_path / "g.json")
    runner = CliRunner(env={"FILIERE_LANG": "en"})
    assert (
        runner.invoke(cli, ["--store", store, "ingest", "--no-progress", str(DEMO)]).exit_code == 0
    )
    out = tmp_path / "admin"
    result = runner.invoke(cli, ["--store", store, "export", "--neo4j-admin", str(out)])
    assert result.exit_code == 0, result.output
    assert _exported(out).canonical() == dataset_batch(DEMO).canonical()


def test_export_neo4j_admin_streams_the_embedded_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``--dataset`` the store is read row by row: never loaded whole."""
    path = tmp_path / "g.db"
    runner = CliRunner(env={"FILIERE_LANG": "en"})
    result = runner.invoke(cli, ["--store", str(path), "ingest", "--no-progress", str(DEMO)])
    assert result.exit_code == 0, result.output
    store = EmbeddedStore(path)
    with store.streamed() as records:
        streamed = GraphBatch(list(records.nodes()), list(records.rels()))
    assert streamed.canonical() == store.export().canonical()
    store.close()

    def whole_store(self: EmbeddedStore) -> GraphBatch:
        raise AssertionError("the whole store was loaded")

    monkeypatch.setattr(EmbeddedStore, "export", whole_store)
    out = tmp_path / "admin"
    result = runner.invoke(cli, ["--store", str(path), "export", "--neo4j-admin", str(out)])
    assert result.exit_code == 0, result.output
    assert _exported(out).canonical() == dataset_batch(DEMO).canonical()


def test_refused_dataset_writes_no_file(tmp_path: Path) -> None:
    out = tmp_path / "admin"
    bad = BAD / "bom_cycle"
    with pytest.raises(DatasetError):
        dataset_batch(bad)
    result = CliRunner(env={"FILIERE_LANG": "en"}).invoke(
        cli,
        [
            "--store",
            str(tmp_path / "g.json"),
            "export",
            "--neo4j-admin",
            "--dataset",
            str(bad),
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert not out.exists()


def test_rewriting_a_folder_drops_old_files(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "demo")
    write_admin_csv(dataset_batch(DEMO), tmp_path / "out")
    small = _batch(NodeRecord.make(Label.ITEM, "A", {"name": "A"}))
    files = write_admin_csv(small, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").glob("*.csv")) == files.node_files


def test_dataset_option_needs_neo4j_admin(tmp_path: Path) -> None:
    result = CliRunner(env={"FILIERE_LANG": "en"}).invoke(
        cli, ["--store", str(tmp_path / "g.json"), "export", "--dataset", str(DEMO), str(tmp_path)]
    )
    assert result.exit_code == 2 and "--neo4j-admin" in result.output


def _exported(out: Path) -> GraphBatch:
    """The graph held by the import files that ``export --neo4j-admin`` wrote in ``out``."""
    files = sorted(p.name for p in out.glob("*.csv"))
    return read_back(
        out,
        [f for f in files if f.startswith("nodes-")],
        [f for f in files if f.startswith("rels-")],
    )
