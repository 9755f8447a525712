"""Opportunities and matches on the workshop graph plus its buyers, worked out by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import ConfigError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.model import Dataset, Item, Make, Supplier
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.queries import matches, opportunities
from filiere.testing.workshop import workshop


def buyers() -> Dataset:
    """Who makes P and Q, how many a year, and what A and M1 are worth."""
    return Dataset(
        name="buyers",
        items=[
            Item(id="P", name="Article P", kind="product", annual_volume=1000),
            Item(id="A", name="Article A", kind="component", unit_value_eur=12.5),
            Item(id="M1", name="Article M1", kind="material", unit_value_eur=40, crma="strategic"),
        ],
        suppliers=[
            Supplier(id="S-BFC", name="Pompes de Dole", country="FR", region="FR-BFC"),
            Supplier(id="S-BFC2", name="Vannes du Doubs", country="FR", region="FR-BFC"),
        ],
        makes=[
            Make(supplier="S-BFC", item="P"),
            Make(supplier="S-BFC2", item="Q"),
            Make(supplier="S-FR2", item="Q"),
        ],
    )


@pytest.fixture
def shop(store: GraphStore) -> GraphStore:
    store.write(build_batch(workshop()))
    store.write(build_batch(buyers()))
    return store


def test_opportunities_by_annual_value(shop: GraphStore) -> None:
    result = opportunities(shop, "fr-bfc")
    assert (result.region, result.home_country) == ("FR-BFC", "FR")
    m1, a = result.opportunities
    # M1: 1000 P a year x 7 kg x 40 EUR; Q has no volume, so it adds nothing
    assert (m1.item, m1.annual_value_eur, m1.products) == ("M1", 280000.0, ["P", "Q"])
    assert (m1.kind, m1.crma, m1.upstream_country, m1.upstream_share) == (
        "material",
        "strategic",
        "AU",
        0.7,
    )
    assert m1.buyers == ["S-BFC", "S-BFC2", "S-FR2"] and m1.buyers_in_region == ["S-BFC", "S-BFC2"]
    assert m1.best_route is None and m1.routes.model_dump() == {"tier1": 0, "tier2": 0, "tier3": 0}
    # A: 1000 x 2 x 12.5
    assert (a.item, a.annual_value_eur, a.products, a.crma) == ("A", 25000.0, ["P"], None)
    assert (a.single_country, a.country) == (True, "CN")
    assert a.buyers == ["S-BFC"] and a.buyers_in_region == ["S-BFC"]
    assert a.routes.model_dump() == {"tier1": 2, "tier2": 2, "tier3": 2}
    assert a.best_route is not None and (a.best_route.supplier, a.best_route.tier) == ("S-FR1", 1)


def test_opportunities_filters(shop: GraphStore) -> None:
    assert [o.item for o in opportunities(shop, "FR-BFC", with_route=True).opportunities] == ["A"]
    assert [o.item for o in opportunities(shop, "FR-BFC", top=1).opportunities] == ["M1"]
    no_region = opportunities(shop)
    assert no_region.region is None
    assert [o.buyers_in_region for o in no_region.opportunities] == [[], []]
    assert no_region.opportunities[1].routes.tier1 == 0
    with pytest.raises(ConfigError):
        opportunities(shop, "XX-YY")
    with pytest.raises(ConfigError):
        opportunities(shop, top=0)


def test_unknown_values_sort_last_then_by_products(store: GraphStore) -> None:
    store.write(build_batch(workshop()))  # no volumes, no values: every value is null
    got = [
        (o.item, o.annual_value_eur, len(o.products)) for o in opportunities(store).opportunities
    ]
    assert got == [("M1", None, 2), ("A", None, 1)]


def test_matches_in_the_region(shop: GraphStore) -> None:
    result = matches(shop, "FR-BFC")
    assert result.region == "FR-BFC"
    got = [(m.buyer, m.product, m.item, m.supplier, m.kind, m.via, m.tier) for m in result.matches]
    assert got == [
        ("S-BFC", "P", "A", "S-FR1", "supplier", "A", 1),
        ("S-BFC", "P", "A", "S-FR1", "substitute", "A3", 1),
        ("S-BFC", "P", "A", "S-FR2", "substitute", "A2", 2),
        ("S-BFC", "P", "A", "S-FR2", "capability", "A", 2),
        ("S-BFC", "P", "A", "S-IT", "supplier", "A", 3),
        ("S-BFC", "P", "A", "S-DE", "substitute", "A2", 3),
    ]
    assert result.matches[1].substitute_at_risk is True
    assert result.matches[0].distance_km == pytest.approx(153.8, abs=1.5)
    assert [u.model_dump() for u in result.unmatched] == [
        {"buyer": "S-BFC", "product": "P", "item": "M1"},
        {"buyer": "S-BFC2", "product": "Q", "item": "M1"},
    ]
    assert result.routes_per_item == 20 and result.more_routes == []
    assert matches(shop, "FR-OCC").model_dump() == {
        "region": "FR-OCC",
        "routes_per_item": 20,
        "matches": [],
        "unmatched": [],
        "more_routes": [],
    }


def test_matches_list_the_first_routes_of_each_item(shop: GraphStore) -> None:
    """A national map gives some items thousands of routes: the list keeps the first ones."""
    full = matches(shop, "FR-BFC").matches
    short = matches(shop, "FR-BFC", routes_per_item=4)
    assert short.matches == full[:4]  # A's first four routes, in routes' order
    assert short.routes_per_item == 4
    assert [m.model_dump() for m in short.more_routes] == [{"item": "A", "routes": 6}]
    assert short.unmatched == matches(shop, "FR-BFC").unmatched
    one = matches(shop, "FR-BFC", routes_per_item=1)
    assert [(m.supplier, m.kind) for m in one.matches] == [("S-FR1", "supplier")]
    with pytest.raises(ConfigError):
        matches(shop, "FR-BFC", routes_per_item=0)


# -- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., tuple[int, str]]:
    path = tmp_path / "graph.json"
    store = EmbeddedStore(path)
    store.write(build_batch(workshop()))
    store.write(build_batch(buyers()))
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        out = runner.invoke(
            cli, ["--store", str(path), *args], env={"COLUMNS": "250", "FILIERE_LANG": "en"}
        )
        return out.exit_code, out.output

    return invoke


def test_opportunities_command(run: Callable[..., tuple[int, str]]) -> None:
    code, out = run("opportunities", "--region", "FR-BFC", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert [o["item"] for o in data["opportunities"]] == ["M1", "A"]
    assert data["opportunities"][1]["best_route"]["supplier"] == "S-FR1"
    code, out = run("opportunities", "--region", "FR-BFC", "--with-route", "--format", "csv")
    lines = out.splitlines()
    assert lines[0].startswith("item,kind,crma,single_country,country")
    assert lines[1].startswith("A,component,,yes,CN,") and ",S-FR1,supplier,A,1," in lines[1]
    assert len(lines) == 2
    code, out = run("opportunities", "--region", "FR-BFC")
    line_a = next(line for line in out.splitlines() if "│ Article A (A) " in line)
    assert "single country China" in line_a and "Pompes de Dole" in line_a
    assert "Usinage Belfortain" in line_a and "(tier 1" in line_a
    assert "S-FR1" not in line_a and "S-BFC" not in line_a  # names, not ids
    assert "25\u202f000 €" in line_a
    line_m1 = next(line for line in out.splitlines() if "│ Article M1 (M1) " in line)
    assert "strategic" in line_m1 and "upstream Australia 70%" in line_m1 and "no route" in line_m1
    code, out = run("opportunities", "--top", "0")
    assert code == 2 and "--top" in out
    code, out = run("opportunities", "--region", "XX-YY")
    assert code == 1 and "unknown region" in out and "Traceback" not in out


def test_matches_command(run: Callable[..., tuple[int, str]]) -> None:
    code, out = run("matches", "--region", "fr-bfc", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["region"] == "FR-BFC" and len(data["matches"]) == 6
    code, out = run("matches", "--region", "FR-BFC", "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == (
        "section,buyer,product,item,supplier,kind,via,tier,distance_km,substitute_at_risk"
    )
    assert lines[1].startswith("match,S-BFC,P,A,S-FR1,supplier,A,1,")
    assert lines[-1] == "unmatched,S-BFC2,Q,M1,,,,,,"
    code, out = run("matches", "--region", "FR-BFC")
    assert "Pompes de Dole" in out and "Usinage Belfortain" in out
    assert "Article A (A)" in out and "S-FR1" not in out
    assert "warning: the substitute is itself at risk" in out
    code, out = run("matches", "--region", "FR-BFC", "--routes-per-item", "2")
    assert code == 0 and "1 item has more routes than the first 2 listed" in out
    code, out = run("matches", "--region", "FR-BFC", "--routes-per-item", "0")
    assert code == 2 and "--routes-per-item" in out
    code, out = run("matches")
    assert code == 2 and "--region" in out


def test_route_summaries_count_what_routes_lists(store: GraphStore) -> None:
    """Both stores count routes per set of processes; the counts are routes' own."""
    from filiere.queries import AnalysisSettings, routes
    from filiere.testing.generate import GeneratorConfig, generate

    store.write(build_batch(generate(GeneratorConfig(seed=5, width=20, suppliers=40))))
    items = sorted(n.key for n in store.export().nodes if n.label == "Item")
    route_summaries = store.reader.route_summaries
    for region, settings in (("FR-BFC", AnalysisSettings()), (None, AnalysisSettings(home="DE"))):
        summary = route_summaries(items, region, settings)
        for x in items:
            found = routes(store, x, region, settings).routes
            got = summary[x]
            assert (got.tier1, got.tier2, got.tier3) == tuple(
                sum(r.tier == t for r in found) for t in (1, 2, 3)
            ), x
            # Routes of ``routes`` carry names beside the ids (filled afterwards): not the point.
            names = dict.fromkeys(
                ("supplier_name", "city", "country_name", "region_name", "via_name")
            )
            best = found[0].model_copy(update=names) if found else None
            assert got.best == best, x
        # The first routes, capability routes included, are routes' first ones.
        first = route_summaries(items, region, settings, 3)
        for x in items:
            found = routes(store, x, region, settings).routes
            names = dict.fromkeys(
                ("supplier_name", "city", "country_name", "region_name", "via_name")
            )
            assert list(first[x].first) == [r.model_copy(update=names) for r in found[:3]], x
