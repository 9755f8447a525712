"""Recherche (``/recherche?q=``): items, suppliers, regions and countries by name or id,
ignoring case and accents, as the reader types (htmx swaps the results only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from filiere.api.deps import StoreDep
from filiere.queries import lookups
from filiere.web.auth import Viewer
from filiere.web.render import page_router, render

router = page_router()

#: Hits shown (the best first: exact, then prefix, then other matches).
LIMIT = 40


def hit_url(hit: lookups.SearchHit) -> str:
    """The page of a hit: a product's risk tree, an item, a supplier, a region, a shock.

    >>> hit_url(lookups.SearchHit(type="country", id="CN", match="exact"))
    '/choc?pays=CN'
    """
    from urllib.parse import quote

    key = quote(hit.id, safe="")
    if hit.type == "item":
        return f"/produits/{key}" if hit.detail == "product" else f"/articles/{key}"
    if hit.type == "supplier":
        return f"/fournisseurs/{key}"
    if hit.type == "region":
        return f"/region/{key}"  # /regions/{code} is the API's JSON
    return f"/choc?pays={key}"


@router.get("/recherche")
async def search(
    request: Request,
    store: StoreDep,
    viewer: Viewer,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The search page; an htmx request gets the results fragment only."""
    text = " ".join(q.split())
    hits: list[lookups.SearchHit] = []
    more = False
    if text:
        found = await run_in_threadpool(lookups.search, store, text, limit=LIMIT)
        hits, more = found.hits, found.next_offset is not None
    context = {"q": text, "hits": hits, "more": more, "hit_url": hit_url}
    if request.headers.get("HX-Request") == "true":
        return render(request, "search_results.html", context)
    return render(request, "search.html", context)
