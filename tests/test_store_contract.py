"""The store contract: every test runs on the embedded store and on a real Neo4j."""

from __future__ import annotations

import pytest

from filiere.errors import StoreError
from filiere.graph.model import (
    BomLine,
    Dataset,
    Item,
    Production,
    Supplier,
    Supply,
)
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch


def sensor_dataset() -> Dataset:
    return Dataset(
        name="capteurs",
        items=[
            Item(id="CAPT", name="Capteur de débit", kind="product"),
            Item(id="AIM", name="Aimant NdFeB", kind="component", hs_code="850511"),
            Item(id="ND", name="Néodyme", kind="material"),
        ],
        bom=[BomLine(parent="CAPT", child="AIM", quantity=2), BomLine(parent="AIM", child="ND")],
        suppliers=[
            Supplier(id="S-BEL", name="Usinage Belfortain", country="FR", region="FR-BFC"),
            Supplier(id="S-CN", name="Ningbo Magnets", country="CN"),
        ],
        supplies=[Supply(supplier="S-CN", item="AIM", share=1.0)],
        production=[
            Production(material="ND", country="CN", share=0.9, year=2022, source="EU CRM 2023"),
            Production(material="ND", country="CN", share=0.85, stage="processing"),
        ],
    )


def test_empty_store_exports_nothing(store: GraphStore) -> None:
    assert store.counts() == {}
    assert len(store.export()) == 0


def test_write_then_read_back(store: GraphStore) -> None:
    summary = store.write(build_batch(sensor_dataset()))
    assert summary.created["Item"] == 3
    assert summary.created["CONTAINS"] == 2
    node = store.get_node(Label.ITEM, "CAPT")
    assert node is not None
    assert node["name"] == "Capteur de débit"
    assert node["source"] == "capteurs"
    assert "loaded_at" in node
    counts = store.counts()
    assert counts["Item"] == 3 and counts["Product"] == 1 and counts["Material"] == 1
    assert counts["Supplier"] == 2
    assert counts["Country"] == 2  # FR, CN
    assert counts["Region"] == 1
    assert counts["PRODUCES"] == 2  # extraction 2022 and processing without a year
    assert counts["LOCATED_IN"] == 3  # S-BEL to FR and FR-BFC, S-CN to CN
    assert counts["HSCode"] == 3  # 850511, 8505, 85
    region = store.get_node(Label.REGION, "FR-BFC")
    assert region is not None and region["name"] == "Bourgogne-Franche-Comté"
    france = store.get_node(Label.COUNTRY, "FR")
    assert france is not None and france == {**france, "eu": True, "iso3": "FRA"}
    assert store.get_node(Label.ITEM, "nope") is None


def test_writing_twice_is_idempotent(store: GraphStore) -> None:
    batch = build_batch(sensor_dataset())
    store.write(batch)
    first = store.export().canonical()
    summary = store.write(build_batch(sensor_dataset()))
    assert sum(summary.created.values()) == 0
    assert store.export().canonical() == first


def test_upsert_merges_by_key_and_keeps_missing_values(store: GraphStore) -> None:
    store.write(build_batch(sensor_dataset()))
    update = Dataset(
        name="maj",
        items=[
            Item(id="AIM", name="Aimant permanent", kind="material", unit="kg"),
            Item(id="NEW", name="Boîtier", kind="component"),
        ],
    )
    store.write(build_batch(update))
    aim = store.get_node(Label.ITEM, "AIM")
    assert aim is not None
    assert aim["name"] == "Aimant permanent"
    assert aim["unit"] == "kg"
    assert aim["hs_code"] == "850511"  # not in the update: kept
    assert aim["source"] == "maj"
    counts = store.counts()
    assert counts["Item"] == 4
    assert counts["Component"] == 1  # AIM moved from component to material
    assert counts["Material"] == 2


def test_relationship_identity_includes_stage_and_year(store: GraphStore) -> None:
    store.write(build_batch(sensor_dataset()))
    again = Dataset(
        name="maj",
        items=[Item(id="ND", name="Néodyme", kind="material")],
        production=[
            Production(material="ND", country="CN", share=0.7, year=2022),  # updates
            Production(material="ND", country="CN", share=0.6, year=2021),  # new
            Production(material="ND", country="CN", share=0.8, stage="processing"),  # updates
        ],
    )
    store.write(build_batch(again))
    produces = sorted(
        (r.props["stage"], r.props.get("year"), r.props["share"])
        for r in store.export().rels
        if r.type is Rel.PRODUCES
    )
    assert produces == [
        ("extraction", 2021, 0.6),
        ("extraction", 2022, 0.7),
        ("processing", None, 0.8),
    ]


