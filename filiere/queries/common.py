"""Pure helpers shared by both stores' analyses: no graph access here.

Each store finds the facts natively (closure, depths, suppliers grouped by country,
production rows of the latest year grouped by stage and country, candidates...); these
helpers turn those facts into the documented flags, and assemble and sort results.

>>> shares = country_shares([CountryGroup("CN", 1, 1, 0.75), CountryGroup("FR", 1, 1, 0.25)])
>>> shares, hhi(shares)
({'CN': 0.75, 'FR': 0.25}, 0.625)
>>> tie = [ProductionGroup("extraction", "CN", 0.6), ProductionGroup("processing", "AU", 0.6)]
>>> top_production(tie)
ProductionGroup(stage='processing', country='AU', share=0.6)
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from filiere.errors import FiliereError
from filiere.queries.models import (
    DECIMALS,
    AnalysisSettings,
    CutItem,
    Dependency,
    DepsResult,
    ImpactedProduct,
    PartialItem,
    RecoveryExposure,
    Route,
    ShockResult,
)

#: Mean Earth radius (IUGG), in km, used for every distance.
EARTH_RADIUS_KM = 6371.0088

#: Order of route kinds in results.
KIND_ORDER = {"supplier": 0, "substitute": 1, "capability": 2}


class BomCycleError(FiliereError):
    """A bill of materials contains itself, so paths and quantities are undefined."""


def rounded(x: float) -> float:
    """``x`` rounded as results are; thresholds are compared with rounded values."""
    return round(x, DECIMALS)


# -- suppliers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountryGroup:
    """The supplies of one item from one country: how many, how many with a share, share sum."""

    country: str
    suppliers: int
    with_share: int
    share: float


def country_shares(groups: Iterable[CountryGroup]) -> dict[str, float]:
    """s(c) by country: share-weighted when every supply has a share, else by supplier count."""
    gs = sorted(groups, key=lambda g: g.country)
    n = sum(g.suppliers for g in gs)
    if n == 0:
        return {}
    if sum(g.with_share for g in gs) == n:
        total = math.fsum(g.share for g in gs)
        return {g.country: g.share / total for g in gs}
    return {g.country: g.suppliers / n for g in gs}


def hhi(shares: Mapping[str, float]) -> float | None:
    """Herfindahl-Hirschman index of country shares (``None`` without suppliers)."""
    if not shares:
        return None
    return math.fsum(s * s for _, s in sorted(shares.items()))


# -- production ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductionGroup:
    """World production share of a material by one country at one stage (latest year)."""

    stage: str
    country: str
    share: float


def top_production(groups: Iterable[ProductionGroup]) -> ProductionGroup | None:
    """The largest share; ties go to the smaller country code, then the smaller stage."""
    return min(groups, key=lambda g: (-rounded(g.share), g.country, g.stage), default=None)


# -- risk ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What a store found about one item: its suppliers and its production rows."""

    item: str
    kind: str
    suppliers: tuple[str, ...]  # sorted ids
    countries: tuple[CountryGroup, ...]
    production: tuple[ProductionGroup, ...]  # latest year, summed by (stage, country)


@dataclass(frozen=True, slots=True)
class Risk:
    """The documented flags of one item under given settings."""

    single_source: bool
    single_country: bool
    country: str | None
    hhi: float | None
    concentrated: bool
    upstream_concentrated: bool
    upstream_country: str | None
    upstream_share: float | None
    at_risk: bool
    upstream_stage: str | None = None

    @property
    def dependency(self) -> bool:
        """Whether ``deps`` reports the item."""
        return self.concentrated or self.upstream_concentrated


