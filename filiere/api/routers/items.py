"""``/items``: list items, look one up."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from filiere.api.deps import AnalystKey, StoreDep
from filiere.api.routers._params import NOT_FOUND, Cursor, ItemId, Limit
from filiere.queries import lookups

router = APIRouter(prefix="/items", tags=["lookups"])


@router.get("", summary="List items")
def list_items(
    store: StoreDep,
    _key: AnalystKey,
    kind: Annotated[
        Literal["product", "component", "material"] | None, Query(description="Only this kind.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> lookups.ItemPage:
    """Items in id order, a page at a time."""
    return lookups.list_items(store, kind=kind, limit=limit, cursor=cursor)


@router.get("/{item_id}", summary="One item", responses=NOT_FOUND)
def get_item(store: StoreDep, _key: AnalystKey, item_id: ItemId) -> lookups.ItemDetail:
    """An item with its suppliers (current and potential), children, parents and processes."""
    return lookups.get_item(store, item_id)
