"""The analyses on hand-built graphs whose answers are worked out by hand, on both stores.

The main graph is :func:`filiere.testing.workshop.workshop`, drawn and explained in the
docstring of its module.
"""

from __future__ import annotations

from typing import Any

import pytest

from filiere.errors import ConfigError, NotFoundError
from filiere.graph.model import BomLine, Dataset, Item, Supplier, Supply
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.queries import (
    AnalysisSettings,
    BomCycleError,
    bom,
    critical,
    deps,
    routes,
    shock,
)
from filiere.queries.models import DepsResult
from filiere.testing.workshop import workshop


@pytest.fixture
def shop(store: GraphStore) -> GraphStore:
    store.write(build_batch(workshop()))
    return store


#: The name fields of a shock result, checked apart from its ids.
NAMES: Any = {
    "country_names": True,
    "impacted_products": {
        "__all__": {"product_name": True, "cut_item_names": True, "partial": {"__all__": {"name"}}}
    },
    "cut_items": {"__all__": {"name", "recoverable_via_names"}},
}


def by_item(result: DepsResult) -> dict[str, dict[str, Any]]:
    return {d["item"]: d for d in result.model_dump()["dependencies"]}


# -- deps ------------------------------------------------------------------------------------


def test_deps_reports_concentrated_items_with_paths_in_order(shop: GraphStore) -> None:
    result = deps(shop, "P")
    assert result.product == "P" and result.home_country == "FR"
    assert [d.item for d in result.dependencies] == ["A", "M1", "B", "C", "M2", "E"]
    assert result.gaps == ["G"]
    d = by_item(result)
    assert d["A"] == {
        "item": "A",
        "kind": "component",
        "depth": 1,
        "single_source": True,
        "single_country": True,
        "country": "CN",
        "hhi": 1.0,
        "upstream_concentrated": False,
        "upstream_country": None,
        "upstream_share": None,
        "at_risk": True,
        "suppliers": ["S-CN1"],
        "paths": [["P", "A"]],
        "upstream_stage": None,
        "name": "Article A",  # names beside the ids (country names in French)
        "country_name": "Chine",
        "upstream_country_name": None,
        "supplier_names": ["Ningbo Magnets"],
    }
    assert d["B"]["hhi"] == 0.44 and not d["B"]["single_country"] and not d["B"]["at_risk"]
    assert d["B"]["suppliers"] == ["S-CN2", "S-DE", "S-FR1"]
    assert d["C"]["hhi"] == 0.5 and d["C"]["depth"] == 2
    assert d["C"]["paths"] == [["P", "A", "C"], ["P", "B", "C"]]  # the diamond, both ways
    assert d["E"]["hhi"] == 0.5  # one share missing: suppliers count equally
    assert d["E"]["paths"] == [["P", "A", "C", "D", "E"], ["P", "B", "C", "D", "E"]]
    m1 = d["M1"]
    assert m1["hhi"] is None and m1["suppliers"] == [] and m1["depth"] == 5
    assert (m1["upstream_country"], m1["upstream_share"], m1["at_risk"]) == ("AU", 0.7, True)
    assert m1["paths"] == [["P", "A", "C", "D", "E", "M1"], ["P", "B", "C", "D", "E", "M1"]]
    m2 = d["M2"]
    assert m2["upstream_concentrated"] and m2["upstream_country"] == "FR"
    assert m2["upstream_share"] == 0.65  # exactly at the threshold counts
    assert m2["single_country"] and m2["country"] == "FR" and not m2["at_risk"]  # home


def test_deps_thresholds_are_inclusive_and_settable(shop: GraphStore) -> None:
    strict = AnalysisSettings(hhi=0.5, upstream_share=0.71, max_paths=1)
    d = by_item(deps(shop, "P", strict))
    assert set(d) == {"A", "C", "E", "M2"}  # B (0.44) drops; M1 (0.7) drops
    assert d["C"]["paths"] == [["P", "A", "C"]]  # one path, the smallest ids
    assert not d["M2"]["upstream_concentrated"]  # 0.65 < 0.71, still single-country FR


