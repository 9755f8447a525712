"""Map data: GeoJSON of suppliers for the workspace's map, on either store.

- :func:`item_map`: an item's current suppliers and its local route candidates
  (:func:`filiere.queries.routes`), one point per supplier with its tier and why it
  qualifies;
- :func:`region_map`: the firms of a region and the processes they master;
- :func:`world_map`: the number of suppliers of each country.

A supplier is placed at its own ``lat``/``lon``; else at another mapped supplier's
position in the same town; else at its region's centre (ISO 3166-2 reference, or the
packaged outline); else at its country's (the median of its subdivisions' centres).
``position`` says which, so that a page can say "position approximative". The outlines
themselves are packaged files (:func:`outline`). Nothing here depends on the language:
names of countries are French, as in every JSON result.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from itertools import pairwise
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from filiere.errors import NotFoundError
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.names import region_name
from filiere.queries.models import AnalysisSettings, RouteKind, RoutesResult
from filiere.queries.names import JSON_LANGUAGE

#: Most firms a region map shows (the first ones in id order); ``truncated`` says so.
MAX_REGION_FIRMS = 2000

Position = Literal["exact", "town", "region", "country", "unknown"]
#: How a point is drawn: the item's current suppliers, or route candidates by tier.
Group = Literal["current", "tier1", "tier2", "tier3", "firm"]
OutlineName = Literal["regions", "departements"]

P = TypeVar("P", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Point(_Model):
    """A GeoJSON point: ``[longitude, latitude]``."""

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]


class Feature(_Model, Generic[P]):
    """A GeoJSON feature; ``geometry`` is null when no position is known at all."""

    type: Literal["Feature"] = "Feature"
    geometry: Point | None
    properties: P


class FeatureCollection(_Model, Generic[P]):
    """A GeoJSON feature collection; ``truncated`` when a bound left features out."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature[P]]
    truncated: bool = False


class RouteReason(_Model):
    """Why a supplier qualifies as a local route (one of :class:`filiere.queries.models.Route`)."""

    kind: RouteKind
    via: str
    via_name: str | None
    tier: int
    compatibility: float
    substitute_at_risk: bool | None
    distance_km: float | None


class SupplierPlace(_Model):
    """Where a supplier is and what it is on this map."""

    supplier: str
    name: str | None
    city: str | None
    country: str | None
    country_name: str | None
    region: str | None
    region_name: str | None
    position: Position
    group: Group
    #: The item's current supplier (``SUPPLIES``), with its share when known.
    current: bool = False
    share: float | None = None
    #: The best (lowest) tier of its routes: 1 region, 2 home country, 3 EU.
    tier: int | None = None
    routes: list[RouteReason] = []
    #: Processes the firm masters (region map): canonical ids.
    processes: list[str] = []


class CountryCount(_Model):
    """The suppliers of one country (world map)."""

    country: str
    country_name: str | None
    suppliers: int
    position: Position


class ItemMap(FeatureCollection[SupplierPlace]):
    """:func:`item_map`'s answer."""

    item: str
    item_name: str | None
    region: str | None
    region_name: str | None


class RegionMap(FeatureCollection[SupplierPlace]):
    """:func:`region_map`'s answer."""

    region: str
    region_name: str | None


# -- positions ---------------------------------------------------------------------------------


def _country_name(code: str | None) -> str | None:
    from filiere.names import country_name

    return country_name(code, JSON_LANGUAGE)