def assess(facts: ItemFacts, settings: AnalysisSettings) -> Risk:
    """Apply the definitions of ``docs/analyses.md`` to one item's facts."""
    shares = country_shares(facts.countries)
    index = hhi(shares)
    single_country = len(shares) == 1
    country = next(iter(shares)) if single_country else None
    top = top_production(facts.production)
    upstream = top is not None and rounded(top.share) >= settings.upstream_share
    up_country = top.country if upstream and top else None
    up_share = top.share if upstream and top else None
    return Risk(
        single_source=len(facts.suppliers) == 1,
        single_country=single_country,
        country=country,
        hhi=index,
        concentrated=index is not None and rounded(index) >= settings.hhi,
        upstream_concentrated=upstream,
        upstream_country=up_country,
        upstream_share=up_share,
        at_risk=(single_country and country != settings.home)
        or (upstream and up_country != settings.home),
        upstream_stage=top.stage if upstream and top else None,
    )


# -- shock -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShockSpec:
    """A shock: the countries C, the fraction F that stops, whether production stops too."""

    countries: frozenset[str]
    fraction: float = 1.0
    upstream: bool = False


def lost_share(facts: ItemFacts, spec: ShockSpec) -> float:
    """L(X) = max(Ls, Lu), rounded (docs/analyses.md, section 3).

    >>> f = ItemFacts("X", "material", ("S",), (CountryGroup("CN", 1, 0, 0.0),),
    ...               (ProductionGroup("extraction", "CN", 0.82),))
    >>> lost_share(f, ShockSpec(frozenset({"CN"}), 0.5)), lost_share(
    ...     f, ShockSpec(frozenset({"US"}), 1.0, upstream=True))
    (0.5, 0.0)
    """
    shares = country_shares(facts.countries)
    supply = spec.fraction * math.fsum(shares[c] for c in sorted(shares) if c in spec.countries)
    upstream = 0.0
    if spec.upstream and facts.production:
        stages: dict[str, list[float]] = {}
        for g in sorted(facts.production, key=lambda g: (g.stage, g.country)):
            if g.country in spec.countries:
                stages.setdefault(g.stage, []).append(g.share)
        top = max((math.fsum(v) for v in stages.values()), default=0.0)
        upstream = spec.fraction * min(1.0, top)
    return rounded(max(supply, upstream)) + 0.0


def cut_at_source(loss: float, spec: ShockSpec) -> bool:
    """X is cut at source when L(X) = 1; a partial stop (F < 1) never cuts."""
    return loss == 1.0 and spec.fraction == 1.0


def shock_result(
    spec: ShockSpec,
    loss: Mapping[str, float],
    product_items: Mapping[str, Iterable[str]],
    substitutes: Mapping[str, Iterable[tuple[str, Iterable[str]]]],
) -> ShockResult:
    """Assemble the ``shock`` result from what a store found.

    ``loss``: L(X) > 0 by item; ``product_items``: for each product, the items of its
    closure that are in ``loss``; ``substitutes``: for each item cut at source, its
    substitutes with the items of their closure that are in ``loss``.
    """
    at_source = {x for x, v in loss.items() if cut_at_source(v, spec)}
    impacted = []
    for p, inside in product_items.items():
        items = sorted(set(inside))
        cut = sorted(x for x in items if x in at_source)
        partial = [PartialItem(item=x, lost_share=loss[x]) for x in items if x not in at_source]
        exposure = 1.0 if cut else max((x.lost_share for x in partial), default=0.0)
        impacted.append(
            ImpactedProduct(
                product=p, cut=bool(cut), cut_items=cut, partial=partial, exposure=exposure
            )
        )
    impacted.sort(key=lambda x: (not x.cut, x.product))
    cut_items = []
    for x in sorted(at_source):
        via = []
        for y, below in sorted(substitutes.get(x, ()), key=lambda t: t[0]):
            hit = set(below)
            if hit & at_source:
                continue
            via.append(RecoveryExposure(item=y, exposure=max((loss[z] for z in hit), default=0.0)))
        cut_items.append(
            CutItem(
                item=x,
                recoverable_via=[r.item for r in via],
                recoverable_exposure=via,
            )
        )
    return ShockResult(
        countries=sorted(spec.countries),
        cut=spec.fraction,
        upstream=spec.upstream,
        impacted_products=impacted,
        cut_items=cut_items,
    )