def test_deps_home_country_changes_at_risk(shop: GraphStore) -> None:
    d = by_item(deps(shop, "P", AnalysisSettings(home="cn")))
    assert not d["A"]["at_risk"]
    assert d["M1"]["at_risk"]  # AU is not the home country
    assert d["M2"]["at_risk"]  # France is now abroad


def test_deps_of_a_component_and_of_a_leaf(shop: GraphStore) -> None:
    result = deps(shop, "D")
    assert [(x.item, x.depth, x.paths) for x in result.dependencies] == [
        ("M1", 2, [["D", "E", "M1"]]),
        ("E", 1, [["D", "E"]]),
    ]
    assert deps(shop, "G").gaps == ["G"]


def test_unknown_items_are_refused(shop: GraphStore) -> None:
    for call in (
        lambda: deps(shop, "NOPE"),
        lambda: bom(shop, "NOPE"),
        lambda: routes(shop, "NOPE"),
    ):
        with pytest.raises(NotFoundError, match="NOPE"):
            call()


def test_paths_keep_the_shortest_when_there_are_more(store: GraphStore) -> None:
    # X hangs directly under R and through Y1..Y3; deeper Z only through the Ys.
    items = [Item(id=i, name=i, kind="component") for i in ("X", "Y1", "Y2", "Y3", "Z")]
    store.write(
        build_batch(
            Dataset(
                items=[Item(id="R", name="R", kind="product"), *items],
                bom=[BomLine(parent="R", child="X")]
                + [BomLine(parent="R", child=y) for y in ("Y3", "Y1", "Y2")]
                + [BomLine(parent=y, child="X") for y in ("Y1", "Y2", "Y3")]
                + [BomLine(parent="X", child="Z")],
                suppliers=[Supplier(id="S", name="S", country="CN")],
                supplies=[Supply(supplier="S", item="X"), Supply(supplier="S", item="Z")],
            )
        )
    )
    d = by_item(deps(store, "R", AnalysisSettings(max_paths=2)))
    assert d["X"]["paths"] == [["R", "X"], ["R", "Y1", "X"]]
    assert d["Z"]["paths"] == [["R", "X", "Z"], ["R", "Y1", "X", "Z"]]
    assert d["Z"]["depth"] == 2
    d = by_item(deps(store, "R", AnalysisSettings(max_paths=10)))
    assert len(d["X"]["paths"]) == 4 and d["X"]["paths"][-1] == ["R", "Y3", "X"]


def test_a_bom_cycle_is_reported_not_looped(store: GraphStore) -> None:
    store.write(
        build_batch(
            Dataset(
                items=[Item(id=i, name=i, kind="component") for i in ("K1", "K2", "K3")],
                bom=[
                    BomLine(parent="K1", child="K2"),
                    BomLine(parent="K2", child="K3"),
                    BomLine(parent="K3", child="K2"),
                ],
            )
        )
    )
    with pytest.raises(BomCycleError, match="cycle"):
        deps(store, "K1")
    with pytest.raises(BomCycleError, match="cycle"):
        bom(store, "K1")
    assert critical(store).items == []  # no products


# -- bom, critical ---------------------------------------------------------------------------


def test_bom_sums_quantities_over_every_path(shop: GraphStore) -> None:
    lines = [(x.item, x.kind, x.depth, x.quantity) for x in bom(shop, "P").lines]
    assert lines == [
        ("A", "component", 1, 2.0),
        ("B", "component", 1, 1.0),
        ("G", "component", 1, 1.0),
        ("C", "component", 2, 7.0),  # 2 x 3 through A, plus 1 x 1 through B
        ("M2", "material", 2, 4.0),
        ("D", "component", 3, 7.0),
        ("E", "component", 4, 14.0),
        ("M1", "material", 5, 7.0),
    ]
    assert bom(shop, "G").lines == []


def test_critical_counts_products_per_item(shop: GraphStore) -> None:
    got = [(x.item, x.dependent_products) for x in critical(shop).items]
    assert got == [
        ("B", 2),
        ("C", 2),
        ("D", 2),
        ("E", 2),
        ("M1", 2),
        ("M2", 2),
        ("A", 1),
        ("G", 1),
    ]


