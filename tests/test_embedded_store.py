"""What only the embedded store does: its SQLite file, transactions, sharing between processes."""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from pathlib import Path

import pytest

from filiere.errors import StoreError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.model import BomLine, Dataset, Item
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel
from filiere.ingest.build import build_batch


def one_item(item_id: str, name: str) -> Dataset:
    return Dataset(name="t", items=[Item(id=item_id, name=name, kind="product")])


def test_file_is_documented_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "g.json"  # any name: the content decides
    EmbeddedStore(path).write(build_batch(one_item("P", "Turbine Kaplan")))
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    assert path.stat().st_mode & 0o077 == 0  # private, like the JSON store was
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    [(label, key, extra, props)] = conn.execute("SELECT label, key, extra, props FROM nodes")
    assert (label, key, extra) == ("Item", "P", "Product")
    assert json.loads(props)["name"] == "Turbine Kaplan"
    assert conn.execute("SELECT count(*) FROM rels").fetchone() == (0,)
    assert conn.execute("SELECT value FROM meta WHERE name = 'changes'").fetchone() == (1,)
    conn.close()


def test_opening_an_absent_store_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    store = EmbeddedStore(path)
    assert store.counts() == {} and store.get_node(Label.ITEM, "P") is None
    assert len(store.graph) == 0 and len(store.export()) == 0
    assert not path.exists()


