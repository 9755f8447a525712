"""The analyses on the embedded store, computed on its compact index.

One :class:`~filiere.queries.embedded_index.Index` per store version holds the
adjacency as arrays, built from the tables without a networkx graph and cached on disk
beside the store (:mod:`filiere.queries.index_cache`); per-item facts and risks are
computed lazily and cached, so that repeated analyses cost what their closure costs,
not what the graph costs. :class:`EmbeddedReader` is the store's
:class:`~filiere.queries.backend.StoreReader` (look-ups and the rest in
:mod:`filiere.queries.embedded_lookups`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label
from filiere.queries import common, index_cache
from filiere.queries import embedded_lookups as lk
from filiere.queries.backend import Row
from filiere.queries.common import ClosureItem
from filiere.queries.embedded_index import Index, SupplierInfo, build
from filiere.queries.lookups import ITEM_FIELDS
from filiere.queries.models import (
    AnalysisSettings,
    BomLine,
    BomResult,
    CriticalResult,
    DepsResult,
    Route,
    RoutesResult,
    ShockResult,
)
from filiere.queries.reach import reach_counts
from filiere.queries.tree import SupplyTree

_LOCK = threading.Lock()
_CACHE: weakref.WeakKeyDictionary[EmbeddedStore, tuple[str, Index]] = weakref.WeakKeyDictionary()


def index(store: EmbeddedStore) -> Index:
    """The store's index: kept in memory per store object, else read from the file cached
    beside the store (:mod:`filiere.queries.index_cache`), else built from the tables
    (then cached). Checking that the one in memory is current costs one read of the
    change counter, and waits for no build of another thread.
    """
    current = current_index(store)
    if current is not None:
        return current
    with _LOCK, store.snapshot() as snap:
        if snap.version is None:  # an empty store, or inside this thread's own write
            return build(snap.tables)
        cached = _CACHE.get(store)
        if cached is not None and cached[0] == snap.version:
            return cached[1]
        where = index_cache.path_for(store.path)
        ix = index_cache.load(where, snap.version, _cache_limit(store.path))
        if ix is None:
            ix = build(snap.tables)
            index_cache.save(ix, where, snap.version)
        _CACHE[store] = (snap.version, ix)
        return ix


def _cache_limit(path: Path) -> int:
    """The largest cache file worth reading for the store at ``path``."""
    size = 0
    for p in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            size += p.stat().st_size
    return index_cache.MAX_RATIO * size + (1 << 20)


def current_index(store: EmbeddedStore) -> Index | None:
    """The index kept in memory for ``store`` if it is current, else ``None``."""
    cached = _CACHE.get(store)
    if cached is None:
        return None
    with store.snapshot() as snap:
        return cached[1] if snap.version == cached[0] else None


# -- analyses ----------------------------------------------------------------------------------


def product_index(store: EmbeddedStore, product: str) -> Index:
    """The index that the dependencies or the BOM of ``product`` read.

    The whole store's index when this process holds it (a server, a second analysis);
    else an index of closure(product) alone, its suppliers and production rows, read
    from the file (:meth:`EmbeddedStore.closure_tables`): a cold ``filiere deps`` costs
    what the product's bill of materials holds, not what the store holds.
    """
    current = current_index(store)
    if current is not None:
        return current
    part = store.closure_tables(product)
    return index(store) if part is None else build(part)


def deps(store: EmbeddedStore, product: str, settings: AnalysisSettings) -> DepsResult:
    ix = product_index(store, product)
    root = ix.check_item(product)
    depths, kids = ix.closure(root)
    ix.check_acyclic(root, kids)
    keys = ix.items.keys
    closure = {
        keys[v]: ClosureItem(ix.facts(v), d, tuple([keys[c] for c in kids[v]]))
        for v, d in depths.items()
    }
    risks = {}
    for v in depths:
        risk = ix.risk(v, settings)
        if risk.dependency:
            risks[v] = risk
    paths = ix.best_paths(root, set(risks), settings.max_paths, kids)
    return common.deps_result(
        product,
        settings,
        closure,
        {keys[v]: r for v, r in risks.items()},
        {keys[v]: [tuple(ix.keys(path)) for path in ps] for v, ps in paths.items()},
    )


#: A route candidate: (supplier, kind, via, tier, compatibility).
Candidate = tuple[str, str, str, int, float]


def _candidates(
    ix: Index, item: str, region: str | None, settings: AnalysisSettings
) -> list[Candidate]:
    """Every route of ``item`` without its facts: suppliers, substitutes, capabilities."""
    i = ix.check_item(item)
    tier = ix.tiers(region, settings.home)
    current = set(ix.supplier_ids("supplies", i))
    found: dict[tuple[int, str, str], float] = {}
    offering = {s for s in ix.supplier_ids("offers", i) if s not in current}
    for s in offering:
        found[(s, "supplier", item)] = 1.0
    for y, compat in ix.substitutes_of(i):
        for s in {*ix.supplier_ids("offers", y), *ix.supplier_ids("supplies", y)}:
            found[(s, "substitute", ix.items.keys[y])] = compat
    processes = ix.requires_of(i)
    if processes:
        able = frozenset.intersection(*(ix.masters_of(p) for p in processes))
        for s in able - current - offering:
            found[(s, "capability", item)] = 1.0
    keys = ix.suppliers.keys
    out = [
        (keys[s], kind, via, t, compat)
        for (s, kind, via), compat in found.items()
        if (t := tier[s])
    ]
    out.sort(key=lambda c: common.route_sort_key(c[3], c[1], c[4], c[0], c[2]))
    return out


def _route(
    ix: Index,
    c: Candidate,
    target: tuple[float | None, float | None] | None,
    settings: AnalysisSettings,
) -> Route:
    s, kind, via, tier, compat = c
    info = ix.info(s)
    sub_risk = None
    if kind == "substitute":
        sub_risk = ix.reaches(ix.check_item(via), lambda z: ix.risk(z, settings).at_risk)
    return Route(
        supplier=s,
        kind=kind,
        via=via,
        tier=tier,
        country=info.country,
        region=info.region,
        compatibility=compat,
        substitute_at_risk=sub_risk,
        distance_km=_distance(ix, info, target),
    )


def _target(ix: Index, region: str | None) -> tuple[float | None, float | None] | None:
    target = ix.regions.get(region) if region else None
    if region and target is None:
        target = _reference_coords(region)
    return target


def routes(
    store: EmbeddedStore, item: str, region: str | None, settings: AnalysisSettings
) -> RoutesResult:
    ix = index(store)
    ix.check_item(item)
    target = _target(ix, region)
    out = [_route(ix, c, target, settings) for c in _candidates(ix, item, region, settings)]
    return RoutesResult(item=item, region=region, home_country=settings.home, routes=out)


def routes_many(
    store: EmbeddedStore, items: Sequence[str], region: str | None, settings: AnalysisSettings
) -> dict[str, RoutesResult]:
    return {x: routes(store, x, region, settings) for x in sorted(set(items))}


def route_summaries(
    store: EmbeddedStore,
    items: Sequence[str],
    region: str | None,
    settings: AnalysisSettings,
    limit: int = 1,
) -> dict[str, common.RouteSummary]:
    """For each item, its number of routes per tier and its first ``limit`` routes.

    Counts without listing: the suppliers able to make an item depend only on the set of
    processes it requires, which items share, so those are counted once per set. Capability
    routes come after the others of their tier, ranked by supplier id: only the first
    ``limit`` untaken ones of the set's ranking can be among the item's first routes.
    """
    ix = index(store)
    target = _target(ix, region)
    tier = ix.tiers(region, settings.home)
    keys = ix.suppliers.keys
    able_by_set: dict[frozenset[int], tuple[frozenset[int], list[int], list[tuple[int, int]]]] = {}

    def able(
        processes: frozenset[int],
    ) -> tuple[frozenset[int], list[int], list[tuple[int, int]]]:
        found = able_by_set.get(processes)
        if found is None:
            who = frozenset.intersection(*(ix.masters_of(p) for p in processes))
            ranked = sorted((t, s) for s in who if (t := tier[s]))  # ids: in key order
            counts = [0, 0, 0, 0]
            for t, _ in ranked:
                counts[t] += 1
            found = able_by_set[processes] = (who, counts, ranked)
        return found

    out = {}
    for x in sorted(set(items)):
        counts = [0, 0, 0, 0]
        cands: list[Candidate] = []
        i = ix.item_id(x)
        if i is None:  # no such item: no route
            out[x] = common.RouteSummary(0, 0, 0, ())
            continue
        current = set(ix.supplier_ids("supplies", i))
        offering = {s for s in ix.supplier_ids("offers", i) if s not in current}
        for s in offering:
            if t := tier[s]:
                cands.append((keys[s], "supplier", x, t, 1.0))
        for y, compat in ix.substitutes_of(i):
            for s in {*ix.supplier_ids("offers", y), *ix.supplier_ids("supplies", y)}:
                if t := tier[s]:
                    cands.append((keys[s], "substitute", ix.items.keys[y], t, compat))
        for c in cands:
            counts[c[3]] += 1
        processes = ix.requires_of(i)
        if processes:
            who, able_counts, ranked = able(processes)
            taken = (current | offering) & who
            for n in (1, 2, 3):
                counts[n] += able_counts[n]
            for s in taken:
                if t := tier[s]:
                    counts[t] -= 1
            untaken = ((t, s) for t, s in ranked if s not in taken)
            for t, s in itertools.islice(untaken, limit):
                cands.append((keys[s], "capability", x, t, 1.0))
        first = heapq.nsmallest(
            limit, cands, key=lambda c: common.route_sort_key(c[3], c[1], c[4], c[0], c[2])
        )
        out[x] = common.RouteSummary(
            counts[1],
            counts[2],
            counts[3],
            tuple(_route(ix, c, target, settings) for c in first),
        )
    return out


def _reference_coords(region: str) -> tuple[float | None, float | None] | None:
    from filiere.graph.reference import region_info

    info = region_info(region)
    return None if info is None else (info.lat, info.lng)


def _distance(
    ix: Index, info: SupplierInfo, target: tuple[float | None, float | None] | None
) -> float | None:
    if target is None or target[0] is None or target[1] is None:
        return None
    lat, lon = info.lat, info.lon
    if (lat is None or lon is None) and info.region:
        lat, lon = ix.regions.get(info.region, (None, None))
    if lat is None or lon is None:
        return None
    return common.haversine_km(lat, lon, target[0], target[1])


def shock(store: EmbeddedStore, spec: common.ShockSpec) -> ShockResult:
    ix = index(store)
    arr = ix.arrays
    hit = np.array([w in spec.countries for w in ix.vocab.words] or [False], dtype=np.bool_)
    supplies = ix.csr("supplies")
    struck = hit[arr["sup_country"][supplies.indices]]
    candidates = set(np.unique(supplies.owners()[struck]).tolist())
    if spec.upstream:
        production = ix.csr("production")
        candidates.update(np.unique(production.owners()[hit[production.indices]]).tolist())
    loss: dict[int, float] = {}
    for x in candidates:
        value = common.lost_share(ix.facts(x), spec)
        if value > 0:
            loss[x] = value
    product = arr["item_product"]
    keys = ix.items.keys
    product_items = {
        keys[p]: [keys[v] for v in ix.closure_depths(p) if v in loss]
        for p in sorted(v for v in ix.ancestors(loss) if product[v])
    }
    at_source = [x for x, v in loss.items() if common.cut_at_source(v, spec)]
    substitutes = {
        keys[x]: [
            (keys[y], [keys[v] for v in ix.closure_depths(y) if v in loss])
            for y in {y for y, _ in ix.substitutes_of(x)}
        ]
        for x in at_source
    }
    return common.shock_result(
        spec, {keys[x]: v for x, v in loss.items()}, product_items, substitutes
    )


def critical(store: EmbeddedStore) -> CriticalResult:
    """Products reaching each item: every product's closure expanded at once, in numpy
    (:func:`filiere.queries.reach.reach_counts`: the work is the sum of the closures'
    sizes, in bounded memory; BOM cycles end), then ranked in numpy (ids are in key order,
    so ties by id are ties by key)."""
    ix = index(store)
    arr = ix.arrays
    product = arr["item_product"]
    counts = reach_counts(arr["children_ptr"], arr["children"], np.flatnonzero(product))
    ids = np.flatnonzero((counts > 0) & ~product)
    ids = ids[np.argsort(-counts[ids], kind="stable")]
    keys = ix.items.keys
    rows = [
        {"item": keys[v], "dependent_products": n}
        for v, n in zip(ids.tolist(), counts[ids].tolist(), strict=True)
    ]
    return CriticalResult.model_validate({"items": rows})  # one call: 510,715 items at 10^7


def bom(store: EmbeddedStore, product: str) -> BomResult:
    ix = product_index(store, product)
    root = ix.check_item(product)
    depths, kids = ix.closure(root)
    order = ix.check_acyclic(root, kids)
    # Pull-style: each item sums over its parents inside the closure, parents done first.
    keys = ix.items.keys
    qty: dict[str, float] = {product: 1.0}
    incoming: dict[str, list[tuple[str, float]]] = {}
    for v in depths:
        for c, q in ix.children_of(v):
            incoming.setdefault(keys[c], []).append((keys[v], q))
    for x in order:
        if x != product:
            qty[x] = sum(qty[p] * q for p, q in incoming.get(x, ()))
    lines = [
        BomLine(item=keys[v], kind=ix.kind(v), depth=d, quantity=qty[keys[v]])
        for v, d in depths.items()
        if v != root
    ]
    lines.sort(key=lambda line: (line.depth, line.item))
    return BomResult(product=product, lines=lines)


def product_makers(store: EmbeddedStore) -> list[common.ProductMakers]:
    ix = index(store)
    out = []
    for p in np.flatnonzero(ix.arrays["item_product"]).tolist():
        makers = []
        for s in ix.supplier_ids("makes", p):
            makers.append((ix.suppliers.keys[s], ix.supplier(s).region))
        out.append(
            common.ProductMakers(
                product=ix.items.keys[p],
                annual_volume=ix.annual_volume(p),
                makers=tuple(sorted(makers)),
            )
        )
    return out


def item_values(store: EmbeddedStore, items: list[str]) -> dict[str, common.ItemValue]:
    ix = index(store)
    out = {}
    for x in sorted(set(items)):
        i = ix.item_id(x)
        if i is not None:
            out[x] = ix.item_value(i)
    return out


def closures(store: EmbeddedStore) -> common.ProductClosures:
    """Every product's closure and the facts and BOM children of their items."""
    ix = index(store)
    keys = ix.items.keys
    found = {
        p: sorted(ix.closure_depths(p)) for p in np.flatnonzero(ix.arrays["item_product"]).tolist()
    }
    wanted = {x for xs in found.values() for x in xs}
    facts = {keys[x]: ix.facts(x) for x in wanted}
    children = {keys[x]: sorted((keys[c], q) for c, q in ix.children_of(x)) for x in wanted}
    return common.ProductClosures(
        {keys[p]: ix.keys(xs) for p, xs in found.items()}, facts, children
    )


