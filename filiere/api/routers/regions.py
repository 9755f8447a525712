"""``/regions``: list regions, look one up, list its suppliers."""

from __future__ import annotations

from fastapi import APIRouter

from filiere.api.deps import AnalystKey, StoreDep
from filiere.api.routers._params import NOT_FOUND, CountryCode, Cursor, Limit, RegionPath
from filiere.queries import lookups

router = APIRouter(prefix="/regions", tags=["lookups"])


@router.get("", summary="List regions")
def list_regions(
    store: StoreDep,
    _key: AnalystKey,
    country: CountryCode = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> lookups.RegionPage:
    """Regions that hold data, in code order, a page at a time."""
    return lookups.list_regions(store, country=country, limit=limit, cursor=cursor)


@router.get("/{code}", summary="One region", responses=NOT_FOUND)
def get_region(store: StoreDep, _key: AnalystKey, code: RegionPath) -> lookups.RegionDetail:
    """A region and how many suppliers are located in it."""
    return lookups.get_region(store, code.upper())


@router.get("/{code}/suppliers", summary="Suppliers of a region", responses=NOT_FOUND)
def region_suppliers(
    store: StoreDep,
    _key: AnalystKey,
    code: RegionPath,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> lookups.SupplierPage:
    """The suppliers located in a region, in id order, a page at a time."""
    region = lookups.get_region(store, code.upper())
    filters = lookups.SupplierFilter(region=region.code)
    return lookups.list_suppliers(store, filters, limit=limit, cursor=cursor)
