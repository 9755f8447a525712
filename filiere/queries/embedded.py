"""The analyses on the embedded store, computed on its networkx graph.

One :class:`Index` per graph version holds adjacency tables built in one pass over the
edges; per-item facts and risks are then computed lazily and cached, so that repeated
analyses cost what their closure costs, not what the graph costs. :class:`EmbeddedReader`
is the store's :class:`~filiere.queries.backend.StoreReader` (look-ups and the rest in
:mod:`filiere.queries.embedded_lookups`).
"""

from __future__ import annotations

import heapq
import itertools
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from filiere import i18n
from filiere.errors import NotFoundError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import EU27, Label, Rel
from filiere.queries import common
from filiere.queries import embedded_lookups as lk
from filiere.queries.backend import Row
from filiere.queries.common import (
    BomCycleError,
    ClosureItem,
    CountryGroup,
    ItemFacts,
    ProductionGroup,
    Risk,
)
from filiere.queries.lookups import ITEM_FIELDS
from filiere.queries.models import (
    AnalysisSettings,
    BomLine,
    BomResult,
    CriticalItem,
    CriticalResult,
    DepsResult,
    Route,
    RoutesResult,
    ShockResult,
)
from filiere.queries.tree import SupplyTree

ITEM = str(Label.ITEM)
SUPPLIER = str(Label.SUPPLIER)
PRODUCT = str(Label.PRODUCT)


@dataclass(frozen=True, slots=True)
class SupplierInfo:
    country: str
    region: str | None
    lat: float | None
    lon: float | None