def test_critical_counts_through_cycles_and_products_inside_products(store: GraphStore) -> None:
    # P1 -> A -> B -> A (a cycle) and B -> M; P2 -> B; P1 -> P2 (a product in a product's
    # BOM); P1 -> C, C in P1's BOM alone.
    edges = [("P1", "A"), ("A", "B"), ("B", "A"), ("B", "M"), ("P2", "B"), ("P1", "P2")]
    edges.append(("P1", "C"))
    store.write(
        build_batch(
            Dataset(
                items=[
                    *(Item(id=i, name=i, kind="product") for i in ("P1", "P2")),
                    *(Item(id=i, name=i, kind="component") for i in ("A", "B", "C")),
                    Item(id="M", name="M", kind="material"),
                ],
                bom=[BomLine(parent=a, child=b) for a, b in edges],
            )
        )
    )
    got = [(x.item, x.dependent_products, x.name) for x in critical(store).items]
    # Each product counted once per item whatever the paths; products are not listed.
    assert got == [("A", 2, "A"), ("B", 2, "B"), ("M", 2, "M"), ("C", 1, "C")]


# -- shock -----------------------------------------------------------------------------------


def test_shock_on_china(shop: GraphStore) -> None:
    result = shock(shop, ["CN"])
    assert result.model_dump(exclude=NAMES) == {
        "countries": ["CN"],
        "cut": 1.0,
        "upstream": False,
        "impacted_products": [
            {
                "product": "P",
                "cut": True,
                "cut_items": ["A"],
                "partial": [
                    {"item": "B", "lost_share": 0.2},
                    {"item": "C", "lost_share": 0.5},
                    {"item": "E", "lost_share": 0.5},
                ],
                "exposure": 1.0,
            },
            {
                "product": "Q",
                "cut": False,
                "cut_items": [],
                "partial": [
                    {"item": "B", "lost_share": 0.2},
                    {"item": "C", "lost_share": 0.5},
                    {"item": "E", "lost_share": 0.5},
                ],
                "exposure": 0.5,
            },
        ],
        "cut_items": [
            {  # A3 is cut: it contains A4
                "item": "A",
                "recoverable_via": ["A2"],
                "recoverable_exposure": [{"item": "A2", "exposure": 0.0}],
            },
            {"item": "A4", "recoverable_via": [], "recoverable_exposure": []},
        ],
    }
    # The names beside the ids.
    assert result.country_names == ["Chine"]
    p = result.impacted_products[0]
    assert (p.product_name, p.cut_item_names, p.partial[0].name) == (
        "Article P",
        ["Article A"],
        "Article B",
    )
    assert result.cut_items[0].recoverable_via_names == ["Article A2"]


def test_partial_shock_never_cuts(shop: GraphStore) -> None:
    result = shock(shop, ["CN"], cut=0.5)
    assert result.cut == 0.5 and result.cut_items == []
    p, q = result.impacted_products
    assert (p.product, p.cut, p.exposure) == ("P", False, 0.5)
    assert [(x.item, x.lost_share) for x in p.partial] == [
        ("A", 0.5),
        ("B", 0.1),
        ("C", 0.25),
        ("E", 0.25),
    ]
    assert (q.product, q.exposure) == ("Q", 0.25)
    with pytest.raises(ConfigError):
        shock(shop, ["CN"], cut=0)


def test_upstream_shock_counts_world_production(shop: GraphStore) -> None:
    # M1's latest extraction: CN 0.6 (2022) + 0.1 (no year) = 0.7; the 2021 ZA row is old.
    result = shock(shop, ["CN"], upstream=True)
    p, q = result.impacted_products
    assert ("M1", 0.7) in [(x.item, x.lost_share) for x in q.partial]
    assert (q.exposure, p.exposure) == (0.7, 1.0)
    assert [x.item for x in shock(shop, ["CN"]).impacted_products[1].partial] == ["B", "C", "E"]
    # Australia refines 70 % of M1: only the upstream shock sees it.
    assert shock(shop, ["AU"]).impacted_products == []
    au = shock(shop, ["AU"], upstream=True, cut=0.5)
    assert [(x.product, x.exposure) for x in au.impacted_products] == [("P", 0.35), ("Q", 0.35)]


