"""The findings of a run: every analysis on some products, and the headlines drawn from them.

The headlines are computed, never written in: the at-risk dependencies (with their BOM
paths and countries), the best local routes for the most critical at-risk items, and a
supply stop in the country that supplies the most at-risk items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from filiere import queries
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.queries.lookups import SupplierDetail, get_supplier, list_items
from filiere.queries.models import (
    AnalysisSettings,
    BomResult,
    CriticalResult,
    Dependency,
    DepsResult,
    RoutesResult,
    ShockResult,
)
from filiere.report.opps import OppsFindings, compute_opps
from filiere.viz.data import SupplyTree, supply_tree


@dataclass
class AtRisk:
    """An at-risk item, across every product of the run."""

    item: str
    name: str
    kind: str
    products: list[str]
    dependent_products: int
    supplier_countries: list[str]
    dependency: Dependency  # as found in the first product that holds it

    @property
    def countries(self) -> list[str]:
        """Where the risk lies: the single supplying country and/or the upstream one."""
        out = []
        if self.dependency.single_country and self.dependency.country:
            out.append(self.dependency.country)
        if self.dependency.upstream_country and self.dependency.upstream_country not in out:
            out.append(self.dependency.upstream_country)
        return out


@dataclass
class Source:
    """One data source behind the findings: how many nodes and links, and when loaded."""

    source: str
    count: int
    first_loaded: str | None
    last_loaded: str | None


@dataclass
class Findings:
    """Everything a report or the demo shows."""

    settings: AnalysisSettings
    region: str | None
    products: list[str]
    names: dict[str, str]
    deps: dict[str, DepsResult]
    boms: dict[str, BomResult]
    trees: dict[str, SupplyTree]
    critical: CriticalResult
    at_risk: list[AtRisk]
    routes: dict[str, RoutesResult]
    route_items: list[str]
    shock_countries: list[str]
    shock: ShockResult | None
    sources: list[Source] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: Where each upstream share comes from (``European Commission, 2023``), by material.
    upstream_sources: dict[str, str] = field(default_factory=dict)
    #: The suppliers the findings name (current ones and those of the routes), by id.
    suppliers: dict[str, SupplierDetail] = field(default_factory=dict)
    opps: OppsFindings | None = None  # opportunities and matches (filiere.report.opps)

    def name(self, item: str) -> str:
        return self.names.get(item, item)

    def why(self, d: Dependency) -> str:
        """Why ``d`` is reported, with the source of its upstream share when known."""
        from filiere import wording

        return wording.why(d, self.upstream_sources.get(d.item))

    @property
    def no_route(self) -> list[str]:
        """At-risk items with no local route at all."""
        return [item for item, r in self.routes.items() if not r.routes]


def all_products(store: GraphStore) -> list[str]:
    """Every product id of the store, in id order."""
    out: list[str] = []
    cursor = None
    while True:
        page = list_items(store, kind="product", limit=1000, cursor=cursor)
        out.extend(i.id for i in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out


def top_country(at_risk: list[AtRisk], home: str) -> str | None:
    """The country supplying the most at-risk items (ties: the smaller code).

    Supplier countries count first, since a shock stops suppliers; when no at-risk
    item has a foreign supplier, the upstream producing countries count instead.
    """
    counts = Counter(c for a in at_risk for c in a.supplier_countries if c != home)
    if not counts:
        counts = Counter(
            a.dependency.upstream_country
            for a in at_risk
            if a.dependency.upstream_country and a.dependency.upstream_country != home
        )
    if not counts:
        return None
    return min(counts, key=lambda c: (-counts[c], c))


def compute_findings(
    store: GraphStore,
    products: list[str] | None,
    settings: AnalysisSettings,
    *,
    region: str | None = None,
    route_items: int = 3,
    shock_countries: list[str] | None = None,
) -> Findings:
    """Run every analysis for ``products`` (default: every product) and draw the headlines."""
    products = products or all_products(store)
    deps = {p: queries.deps(store, p, settings) for p in products}
    boms = {p: queries.bom(store, p) for p in products}
    trees = {p: supply_tree(store, p) for p in products}
    critical = queries.critical(store)
    ranks = {c.item: c.dependent_products for c in critical.items}
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for tree in trees.values():
        for item, props in tree.items.items():
            names[item] = str(props.get("name") or item)
            kinds[item] = str(props.get("kind") or "")

    found: dict[str, AtRisk] = {}
    for p in products:
        tree = trees[p]
        for d in deps[p].dependencies:
            if not d.at_risk:
                continue
            if d.item in found:
                found[d.item].products.append(p)
                continue
            countries = sorted(
                {
                    str(tree.suppliers[s.supplier].get("country"))
                    for s in tree.supplies
                    if s.item == d.item and tree.suppliers[s.supplier].get("country")
                }
            )
            found[d.item] = AtRisk(
                d.item, names.get(d.item, d.item), d.kind, [p], ranks.get(d.item, 1), countries, d
            )
    at_risk = sorted(
        found.values(), key=lambda a: (-a.dependent_products, a.dependency.depth, a.item)
    )
    # Routes for every at-risk item; the headline shows the most critical ones that
    # have at least one route (raw materials often have none: no supplier to replace).
    routes = {a.item: queries.routes(store, a.item, region, settings) for a in at_risk}
    best = [a.item for a in at_risk if routes[a.item].routes][:route_items]
    if shock_countries is None:
        top = top_country(at_risk, settings.home)
        shock_countries = [top] if top else []
    shock = queries.shock(store, shock_countries, settings) if shock_countries else None
    if shock is not None:
        extra = {x.product for x in shock.impacted_products} | {c.item for c in shock.cut_items}
        for item, props in store.get_nodes(Label.ITEM, sorted(extra - set(names))).items():
            names[item] = str(props.get("name") or item)
    for r in routes.values():
        vias = {x.via for x in r.routes} - set(names)
        for item, props in store.get_nodes(Label.ITEM, sorted(vias)).items():
            names[item] = str(props.get("name") or item)
    found_all = Findings(
        settings=settings,
        region=region,
        products=products,
        names=names,
        deps=deps,
        boms=boms,
        trees=trees,
        critical=critical,
        at_risk=at_risk,
        routes=routes,
        route_items=best,
        shock_countries=shock_countries,
        shock=shock,
        sources=_sources(trees.values()),
        counts=store.counts(),
        suppliers=_suppliers(store, trees.values(), routes.values()),
        upstream_sources=_upstream_sources(deps, trees),
    )
    found_all.opps = compute_opps(store, found_all)
    return found_all


def _upstream_sources(deps: dict[str, DepsResult], trees: dict[str, SupplyTree]) -> dict[str, str]:
    """``source, year`` of the production figure behind each upstream-concentrated material."""
    out: dict[str, str] = {}
    for p, result in deps.items():
        rows = trees[p].latest_production()
        for d in result.dependencies:
            if not d.upstream_concentrated or d.item in out:
                continue
            for row in rows:
                if (row.material, row.country, row.stage) == (
                    d.item,
                    d.upstream_country,
                    d.upstream_stage,
                ):
                    source = str(row.props.get("source") or "").split(",", 1)[0].strip()
                    out[d.item] = ", ".join(x for x in (source, str(row.year or "")) if x)
                    break
    return out


def _suppliers(
    store: GraphStore, trees: Iterable[SupplyTree], routes: Iterable[RoutesResult]
) -> dict[str, SupplierDetail]:
    """The details (town, region, SIREN, NAF, processes) of every supplier the findings name."""
    ids = {s for tree in trees for s in tree.suppliers}
    ids |= {x.supplier for r in routes for x in r.routes}
    return {s: get_supplier(store, s) for s in sorted(ids)}


def _sources(trees: Any) -> list[Source]:
    """The provenance of the nodes and links in the products' supply trees (each once)."""
    facts: dict[tuple[Any, ...], dict[str, Any]] = {}
    for tree in trees:
        for item, props in tree.items.items():
            facts[("item", item)] = props
        for sid, props in tree.suppliers.items():
            facts[("supplier", sid)] = props
        for s in tree.supplies:
            facts[("supplies", s.supplier, s.item)] = s.props
        for p in tree.production:
            facts[("produces", p.country, p.material, p.stage, p.year)] = p.props
    seen: dict[str, list[str | None]] = {}
    for props in facts.values():
        seen.setdefault(str(props.get("source") or "unknown"), []).append(props.get("loaded_at"))
    out = []
    for src, stamps in sorted(seen.items()):
        known = sorted(s for s in stamps if s)
        out.append(
            Source(src, len(stamps), known[0] if known else None, known[-1] if known else None)
        )
    return out