@cache
def outline(name: OutlineName) -> dict[str, Any]:
    """A packaged outline (GeoJSON); each region feature also gets its ISO 3166-2 ``iso``."""
    from filiere.sources.geo import REGION_ISO

    text = (files("filiere.data") / "geo" / f"{name}-contours.geojson").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    if name == "regions":
        for f in data["features"]:
            f["properties"]["iso"] = REGION_ISO.get(f["properties"]["code"])
    return data


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """Area-weighted centroid ``(lon, lat, |area|)`` of a closed ring (plane formula)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a == 0:
        return ring[0][0], ring[0][1], 0.0
    return cx / (3 * a), cy / (3 * a), abs(a / 2)


@cache
def _outline_centres() -> dict[str, tuple[float, float]]:
    """ISO region code -> ``(lat, lon)`` of its largest outline ring's centroid."""
    centres: dict[str, tuple[float, float]] = {}
    for f in outline("regions")["features"]:
        geom = f["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        lon, lat, _area = max((_ring_centroid(p[0]) for p in polygons), key=lambda c: c[2])
        if f["properties"]["iso"]:
            centres[f["properties"]["iso"]] = (lat, lon)
    return centres


def region_centre(code: str | None) -> tuple[float, float] | None:
    """``(lat, lon)`` of a region: its ISO 3166-2 reference position, else its outline's."""
    if not code:
        return None
    from filiere.graph.reference import region_info

    info = region_info(code)
    if info is not None and info.lat is not None and info.lng is not None:
        return info.lat, info.lng
    return _outline_centres().get(code.upper())


@cache
def country_centre(code: str | None) -> tuple[float, float] | None:
    """``(lat, lon)`` of a country: the median of its subdivisions' reference positions.

    The median keeps far territories (overseas departments) from pulling the point away.
    """
    if not code:
        return None
    from filiere.graph.reference import _subdivisions

    spots = [e.get("latLng") for e in _subdivisions(code.upper()).values()]
    pairs = [(s[0], s[1]) for s in spots if s and s[0] is not None and s[1] is not None]
    if not pairs:
        return None
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


Towns = dict[tuple[str, str], tuple[float, float]]


def _place(props: dict[str, Any], towns: Towns) -> tuple[Point | None, Position]:
    """``(Point | None, position)`` of a supplier (see the module's docstring)."""
    lat, lon = _number(props.get("lat")), _number(props.get("lon"))
    if lat is not None and lon is not None:
        return Point(coordinates=(lon, lat)), "exact"
    town = towns.get(_town_key(props))
    if town is not None:
        return Point(coordinates=(town[1], town[0])), "town"
    region = region_centre(props.get("region"))
    if region is not None:
        return Point(coordinates=(region[1], region[0])), "region"
    country = country_centre(props.get("country"))
    if country is not None:
        return Point(coordinates=(country[1], country[0])), "country"
    return None, "unknown"


def _town_key(props: dict[str, Any]) -> tuple[str, str]:
    from filiere.queries.lookups import fold

    return str(props.get("country") or ""), fold(str(props.get("city") or "").strip())


def _towns(suppliers: Iterable[dict[str, Any]]) -> Towns:
    """Positions of towns known from suppliers that have their own coordinates."""
    towns: Towns = {}
    for props in suppliers:
        lat, lon = _number(props.get("lat")), _number(props.get("lon"))
        key = _town_key(props)
        if lat is not None and lon is not None and key[1]:
            towns.setdefault(key, (lat, lon))
    return towns


def _feature(sid: str, props: dict[str, Any], towns: Towns, **extra: Any) -> Feature[SupplierPlace]:
    geometry, position = _place(props, towns)
    place = SupplierPlace(
        supplier=sid,
        name=props.get("name"),
        city=props.get("city"),
        country=props.get("country"),
        country_name=_country_name(props.get("country")),
        region=props.get("region"),
        region_name=region_name(props.get("region")),
        position=position,
        **extra,
    )
    return Feature[SupplierPlace](geometry=geometry, properties=place)


# -- maps --------------------------------------------------------------------------------------


def item_map(
    store: GraphStore,
    item: str,
    region: str | None = None,
    settings: AnalysisSettings | None = None,
    found: RoutesResult | None = None,
) -> ItemMap:
    """The current suppliers of ``item`` and its route candidates (tiers relative to ``region``).

    One point per supplier, current suppliers first then by tier and id; a current
    supplier that is also a route candidate (it supplies a substitute) keeps both.
    ``found`` is ``routes(store, item, region, settings)`` when the caller has it already.
    :class:`NotFoundError` when there is no such item.
    """
    from filiere.queries import routes
    from filiere.queries.lookups import get_item

    detail = get_item(store, item)
    if found is None:
        found = routes(store, item, region, settings or AnalysisSettings())
    current = {s.id: s.share for s in detail.suppliers if s.relation == "supplies"}
    reasons: dict[str, list[RouteReason]] = {}
    for r in found.routes:
        reasons.setdefault(r.supplier, []).append(
            RouteReason(
                kind=r.kind,
                via=r.via,
                via_name=r.via_name,
                tier=r.tier,
                compatibility=r.compatibility,
                substitute_at_risk=r.substitute_at_risk,
                distance_km=r.distance_km,
            )
        )
    props = store.get_nodes(Label.SUPPLIER, sorted({*current, *reasons}))
    towns = _towns(props.values())
    features = []
    for sid, p in props.items():
        rs = reasons.get(sid, [])
        tier = min((r.tier for r in rs), default=None)
        group: Group = "current" if sid in current else f"tier{tier}"  # type: ignore[assignment]
        features.append(
            _feature(
                sid,
                p,
                towns,
                group=group,
                current=sid in current,
                share=current.get(sid),
                tier=tier,
                routes=rs,
            )
        )
    order = {"current": 0, "tier1": 1, "tier2": 2, "tier3": 3}
    features.sort(key=lambda f: (order[f.properties.group], f.properties.supplier))
    return ItemMap(
        features=features,
        item=item,
        item_name=detail.name,
        region=found.region,
        region_name=found.region_name,
    )


def supplier_map(store: GraphStore, supplier: str) -> FeatureCollection[SupplierPlace]:
    """One point: where ``supplier`` is (:class:`NotFoundError` when there is no such firm)."""
    props = store.get_nodes(Label.SUPPLIER, [supplier])
    if supplier not in props:
        raise NotFoundError(_("no supplier {supplier}").format(supplier=repr(supplier)))
    feature = _feature(supplier, props[supplier], {}, group="firm")
    return FeatureCollection[SupplierPlace](features=[feature])


def region_map(store: GraphStore, region: str, limit: int = MAX_REGION_FIRMS) -> RegionMap:
    """The firms located in ``region`` (the first ``limit`` in id order) and their processes.

    :class:`NotFoundError` when the store holds no such region.
    """
    from filiere.queries import normalize_region

    code = normalize_region(region)
    rows = store.reader.region_firms(code, limit + 1)
    if rows is None:
        raise NotFoundError(_("no region {region}").format(region=repr(code)))
    truncated = len(rows) > limit
    rows = rows[:limit]
    props = store.get_nodes(Label.SUPPLIER, [r["id"] for r in rows])
    towns = _towns(props.values())
    features = [
        _feature(r["id"], props[r["id"]], towns, group="firm", processes=list(r["processes"]))
        for r in rows
        if r["id"] in props
    ]
    return RegionMap(
        features=features, truncated=truncated, region=code, region_name=region_name(code)
    )


def world_map(store: GraphStore) -> FeatureCollection[CountryCount]:
    """One point per country that has suppliers, at its centre, with their number."""
    rows = store.reader.supplier_countries()
    features = []
    for r in rows:
        centre = country_centre(r["country"])
        features.append(
            Feature[CountryCount](
                geometry=Point(coordinates=(centre[1], centre[0])) if centre else None,
                properties=CountryCount(
                    country=r["country"],
                    country_name=_country_name(r["country"]),
                    suppliers=int(r["suppliers"]),
                    position="country" if centre else "unknown",
                ),
            )
        )
    return FeatureCollection[CountryCount](features=features)