# -- opportunities ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductMakers:
    """A product, its annual volume and the firms that make it, as ``(id, region)``."""

    product: str
    annual_volume: float | None
    makers: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class ItemValue:
    """An item's unit value in euros and its CRM Act listing."""

    unit_value_eur: float | None
    crma: str | None


@dataclass(frozen=True, slots=True)
class ProductClosures:
    """What a store found about every product's bill of materials.

    ``items``: each product's closure (sorted ids, the product included); ``facts`` and
    ``children`` (``(child, quantity)`` sorted by child) of every item of those closures.
    """

    items: Mapping[str, Sequence[str]]
    facts: Mapping[str, ItemFacts]
    children: Mapping[str, Sequence[tuple[str, float]]]

    def quantities(self, product: str) -> dict[str, float]:
        """Rolled-up BOM quantities under ``product`` (as ``bom``; the product itself: 1)."""
        return path_quantities(product, self.children)


@dataclass(frozen=True, slots=True)
class RouteSummary:
    """An item's number of routes per tier and its first routes (``routes``' order)."""

    tier1: int
    tier2: int
    tier3: int
    #: The first routes of ``routes(item)``, as many as the summary was asked for.
    first: tuple[Route, ...]

    @property
    def best(self) -> Route | None:
        """The first route, or ``None`` when the item has none."""
        return self.first[0] if self.first else None

    @property
    def total(self) -> int:
        """The number of routes of the item."""
        return self.tier1 + self.tier2 + self.tier3


def crma_value(value: object) -> str | None:
    """``strategic`` or ``critical``; anything else (empty, missing) is ``None``."""
    return str(value) if value in ("strategic", "critical") else None


# -- deps ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClosureItem:
    """An item of a product's closure: its facts, depth and BOM children."""

    facts: ItemFacts
    depth: int
    children: tuple[str, ...]

    @property
    def gap(self) -> bool:
        """No supplier, no BOM child and no production row: the mapping stops here."""
        return not self.facts.suppliers and not self.children and not self.facts.production


def dependency_risks(
    closure: Mapping[str, ClosureItem], settings: AnalysisSettings
) -> dict[str, Risk]:
    """The risk of every closure item that ``deps`` reports."""
    out = {}
    for item, c in closure.items():
        risk = assess(c.facts, settings)
        if risk.dependency:
            out[item] = risk
    return out


def deps_result(
    product: str,
    settings: AnalysisSettings,
    closure: Mapping[str, ClosureItem],
    risks: Mapping[str, Risk],
    paths: Mapping[str, Sequence[Sequence[str]]],
) -> DepsResult:
    """Assemble and sort the ``deps`` result."""
    deps = []
    for item, risk in risks.items():
        c = closure[item]
        deps.append(
            Dependency(
                item=item,
                kind=c.facts.kind,
                depth=c.depth,
                single_source=risk.single_source,
                single_country=risk.single_country,
                country=risk.country,
                hhi=risk.hhi,
                upstream_concentrated=risk.upstream_concentrated,
                upstream_country=risk.upstream_country,
                upstream_share=risk.upstream_share,
                at_risk=risk.at_risk,
                suppliers=list(c.facts.suppliers),
                paths=[list(p) for p in paths.get(item, ())],
                upstream_stage=risk.upstream_stage,
            )
        )
    deps.sort(key=lambda d: (not d.at_risk, d.depth, d.item))
    gaps = sorted(item for item, c in closure.items() if c.gap)
    return DepsResult(product=product, home_country=settings.home, dependencies=deps, gaps=gaps)


# -- BOM sub-graph algorithms (used on the sub-graph a store returned) -------------------------