def test_recovery_through_a_substitute_the_shock_hits(shop: GraphStore) -> None:
    shop.write(build_batch(Dataset(items=[], supplies=[Supply(supplier="S-CN2", item="A2")])))
    (a, _) = shock(shop, ["CN"]).cut_items
    assert a.recoverable_via == ["A2"]
    assert [(r.item, r.exposure) for r in a.recoverable_exposure] == [("A2", 0.5)]


def test_shock_on_several_countries(shop: GraphStore) -> None:
    result = shock(shop, ["US", "china"])
    assert result.countries == ["CN", "US"]
    p = result.impacted_products[0]
    assert (p.product, p.cut, p.cut_items) == ("P", True, ["A", "E"])
    assert [(x.item, x.lost_share) for x in p.partial] == [("B", 0.2), ("C", 0.5)]
    q = result.impacted_products[1]
    assert (q.product, q.cut, q.cut_items) == ("Q", True, ["E"])
    assert shock(shop, ["JP"]).impacted_products == []


# -- routes ----------------------------------------------------------------------------------


def test_routes_near_a_region(shop: GraphStore) -> None:
    result = routes(shop, "A", "FR-BFC")
    assert (result.item, result.region, result.home_country) == ("A", "FR-BFC", "FR")
    got = [
        (r.tier, r.kind, r.supplier, r.via, r.compatibility, r.substitute_at_risk)
        for r in result.routes
    ]
    assert got == [
        (1, "supplier", "S-FR1", "A", 1.0, None),
        (1, "substitute", "S-FR1", "A3", 1.0, True),  # A3 contains A4, Chinese only
        (2, "substitute", "S-FR2", "A2", 0.8, False),
        (2, "capability", "S-FR2", "A", 1.0, None),
        (3, "supplier", "S-IT", "A", 1.0, None),
        (3, "substitute", "S-DE", "A2", 0.8, False),
    ]  # S-CN1 is current, S-US is outside the EU, S-DE lacks coating
    km = {(r.supplier, r.via): r.distance_km for r in result.routes}
    assert km[("S-FR1", "A")] == pytest.approx(153.8, abs=1.5)  # Belfort, own coordinates
    assert km[("S-FR2", "A2")] == pytest.approx(204, abs=2)  # centre of Auvergne-Rhône-Alpes
    assert km[("S-IT", "A")] is None  # no coordinates, no region
    assert result.routes[0].country == "FR" and result.routes[0].region == "FR-BFC"


def test_routes_without_region(shop: GraphStore) -> None:
    result = routes(shop, "A")
    assert result.region is None
    assert [r.tier for r in result.routes] == [2, 2, 2, 2, 3, 3]
    assert {r.distance_km for r in result.routes} == {None}
    assert routes(shop, "M1").routes == []


def test_routes_region_without_suppliers_still_measures(shop: GraphStore) -> None:
    # No supplier is in Occitanie: no Region node, the reference coordinates are used.
    result = routes(shop, "A", "fr-occ")
    assert result.region == "FR-OCC"
    assert all(r.tier > 1 for r in result.routes)
    assert result.routes[0].distance_km is not None


def test_results_follow_writes(shop: GraphStore) -> None:
    """The embedded store's cached indexes are rebuilt when the graph changes."""
    assert by_item(deps(shop, "P"))["A"]["at_risk"]
    shop.write(
        build_batch(
            Dataset(
                items=[Item(id="A", name="Article A", kind="component")],
                suppliers=[Supplier(id="S-FR3", name="Aimants de Lorraine", country="FR")],
                supplies=[Supply(supplier="S-FR3", item="A")],
            )
        )
    )
    a = by_item(deps(shop, "P"))["A"]
    assert a["suppliers"] == ["S-CN1", "S-FR3"] and not a["at_risk"] and a["hhi"] == 0.5
    assert [x.item for x in shock(shop, ["CN"]).cut_items] == ["A4"]