@dataclass
class Index:
    """Adjacency tables of one graph version, keyed by item / supplier / process ids."""

    kind: dict[str, str] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)
    children: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)
    supplies: dict[str, list[tuple[str, float | None]]] = field(default_factory=dict)
    offers: dict[str, list[str]] = field(default_factory=dict)
    substitutes: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    requires: dict[str, set[str]] = field(default_factory=dict)
    masters: dict[str, set[str]] = field(default_factory=dict)
    production: dict[str, list[tuple[str, str, float, int | None]]] = field(default_factory=dict)
    suppliers: dict[str, SupplierInfo] = field(default_factory=dict)
    regions: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    makes: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, tuple[float | None, Any]] = field(default_factory=dict)
    annual_volume: dict[str, float] = field(default_factory=dict)
    _facts: dict[str, ItemFacts] = field(default_factory=dict)
    _risks: dict[tuple[AnalysisSettings, str], Risk] = field(default_factory=dict)

    @classmethod
    def build(cls, g: nx.MultiDiGraph) -> Index:
        ix = cls()
        for (label, key), d in g.nodes(data=True):
            props = d["props"]
            if label == ITEM:
                ix.kind[key] = str(props.get("kind", ""))
                value = props.get("unit_value_eur")
                if value is not None or props.get("crma") is not None:
                    ix.values[key] = (None if value is None else float(value), props.get("crma"))
                if PRODUCT in d["labels"]:
                    ix.products.append(key)
                    if props.get("annual_volume") is not None:
                        ix.annual_volume[key] = float(props["annual_volume"])
            elif label == SUPPLIER:
                ix.suppliers[key] = SupplierInfo(
                    str(props.get("country", "")),
                    props.get("region"),
                    props.get("lat"),
                    props.get("lon"),
                )
            elif label == str(Label.REGION):
                ix.regions[key] = (props.get("lat"), props.get("lng"))
        for (_, a), (_, b), d in g.edges(data=True):
            t, props = d["type"], d["props"]
            if t == Rel.CONTAINS:
                ix.children.setdefault(a, []).append((b, float(props.get("quantity", 1.0))))
                ix.parents.setdefault(b, []).append(a)
            elif t == Rel.SUPPLIES:
                ix.supplies.setdefault(b, []).append((a, props.get("share")))
            elif t == Rel.OFFERS:
                ix.offers.setdefault(b, []).append(a)
            elif t == Rel.MAKES:
                ix.makes.setdefault(b, []).append(a)
            elif t == Rel.SUBSTITUTES:
                ix.substitutes.setdefault(b, []).append((a, float(props.get("compatibility", 1.0))))
            elif t == Rel.REQUIRES:
                ix.requires.setdefault(a, set()).add(b)
            elif t == Rel.MASTERS:
                ix.masters.setdefault(b, set()).add(a)
            elif t == Rel.PRODUCES:
                ix.production.setdefault(b, []).append(
                    (str(props.get("stage")), a, float(props["share"]), props.get("year"))
                )
        ix.products.sort()
        return ix

    # -- per item ----------------------------------------------------------------------------

    def check_item(self, item: str) -> None:
        if item not in self.kind:
            raise NotFoundError(i18n._("unknown item {item}").format(item=repr(item)))

    def item_value(self, item: str) -> common.ItemValue:
        value, crma = self.values.get(item, (None, None))
        return common.ItemValue(value, common.crma_value(crma))

    def facts(self, item: str) -> ItemFacts:
        found = self._facts.get(item)
        if found is not None:
            return found
        groups: dict[str, list[float | None]] = {}
        for s, share in self.supplies.get(item, ()):
            groups.setdefault(self.suppliers[s].country, []).append(share)
        countries = tuple(
            CountryGroup(
                c,
                len(shares),
                sum(1 for x in shares if x is not None),
                sum(x for x in shares if x is not None),
            )
            for c, shares in groups.items()
        )
        rows = self.production.get(item, [])
        years = [y for *_, y in rows if y is not None]
        latest = max(years) if years else None
        prod: dict[tuple[str, str], float] = {}
        for stage, country, share, year in rows:
            if year is None or year == latest:
                prod[(stage, country)] = prod.get((stage, country), 0.0) + share
        found = ItemFacts(
            item=item,
            kind=self.kind[item],
            suppliers=tuple(sorted(s for s, _ in self.supplies.get(item, ()))),
            countries=countries,
            production=tuple(ProductionGroup(st, c, v) for (st, c), v in prod.items()),
        )
        self._facts[item] = found
        return found

    def risk(self, item: str, settings: AnalysisSettings) -> Risk:
        key = (settings, item)
        found = self._risks.get(key)
        if found is None:
            found = self._risks[key] = common.assess(self.facts(item), settings)
        return found

    # -- traversals --------------------------------------------------------------------------

    def closure_depths(self, root: str) -> dict[str, int]:
        """Breadth-first: every item reachable from ``root`` with its shortest depth."""
        depth = {root: 0}
        queue = deque([root])
        while queue:
            v = queue.popleft()
            d = depth[v] + 1
            for c, _ in self.children.get(v, ()):
                if c not in depth:
                    depth[c] = d
                    queue.append(c)
        return depth

    def reaches(self, root: str, pred: Any) -> bool:
        """Whether some item of closure(root) satisfies ``pred`` (depth-first, stops early)."""
        seen = {root}
        stack = [root]
        while stack:
            v = stack.pop()
            if pred(v):
                return True
            for c, _ in self.children.get(v, ()):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return False

    def check_acyclic(self, root: str) -> list[str]:
        """A topological order of closure(root); :class:`BomCycleError` on a cycle."""
        return common.topological_order(root, common.ChildIds(self.children))

    def best_paths(self, root: str, targets: set[str], k: int) -> dict[str, list[tuple[str, ...]]]:
        """Best-first search: paths leave the heap shortest first, then by ids; k per item."""
        found: dict[str, list[tuple[str, ...]]] = {}
        heap: list[tuple[int, tuple[str, ...]]] = [(1, (root,))]
        while heap:
            n, path = heapq.heappop(heap)
            v = path[-1]
            got = found.setdefault(v, [])
            if len(got) >= k:
                continue
            got.append(path)
            for c, _ in self.children.get(v, ()):
                if len(found.get(c, ())) < k:
                    heapq.heappush(heap, (n + 1, (*path, c)))
        return {t: found.get(t, []) for t in targets}


_CACHE: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[Any, Index]] = weakref.WeakKeyDictionary()


def index(store: EmbeddedStore) -> Index:
    """The store's index, rebuilt when the graph object or its file changed.

    A write replaces the file, so the file stamp (mtime, size) changes with the graph;
    the node count guards against in-memory changes. Both are O(1).
    """
    g = store.graph
    stamp = (getattr(store, "_stamp", None), g.number_of_nodes())
    cached = _CACHE.get(g)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    ix = Index.build(g)
    _CACHE[g] = (stamp, ix)
    return ix


# -- analyses ----------------------------------------------------------------------------------


def product_index(store: EmbeddedStore, product: str) -> Index:
    """The index that the dependencies or the BOM of ``product`` read.

    The whole graph's index when the store holds it in memory (a server, a second
    analysis); else an index of closure(product) alone, its suppliers and production
    rows, read from the file (:meth:`EmbeddedStore.closure_graph`): a cold ``filiere deps``
    costs what the product's bill of materials holds, not what the store holds.
    """
    if store.cached_graph() is None:
        part = store.closure_graph(product)
        if part is not None:
            return Index.build(part)
    return index(store)


