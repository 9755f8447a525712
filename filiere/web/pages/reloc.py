"""Relocalisation (``/relocalisation?region=FR-BFC&avec_route=1&voies=20``): the page an
adviser works from, the relocation opportunities and the buyer-supplier matches of a region.

It calls :func:`filiere.queries.opportunities` and :func:`filiere.queries.matches`, names
firms and items as the report does (:func:`filiere.report.opps.named_opps`), and downloads
the opportunities as ``filiere opportunities --format csv`` prints them and as the report's
workbook sheets (Opportunities, and Matches with a region).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from openpyxl import Workbook
from starlette.concurrency import run_in_threadpool

from filiere import queries
from filiere.api.deps import StoreDep
from filiere.cli.opps_cmds import OPPORTUNITIES_CSV, opportunities_csv_rows
from filiere.cli.output import print_rows
from filiere.errors import FiliereError
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.names import region_name
from filiere.queries.models import AnalysisSettings, Match, Opportunity, Route
from filiere.report.opps import OppsFindings, named_opps, write_opps_sheets
from filiere.sources.geo import REGION_ISO
from filiere.spreadsheet import protect_workbook
from filiere.viz.routes import KIND_TEXT
from filiere.web.auth import Viewer
from filiere.web.common import analysis_settings
from filiere.web.render import PageError, page_router, render

router = page_router()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Bounds of ``voies`` (routes listed per at-risk item in the matches).
MIN_ROUTES, MAX_ROUTES = 1, 1000
#: Opportunities, introductions (and items without a route) and buyers per opportunity
#: the page shows (the downloads have them all): a national map can have thousands.
SHOWN_OPPORTUNITIES = 300
SHOWN_MATCHES = 2000
SHOWN_BUYERS = 12

RegionParam = Annotated[str | None, Query(alias="region", max_length=20)]
RouteFlag = Annotated[bool, Query(alias="avec_route")]
RoutesParam = Annotated[str | None, Query(alias="voies", max_length=20)]


def routes_per_item(voies: str | None) -> int:
    """The ``voies`` of the URL as a number of routes per item, checked (1..1000)."""
    if voies is None or not voies.strip():
        return queries.ROUTES_PER_ITEM
    text = voies.strip()
    if not text.isascii() or not text.isdigit() or not MIN_ROUTES <= int(text) <= MAX_ROUTES:
        raise PageError(
            400,
            _("The number of routes per item must be a whole number from {low} to {high}.").format(
                low=MIN_ROUTES, high=MAX_ROUTES
            ),
        )
    return int(text)


def checked_region(region: str | None) -> str | None:
    """The region of the URL as an ISO 3166-2 code, or ``None`` for the whole map."""
    if region is None or not region.strip():
        return None
    try:
        return queries.normalize_region(region)
    except FiliereError as exc:
        raise PageError(400, str(exc)) from exc


def region_choices(chosen: str | None) -> list[tuple[str, str]]:
    """``(code, name)`` of the French regions by name, and the chosen one if it is not one."""
    codes = sorted(set(REGION_ISO.values()))
    if chosen and chosen not in codes:
        codes.append(chosen)
    return sorted(((c, region_name(c) or c) for c in codes), key=lambda c: c[1])


@dataclass
class RouteView:
    """One route in words: who, where, how far, which tier, why it qualifies."""

    supplier: str
    name: str
    town: str
    tier: int
    distance_km: float | None
    why: str
    via: str | None  # the substitute, for a substitute route
    via_name: str
    substitute_at_risk: bool


@dataclass
class ItemMatches:
    """An at-risk item of a buyer's product with its routes (none: no route yet)."""

    item: str
    name: str
    routes: list[RouteView] = field(default_factory=list)
    total: int | None = None  # its number of routes, when more than the listed ones


@dataclass
class ProductMatches:
    product: str
    name: str
    items: list[ItemMatches] = field(default_factory=list)


@dataclass
class BuyerMatches:
    buyer: str
    name: str
    town: str
    products: list[ProductMatches] = field(default_factory=list)


def _route_view(r: Route | Match, names: OppsFindings) -> RouteView:
    name, town = names.firms.get(r.supplier, (r.supplier, ""))
    return RouteView(
        supplier=r.supplier,
        name=name,
        town=town,
        tier=r.tier,
        distance_km=r.distance_km,
        why=_(KIND_TEXT[r.kind]),
        via=r.via if r.kind == "substitute" else None,
        via_name=names.item(r.via),
        substitute_at_risk=bool(r.substitute_at_risk),
    )


def _opportunity_row(o: Opportunity, names: OppsFindings, region: str | None) -> dict[str, Any]:
    buyers = o.buyers_in_region if region else o.buyers
    return {
        "o": o,
        "name": names.item(o.item),
        "products": [(p, names.item(p)) for p in o.products],
        "buyers": [(b, *names.firms.get(b, (b, ""))) for b in buyers[:SHOWN_BUYERS]],
        "more_buyers": len(buyers) - min(len(buyers), SHOWN_BUYERS),
        "elsewhere": len(o.buyers) - len(o.buyers_in_region) if region else 0,
        "best": _route_view(o.best_route, names) if o.best_route else None,
    }


