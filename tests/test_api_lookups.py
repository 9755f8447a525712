"""Look-ups (items, suppliers, regions, search, filtered pages): same answers on both stores."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from api_support import load_sample

from filiere.errors import NotFoundError
from filiere.graph.records import GraphBatch, NodeRecord
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.queries import lookups
from filiere.queries.lookups import InvalidLookup, SupplierFilter


@pytest.fixture
def sample(store: GraphStore) -> GraphStore:
    load_sample(store)
    return store


def test_item_with_suppliers_children_parents_processes(sample: GraphStore) -> None:
    aim = lookups.get_item(sample, "AIM")
    assert (aim.name, aim.kind, aim.hs_code) == ("Aimant NdFeB", "component", "850511")
    assert [(s.id, s.relation, s.share) for s in aim.suppliers] == [
        ("S-CN", "supplies", 1.0),
        ("S-LYO", "offers", None),
    ]
    assert [(c.id, c.quantity) for c in aim.children] == [("ND", 0.3)]
    assert [(p.id, p.kind, p.quantity) for p in aim.parents] == [("CAPT", "product", 2.0)]
    boit = lookups.get_item(sample, "BOIT")
    assert [p.id for p in boit.processes] == ["machining"]  # "usinage" in the dataset
    assert [s.id for s in boit.suppliers] == ["S-BEL", "S-DIJ"]
    assert aim.source == "capteurs"


def test_supplier_with_location_processes_items(sample: GraphStore) -> None:
    bel = lookups.get_supplier(sample, "S-BEL")
    assert (bel.country, bel.country_name, bel.region) == ("FR", "France", "FR-BFC")
    assert bel.region_name == "Bourgogne-Franche-Comté"
    assert (bel.city, bel.naf, bel.lat, bel.lon) == ("Belfort", "25.62A", 47.64, 6.86)
    assert [p.id for p in bel.processes] == ["machining"]
    assert [(i.id, i.share) for i in bel.supplies] == [("BOIT", 0.6)]
    lyo = lookups.get_supplier(sample, "S-LYO")
    assert [i.id for i in lyo.offers] == ["AIM"] and lyo.supplies == []
    cn = lookups.get_supplier(sample, "S-CN")
    assert (cn.region, cn.region_name, cn.country_name) == (None, None, "China")


def test_region_counts_its_suppliers(sample: GraphStore) -> None:
    bfc = lookups.get_region(sample, "FR-BFC")
    assert (bfc.name, bfc.country, bfc.country_name) == ("Bourgogne-Franche-Comté", "FR", "France")
    assert bfc.supplier_count == 2


@pytest.mark.parametrize(
    ("fn", "key"),
    [(lookups.get_item, "NOPE"), (lookups.get_supplier, "NOPE"), (lookups.get_region, "FR-XXX")],
)
def test_unknown_ids_are_not_found(
    sample: GraphStore, fn: Callable[[GraphStore, str], object], key: str
) -> None:
    with pytest.raises(NotFoundError):
        fn(sample, key)


def _ids(page: lookups.SupplierPage) -> list[str]:
    return [s.id for s in page.items]


def test_supplier_filters(sample: GraphStore) -> None:
    every = lookups.list_suppliers(sample)
    assert _ids(every) == ["S-BEL", "S-CN", "S-DIJ", "S-LYO"] and every.next_cursor is None
    assert _ids(lookups.list_suppliers(sample, SupplierFilter(region="fr-bfc"))) == [
        "S-BEL",
        "S-DIJ",
    ]
    assert _ids(lookups.list_suppliers(sample, SupplierFilter(country="FR"))) == [
        "S-BEL",
        "S-DIJ",
        "S-LYO",
    ]
    assert _ids(lookups.list_suppliers(sample, SupplierFilter(process=" Usinage "))) == ["S-BEL"]
    assert _ids(lookups.list_suppliers(sample, SupplierFilter(naf="2562a"))) == ["S-BEL"]
    assert _ids(lookups.list_suppliers(sample, SupplierFilter(naf="2"))) == [
        "S-BEL",
        "S-DIJ",
        "S-LYO",
    ]
    both = SupplierFilter(region="FR-BFC", process="fonderie")
    assert _ids(lookups.list_suppliers(sample, both)) == ["S-DIJ"]
    assert _ids(lookups.list_suppliers(sample, SupplierFilter(region="FR-IDF"))) == []
    assert _ids(lookups.list_suppliers(sample, SupplierFilter(country="CN", naf="25"))) == []


def test_pages_follow_cursors_to_the_end(sample: GraphStore) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = lookups.list_suppliers(sample, limit=3, cursor=cursor)
        seen += _ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["S-BEL", "S-CN", "S-DIJ", "S-LYO"]
    items = lookups.list_items(sample, limit=2)
    assert [i.id for i in items.items] == ["ACIER", "AIM"]
    rest = lookups.list_items(sample, limit=10, cursor=items.next_cursor)
    assert [i.id for i in rest.items] == ["BOIT", "CAPT", "ND"] and rest.next_cursor is None
    assert [i.id for i in lookups.list_items(sample, kind="material").items] == ["ACIER", "ND"]
    regions = lookups.list_regions(sample, country="fr")
    assert [r.code for r in regions.items] == ["FR-ARA", "FR-BFC"]


def test_bad_cursor_and_limit_are_refused(sample: GraphStore) -> None:
    with pytest.raises(InvalidLookup):
        lookups.list_items(sample, cursor="!!not base64!!")
    with pytest.raises(InvalidLookup):
        lookups.list_items(sample, limit=0)


def test_search_ignores_case_and_accents_and_ranks(sample: GraphStore) -> None:
    hits = lookups.search(sample, "ELECTRO").hits
    assert [(h.type, h.id, h.match) for h in hits] == [("supplier", "S-LYO", "prefix")]
    assert [h.id for h in lookups.search(sample, "neodyme").hits] == ["ND"]
    assert lookups.search(sample, "néodyme").hits[0].match == "exact"
    assert [h.id for h in lookups.search(sample, "débit").hits] == ["CAPT"]
    # By id: exact first, then substrings; types in order item, supplier, region, country.
    hits = lookups.search(sample, "bel").hits
    assert [(h.type, h.id) for h in hits] == [("supplier", "S-BEL")]
    hits = lookups.search(sample, "fr").hits
    assert hits[0].type == "country" and hits[0].id == "FR" and hits[0].match == "exact"
    assert ("region", "FR-BFC") in [(h.type, h.id) for h in hits]
    only_items = lookups.search(sample, "a", types=["item"], limit=2)
    assert all(h.type == "item" for h in only_items.hits) and only_items.next_offset == 2
    assert lookups.search(sample, "zzzz").hits == []
    with pytest.raises(InvalidLookup):
        lookups.search(sample, "   ")


def test_search_follows_an_upsert_that_renames_an_item(sample: GraphStore) -> None:
    assert [h.id for h in lookups.search(sample, "aimant ndfeb").hits] == ["AIM"]
    renamed = NodeRecord.make(Label.ITEM, "AIM", {"name": "Aimant aux terres rares"})
    sample.write(GraphBatch([renamed], []))
    assert lookups.search(sample, "ndfeb").hits == []
    hits = lookups.search(sample, "TERRES rares").hits
    assert [(h.id, h.name, h.detail, h.match) for h in hits] == [
        ("AIM", "Aimant aux terres rares", "component", "contains")
    ]
    assert lookups.search(sample, "aimant aux terres rares").hits[0].match == "exact"


def test_fold_matches_the_cypher_table() -> None:
    assert lookups.fold("ŒUVRE Çà Ñ ß") == "oeuvre ca n ss"
    assert all(len(a) == 1 and b.isascii() for a, b in lookups.FOLDS)