def deps(store: EmbeddedStore, product: str, settings: AnalysisSettings) -> DepsResult:
    ix = product_index(store, product)
    ix.check_item(product)
    depths = ix.closure_depths(product)
    ix.check_acyclic(product)
    closure = {
        v: ClosureItem(ix.facts(v), d, tuple(c for c, _ in ix.children.get(v, ())))
        for v, d in depths.items()
    }
    risks = {}
    for v in depths:
        risk = ix.risk(v, settings)
        if risk.dependency:
            risks[v] = risk
    paths = ix.best_paths(product, set(risks), settings.max_paths)
    return common.deps_result(product, settings, closure, risks, paths)


#: A route candidate: (supplier, kind, via, tier, compatibility).
Candidate = tuple[str, str, str, int, float]


def _candidates(
    ix: Index, item: str, region: str | None, settings: AnalysisSettings
) -> list[Candidate]:
    """Every route of ``item`` without its facts: suppliers, substitutes, capabilities."""
    current = {s for s, _ in ix.supplies.get(item, ())}
    found: dict[tuple[str, str, str], float] = {}
    offering = {s for s in ix.offers.get(item, ()) if s not in current}
    for s in offering:
        found[(s, "supplier", item)] = 1.0
    for y, compat in ix.substitutes.get(item, ()):
        for s in {*ix.offers.get(y, ()), *(s for s, _ in ix.supplies.get(y, ()))}:
            found[(s, "substitute", y)] = compat
    processes = ix.requires.get(item)
    if processes:
        able = set.intersection(*(ix.masters.get(p, set()) for p in processes))
        for s in able - current - offering:
            found[(s, "capability", item)] = 1.0
    out = []
    for (s, kind, via), compat in found.items():
        info = ix.suppliers[s]
        if region and info.region == region:
            tier = 1
        elif info.country == settings.home:
            tier = 2
        elif info.country in EU27:
            tier = 3
        else:
            continue
        out.append((s, kind, via, tier, compat))
    out.sort(key=lambda c: common.route_sort_key(c[3], c[1], c[4], c[0], c[2]))
    return out


def _route(
    ix: Index,
    c: Candidate,
    target: tuple[float | None, float | None] | None,
    settings: AnalysisSettings,
) -> Route:
    s, kind, via, tier, compat = c
    info = ix.suppliers[s]
    sub_risk = None
    if kind == "substitute":
        sub_risk = ix.reaches(via, lambda z: ix.risk(z, settings).at_risk)
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
    tiers: dict[str, int | None] = {}

    def tier(s: str) -> int | None:
        if s not in tiers:
            info = ix.suppliers[s]
            if region and info.region == region:
                tiers[s] = 1
            elif info.country == settings.home:
                tiers[s] = 2
            elif info.country in EU27:
                tiers[s] = 3
            else:
                tiers[s] = None
        return tiers[s]

    able_by_set: dict[frozenset[str], tuple[set[str], list[int], list[tuple[int, str]]]] = {}

    def able(processes: frozenset[str]) -> tuple[set[str], list[int], list[tuple[int, str]]]:
        found = able_by_set.get(processes)
        if found is None:
            who = set.intersection(*(ix.masters.get(p, set()) for p in processes))
            ranked = sorted((t, s) for s in who if (t := tier(s)) is not None)
            counts = [0, 0, 0, 0]
            for t, _ in ranked:
                counts[t] += 1
            found = able_by_set[processes] = (who, counts, ranked)
        return found

    out = {}
    for x in sorted(set(items)):
        counts = [0, 0, 0, 0]
        cands: list[Candidate] = []
        current = {s for s, _ in ix.supplies.get(x, ())}
        offering = {s for s in ix.offers.get(x, ()) if s not in current}
        for s in offering:
            if (t := tier(s)) is not None:
                cands.append((s, "supplier", x, t, 1.0))
        for y, compat in ix.substitutes.get(x, ()):
            for s in {*ix.offers.get(y, ()), *(s for s, _ in ix.supplies.get(y, ()))}:
                if (t := tier(s)) is not None:
                    cands.append((s, "substitute", y, t, compat))
        for c in cands:
            counts[c[3]] += 1
        processes = ix.requires.get(x)
        if processes:
            who, able_counts, ranked = able(frozenset(processes))
            taken = (current | offering) & who
            for i in (1, 2, 3):
                counts[i] += able_counts[i]
            for s in taken:
                if (t := tier(s)) is not None:
                    counts[t] -= 1
            untaken = ((t, s) for t, s in ranked if s not in taken)
            for t, s in itertools.islice(untaken, limit):
                cands.append((s, "capability", x, t, 1.0))
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
    candidates = {
        x
        for x, supplies in ix.supplies.items()
        if any(ix.suppliers[s].country in spec.countries for s, _ in supplies)
    }
    if spec.upstream:
        candidates |= {
            x
            for x, rows in ix.production.items()
            if any(c in spec.countries for _, c, _, _ in rows)
        }
    loss = {}
    for x in candidates:
        value = common.lost_share(ix.facts(x), spec)
        if value > 0:
            loss[x] = value
    products = set(ix.products)
    product_items = {
        p: [v for v in ix.closure_depths(p) if v in loss]
        for p in sorted(v for v in _ancestors(ix, set(loss)) if v in products)
    }
    at_source = [x for x, v in loss.items() if common.cut_at_source(v, spec)]
    substitutes = {
        x: [
            (y, [v for v in ix.closure_depths(y) if v in loss])
            for y in {y for y, _ in ix.substitutes.get(x, ())}
        ]
        for x in at_source
    }
    return common.shock_result(spec, loss, product_items, substitutes)


