"""Choc (``/choc?pays=CN&pays=DE&part=50&amont=1``): pick countries by name, see the
products cut and dented, the items cut at source and their recoveries, and the view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from filiere import queries, wording
from filiere.api.deps import StoreDep
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.queries.models import AnalysisSettings, ShockResult
from filiere.queries.recovery import recovery_text, substitutes_at_risk
from filiere.queries.summary import store_summary
from filiere.viz import shock_view
from filiere.web.auth import Viewer
from filiere.web.common import analysis_settings, view_response
from filiere.web.render import PageError, page_router, render

router = page_router()

#: Countries one scenario may name, and the longest name read.
MAX_COUNTRIES = 30
MAX_NAME = 100
#: Supplier countries offered as check boxes.
OFFERED = 16

Countries = Annotated[list[str], Query()]
Part = Annotated[int, Query(ge=1, le=100)]


def scenario(pays: list[str]) -> list[str]:
    """The countries named in the URL (empty fields dropped), checked and bounded."""
    named = [p.strip() for p in pays if p.strip()]
    if len(named) > MAX_COUNTRIES:
        raise PageError(
            422, _("Name at most {n} countries in one scenario.").format(n=MAX_COUNTRIES)
        )
    if any(len(p) > MAX_NAME for p in named):
        raise PageError(422, _("A country name is too long."))
    return queries.normalize_countries(named) if named else []


def _run(
    store: GraphStore, codes: list[str], settings: AnalysisSettings, part: int, upstream: bool
) -> tuple[ShockResult, set[str]]:
    result = queries.shock(store, codes, settings, cut=part / 100, upstream=upstream)
    return result, substitutes_at_risk(store, result, settings)


def _rows(result: ShockResult, risky: set[str]) -> dict[str, Any]:
    products = [
        {
            "p": p,
            "cut": [
                {"id": i, "name": n}
                for n, i in zip(p.cut_item_names or p.cut_items, p.cut_items, strict=True)
            ],
            "partial": [
                {"id": x.item, "name": x.name or x.item, "lost": wording.pct(x.lost_share)}
                for x in p.partial
            ],
        }
        for p in result.impacted_products
    ]
    items = []
    for c in result.cut_items:
        names = dict(zip(c.recoverable_via, c.recoverable_via_names, strict=False))
        items.append(
            {
                "c": c,
                "recoveries": [
                    recovery_text(r, r.item in risky, wording.named(names.get(r.item), r.item))
                    for r in c.recoverable_exposure
                ],
            }
        )
    return {"products": products, "items": items}


@router.get("/choc")
async def shock_page(
    request: Request,
    store: StoreDep,
    viewer: Viewer,
    pays: Countries = [],  # noqa: B006 - FastAPI copies the default
    part: Part = 100,
    amont: bool = False,
) -> Response:
    """The scenario form; with countries, the products and items it cuts."""
    codes = scenario(pays)
    summary = await run_in_threadpool(store_summary, store, countries=OFFERED)
    offered = [c.country for c in summary.supplier_countries]
    offered += [c for c in codes if c not in offered]
    context: dict[str, Any] = {
        "codes": codes,
        "offered": offered,
        "part": part,
        "amont": amont,
        "result": None,
        "query": request.url.query,
    }
    if codes:
        settings = analysis_settings(request)
        result, risky = await run_in_threadpool(_run, store, codes, settings, part, amont)
        context |= {"result": result, **_rows(result, risky)}
        context["scenario"] = wording.countries_text(result.countries)
        context["cut_count"] = sum(p.cut for p in result.impacted_products)
    return render(request, "shock.html", context)


@router.get("/choc/graphe")
async def shock_graph(
    request: Request,
    store: StoreDep,
    viewer: Viewer,
    pays: Countries = [],  # noqa: B006
    part: Part = 100,
    amont: bool = False,
) -> Response:
    """The shock view (``filiere viz shock``), shown in the shock page's frame."""
    codes = scenario(pays)
    if not codes:
        raise PageError(422, _("give at least one country"))
    settings = analysis_settings(request)

    def build() -> str:
        result = queries.shock(store, codes, settings, cut=part / 100, upstream=amont)
        return shock_view(store, codes, settings, result=result).html()

    return view_response(await run_in_threadpool(build))
