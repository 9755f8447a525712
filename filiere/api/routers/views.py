"""``/views``: the interactive views of ``filiere viz`` as self-contained HTML pages.

Each answers ``text/html`` (its scripts inlined, no CDN; the supply tree is a layered
Cytoscape.js + ELK graph): open the URL in a browser, or save the page and send it.
Same thresholds as ``/analyses`` (analyst role).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from filiere import queries as q
from filiere.api.deps import AnalystKey, StoreDep
from filiere.api.routers._params import NOT_FOUND, ItemId, RegionCode
from filiere.api.routers.analyses import Thresholds, _checked
from filiere.viz import DEFAULT_MAX_NODES, deps_view, routes_view, shock_view

router = APIRouter(prefix="/views", tags=["views"])

_HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "A self-contained HTML page."}
}

MaxNodes = Annotated[
    int,
    Query(ge=10, le=2000, description="Node budget: bigger views are pruned, with a note."),
]
Hierarchical = Annotated[
    bool,
    Query(
        description="Routes view only: top-down levels instead of physics (the supply tree "
        "and the shock are always layered, left to right)."
    ),
]


def _page(html: str) -> HTMLResponse:
    # The page forbids every fetch itself (CSP meta); the header repeats it for browsers
    # that read headers only, and keeps the page out of other sites' frames.
    return HTMLResponse(
        html,
        headers={
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/deps/{product}",
    summary="Supply tree of a product (HTML)",
    response_class=HTMLResponse,
    responses={**_HTML, **NOT_FOUND},
)
def deps(
    store: StoreDep,
    _key: AnalystKey,
    product: ItemId,
    settings: Thresholds,
    hierarchical: Hierarchical = False,
    max_nodes: MaxNodes = DEFAULT_MAX_NODES,
) -> HTMLResponse:
    """The product's supply tree coloured by kind and risk, at-risk paths highlighted."""
    view = deps_view(store, product, settings, hierarchical=hierarchical, max_nodes=max_nodes)
    return _page(view.html())


@router.get(
    "/routes/{item}",
    summary="Local routes of an item (HTML)",
    response_class=HTMLResponse,
    responses={**_HTML, **NOT_FOUND},
)
def routes(
    store: StoreDep,
    _key: AnalystKey,
    item: ItemId,
    settings: Thresholds,
    region: RegionCode = None,
    hierarchical: Hierarchical = False,
    max_nodes: MaxNodes = DEFAULT_MAX_NODES,
) -> HTMLResponse:
    """The item and its candidate routes, coloured by tier."""
    code = _checked(q.normalize_region, region) if region else None
    view = routes_view(store, item, code, settings, hierarchical=hierarchical, max_nodes=max_nodes)
    return _page(view.html())


@router.get("/shock", summary="Shock scenario (HTML)", response_class=HTMLResponse, responses=_HTML)
def shock(
    store: StoreDep,
    _key: AnalystKey,
    settings: Thresholds,
    country: Annotated[
        list[str],
        Query(min_length=1, max_length=100, description="Shocked country; repeat for several."),
    ],
    hierarchical: Hierarchical = False,
    max_nodes: MaxNodes = DEFAULT_MAX_NODES,
) -> HTMLResponse:
    """What a supply stop in the given countries cuts (red) and dents (orange)."""
    countries = _checked(q.normalize_countries, country)
    view = shock_view(store, countries, settings, hierarchical=hierarchical, max_nodes=max_nodes)
    return _page(view.html())