def _ancestors(ix: Index, items: set[str]) -> set[str]:
    """``items`` and every item whose BOM holds one of them."""
    seen = set(items)
    stack = list(items)
    while stack:
        v = stack.pop()
        for p in ix.parents.get(v, ()):
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def critical(store: EmbeddedStore) -> CriticalResult:
    """Products reaching each item, as bit sets propagated parents-first."""
    ix = index(store)
    bit = {p: 1 << i for i, p in enumerate(ix.products)}
    try:
        order = _topological(ix)
    except BomCycleError:
        order = None
    counts: dict[str, int] = {}
    if order is not None:
        mask: dict[str, int] = {}
        for v in order:
            m = bit.get(v, 0)
            for p in ix.parents.get(v, ()):
                m |= mask.get(p, 0)
            mask[v] = m
        counts = {v: m.bit_count() for v, m in mask.items() if v not in bit}
    else:  # a BOM cycle somewhere: one traversal per product
        for p in ix.products:
            for v in ix.closure_depths(p):
                counts[v] = counts.get(v, 0) + 1
    items = [
        CriticalItem(item=v, dependent_products=n)
        for v, n in counts.items()
        if n > 0 and v not in bit
    ]
    items.sort(key=lambda x: (-x.dependent_products, x.item))
    return CriticalResult(items=items)


def _topological(ix: Index) -> list[str]:
    """Every item, parents first; :class:`BomCycleError` when the BOM graph has a cycle."""
    g = nx.DiGraph()
    g.add_nodes_from(ix.kind)
    g.add_edges_from((v, c) for v, cs in ix.children.items() for c, _ in cs)
    return common.sorted_parents_first(g)


def bom(store: EmbeddedStore, product: str) -> BomResult:
    ix = product_index(store, product)
    ix.check_item(product)
    depths = ix.closure_depths(product)
    order = ix.check_acyclic(product)
    # Pull-style: each item sums over its parents inside the closure, parents done first.
    qty: dict[str, float] = {product: 1.0}
    incoming: dict[str, list[tuple[str, float]]] = {}
    for v in depths:
        for c, q in ix.children.get(v, ()):
            incoming.setdefault(c, []).append((v, q))
    for v in order:
        if v != product:
            qty[v] = sum(qty[p] * q for p, q in incoming.get(v, ()))
    lines = [
        BomLine(item=v, kind=ix.kind[v], depth=d, quantity=qty[v])
        for v, d in depths.items()
        if v != product
    ]
    lines.sort(key=lambda line: (line.depth, line.item))
    return BomResult(product=product, lines=lines)


def product_makers(store: EmbeddedStore) -> list[common.ProductMakers]:
    ix = index(store)
    return [
        common.ProductMakers(
            product=p,
            annual_volume=ix.annual_volume.get(p),
            makers=tuple(sorted((s, ix.suppliers[s].region) for s in ix.makes.get(p, ()))),
        )
        for p in ix.products
    ]


def item_values(store: EmbeddedStore, items: list[str]) -> dict[str, common.ItemValue]:
    ix = index(store)
    return {x: ix.item_value(x) for x in sorted(set(items)) if x in ix.kind}


def closures(store: EmbeddedStore) -> common.ProductClosures:
    """Every product's closure and the facts and BOM children of their items."""
    ix = index(store)
    items = {p: sorted(ix.closure_depths(p)) for p in ix.products}
    wanted = {x for xs in items.values() for x in xs}
    facts = {x: ix.facts(x) for x in wanted}
    children = {x: sorted(ix.children.get(x, ())) for x in wanted}
    return common.ProductClosures(items, facts, children)


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
