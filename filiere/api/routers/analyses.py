"""``/analyses``: dependencies, routes, shock scenario, criticality and bill of materials.

Each answer is the model ``filiere <analysis> --format json`` prints, field for field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from filiere import queries as q
from filiere.api.deps import AnalystKey, SettingsDep, StoreDep, per_item
from filiere.api.problems import ApiProblem
from filiere.api.routers._params import NOT_FOUND, CountryCode, ItemId, RegionCode
from filiere.errors import ConfigError
from filiere.queries.models import (
    AnalysisSettings,
    BomResult,
    CriticalResult,
    DepsResult,
    MatchesResult,
    OpportunitiesResult,
    RoutesResult,
    ShockResult,
)

router = APIRouter(prefix="/analyses", tags=["analyses"])

T = TypeVar("T")
R = TypeVar("R")


async def analysis_settings(
    settings: SettingsDep,
    home: CountryCode = None,
    hhi: Annotated[
        float | None,
        Query(ge=0, le=1, description="HHI from which an item is concentrated."),
    ] = None,
    upstream_share: Annotated[
        float | None,
        Query(ge=0, le=1, description="World share making a material upstream-concentrated."),
    ] = None,
    max_paths: Annotated[
        int | None, Query(ge=1, le=100, description="BOM paths reported per dependency.")
    ] = None,
) -> AnalysisSettings:
    """The thresholds: the query's, else the server's defaults (home country from settings)."""
    given = {"hhi": hhi, "upstream_share": upstream_share, "max_paths": max_paths}
    return AnalysisSettings(
        home=home or settings.home_country, **{k: v for k, v in given.items() if v is not None}
    )


Thresholds = Annotated[AnalysisSettings, Depends(analysis_settings)]


class ShockRequest(BaseModel):
    """The countries whose supply stops."""

    countries: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1,
        max_length=100,
        description="ISO 3166-1 alpha-2 codes (CN); alpha-3 codes and names are accepted.",
    )
    cut: float = Field(
        1.0, gt=0, le=1, description="Fraction F of their supply that stops (1: all of it)."
    )
    upstream: bool = Field(
        False, description="Stop their share of world production (mines, refineries) too."
    )


def _checked(normalize: Callable[[T], R], value: T) -> R:
    """Run a normalizer of user input; its refusal is a 422, not a server error."""
    try:
        return normalize(value)
    except ConfigError as e:
        raise ApiProblem(422, "invalid-request", str(e)) from None


@router.get("/deps/{product}", summary="Dependencies of a product", responses=NOT_FOUND)
async def deps(
    store: StoreDep, _key: AnalystKey, product: ItemId, settings: Thresholds
) -> DepsResult:
    """The concentrated dependencies of a product's bill of materials, with its mapping gaps."""
    return await per_item(store, q.deps, store, product, settings)


@router.get("/routes/{item}", summary="Sourcing routes of an item", responses=NOT_FOUND)
async def routes(
    store: StoreDep,
    _key: AnalystKey,
    item: ItemId,
    settings: Thresholds,
    region: RegionCode = None,
) -> RoutesResult:
    """Suppliers that could replace or complement an item's sourcing, nearest to `region` first."""
    code = _checked(q.normalize_region, region) if region else None
    return await per_item(store, q.routes, store, item, region=code, settings=settings)


@router.post("/shock", summary="Shock scenario")
def shock(
    store: StoreDep, _key: AnalystKey, body: ShockRequest, settings: Thresholds
) -> ShockResult:
    """What a supply stop in the given countries cuts, fully or partly (`cut`), upstream or not."""
    countries = _checked(q.normalize_countries, body.countries)
    return q.shock(store, countries, settings=settings, cut=body.cut, upstream=body.upstream)


@router.get("/opportunities", summary="Relocation opportunities")
def opportunities(
    store: StoreDep,
    _key: AnalystKey,
    settings: Thresholds,
    region: RegionCode = None,
    with_route: Annotated[bool, Query(description="Only the items with a route.")] = False,
    top: Annotated[
        int | None, Query(ge=1, le=100_000, description="Only the first N opportunities.")
    ] = None,
) -> OpportunitiesResult:
    """At-risk items that products need, with their buyers, annual value and local routes."""
    code = _checked(q.normalize_region, region) if region else None
    return q.opportunities(store, code, settings, with_route=with_route, top=top)


@router.get("/matches", summary="Buyer-supplier matches")
def matches(
    store: StoreDep,
    _key: AnalystKey,
    settings: Thresholds,
    region: Annotated[
        str,
        Query(min_length=3, max_length=16, description="Region of the buyers, ISO 3166-2."),
    ],
    routes_per_item: Annotated[
        int,
        Query(
            ge=1,
            le=1000,
            description="How many routes to list per at-risk item (its first ones); the items "
            "with more are named in `more_routes`.",
        ),
    ] = q.ROUTES_PER_ITEM,
) -> MatchesResult:
    """For each firm of the region and product it makes: the first routes of its at-risk items."""
    code = _checked(q.normalize_region, region)
    return q.matches(store, code, settings, routes_per_item=routes_per_item)


@router.get("/critical", summary="Criticality")
def critical(store: StoreDep, _key: AnalystKey) -> CriticalResult:
    """Components and materials by number of products that contain them."""
    return q.critical(store)


@router.get("/bom/{product}", summary="Bill of materials", responses=NOT_FOUND)
async def bom(store: StoreDep, _key: AnalystKey, product: ItemId) -> BomResult:
    """Every item of a product's exploded bill of materials with its total quantity."""
    return await per_item(store, q.bom, store, product)