def _group_matches(names: OppsFindings) -> tuple[list[BuyerMatches], int]:
    """The matches as buyer -> product -> item -> routes, unmatched items included, and how
    many lines (introductions or items without a route) were left to the workbook."""
    found = names.matches
    assert found is not None
    totals = {m.item: m.routes for m in found.more_routes}
    shown = found.matches[:SHOWN_MATCHES]
    groups: dict[str, dict[str, dict[str, ItemMatches]]] = {}

    def slot(buyer: str, product: str, item: str) -> ItemMatches:
        items = groups.setdefault(buyer, {}).setdefault(product, {})
        if item not in items:
            items[item] = ItemMatches(item, names.item(item), total=totals.get(item))
        return items[item]

    for m in shown:
        slot(m.buyer, m.product, m.item).routes.append(_route_view(m, names))
    bare = found.unmatched[:SHOWN_MATCHES]
    for u in bare:
        slot(u.buyer, u.product, u.item)
    out = []
    for buyer in sorted(groups):
        name, town = names.firms.get(buyer, (buyer, ""))
        made = groups[buyer]
        products = [
            ProductMatches(p, names.item(p), [made[p][x] for x in sorted(made[p])])
            for p in sorted(made)
        ]
        out.append(BuyerMatches(buyer, name, town, products))
    return out, len(found.matches) - len(shown) + len(found.unmatched) - len(bare)


def _page(
    store: GraphStore, region: str | None, settings: AnalysisSettings, with_route: bool, n: int
) -> dict[str, Any]:
    opps = queries.opportunities(store, region, settings, with_route=with_route)
    matches = queries.matches(store, region, settings, routes_per_item=n) if region else None
    names = named_opps(store, opps, matches)
    rows = [_opportunity_row(o, names, region) for o in opps.opportunities[:SHOWN_OPPORTUNITIES]]
    context: dict[str, Any] = {
        "opportunities": rows,
        "opportunity_count": len(opps.opportunities),
        "matches": None,
        "unmatched_count": 0,
        "match_count": 0,
        "matches_hidden": 0,
    }
    if matches is not None:
        groups, hidden = _group_matches(names)
        context |= {
            "matches": groups,
            "match_count": len(matches.matches),
            "unmatched_count": len(matches.unmatched),
            "matches_hidden": hidden,
        }
    return context


@router.get("/relocalisation")
async def relocalisation(
    request: Request,
    store: StoreDep,
    _viewer: Viewer,
    region: RegionParam = None,
    avec_route: RouteFlag = False,
    voies: RoutesParam = None,
) -> Response:
    """Opportunities (of the region, or of the whole map) and, with a region, the matches."""
    code = checked_region(region)
    n = routes_per_item(voies)
    settings = analysis_settings(request)
    data = await run_in_threadpool(_page, store, code, settings, avec_route, n)
    query = request.url.query
    context = {
        **data,
        "region": code,
        "region_label": region_name(code) if code else None,
        "choices": region_choices(code),
        "with_route": avec_route,
        "voies": n,
        "default_voies": queries.ROUTES_PER_ITEM,
        "max_voies": MAX_ROUTES,
        "home_country": settings.home,
        "query": query,
        "shown_buyers": SHOWN_BUYERS,
    }
    return render(request, "relocalisation.html", context)


def opportunities_csv(
    store: GraphStore, region: str | None, settings: AnalysisSettings, with_route: bool
) -> bytes:
    """The opportunities as ``filiere opportunities --format csv`` prints them."""
    found = queries.opportunities(store, region, settings, with_route=with_route)
    out = io.StringIO()
    print_rows(opportunities_csv_rows(found), OPPORTUNITIES_CSV, "csv", out=out)
    return out.getvalue().encode("utf-8")


def opportunities_xlsx(
    store: GraphStore, region: str | None, settings: AnalysisSettings, with_route: bool, n: int
) -> bytes:
    """The report's Opportunities sheet, and its Matches sheet with a region."""
    found = queries.opportunities(store, region, settings, with_route=with_route)
    matches = queries.matches(store, region, settings, routes_per_item=n) if region else None
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    write_opps_sheets(wb, named_opps(store, found, matches))
    protect_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@router.get("/relocalisation/opportunites.{fmt}")
async def relocalisation_download(
    request: Request,
    store: StoreDep,
    _viewer: Viewer,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    region: RegionParam = None,
    avec_route: RouteFlag = False,
    voies: RoutesParam = None,
) -> Response:
    """The page's opportunities (and matches, in the workbook) as CSV or xlsx."""
    code = checked_region(region)
    n = routes_per_item(voies)
    settings = analysis_settings(request)
    stem = "opportunites" + (f"-{code}" if code else "")
    disposition = f'attachment; filename="{stem}.{fmt}"'
    if fmt == "csv":
        data = await run_in_threadpool(opportunities_csv, store, code, settings, avec_route)
        media = "text/csv; charset=utf-8"
    else:
        data = await run_in_threadpool(opportunities_xlsx, store, code, settings, avec_route, n)
        media = XLSX
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})
