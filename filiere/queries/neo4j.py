"""The analyses on the Neo4j store: the ``.cypher`` files of the library, in read transactions.

Cypher does the graph work (closures and depths by pruned breadth-first expansion,
suppliers grouped by country, latest production rows, route candidates, shock
propagation, criticality); :mod:`filiere.queries.common` turns the rows into results.
:class:`Neo4jReader` is the store's :class:`~filiere.queries.backend.StoreReader` (look-ups
and the rest in :mod:`filiere.queries.neo4j_lookups`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from neo4j import ManagedTransaction

from filiere.errors import NotFoundError
from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.schema import EU27
from filiere.i18n import _
from filiere.queries import common
from filiere.queries import neo4j_lookups as lk
from filiere.queries.backend import Row
from filiere.queries.common import ClosureItem, CountryGroup, ItemFacts, ProductionGroup
from filiere.queries.library import load
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


def _rows(store: Neo4jStore, name: str, **params: Any) -> list[dict[str, Any]]:
    return store.run_read(load(name).text, **params)


def _facts(row: dict[str, Any]) -> ItemFacts:
    return ItemFacts(
        item=row["item"],
        kind=row["kind"] or "",
        suppliers=tuple(sorted(row["suppliers"])),
        countries=tuple(
            CountryGroup(c, int(n), int(w), float(s)) for c, n, w, s in row["countries"]
        ),
        production=tuple(ProductionGroup(st, c, float(s)) for st, c, s in row["production"]),
    )


def _grouped_facts(
    item: str, kind: str | None, countries: list[Any], production: list[Any]
) -> ItemFacts:
    """An item's facts from ``[country, supplier ids, with share, share sum]`` groups and
    ``[stage, country, share]`` rows (opportunity_facts.cypher, closure_facts.cypher)."""
    return ItemFacts(
        item=item,
        kind=kind or "",
        suppliers=tuple(sorted(s for _c, ids, _w, _s in countries for s in ids)),
        countries=tuple(
            CountryGroup(c, len(ids), int(w), float(sh)) for c, ids, w, sh in countries
        ),
        production=tuple(ProductionGroup(st, c, float(sh)) for st, c, sh in production),
    )


def _exists(store: Neo4jStore, item: str) -> None:
    rows = store.run_read("MATCH (x:Item {id: $id}) RETURN x.id AS id", id=item)
    if not rows:
        raise NotFoundError(_("unknown item {item}").format(item=repr(item)))


def deps(store: Neo4jStore, product: str, settings: AnalysisSettings) -> DepsResult:
    rows = _rows(store, "deps", product=product)
    if not rows:
        raise NotFoundError(_("unknown item {item}").format(item=repr(product)))
    closure = {
        r["item"]: ClosureItem(_facts(r), int(r["depth"]), tuple(r["children"])) for r in rows
    }
    children = {item: c.children for item, c in closure.items()}
    risks = common.dependency_risks(closure, settings)
    best = common.k_best_paths(product, children, settings.max_paths)
    paths = {item: best[item] for item in risks}
    return common.deps_result(product, settings, closure, risks, paths)


def routes(
    store: Neo4jStore, item: str, region: str | None, settings: AnalysisSettings
) -> RoutesResult:
    _exists(store, item)
    return routes_many(store, [item], region, settings)[item]


def routes_many(
    store: Neo4jStore, items: Sequence[str], region: str | None, settings: AnalysisSettings
) -> dict[str, RoutesResult]:
    """The routes of several items in one read transaction (unknown ids are left out)."""
    found, sub_risk = _route_rows(store, "routes", items, region, settings)
    by_item: dict[str, list[Route]] = {x: [] for x in items}
    for r in found:
        by_item[r["item"]].append(_route(r, sub_risk))
    out = {}
    for x, found_routes in by_item.items():
        found_routes.sort(
            key=lambda r: common.route_sort_key(r.tier, r.kind, r.compatibility, r.supplier, r.via)
        )
        out[x] = RoutesResult(
            item=x, region=region, home_country=settings.home, routes=found_routes
        )
    return out


def route_summaries(
    store: Neo4jStore,
    items: Sequence[str],
    region: str | None,
    settings: AnalysisSettings,
    limit: int = 1,
) -> dict[str, common.RouteSummary]:
    """For each item, its number of routes per tier and its first ``limit`` routes (one read)."""
    found, sub_risk = _route_rows(
        store, "routes_summary", items, region, settings, limit=max(limit, 1)
    )
    counts: dict[str, tuple[int, int, int]] = {}
    first: dict[str, list[Route]] = {}
    for r in found:
        counts[r["item"]] = (int(r["tier1"]), int(r["tier2"]), int(r["tier3"]))
        first.setdefault(r["item"], []).append(_route(r, sub_risk))
    out = {}
    for x in sorted(set(items)):
        t1, t2, t3 = counts.get(x, (0, 0, 0))
        ranked = sorted(
            first.get(x, ()),
            key=lambda r: common.route_sort_key(r.tier, r.kind, r.compatibility, r.supplier, r.via),
        )
        out[x] = common.RouteSummary(t1, t2, t3, tuple(ranked[:limit]))
    return out


def _route_rows(
    store: Neo4jStore,
    query: str,
    items: Sequence[str],
    region: str | None,
    settings: AnalysisSettings,
    **extra: Any,
) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """The rows of a routes query, and whether each substitute they go through is at risk."""
    lat = lng = None
    if region:
        from filiere.graph.reference import region_info

        info = region_info(region)
        if info is not None:
            lat, lng = info.lat, info.lng

    def work(tx: ManagedTransaction) -> tuple[list[dict[str, Any]], list[Any]]:
        params = {
            "items": sorted(set(items)),
            "region": region,
            "regionLat": lat,
            "regionLng": lng,
            "home": settings.home,
            "eu": sorted(EU27),
            **extra,
        }
        # The rows hold plain values: dict() keeps them (Record.data() converts them again).
        found = [dict(r) for r in tx.run(load(query).text, params)]
        roots = sorted({r["via"] for r in found if r["kind"] == "substitute"})
        below = tx.run(load("closure_facts").text, {"roots": roots}).single(strict=True)
        return found, below["items"]

    found, facts = store.read(work)
    sub_risk: dict[str, bool] = {}
    for under, item, kind, countries, production in facts:
        risky = common.assess(_grouped_facts(item, kind, countries, production), settings).at_risk
        for root in under:
            sub_risk[root] = sub_risk.get(root, False) or risky
    return found, sub_risk


def _route(r: dict[str, Any], sub_risk: dict[str, bool]) -> Route:
    return Route(
        supplier=r["supplier"],
        kind=r["kind"],
        via=r["via"],
        tier=int(r["tier"]),
        country=r["country"],
        region=r["region"],
        compatibility=float(r["compatibility"]),
        substitute_at_risk=sub_risk[r["via"]] if r["kind"] == "substitute" else None,
        distance_km=r["distanceKm"],
    )


def closures(store: Neo4jStore) -> common.ProductClosures:
    """Every product's closure and the facts and BOM children of their items.

    Read level by level: the facts of the products, then of their children not yet read,
    and so on (``opportunity_facts``, one query per BOM level), so each item is read once
    however many products share it; the closures then follow from the children. (One
    breadth-first search per product in Cypher read every shared sub-assembly once per
    product: 9.4 million db hits on the benchmark graph against 3.7 million.)
    """

    def work(tx: ManagedTransaction) -> common.ProductClosures:
        products = [r["product"] for r in tx.run(load("opportunity_roots").text)]
        facts: dict[str, ItemFacts] = {}
        children: dict[str, list[tuple[str, float]]] = {}
        level = products
        while level:
            found = tx.run(load("opportunity_facts").text, {"items": level}).single(strict=True)
            for item, kind, below, countries, production in found["items"]:
                facts[item] = _grouped_facts(item, kind, countries, production)
                children[item] = sorted((c, float(q)) for c, q in below)
            level = sorted({c for x in level for c, _q in children.get(x, ())} - facts.keys())
        items = {p: _closure(p, children) for p in products}
        return common.ProductClosures(items, facts, children)

    return store.read(work)


def _closure(root: str, children: dict[str, list[tuple[str, float]]]) -> list[str]:
    """The sorted ids of ``root`` and every item under it."""
    seen = {root}
    todo = [root]
    while todo:
        for child, _quantity in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return sorted(seen)


def shock(store: Neo4jStore, spec: common.ShockSpec) -> ShockResult:
    countries = sorted(spec.countries)

    def work(tx: ManagedTransaction) -> ShockResult:
        params = {"countries": countries, "upstream": spec.upstream}
        facts = [r.data() for r in tx.run(load("shock_items").text, params)]
        loss = {}
        for row in facts:
            value = common.lost_share(_facts({**row, "kind": "", "suppliers": []}), spec)
            if value > 0:
                loss[row["item"]] = value
        product_items: dict[str, list[str]] = {}
        for r in tx.run(load("shock_products").text, {"items": sorted(loss)}):
            product_items.setdefault(r["product"], []).append(r["item"])
        cut = sorted(x for x, v in loss.items() if common.cut_at_source(v, spec))
        substitutes: dict[str, list[tuple[str, list[str]]]] = {}
        params = {"items": cut, "lossItems": sorted(loss)}
        for r in tx.run(load("shock_cut_items").text, params):
            substitutes.setdefault(r["item"], []).append((r["substitute"], list(r["below"])))
        return common.shock_result(spec, loss, dict(sorted(product_items.items())), substitutes)

    return store.read(work)


def critical(store: Neo4jStore) -> CriticalResult:
    rows = _rows(store, "critical")
    items = [
        CriticalItem(item=r["item"], dependent_products=int(r["dependentProducts"])) for r in rows
    ]
    items.sort(key=lambda x: (-x.dependent_products, x.item))
    return CriticalResult(items=items)


def bom(store: Neo4jStore, product: str) -> BomResult:
    rows = _rows(store, "bom", product=product)
    if not rows:
        raise NotFoundError(_("unknown item {item}").format(item=repr(product)))
    children = {r["item"]: [(c, float(q)) for c, q in r["children"]] for r in rows}
    qty = common.path_quantities(product, children)
    lines = [
        BomLine(
            item=r["item"], kind=r["kind"] or "", depth=int(r["depth"]), quantity=qty[r["item"]]
        )
        for r in rows
        if r["item"] != product
    ]
    lines.sort(key=lambda line: (line.depth, line.item))
    return BomResult(product=product, lines=lines)


def product_makers(store: Neo4jStore) -> list[common.ProductMakers]:
    rows = _rows(store, "opportunity_products")
    return [
        common.ProductMakers(
            product=r["product"],
            annual_volume=None if r["annualVolume"] is None else float(r["annualVolume"]),
            makers=tuple(sorted((str(s), reg) for s, reg in r["makers"])),
        )
        for r in rows
    ]


def item_values(store: Neo4jStore, items: list[str]) -> dict[str, common.ItemValue]:
    rows = _rows(store, "opportunity_items", items=sorted(set(items)))
    return {
        r["item"]: common.ItemValue(
            None if r["unitValue"] is None else float(r["unitValue"]),
            common.crma_value(r["crma"]),
        )
        for r in rows
    }


class Neo4jReader:
    """The Neo4j store's :class:`~filiere.queries.backend.StoreReader`."""

    def __init__(self, store: Neo4jStore) -> None:
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
        return False  # every read is a round trip to the server

    def warm(self) -> None:
        pass  # the server keeps its own caches

    def item_row(self, item_id: str) -> Row | None:
        return lk.item_row(self.store, item_id)

    def supplier_row(self, supplier_id: str) -> Row | None:
        return lk.supplier_row(self.store, supplier_id)

    def region_row(self, code: str) -> Row | None:
        return lk.region_row(self.store, code)

    def item_rows(self, kind: str | None, after: str | None, limit: int) -> list[Row]:
        return lk.item_rows(self.store, kind, after, limit)

    def region_rows(self, country: str | None, after: str | None, limit: int) -> list[Row]:
        return lk.region_rows(self.store, country, after, limit)

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
