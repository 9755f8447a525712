"""Settings and result models of the analyses; their JSON is the documented output shape.

Floats (shares, HHI, quantities) are rounded to :data:`DECIMALS` decimals, distances to
one decimal, so that both stores give byte-identical JSON.

>>> AnalysisSettings(home="fr").home
'FR'
>>> BomLine(item="A", kind="component", depth=1, quantity=1 / 3).quantity
0.333333
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from filiere.sources.trade_models import TradeDependency

#: Decimals kept on shares, HHI and quantities.
DECIMALS = 6


def _round6(v: float) -> float:
    return round(v, DECIMALS) + 0.0  # "+ 0.0" turns -0.0 into 0.0


def _round1(v: float) -> float:
    return round(v, 1) + 0.0


Rounded = Annotated[float, AfterValidator(_round6)]
Km = Annotated[float, AfterValidator(_round1)]

RouteKind = Literal["supplier", "substitute", "capability"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnalysisSettings(_Model):
    """The thresholds of the analyses (CLI options and API parameters)."""

    home: str = Field("FR", description="Home country, ISO 3166-1 alpha-2.")
    hhi: float = Field(
        0.4, ge=0, le=1, description="HHI at or above which an item is concentrated."
    )
    upstream_share: float = Field(
        0.65,
        ge=0,
        le=1,
        description="World share at or above which a material is upstream-concentrated.",
    )
    max_paths: int = Field(5, ge=1, le=100, description="BOM paths reported per dependency.")

    @field_validator("home", mode="before")
    @classmethod
    def _country(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip().upper()
            if len(v) != 2 or not v.isalpha():
                raise ValueError(f"home country must be an ISO alpha-2 code such as FR, not {v!r}")
        return v


# -- deps ------------------------------------------------------------------------------------


class Dependency(_Model):
    """An item of the product's BOM that is concentrated or upstream-concentrated."""

    item: str
    kind: str
    depth: int
    single_source: bool
    single_country: bool
    country: str | None
    hhi: Rounded | None
    upstream_concentrated: bool
    upstream_country: str | None
    upstream_share: Rounded | None
    at_risk: bool
    suppliers: list[str]
    paths: list[list[str]]
    #: Stage (``extraction``, ``processing``...) of the concentrated world production.
    upstream_stage: str | None = None
    #: Names beside the ids (filled by :func:`filiere.queries.names.with_names`).
    name: str | None = None
    country_name: str | None = None
    upstream_country_name: str | None = None
    supplier_names: list[str] = Field(default_factory=list)
    #: Trade dependency of the item's HS code (``filiere import baci``); left out when none.
    trade: TradeDependency | None = Field(None, exclude_if=lambda v: v is None)


class DepsResult(_Model):
    """``filiere deps``: the concentrated dependencies of a product and its mapping gaps."""

    product: str
    home_country: str
    dependencies: list[Dependency]
    gaps: list[str]
    product_name: str | None = None
    gap_names: list[str] = Field(default_factory=list)


# -- routes ----------------------------------------------------------------------------------


class Route(_Model):
    """A supplier that could replace or complement the current sourcing of an item."""

    supplier: str
    kind: RouteKind
    via: str
    tier: int
    country: str
    region: str | None
    compatibility: Rounded
    substitute_at_risk: bool | None
    distance_km: Km | None
    supplier_name: str | None = None
    city: str | None = None
    country_name: str | None = None
    region_name: str | None = None
    via_name: str | None = None


class RoutesResult(_Model):
    """``filiere routes``: local substitution routes for an item."""

    item: str
    region: str | None
    home_country: str
    routes: list[Route]
    item_name: str | None = None
    region_name: str | None = None
    home_country_name: str | None = None


# -- shock -----------------------------------------------------------------------------------


class PartialItem(_Model):
    """An item that loses part of its supply."""

    item: str
    lost_share: Rounded
    name: str | None = None


class ImpactedProduct(_Model):
    """A product hit by the shock, fully (``cut``) or partly."""

    product: str
    cut: bool
    cut_items: list[str]
    partial: list[PartialItem]
    #: 1 when cut, else the largest lost share of ``partial``.
    exposure: Rounded
    product_name: str | None = None
    cut_item_names: list[str] = Field(default_factory=list)


class RecoveryExposure(_Model):
    """How much the same shock hits a substitute: the largest lost share in its BOM."""

    item: str
    exposure: Rounded


class CutItem(_Model):
    """An item cut at source: the shocked countries held all of its supply."""

    item: str
    recoverable_via: list[str]
    recoverable_exposure: list[RecoveryExposure]
    name: str | None = None
    recoverable_via_names: list[str] = Field(default_factory=list)


class ShockResult(_Model):
    """``filiere shock``: what a supply stop in some countries cuts."""

    countries: list[str]
    #: The fraction F of the shocked countries' supply that stops (1: all of it).
    cut: Rounded = 1.0
    #: Whether their mines and refineries stop too (world production, ``PRODUCES``).
    upstream: bool = False
    impacted_products: list[ImpactedProduct]
    cut_items: list[CutItem]
    country_names: list[str] = Field(default_factory=list)


# -- critical --------------------------------------------------------------------------------


class CriticalItem(_Model):
    """A component or material and how many products contain it."""

    item: str
    dependent_products: int
    name: str | None = None


class CriticalResult(_Model):
    """``filiere critical``: items by number of dependent products."""

    items: list[CriticalItem]


# -- bom -------------------------------------------------------------------------------------


class BomLine(_Model):
    """One item of an exploded bill of materials."""

    item: str
    kind: str
    depth: int
    quantity: Rounded
    name: str | None = None


class BomResult(_Model):
    """``filiere bom``: every item of a product's BOM with its total quantity."""

    product: str
    lines: list[BomLine]
    product_name: str | None = None


# -- opportunities and matches ---------------------------------------------------------------


def _round2(v: float) -> float:
    return round(v, 2) + 0.0


Money = Annotated[float, AfterValidator(_round2)]


class RouteCounts(_Model):
    """How many routes of ``routes(X, R)`` fall in each tier."""

    tier1: int
    tier2: int
    tier3: int


class Opportunity(_Model):
    """An at-risk item that products need: who buys it, what it is worth, where to source it."""

    item: str
    kind: str
    crma: str | None
    single_country: bool
    country: str | None
    upstream_country: str | None
    upstream_share: Rounded | None
    products: list[str]
    buyers: list[str]
    buyers_in_region: list[str]
    annual_value_eur: Money | None
    routes: RouteCounts
    best_route: Route | None


class OpportunitiesResult(_Model):
    """``filiere opportunities``: the at-risk purchases worth relocating, most valuable first."""

    region: str | None
    home_country: str
    opportunities: list[Opportunity]


class Match(_Model):
    """A firm of the region that makes a product, an at-risk item of it, and a route for it."""

    buyer: str
    product: str
    item: str
    supplier: str
    kind: RouteKind
    via: str
    tier: int
    distance_km: Km | None
    substitute_at_risk: bool | None


class Unmatched(_Model):
    """An at-risk item of a product made in the region with no route at all."""

    buyer: str
    product: str
    item: str


class MoreRoutes(_Model):
    """An at-risk item with more routes than a match list shows: how many it has."""

    item: str
    routes: int


class MatchesResult(_Model):
    """``filiere matches``: buyer-supplier introductions within reach of a region."""

    region: str
    #: The most routes listed per at-risk item (its first ones, in ``routes``' order).
    routes_per_item: int
    matches: list[Match]
    unmatched: list[Unmatched]
    #: The items whose routes were cut to ``routes_per_item``, with their number of routes.
    more_routes: list[MoreRoutes]