def topological_order(root: str, children: Mapping[str, Sequence[str]]) -> list[str]:
    """The items reachable from ``root``, parents before children (networkx's sort).

    A cycle raises :class:`BomCycleError` naming the smallest item left unsorted (on
    the cycle or below it).

    >>> topological_order("P", {"P": ["A", "B"], "A": ["B"], "B": []})
    ['P', 'A', 'B']
    """
    try:
        return sorted_parents_first(closure_digraph(root, children))
    except BomCycleError as e:
        raise BomCycleError(
            f"the bill of materials of {root!r} contains a cycle through {e.args[0]!r}; "
            "fix the BOM lines (a part cannot contain itself)"
        ) from None


def closure_digraph(root: str, children: Mapping[str, Sequence[str]]) -> nx.DiGraph:
    """closure(root) as a networkx graph: ``root``, the items it reaches, their BOM lines."""
    g = nx.DiGraph()
    g.add_node(root)
    stack = [root]
    while stack:
        v = stack.pop()
        for c in children.get(v, ()):
            if c not in g:
                stack.append(c)
            g.add_edge(v, c)
    return g


def sorted_parents_first(g: nx.DiGraph) -> list[str]:
    """The nodes of ``g`` in a topological order; :class:`BomCycleError` (whose argument
    is the smallest node left unsorted) when ``g`` has a cycle."""
    order: list[str] = []
    try:
        for v in nx.topological_sort(g):
            order.append(v)
    except nx.NetworkXUnfeasible:
        raise BomCycleError(min(set(g) - set(order))) from None
    return order


def path_key(path: Sequence[str]) -> tuple[int, Sequence[str]]:
    """Paths are ranked shortest first, then by their list of ids."""
    return (len(path), path)


def k_best_paths(
    root: str, children: Mapping[str, Sequence[str]], k: int
) -> dict[str, list[tuple[str, ...]]]:
    """For every item under ``root``, its ``k`` best BOM paths from ``root`` (dynamic programming).

    The k best paths to an item extend the k best paths to its parents, so keeping k
    paths per item in topological order is exact and costs O(k x edges).

    >>> k_best_paths("P", {"P": ["A", "B"], "A": ["C"], "B": ["C"]}, 5)["C"]
    [('P', 'A', 'C'), ('P', 'B', 'C')]
    """
    order = topological_order(root, children)
    best: dict[str, list[tuple[str, ...]]] = {root: [(root,)]}
    candidates: dict[str, list[tuple[str, ...]]] = {}
    for v in order:
        if v != root:
            best[v] = heapq.nsmallest(k, candidates.pop(v, []), key=path_key)
        for c in children.get(v, ()):
            candidates.setdefault(c, []).extend((*p, c) for p in best[v])
    return best


def path_quantities(
    root: str, children: Mapping[str, Sequence[tuple[str, float]]]
) -> dict[str, float]:
    """Sum over every path from ``root`` of the product of quantities (``root`` itself: 1).

    >>> path_quantities("P", {"P": [("A", 2.0), ("B", 1.0)], "A": [("B", 3.0)]})["B"]
    7.0
    """
    order = topological_order(root, ChildIds(children))
    qty = {v: 0.0 for v in order}
    qty[root] = 1.0
    for v in order:
        for c, q in children.get(v, ()):
            qty[c] += qty[v] * q
    return qty


class ChildIds(Mapping[str, list[str]]):
    """The child ids of ``(child, quantity)`` lists, read lazily (only the closure is read)."""

    def __init__(self, children: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        self._children = children

    def __getitem__(self, key: str) -> list[str]:
        return [c for c, _ in self._children[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._children)

    def __len__(self) -> int:
        return len(self._children)


# -- routes ----------------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km.

    >>> round(haversine_km(48.8566, 2.3522, 45.764, 4.8357), 1)  # Paris - Lyon
    391.5
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def route_sort_key(
    tier: int, kind: str, compatibility: float, supplier: str, via: str
) -> tuple[int, int, float, str, str]:
    """Routes sort by tier, kind (supplier, substitute, capability), compatibility desc, ids."""
    return (tier, KIND_ORDER[kind], -rounded(compatibility), supplier, via)
