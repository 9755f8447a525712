"""The lean ingest route: compact checked rows, records made as the embedded store writes them.

The route must give exactly what ``validate`` -> ``build_batch`` -> ``write`` gives, keep
the write one transaction however many chunks it takes, and hold far less memory.
"""

from __future__ import annotations

import csv
import gc
import json
import sqlite3
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from filiere.errors import DatasetError, StoreError
from filiere.graph import embedded
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel
from filiere.ingest import RawTable, load, read_tables, validate
from filiere.ingest.build import RecordStream, build_batch
from filiere.ingest.readers import read_json
from filiere.ingest.validate import check

EXAMPLE = Path(__file__).parent.parent / "examples" / "capteur"

#: Every table, extra columns, regions, HS codes, a production source, an item name with
#: spaces around it (JSON keeps them: pydantic strips them, through the model route).
DATASET = {
    "items": [
        {"id": "P", "name": " Pompe ", "kind": "Product", "hs_code": "841370", "usage": "eau"},
        {"id": "C", "name": "Corps", "kind": "component", "unit_value_eur": "12,5"},
        {"id": "M", "name": "Cobalt", "kind": "material", "crma": "strategic"},
        {"id": "N", "name": "Nickel", "kind": "material", "annual_volume": 3},
    ],
    "bom": [
        {"parent": "P", "child": "C", "quantity": "2", "note": "carter"},
        {"parent": "C", "child": "M"},
    ],
    "suppliers": [
        {"id": "S1", "name": "Fonderie", "country": "France", "region": "FR-BFC", "lat": 47.2},
        {"id": "S2", "name": "Zhejiang Co", "country": "CN", "city": "Ningbo"},
    ],
    "supplies": [{"supplier": "S1", "item": "C", "share": "60 %"}, {"supplier": "S2", "item": "M"}],
    "offers": [{"supplier": "S2", "item": "C", "delay": "8 semaines"}],
    "makes": [{"supplier": "S1", "item": "P"}],
    "substitutes": [{"item": "M", "substitute": "N", "compatibility": "0,8"}],
    "processes": [{"item": "C", "process": "Usinage"}, {"item": "P", "process": "gravure"}],
    "capabilities": [{"supplier": "S1", "process": "machining"}],
    "production": [
        {"material": "M", "country": "CD", "share": "0.7", "year": 2023, "source": "USGS"},
        {"material": "M", "country": "CN", "share": 0.1, "stage": "processing"},
    ],
}


def json_tables(data: dict[str, object]) -> dict[str, RawTable]:
    return read_json(json.dumps(data, indent=1).encode(), "d.json")


def test_records_are_those_of_build_batch() -> None:
    for tables in (json_tables(DATASET), read_tables(EXAMPLE)):
        expected = build_batch(validate(tables, name="d"), source="s", loaded_at="t")
        stream = RecordStream(check(tables, name="d"), "s", "t")
        assert stream.batch().canonical() == expected.canonical()
        assert stream.count() == len(expected)


def test_model_route_rows_keep_the_model_values() -> None:
    checked = check(json_tables(DATASET), name="d")
    items = checked.tables["items"]
    pump = items.rows[0]
    assert items.value(pump, "name") == " Pompe "  # as read: what the checks compare
    assert items.field(pump, "name") == "Pompe"  # as the model holds it: what is written
    cobalt = items.rows[2]
    assert cobalt.model is cobalt.values  # nothing for the model to change: no copy


def test_check_releases_the_tables_it_is_given_only_when_asked() -> None:
    tables = read_tables(EXAMPLE)
    check(tables)
    assert all(t.rows for t in tables.values())
    check(tables, release=True)
    assert not any(t.rows for t in tables.values())


def _store_state(path: Path) -> tuple[object, ...]:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("SELECT * FROM nodes ORDER BY 1, 2").fetchall(),
            conn.execute("SELECT * FROM rels ORDER BY 1, 2, 3, 4, 5, 6").fetchall(),
            conn.execute("SELECT value FROM meta WHERE name = 'changes'").fetchone(),
        )
    finally:
        conn.close()


def test_a_streamed_write_is_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "CHUNK", 3)  # many chunks
    path = tmp_path / "g.db"
    store = EmbeddedStore(path)
    load(EXAMPLE, store, progress=False)
    before = _store_state(path)
    stream = RecordStream(check(read_tables(EXAMPLE)), "again", "t")
    chunks: list[int] = []

    def failing_rels() -> Iterator[RelRecord]:
        yield from stream.rels()
        raise OSError("disk gone")  # after every chunk but the last was written

    with pytest.raises(OSError, match="disk gone"):
        store.write_records(stream.nodes(), failing_rels(), progress=chunks.append)
    assert len(chunks) > 10  # the failure came after many chunks were executed
    assert _store_state(path) == before
    # A relationship to a node that exists nowhere, in the very last chunk: refused whole.
    missing = RelRecord(Rel.CONTAINS, Label.ITEM, "ghost", Label.ITEM, "also-ghost", {})
    with pytest.raises(StoreError, match="refers to a missing Item 'ghost'"):
        store.write_records(stream.nodes(), [*stream.rels(), missing], replace=True)
    assert _store_state(path) == before
    store.close()


def test_streamed_write_counts_created_and_updated(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    first = load(EXAMPLE, store, progress=False).summary
    again = load(EXAMPLE, store, progress=False).summary
    assert first is not None and again is not None
    assert sum(first.created.values()) == len(build_batch(validate(read_tables(EXAMPLE))))
    assert not sum(again.created.values())
    assert again.updated == first.created
    extra = NodeRecord.make(Label.ITEM, "X", {"name": "x"}, [Label.MATERIAL])
    summary = store.write_records(iter([extra]), iter(()))
    assert (summary.created["Item"], summary.updated["Item"]) == (1, 0)
    store.close()


def _generate(folder: Path, items: int) -> int:
    """``items`` items, a BOM tree over them and one supplier of each: about 3 rows per item."""
    folder.mkdir()
    tables: dict[str, list[list[str]]] = {
        "items.csv": [["id", "name", "kind", "unit_value_eur"]]
        + [[f"I{i}", f"Pièce {i}", "component" if i else "product", "1,5"] for i in range(items)],
        "bom.csv": [["parent", "child", "quantity"]]
        + [[f"I{i // 2}", f"I{i}", "2"] for i in range(1, items)],
        "suppliers.csv": [["id", "name", "country"], ["S0", "Usine", "FR"]],
        "supplies.csv": [["supplier", "item"]] + [["S0", f"I{i}"] for i in range(items - 1)],
    }
    for name, rows in tables.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return sum(len(rows) - 1 for rows in tables.values())


def test_ingest_memory_per_row_stays_small(tmp_path: Path) -> None:
    """The whole ingest's Python peak per dataset row: ~650 B (validate -> build_batch ->
    write, all held until the end: ~1.7 KB)."""
    rows = _generate(tmp_path / "big", 10_000)
    store = EmbeddedStore(tmp_path / "g.db")
    tracemalloc.start()
    try:
        report = load(tmp_path / "big", store, progress=False)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        store.close()
    assert report.rows["items"] == 10_000
    assert peak / rows < 1000, f"{peak / rows:.0f} bytes per row"


def test_a_refused_load_turns_garbage_collection_back_on(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "items.csv").write_text("id,name,kind\nA,Acier,alloy\n")
    with pytest.raises(DatasetError):
        load(tmp_path / "d", EmbeddedStore(tmp_path / "g.db"), progress=False)
    assert gc.isenabled()