def test_replace_empties_first(store: GraphStore) -> None:
    store.write(build_batch(sensor_dataset()))
    small = Dataset(name="seul", items=[Item(id="X", name="X", kind="product")])
    store.write(build_batch(small), replace=True)
    assert store.counts() == {"Item": 1, "Product": 1}


@pytest.mark.parametrize("atomic", [True, False], ids=["one write", "batched"])
def test_dangling_relationship_writes_nothing(store: GraphStore, atomic: bool) -> None:
    store.write(build_batch(sensor_dataset()))
    before = store.export().canonical()
    bad = GraphBatch(
        [NodeRecord.make(Label.ITEM, "Z", {"name": "Z", "kind": "component"}, [Label.COMPONENT])],
        [RelRecord(Rel.CONTAINS, Label.ITEM, "Z", Label.ITEM, "MISSING", {"quantity": 1.0})],
    )
    with pytest.raises(StoreError, match="MISSING"):
        store.write(bad, atomic=atomic)
    assert store.export().canonical() == before


@pytest.mark.parametrize("atomic", [True, False], ids=["one write", "batched"])
def test_replace_that_fails_keeps_the_old_graph(store: GraphStore, atomic: bool) -> None:
    store.write(build_batch(sensor_dataset()))
    before = store.export().canonical()
    bad = GraphBatch([], [RelRecord(Rel.CONTAINS, Label.ITEM, "CAPT", Label.ITEM, "AIM")])
    with pytest.raises(StoreError):
        store.write(bad, replace=True, atomic=atomic)  # CAPT and AIM are gone once emptied
    assert store.export().canonical() == before


def test_values_keep_their_types_and_accents(store: GraphStore) -> None:
    node = NodeRecord.make(
        Label.SUPPLIER,
        "S-Œ",
        {
            "name": "Fonderie de l'Est – Œuvre",
            "country": "FR",
            "lat": 47.64,
            "employees": 120,
            "certified": True,
            "naf_codes": ["24.51Z", "25.62B"],
        },
    )
    store.write(GraphBatch([node]))
    got = store.get_node(Label.SUPPLIER, "S-Œ")
    assert got == {**node.props}
    assert isinstance(got["employees"], int) and isinstance(got["lat"], float)


def test_clear(store: GraphStore) -> None:
    store.write(build_batch(sensor_dataset()))
    store.clear()
    assert store.counts() == {}


@pytest.mark.neo4j
def test_both_stores_hold_the_same_graph(both_stores: list[GraphStore]) -> None:
    for s in both_stores:
        s.write(build_batch(sensor_dataset(), loaded_at="2026-01-01T00:00:00+00:00"))
    embedded, neo = (s.export() for s in both_stores)
    assert embedded.canonical() == neo.canonical()
    assert embedded.sorted().nodes == neo.sorted().nodes


def test_get_nodes_and_relationships_by_type(store: GraphStore) -> None:
    store.write(build_batch(sensor_dataset()))
    found = store.get_nodes(Label.ITEM, ["CAPT", "ND", "ghost", "ND"])
    assert sorted(found) == ["CAPT", "ND"]
    assert found["ND"]["kind"] == "material"
    bom = sorted((r.start, r.end, r.props["quantity"]) for r in store.relationships(Rel.CONTAINS))
    assert bom == [("AIM", "ND", 1.0), ("CAPT", "AIM", 2.0)]


def test_names_are_the_name_property_of_the_nodes_found(store: GraphStore) -> None:
    store.write(build_batch(sensor_dataset()))
    assert store.names(Label.ITEM, ["ND", "ghost", "CAPT", "ND"]) == {
        "CAPT": "Capteur de débit",
        "ND": "Néodyme",
    }
    assert store.names(Label.SUPPLIER, iter(["S-CN"])) == {"S-CN": "Ningbo Magnets"}
    assert store.names(Label.ITEM, []) == {}
    # Whatever the label, the names are get_nodes' name property (none when a node has none).
    for label in (Label.COUNTRY, Label.REGION):
        keys = ["FR", "CN", "FR-BFC"]
        props = store.get_nodes(label, keys)
        assert props, label
        assert store.names(label, keys) == {k: p["name"] for k, p in props.items() if "name" in p}


def test_batched_writes_give_the_same_graph(
    store: GraphStore, embedded_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "batch_size", 2, raising=False)  # many small commits on Neo4j
    batch = build_batch(sensor_dataset(), loaded_at="2026-01-01T00:00:00+00:00")
    summary = store.write(batch, atomic=False)
    assert summary.created["Item"] == 3 and summary.created["CONTAINS"] == 2
    embedded_store.write(batch)
    assert store.export().canonical() == embedded_store.export().canonical()
    again = store.write(batch, replace=True, atomic=False)
    assert sum(again.created.values()) == len(batch)  # emptied first, then all written anew
    assert store.export().canonical() == embedded_store.export().canonical()
