"""Large Neo4j loads are all-or-nothing: journalled batches, undone on failure.

A store with ``one_transaction_max=0`` and tiny batches sends every write through the
load journal (many committed batches), so these tests exercise it on small datasets
against the session's real Neo4j.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from filiere.errors import StoreError
from filiere.graph import neo4j_journal as journal
from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import JOURNAL_PROPS, LOAD_LABEL, UNDO_LABEL, Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest import load
from filiere.settings import Settings

pytestmark = pytest.mark.neo4j

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "capteur"


def _open(settings: Settings, **kw: Any) -> Neo4jStore:
    return Neo4jStore(
        settings.store, user=settings.neo4j_user, password=settings.neo4j_password or "", **kw
    )


@pytest.fixture
def journalled(neo4j_store: GraphStore, neo4j_settings: Settings) -> Iterator[Neo4jStore]:
    """The session's database (emptied), through a store that journals every write."""
    store = _open(neo4j_settings, batch_size=3, one_transaction_max=0)
    yield store
    store.close()


def _leftovers(store: Neo4jStore) -> list[dict[str, Any]]:
    """Journal and undo nodes, and tagged nodes or relationships, still in the database."""
    tags = " OR ".join(f"x.{p} IS NOT NULL" for p in JOURNAL_PROPS)
    return store.run_read(
        f"MATCH (x) WHERE x:{LOAD_LABEL} OR x:{UNDO_LABEL} OR {tags} RETURN labels(x) AS what "
        f"UNION ALL MATCH ()-[x]->() WHERE {tags} RETURN [type(x)] AS what"
    )


def _schema(store: Neo4jStore) -> list[Any]:
    return store.run_read(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
        "RETURN name, type, labelsOrTypes, properties ORDER BY name"
    )


def _changes(current: GraphBatch, bad: bool) -> GraphBatch:
    """Updates of existing nodes and relationships, new ones, and (``bad``) last a row
    Neo4j refuses (a map is not a property value)."""
    nodes = [
        NodeRecord(n.label, n.key, {**n.props, "name": f"{n.props['name']} v2"}, n.extra_labels)
        for n in current.nodes
        if n.label is Label.ITEM
    ]
    # An item changes kind: its kind label must come back on failure.
    first = nodes[0]
    assert first.extra_labels != (Label.MATERIAL,)
    nodes[0] = NodeRecord(
        first.label, first.key, {**first.props, "kind": "material"}, (Label.MATERIAL,)
    )
    nodes += [
        NodeRecord.make(
            Label.ITEM, f"NEW{i}", {"name": f"Nouveau {i}", "kind": "component"}, [Label.COMPONENT]
        )
        for i in range(7)
    ]
    rels = [
        RelRecord(r.type, r.start_label, r.start, r.end_label, r.end, {**r.props, "quantity": 9})
        for r in current.rels
        if r.type is Rel.CONTAINS
    ]
    rels += [
        RelRecord(Rel.CONTAINS, Label.ITEM, first.key, Label.ITEM, f"NEW{i}", {"quantity": i})
        for i in range(7)
    ]
    if bad:
        rels.append(
            RelRecord(Rel.CONTAINS, Label.ITEM, "NEW0", Label.ITEM, "NEW1", {"quantity": {"x": 1}})
        )
    return GraphBatch(nodes, rels)


@pytest.mark.parametrize("replace", [False, True], ids=["update", "replace"])
def test_failure_in_the_last_batch_leaves_the_store_as_it_was(
    journalled: Neo4jStore, replace: bool
) -> None:
    load(EXAMPLE, journalled, progress=False)
    before = journalled.export()
    counts = journalled.counts()
    changes = _changes(before, bad=True)
    written: list[int] = []
    with pytest.raises(StoreError) as err:
        journalled.write(changes, replace=replace, progress=written.append)
    assert "nothing of this load remains" in str(err.value)
    assert "Property values can only be of primitive types" in str(err.value)
    # The failure came last, after many batches had been committed.
    assert sum(written) == len(changes) - 1 and len(written) > 10
    assert journalled.export() == before  # properties, kind labels, relationships
    assert journalled.counts() == counts
    assert _leftovers(journalled) == []


