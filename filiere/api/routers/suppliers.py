"""``/suppliers``: list suppliers by region, country, process or NAF code; look one up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filiere.api.deps import AnalystKey, StoreDep
from filiere.api.routers._params import (
    NOT_FOUND,
    CountryCode,
    Cursor,
    Limit,
    RegionCode,
    SupplierId,
)
from filiere.queries import lookups

router = APIRouter(prefix="/suppliers", tags=["lookups"])


@router.get("", summary="List suppliers")
def list_suppliers(
    store: StoreDep,
    _key: AnalystKey,
    region: RegionCode = None,
    country: CountryCode = None,
    process: Annotated[
        str | None, Query(min_length=1, max_length=200, description="A process they master.")
    ] = None,
    naf: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=10,
            description="NAF code or prefix, dots optional (25.62A, 2562, 25).",
        ),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> lookups.SupplierPage:
    """Suppliers in id order that pass every filter given, a page at a time."""
    filters = lookups.SupplierFilter(region=region, country=country, process=process, naf=naf)
    return lookups.list_suppliers(store, filters, limit=limit, cursor=cursor)


@router.get("/{supplier_id}", summary="One supplier", responses=NOT_FOUND)
def get_supplier(
    store: StoreDep, _key: AnalystKey, supplier_id: SupplierId
) -> lookups.SupplierDetail:
    """A supplier with its location, processes and the items it supplies or offers."""
    return lookups.get_supplier(store, supplier_id)