def test_failed_write_keeps_the_old_graph(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    store = EmbeddedStore(path)
    store.write(build_batch(one_item("P", "old")))
    before = store.export().canonical()
    # The nodes are written first; the relationship's value then fails the write midway.
    bad = GraphBatch(
        [NodeRecord.make(Label.ITEM, "Q", {"name": "new"}, [Label.COMPONENT])],
        [RelRecord(Rel.CONTAINS, Label.ITEM, "P", Label.ITEM, "Q", {"quantity": math.nan})],
    )
    with pytest.raises(StoreError, match="cannot save the graph"):
        store.write(bad)
    assert store.get_node(Label.ITEM, "Q") is None
    assert EmbeddedStore(path).export().canonical() == before
    store.write(build_batch(one_item("R", "after")))  # the store is still usable
    assert store.get_node(Label.ITEM, "R") is not None


def test_another_process_sees_writes(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    reader = EmbeddedStore(path)
    assert reader.get_node(Label.ITEM, "P") is None
    assert len(reader.graph) == 0
    EmbeddedStore(path).write(build_batch(one_item("P", "vu")))
    node = reader.get_node(Label.ITEM, "P")
    assert node is not None and node["name"] == "vu"
    assert ("Item", "P") in reader.graph


def test_the_graph_is_rebuilt_only_when_the_store_changed(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    writer, reader = EmbeddedStore(path), EmbeddedStore(path)
    writer.write(build_batch(one_item("P", "v1")))
    first = reader.graph
    assert reader.graph is first  # nothing changed: the same object, not re-read
    writer.write(build_batch(one_item("Q", "v2")))
    second = reader.graph
    assert second is not first and ("Item", "Q") in second
    assert reader.graph is second


def test_writing_does_not_build_the_analysis_graph(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    store.write(build_batch(one_item("P", "v1")))
    store.write(build_batch(one_item("Q", "v2")))
    assert store._graph is None  # an ingest never pays for the networkx graph
    assert ("Item", "Q") in store.graph


def test_upsert_writes_only_the_rows_that_changed(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    data = Dataset(
        name="t",
        items=[Item(id=f"I{i}", name=f"n{i}", kind="component") for i in range(50)],
        bom=[BomLine(parent=f"I{i}", child=f"I{i + 1}") for i in range(49)],
    )
    batch = build_batch(data, loaded_at="2026-01-01T00:00:00+00:00")
    store.write(batch)
    conn = store._local.conn
    before = conn.total_changes
    store.write(batch)
    assert conn.total_changes - before == 1  # the change counter only
    one = build_batch(one_item("I7", "renamed"), loaded_at="2026-01-01T00:00:00+00:00")
    before = conn.total_changes
    store.write(one)
    # I7, the counter, I7's search row and its trigrams (a few rows of FTS5's own
    # tables): not the 50 items nor their search rows.
    assert 3 <= conn.total_changes - before < 20
    assert conn.execute("SELECT key FROM search WHERE fname = 'renamed'").fetchall() == [("I7",)]
    i7 = store.get_node(Label.ITEM, "I7")
    assert i7 is not None and i7["name"] == "renamed" and i7["kind"] == "product"


def test_readers_see_the_last_commit_during_a_write(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    writer, reader = EmbeddedStore(path), EmbeddedStore(path)
    writer.write(build_batch(one_item("P", "old")))
    with writer.exclusive():
        writer.write(build_batch(one_item("Q", "new")))
        assert writer.get_node(Label.ITEM, "Q") is not None  # the writer sees its own rows
        assert reader.get_node(Label.ITEM, "Q") is None  # not committed: not seen, no wait
        assert ("Item", "Q") not in reader.graph
    assert reader.get_node(Label.ITEM, "Q") is not None
    assert ("Item", "Q") in reader.graph


def test_an_exception_inside_exclusive_writes_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    store.write(build_batch(one_item("P", "old")))
    with pytest.raises(RuntimeError), store.exclusive():
        store.write(build_batch(one_item("Q", "new")))
        raise RuntimeError("validation crashed after the write")
    assert store.get_node(Label.ITEM, "Q") is None


def test_a_second_writer_waits_then_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    first = EmbeddedStore(path)
    first.write(build_batch(one_item("P", "old")))
    second = EmbeddedStore(path, timeout=0.3)
    busy = r"another write has held the store for more than 0\.3 s"
    with first.exclusive(), pytest.raises(StoreError, match=busy):
        second.write(build_batch(one_item("Q", "new")))
    second.write(build_batch(one_item("Q", "new")))  # free again: it proceeds
    assert first.get_node(Label.ITEM, "Q") is not None


def test_a_second_writer_proceeds_once_the_first_commits(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    first, second = EmbeddedStore(path), EmbeddedStore(path)
    first.write(build_batch(one_item("P", "old")))
    done = threading.Event()

    def write_second() -> None:
        second.write(build_batch(one_item("Q", "second")))
        done.set()

    with first.exclusive():
        thread = threading.Thread(target=write_second)
        thread.start()
        assert not done.wait(0.3)  # waits for the first writer
        first.write(build_batch(one_item("P", "first")))
    thread.join(10)
    assert done.is_set()
    assert {k for k in first.get_nodes(Label.ITEM, ["P", "Q"])} == {"P", "Q"}


def test_one_store_object_serves_many_threads(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    store.write(build_batch(one_item("P", "partagé")))
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                node = store.get_node(Label.ITEM, "P")
                assert node is not None and node["name"] == "partagé"
                assert ("Item", "P") in store.graph
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store.close()


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot read the JSON store"):
        EmbeddedStore(path)
    path.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(StoreError, match="not a filiere graph"):
        EmbeddedStore(path)
    assert path.read_text(encoding="utf-8") == '{"format": "other"}'  # left as it was
    path.write_bytes(b"PK\x03\x04 a zip, not a store")
    with pytest.raises(StoreError, match="not a filiere store"):
        EmbeddedStore(path)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a filiere store"):
        EmbeddedStore(other).counts()
    with pytest.raises(StoreError, match="not a filiere store"):
        EmbeddedStore(other).write(build_batch(one_item("P", "x")))


def test_a_missing_value_never_erases_a_stored_one(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.db")
    store.write(GraphBatch([NodeRecord.make(Label.COUNTRY, "FR", {"name": "France", "x": 1})]))
    # A record built by hand (not through make()) may carry None: it is not stored.
    store.write(GraphBatch([NodeRecord(Label.COUNTRY, "FR", {"code": "FR", "x": None, "y": 2})]))
    assert store.get_node(Label.COUNTRY, "FR") == {"code": "FR", "name": "France", "x": 1, "y": 2}
    store.write(GraphBatch([NodeRecord(Label.COUNTRY, "DE", {"code": "DE", "name": None})]))
    assert store.get_node(Label.COUNTRY, "DE") == {"code": "DE"}


def test_a_store_path_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(StoreError, match=r"notes\.txt/g\.db: cannot read the store"):
        EmbeddedStore(tmp_path / "notes.txt" / "g.db")


def test_a_reader_in_the_middle_of_a_read_does_not_block_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    reader, writer = EmbeddedStore(path), EmbeddedStore(path, timeout=0.5)
    writer.write(build_batch(one_item("P", "old")))
    with reader._reading() as conn:  # one read snapshot held open, as a long analysis does
        assert conn is not None
        assert conn.execute("SELECT count(*) FROM nodes").fetchone() == (1,)  # snapshot taken
        writer.write(build_batch(one_item("Q", "new")))  # commits within 0.5 s
        assert conn.execute("SELECT count(*) FROM nodes").fetchone() == (1,)  # its snapshot
    assert reader.get_node(Label.ITEM, "Q") is not None