def test_the_same_changes_without_the_bad_row_are_kept(journalled: Neo4jStore) -> None:
    load(EXAMPLE, journalled, progress=False)
    changes = _changes(journalled.export(), bad=False)
    journalled.write(changes)
    after = journalled.export()
    new3 = {"id": "NEW3", "name": "Nouveau 3", "kind": "component"}
    assert journalled.get_node(Label.ITEM, "NEW3") == new3
    first = next(n for n in after.nodes if n.key == changes.nodes[0].key)
    assert first.extra_labels == (Label.MATERIAL,) and first.props["kind"] == "material"
    old = {(r.start, r.end) for r in changes.rels if r.props["quantity"] == 9}
    assert old and all(r.props["quantity"] == 9 for r in after.rels if (r.start, r.end) in old)
    assert _leftovers(journalled) == []


def test_journalled_load_equals_one_transaction(
    journalled: Neo4jStore, neo4j_settings: Settings
) -> None:
    one = _open(neo4j_settings)  # the default: one transaction for a small dataset
    try:
        results = []
        for store in (one, journalled):
            store.clear()
            first = load(EXAMPLE, store, progress=False)
            loaded = store.export()
            changes = _changes(loaded, bad=False)
            updated = store.write(changes)
            after_update = store.export()
            kept = GraphBatch([changes.nodes[0], *changes.nodes[-7:]], changes.rels[-7:])
            replaced = store.write(kept, replace=True)
            results.append(
                (
                    loaded.canonical(),
                    first.summary,
                    after_update.canonical(),
                    updated,
                    store.export().canonical(),
                    replaced,
                    store.counts(),
                    _schema(store),
                )
            )
            assert _leftovers(store) == []
        assert results[0] == results[1]
        assert results[1][-2] == {"Item": 8, "Component": 7, "Material": 1, "CONTAINS": 7}
    finally:
        one.close()


def test_a_committed_load_whose_clean_up_stopped_is_finished_by_recover(
    journalled: Neo4jStore, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(EXAMPLE, journalled, progress=False)
    changes = _changes(journalled.export(), bad=False)
    kept = GraphBatch([changes.nodes[0], *changes.nodes[-7:]], changes.rels[-7:])
    expected = _open(neo4j_settings, one_transaction_max=0)  # the same write, then compared
    real = journal.roll_forward

    def lost(session: Any, load: str) -> None:
        raise StoreError("connection lost")

    monkeypatch.setattr(journal, "roll_forward", lost)
    journalled.write(kept, replace=True)  # committed: no error, only the clean-up waits
    assert _leftovers(journalled)
    # Until the clean-up, readers see the doomed old graph beside the new one.
    assert journalled.counts()["Item"] > 8
    monkeypatch.setattr(journal, "roll_forward", real)
    settled = expected.recover()
    assert [kept_ for _, kept_ in settled] == [True]
    assert _leftovers(journalled) == []
    assert journalled.counts() == {"Item": 8, "Component": 7, "Material": 1, "CONTAINS": 7}
    expected.close()


def test_a_load_left_writing_is_undone_by_the_next_write(
    journalled: Neo4jStore, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(EXAMPLE, journalled, progress=False)
    before = journalled.export()
    changes = _changes(before, bad=True)

    def unreachable(session: Any, load: str) -> bool:
        raise StoreError("Neo4j is not reachable")

    monkeypatch.setattr(journal, "settle", unreachable)  # as if the server had gone
    with pytest.raises(StoreError) as err:
        journalled.write(changes)
    assert "could not be undone now" in str(err.value)
    assert journalled.get_node(Label.ITEM, "NEW3") is not None  # part of it shows
    monkeypatch.undo()
    # The next write, from another store object (another process), undoes it first.
    other = _open(neo4j_settings)
    try:
        other.write(GraphBatch([NodeRecord.make(Label.ITEM, "LAST", {"kind": "material"})]))
        after = other.export()
    finally:
        other.close()
    assert [n for n in after.nodes if n.key != "LAST"] == before.nodes
    assert after.rels == before.rels
    assert _leftovers(journalled) == []


def test_a_small_replace_of_a_big_graph_is_journalled(
    neo4j_store: GraphStore, neo4j_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """replace deletes the whole graph: one transaction only if that fits too."""
    store = _open(neo4j_settings, one_transaction_max=60)
    try:
        load(EXAMPLE, store, progress=False)
        assert sum(store.counts().values()) > 60
        small = GraphBatch([NodeRecord.make(Label.ITEM, "SEUL", {"kind": "material"})])
        with caplog.at_level("INFO", logger="filiere.graph.neo4j_store"):
            store.write(small, replace=True)
        assert "batches committed" in caplog.text
        assert store.counts() == {"Item": 1}
        caplog.clear()
        with caplog.at_level("INFO", logger="filiere.graph.neo4j_store"):
            store.write(small, replace=True)  # 1 + 1 records: one transaction
        assert "batches committed" not in caplog.text
    finally:
        store.close()
