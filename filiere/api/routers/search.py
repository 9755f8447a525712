"""``/search``: find items, suppliers, regions and countries by id or name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filiere.api.deps import AnalystKey, StoreDep
from filiere.queries import lookups

router = APIRouter(tags=["lookups"])


@router.get("/search", summary="Search by id or name")
def search(
    store: StoreDep,
    _key: AnalystKey,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, description="Text to find in ids and names."),
    ],
    type: Annotated[
        list[lookups.SearchType] | None,
        Query(description="Only these node types (repeat the parameter); default all."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000, description="Hits to skip.")] = 0,
) -> lookups.SearchPage:
    """Nodes whose id or name contains `q`, ignoring case and accents.

    Exact matches come first, then prefixes, then other matches; ties are in type
    order (item, supplier, region, country), then id order.
    """
    types = type or list(lookups.SEARCH_TYPES)
    return lookups.search(store, q, types=types, limit=limit, offset=offset)
