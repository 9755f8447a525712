"""Relocation opportunities and buyer-supplier matches (docs/analyses.md, sections 6 and 7).

Both reuse what the other analyses compute, on either store: each product's closure
and the facts and BOM children of the items in it (``opportunity_facts.cypher``, the
facts of ``deps``, read level by level from the products on Neo4j),
from which the risk flags of ``deps`` and the rolled-up quantities of ``bom`` follow, and
the at-risk items' route counts and first routes (``routes_summary.cypher``, all of them
in one read). The store
adds its products' annual volumes and makers (``opportunity_products.cypher``) and the
items' unit values and CRM Act listing (``opportunity_items.cypher``). The cost grows
with the products' bills of materials and the at-risk items' routes, never with the
number of BOM paths.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from filiere import gcpause
from filiere.queries.backend import StoreReader
from filiere.queries.common import (
    ItemValue,
    ProductClosures,
    ProductMakers,
    Risk,
    assess,
    rounded,
)
from filiere.queries.models import (
    AnalysisSettings,
    Match,
    MatchesResult,
    MoreRoutes,
    OpportunitiesResult,
    Opportunity,
    RouteCounts,
    Unmatched,
)


@dataclass
class _Work:
    """What one call reads from the store: the products' closures and their items' facts."""

    settings: AnalysisSettings
    closures: ProductClosures
    risks: dict[str, Risk] = field(default_factory=dict)
    _at_risk: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Each item's flags once, however many closures hold it; only the at-risk ones kept.
        for item, facts in self.closures.facts.items():
            risk = assess(facts, self.settings)
            if risk.at_risk:
                self.risks[item] = risk

    def at_risk(self, product: str) -> list[str]:
        """The at-risk items of closure(product), in id order."""
        found = self._at_risk.get(product)
        if found is None:
            risks = self.risks
            found = [x for x in self.closures.items.get(product, ()) if x in risks]
            self._at_risk[product] = found
        return found


@gcpause.paused()
def opportunities(
    reader: StoreReader,
    region: str | None,
    settings: AnalysisSettings,
    *,
    with_route: bool,
    top: int | None,
) -> OpportunitiesResult:
    """Every at-risk item that some product needs, most valuable first.

    Only each item's number of routes per tier and its first route are needed, so the
    store counts the routes rather than listing them (``routes_summary.cypher``).
    """
    work = _Work(settings, reader.closures())
    products = reader.product_makers()
    needed: dict[str, list[ProductMakers]] = {}
    for pm in products:
        for item in work.at_risk(pm.product):
            needed.setdefault(item, []).append(pm)
    # The store counts the routes (on Neo4j, the server's work) while this thread sums
    # the values: the two no longer wait for each other.
    with ThreadPoolExecutor(max_workers=1) as pool:
        routes = pool.submit(reader.route_summaries, sorted(needed), region, settings, 1)
        worth = reader.item_values(sorted(needed))
        terms = _value_terms(work, products, worth)
        summary = routes.result()
    rows = []
    for item in sorted(needed):
        pms = needed[item]
        dep = work.risks[item]
        value = worth.get(item, ItemValue(None, None))
        buyers = sorted({s for pm in pms for s, _ in pm.makers})
        local = sorted({s for pm in pms for s, w in pm.makers if region and w == region})
        item_terms = terms.get(item)
        found = summary[item]
        rows.append(
            Opportunity(
                item=item,
                kind=work.closures.facts[item].kind,
                crma=value.crma,
                single_country=dep.single_country,
                country=dep.country,
                upstream_country=dep.upstream_country,
                upstream_share=dep.upstream_share,
                products=sorted(pm.product for pm in pms),
                buyers=buyers,
                buyers_in_region=local,
                annual_value_eur=math.fsum(item_terms) if item_terms else None,
                routes=RouteCounts(tier1=found.tier1, tier2=found.tier2, tier3=found.tier3),
                best_route=found.best,
            )
        )
    if with_route:
        rows = [r for r in rows if r.best_route is not None]
    rows.sort(key=_opportunity_key)
    if top is not None:
        rows = rows[:top]
    return OpportunitiesResult(region=region, home_country=settings.home, opportunities=rows)


def _value_terms(
    work: _Work, products: list[ProductMakers], worth: dict[str, ItemValue]
) -> dict[str, list[float]]:
    """The terms ``annual_volume(P) x quantity(P, X) x unit_value_eur(X)`` of each item X.

    Each product's rolled-up quantities are computed once, and only for the products with
    an annual volume and an at-risk item of known unit value; they are dropped as soon as
    read (kept for every product, they made the heap, and each garbage collection, grow).
    """
    terms: dict[str, list[float]] = {}
    for pm in products:
        if pm.annual_volume is None:
            continue
        valued = []
        for x in work.at_risk(pm.product):
            unit = worth.get(x, ItemValue(None, None)).unit_value_eur
            if unit is not None:
                valued.append((x, unit))
        if not valued:
            continue
        quantity = work.closures.quantities(pm.product)
        for x, unit in valued:
            terms.setdefault(x, []).append(pm.annual_volume * rounded(quantity[x]) * unit)
    return terms


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


@gcpause.paused()
def matches(
    reader: StoreReader,
    region: str,
    settings: AnalysisSettings,
    *,
    routes_per_item: int,
) -> MatchesResult:
    """For each firm of ``region`` and each product it makes, the routes of its at-risk items.

    Each item lists its first ``routes_per_item`` routes (``routes``' order); the items that
    have more are named in ``more_routes`` with their number of routes. On a national map an
    item needing one common process has thousands of capable firms, and listing them all
    for every buyer made a list of millions of rows: the bound keeps the list one an adviser
    can work through, and its size proportional to the buyers' bills of materials.
    """
    if routes_per_item < 1:
        raise ValueError("routes_per_item must be at least 1")
    made: dict[str, list[str]] = {}
    for pm in reader.product_makers():
        for s, where in pm.makers:
            if where == region:
                made.setdefault(s, []).append(pm.product)
    if not made:
        return MatchesResult(
            region=region, routes_per_item=routes_per_item, matches=[], unmatched=[], more_routes=[]
        )
    work = _Work(settings, reader.closures())
    wanted = sorted({x for ps in made.values() for p in ps for x in work.at_risk(p)})
    summary = reader.route_summaries(wanted, region, settings, routes_per_item)
    found: list[Match] = []
    unmatched: list[Unmatched] = []
    for buyer in sorted(made):
        for product in sorted(made[buyer]):
            for item in sorted(work.at_risk(product)):
                routes = summary[item].first
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
    more = [
        MoreRoutes(item=x, routes=summary[x].total)
        for x in wanted
        if summary[x].total > routes_per_item
    ]
    return MatchesResult(
        region=region,
        routes_per_item=routes_per_item,
        matches=found,
        unmatched=unmatched,
        more_routes=more,
    )
