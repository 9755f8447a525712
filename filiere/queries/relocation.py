"""Relocation opportunities and buyer-supplier matches (docs/analyses.md, sections 6 and 7).

Both are built from what the other analyses compute on either store: ``deps`` gives
the at-risk items of each product's closure with their risk facts, ``bom`` the rolled-up
quantities, ``routes`` the local sourcing routes; the store adds its products' annual
volumes and makers (``opportunity_products.cypher``) and the items' unit values and CRM
Act listing (``opportunity_items.cypher``). Each product's bill of materials is explored
once, each at-risk item's routes are searched once: the cost grows with the bills of
materials involved, never with the number of BOM paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from filiere.graph.store import GraphStore
from filiere.queries.common import ItemValue, ProductMakers
from filiere.queries.models import (
    AnalysisSettings,
    Dependency,
    Match,
    MatchesResult,
    OpportunitiesResult,
    Opportunity,
    RouteCounts,
    RoutesResult,
    Unmatched,
)


@dataclass
class _Work:
    """Per-call caches: one ``deps``/``bom`` per product, one ``routes`` per item."""

    store: GraphStore
    settings: AnalysisSettings
    region: str | None
    risks: dict[str, dict[str, Dependency]] = field(default_factory=dict)
    quantities: dict[str, dict[str, float]] = field(default_factory=dict)
    found_routes: dict[str, RoutesResult] = field(default_factory=dict)

    def at_risk(self, product: str) -> dict[str, Dependency]:
        """The at-risk items of closure(product), by id."""
        from filiere import queries

        found = self.risks.get(product)
        if found is None:
            one_path = self.settings.model_copy(update={"max_paths": 1})
            result = queries.deps(self.store, product, one_path)
            found = {d.item: d for d in result.dependencies if d.at_risk}
            self.risks[product] = found
        return found

    def quantity(self, product: str, item: str) -> float:
        """The rolled-up BOM quantity of ``item`` in ``product`` (1 for the product itself)."""
        from filiere import queries

        if item == product:
            return 1.0
        found = self.quantities.get(product)
        if found is None:
            found = {x.item: x.quantity for x in queries.bom(self.store, product).lines}
            self.quantities[product] = found
        return found[item]

    def routes(self, item: str) -> RoutesResult:
        from filiere import queries

        found = self.found_routes.get(item)
        if found is None:
            found = queries.routes(self.store, item, self.region, self.settings)
            self.found_routes[item] = found
        return found


def opportunities(
    store: GraphStore,
    region: str | None,
    settings: AnalysisSettings,
    *,
    with_route: bool,
    top: int | None,
    makers: Callable[[GraphStore], list[ProductMakers]],
    values: Callable[[GraphStore, list[str]], dict[str, ItemValue]],
) -> OpportunitiesResult:
    """Every at-risk item that some product needs, most valuable first."""
    work = _Work(store, settings, region)
    products = makers(store)
    needed: dict[str, list[ProductMakers]] = {}
    facts: dict[str, Dependency] = {}
    for pm in products:
        for item, dep in work.at_risk(pm.product).items():
            needed.setdefault(item, []).append(pm)
            facts.setdefault(item, dep)
    worth = values(store, sorted(needed))
    rows = []
    for item in sorted(needed):
        pms = needed[item]
        dep = facts[item]
        value = worth.get(item, ItemValue(None, None))
        buyers = sorted({s for pm in pms for s, _ in pm.makers})
        local = sorted({s for pm in pms for s, w in pm.makers if region and w == region})
        terms = [
            pm.annual_volume * work.quantity(pm.product, item) * value.unit_value_eur
            for pm in pms
            if pm.annual_volume is not None and value.unit_value_eur is not None
        ]
        found = work.routes(item).routes
        rows.append(
            Opportunity(
                item=item,
                kind=dep.kind,
                crma=value.crma,
                single_country=dep.single_country,
                country=dep.country,
                upstream_country=dep.upstream_country,
                upstream_share=dep.upstream_share,
                products=sorted(pm.product for pm in pms),
                buyers=buyers,
                buyers_in_region=local,
                annual_value_eur=math.fsum(terms) if terms else None,
                routes=RouteCounts(
                    tier1=sum(r.tier == 1 for r in found),
                    tier2=sum(r.tier == 2 for r in found),
                    tier3=sum(r.tier == 3 for r in found),
                ),
                best_route=found[0] if found else None,
            )
        )
    if with_route:
        rows = [r for r in rows if r.best_route is not None]
    rows.sort(key=_opportunity_key)
    if top is not None:
        rows = rows[:top]
    return OpportunitiesResult(region=region, home_country=settings.home, opportunities=rows)


def _opportunity_key(o: Opportunity) -> tuple[bool, float, int, bool, int, str]:
    value = o.annual_value_eur
    tier = o.best_route.tier if o.best_route is not None else 0
    return (
        value is None,
        -(value or 0.0),
        -len(o.products),
        o.best_route is None,
        tier,
        o.item,
    )


def matches(
    store: GraphStore,
    region: str,
    settings: AnalysisSettings,
    *,
    makers: Callable[[GraphStore], list[ProductMakers]],
) -> MatchesResult:
    """For each firm of ``region`` and each product it makes, the routes of its at-risk items."""
    work = _Work(store, settings, region)
    made: dict[str, list[str]] = {}
    for pm in makers(store):
        for s, where in pm.makers:
            if where == region:
                made.setdefault(s, []).append(pm.product)
    found: list[Match] = []
    unmatched: list[Unmatched] = []
    for buyer in sorted(made):
        for product in sorted(made[buyer]):
            for item in sorted(work.at_risk(product)):
                routes = work.routes(item).routes
                if not routes:
                    unmatched.append(Unmatched(buyer=buyer, product=product, item=item))
                for r in routes:
                    found.append(
                        Match(
                            buyer=buyer,
                            product=product,
                            item=item,
                            supplier=r.supplier,
                            kind=r.kind,
                            via=r.via,
                            tier=r.tier,
                            distance_km=r.distance_km,
                            substitute_at_risk=r.substitute_at_risk,
                        )
                    )
    return MatchesResult(region=region, matches=found, unmatched=unmatched)