class EmbeddedReader:
    """The embedded store's :class:`~filiere.queries.backend.StoreReader`."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store

    def deps(self, product: str, settings: AnalysisSettings) -> DepsResult:
        return deps(self.store, product, settings)

    def routes(self, item: str, region: str | None, settings: AnalysisSettings) -> RoutesResult:
        return routes(self.store, item, region, settings)

    def routes_many(
        self, items: Sequence[str], region: str | None, settings: AnalysisSettings
    ) -> dict[str, RoutesResult]:
        return routes_many(self.store, items, region, settings)

    def route_summaries(
        self,
        items: Sequence[str],
        region: str | None,
        settings: AnalysisSettings,
        limit: int = 1,
    ) -> dict[str, common.RouteSummary]:
        return route_summaries(self.store, items, region, settings, limit)

    def shock(self, spec: common.ShockSpec) -> ShockResult:
        return shock(self.store, spec)

    def critical(self) -> CriticalResult:
        return critical(self.store)

    def bom(self, product: str) -> BomResult:
        return bom(self.store, product)

    def product_makers(self) -> list[common.ProductMakers]:
        return product_makers(self.store)

    def item_values(self, items: list[str]) -> dict[str, common.ItemValue]:
        return item_values(self.store, items)

    def closures(self) -> common.ProductClosures:
        return closures(self.store)

    def answers_in_memory(self) -> bool:
        return current_index(self.store) is not None

    def warm(self) -> None:
        _ = index(self.store).items.ids  # the key -> id dict too: made on first use

    def item_row(self, item_id: str) -> Row | None:
        return lk.item_row(self.store, item_id)

    def supplier_row(self, supplier_id: str) -> Row | None:
        return lk.supplier_row(self.store, supplier_id)

    def region_row(self, code: str) -> Row | None:
        return lk.region_row(self.store, code)

    def item_rows(self, kind: str | None, after: str | None, limit: int) -> list[Row]:
        return lk.nodes(self.store, Label.ITEM, ITEM_FIELDS, ("kind", kind), after, limit)

    def region_rows(self, country: str | None, after: str | None, limit: int) -> list[Row]:
        fields = ("code", "name", "country")
        return lk.nodes(self.store, Label.REGION, fields, ("country", country), after, limit)

    def supplier_rows(self, filters: dict[str, Any], after: str | None, limit: int) -> list[Row]:
        return lk.supplier_rows(self.store, filters, after, limit)

    def search_rows(self, needle: str, types: list[str], offset: int, limit: int) -> list[Row]:
        return lk.search_rows(self.store, needle, types, offset, limit)

    def store_sources(self) -> list[Row]:
        return lk.store_sources(self.store)

    def supplier_countries(self) -> list[Row]:
        return lk.supplier_countries(self.store)

    def region_firms(self, code: str, limit: int) -> list[Row] | None:
        return lk.region_firms(self.store, code, limit)

    def item_context_rows(self, item: str) -> tuple[list[Row], list[Row], list[Row]]:
        return lk.item_context_rows(self.store, item)

    def supplier_makes(self, supplier: str) -> list[Row]:
        return lk.supplier_makes(self.store, supplier)

    def supply_tree(self, product: str) -> SupplyTree:
        return lk.supply_tree(self.store, product)

    def item_names(self) -> Iterable[tuple[str, dict[str, Any]]]:
        return lk.item_names(self.store)

    def trade_holders(self) -> set[str]:
        return lk.trade_holders(self.store)

    def trade_codes(self, importer: str) -> list[tuple[str, dict[str, Any]]]:
        return lk.trade_codes(self.store, importer)

    def item_trade(self, items: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
        return lk.item_trade(self.store, items)
