"""Parity: on generated datasets, the Cypher and the embedded analyses give identical JSON."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.queries import (
    AnalysisSettings,
    bom,
    critical,
    deps,
    matches,
    opportunities,
    routes,
    shock,
)
from filiere.testing.generate import GeneratorConfig, generate

pytestmark = pytest.mark.neo4j

LOADED_AT = "2024-01-01T00:00:00+00:00"


# One store argument first, the rest by keyword, for functools.partial.
def _deps(store: GraphStore, *, product: str, settings: AnalysisSettings) -> BaseModel:
    return deps(store, product, settings)


def _bom(store: GraphStore, *, product: str) -> BaseModel:
    return bom(store, product)


def _routes(
    store: GraphStore, *, item: str, region: str | None, settings: AnalysisSettings
) -> BaseModel:
    return routes(store, item, region, settings)


def _shock(store: GraphStore, *, countries: list[str], cut: float, upstream: bool) -> BaseModel:
    return shock(store, countries, cut=cut, upstream=upstream)


def _opportunities(
    store: GraphStore,
    *,
    region: str | None,
    settings: AnalysisSettings,
    with_route: bool,
    top: int | None,
) -> BaseModel:
    return opportunities(store, region, settings, with_route=with_route, top=top)


def _matches(
    store: GraphStore, *, region: str, settings: AnalysisSettings, per_item: int
) -> BaseModel:
    return matches(store, region, settings, routes_per_item=per_item)


def compare(embedded: GraphStore, neo: GraphStore, seed: int) -> int:
    """Run every analysis on a sample of items; return how many comparisons were made."""
    rnd = random.Random(seed)
    batch = embedded.export()
    items = sorted(n.key for n in batch.nodes if n.label == "Item")
    products = [i for i in items if i.startswith("P")]
    setting_choices = [
        AnalysisSettings(),
        AnalysisSettings(home="CN", hhi=0.5, upstream_share=0.3, max_paths=2),
        AnalysisSettings(home="DE", hhi=0.34, upstream_share=0.9, max_paths=1),
    ]
    calls: list[tuple[str, str, Callable[[GraphStore], BaseModel]]] = []
    for p in products + rnd.sample(items, min(4, len(items))):
        s = rnd.choice(setting_choices)
        calls.append(("deps", p, partial(_deps, product=p, settings=s)))
        calls.append(("bom", p, partial(_bom, product=p)))
    for it in rnd.sample(items, min(8, len(items))):
        s = rnd.choice(setting_choices)
        region = rnd.choice([None, "FR-BFC", "FR-ARA", "DE-BY", "FR-OCC"])
        calls.append(("routes", it, partial(_routes, item=it, region=region, settings=s)))
    for countries in (["CN"], ["CN", "US"], ["FR"], ["DE", "CD", "AU"]):
        for cut, upstream in ((1.0, False), (1.0, True), (rnd.choice((0.3, 0.5, 0.75)), True)):
            shocked = partial(_shock, countries=countries, cut=cut, upstream=upstream)
            calls.append(("shock", f"{','.join(countries)} {cut} {upstream}", shocked))
    for region in (None, "FR-BFC", "FR-ARA"):
        s = rnd.choice(setting_choices)
        with_route, top = rnd.choice(((False, None), (True, None), (False, 3)))
        opps = partial(_opportunities, region=region, settings=s, with_route=with_route, top=top)
        calls.append(("opportunities", str(region), opps))
    for region in ("FR-BFC", "FR-IDF"):
        s = rnd.choice(setting_choices)
        per_item = rnd.choice((1, 2, 20))  # lists cut short too, capability routes included
        matched = partial(_matches, region=region, settings=s, per_item=per_item)
        calls.append(("matches", f"{region} {per_item}", matched))
    calls.append(("critical", "", critical))
    for name, arg, call in calls:
        a = call(embedded).model_dump_json()
        b = call(neo).model_dump_json()
        assert a == b, f"{name} {arg} differs (seed {seed}):\nembedded {a}\nneo4j    {b}"
    return len(calls)


def load_both(neo: GraphStore, folder: Path, cfg: GeneratorConfig) -> EmbeddedStore:
    batch = build_batch(generate(cfg), loaded_at=LOADED_AT)
    embedded = EmbeddedStore(folder / "graph.json")
    embedded.write(batch)
    neo.write(batch, replace=True)
    return embedded


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    layers=st.integers(1, 6),
    width=st.integers(2, 12),
    fanout=st.integers(1, 4),
    suppliers=st.integers(3, 30),
    with_shares=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_parity_on_generated_graphs(
    neo4j_store_session: GraphStore,
    seed: int,
    layers: int,
    width: int,
    fanout: int,
    suppliers: int,
    with_shares: float,
) -> None:
    cfg = GeneratorConfig(
        seed=seed,
        products=3,
        layers=layers,
        width=width,
        materials=max(2, width // 2),
        fanout=fanout,
        suppliers=suppliers,
        with_shares=with_shares,
    )
    with TemporaryDirectory() as tmp:
        embedded = load_both(neo4j_store_session, Path(tmp), cfg)
        assert compare(embedded, neo4j_store_session, seed) > 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parity_on_larger_graphs(
    neo4j_store_session: GraphStore, tmp_path: Path, seed: int
) -> None:
    cfg = GeneratorConfig(seed=seed, products=8, layers=6, width=40, materials=20, fanout=4)
    embedded = load_both(neo4j_store_session, tmp_path, cfg)
    assert compare(embedded, neo4j_store_session, seed) > 20
    # the comparisons saw real answers, not empty ones
    assert any(deps(embedded, f"P{i:04d}").dependencies for i in range(8))
    assert critical(embedded).items
    assert shock(embedded, ["CN"]).impacted_products
    assert shock(embedded, ["CN"], cut=0.5, upstream=True).impacted_products
    found = opportunities(embedded).opportunities
    assert any(o.annual_value_eur for o in found) and any(o.buyers for o in found)
    assert any(o.annual_value_eur is None for o in found)
    regions = ("FR-BFC", "FR-ARA", "FR-IDF", "FR-NAQ", "FR-OCC", "FR-HDF", "FR-GES")
    assert any(matches(embedded, r).matches for r in regions)


def compare_reads(embedded: GraphStore, neo: GraphStore, seed: int) -> int:
    """The look-ups, supply trees and trade facts of the seam, compared on both stores."""
    from filiere.queries import lookups
    from filiere.sources.trade import item_trade
    from filiere.viz.data import supply_tree

    rnd = random.Random(seed)
    batch = embedded.export()
    keys = {
        label: sorted(n.key for n in batch.nodes if n.label == label)
        for label in ("Item", "Supplier", "Region")
    }
    items, suppliers = keys["Item"], keys["Supplier"]
    calls: list[tuple[str, Callable[[GraphStore], object]]] = []
    for x in rnd.sample(items, min(6, len(items))):
        calls.append((f"item {x}", partial(lookups.get_item, item_id=x)))
        calls.append((f"supply tree {x}", partial(supply_tree, product=x)))
    for s in rnd.sample(suppliers, min(4, len(suppliers))):
        calls.append((f"supplier {s}", partial(lookups.get_supplier, supplier_id=s)))
    for r in keys["Region"][:3]:
        calls.append((f"region {r}", partial(lookups.get_region, code=r)))
        calls.append(
            (
                f"suppliers in {r}",
                partial(lookups.list_suppliers, filters=lookups.SupplierFilter(region=r), limit=5),
            )
        )
    calls.append(("items page", partial(lookups.list_items, kind="component", limit=7)))
    calls.append(("regions page", partial(lookups.list_regions, country="FR", limit=3)))
    for q in ("p0", "S", "fr"):
        calls.append((f"search {q}", partial(lookups.search, q=q, limit=6, offset=2)))
    calls.append(("trade", partial(item_trade, items=items)))
    calls.append(("material names", material_ids))
    for name, call in calls:
        a, b = call(embedded), call(neo)
        assert a == b, f"{name} differs (seed {seed}):\nembedded {a}\nneo4j    {b}"
    return len(calls)


@pytest.mark.parametrize("seed", [4, 5])
def test_reads_parity(neo4j_store_session: GraphStore, tmp_path: Path, seed: int) -> None:
    cfg = GeneratorConfig(seed=seed, products=8, layers=5, width=30, materials=15, fanout=3)
    embedded = load_both(neo4j_store_session, tmp_path, cfg)
    assert compare_reads(embedded, neo4j_store_session, seed) > 20
    assert lookups_found(embedded)


def material_ids(store: GraphStore) -> list[tuple[str, str]]:
    """The items an import would match by name (materials) or refuse (other kinds)."""
    from filiere.sources.common import MaterialIndex

    index = MaterialIndex.from_store(store)
    found = {**{n: k for n, (k, _) in index.materials.items()}}
    found.update({n: k for n, (k, _) in index.others.items()})
    return sorted(found.items())


def lookups_found(store: GraphStore) -> bool:
    """The compared look-ups saw real rows, not empty pages."""
    from filiere.queries import lookups

    return bool(
        lookups.list_items(store, kind="component", limit=7).items
        and lookups.search(store, "S", limit=6).hits
    )
