"""Carte (``/carte``), Article (``/articles/{id}``), Fournisseur (``/fournisseurs/{id}``) and
Région (``/region/{code}``, since ``/regions/{code}`` is the API's JSON): suppliers on a map
drawn from packaged outlines.

The pages call :mod:`filiere.viz.geodata` and :mod:`filiere.viz.itemdata` (map data, where
used, substitutes, production), :func:`filiere.queries.routes` and the look-ups; the map
script (``static/map.js``) only draws the GeoJSON it is given.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, Response
from fastapi.responses import JSONResponse
from markupsafe import Markup
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from filiere import queries
from filiere.api.deps import StoreDep
from filiere.errors import NotFoundError
from filiere.graph.processes import process_info
from filiere.graph.reference import normalize_name
from filiere.graph.store import GraphStore
from filiere.i18n import _, get_language
from filiere.names import country_name, region_name
from filiere.queries.lookups import RegionDetail, get_item, get_region, get_supplier
from filiere.queries.models import AnalysisSettings, Dependency, RoutesResult
from filiere.viz import geodata, itemdata
from filiere.viz.routes import KIND_TEXT, why_at_risk
from filiere.viz.style import tier_name
from filiere.web.auth import Viewer
from filiere.web.render import HEADERS, page_router, render

router = page_router()

Id = Annotated[str, Path(min_length=1, max_length=200)]
RegionCode = Annotated[str | None, Query(alias="region", max_length=20)]
View = Literal["france", "europe", "monde"]
_VIEWS = {"france": "france", "europe": "europe", "monde": "world"}


def json_block(value: BaseModel | dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>``, ``&`` escaped."""
    text = value.model_dump_json() if isinstance(value, BaseModel) else json.dumps(value)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # safe: the markup characters are escaped above


def map_labels() -> dict[str, Any]:
    """The words of the map's popups and legend, in the reader's language."""
    return {
        "groups": {
            "current": _("current supplier"),
            "tier1": tier_name(1),
            "tier2": tier_name(2),
            "tier3": tier_name(3),
            "firm": _("firm"),
        },
        "kinds": {kind: _(text) for kind, text in KIND_TEXT.items()},
        "substitute_at_risk": _("⚠ the substitute is itself at risk"),
        "approximate": _("approximate position"),
        "processes": _("masters:"),
        "suppliers": _("suppliers"),
        "attribution": _("Outlines: IGN Admin Express COG 2018, INSEE; Natural Earth"),
    }


def map_context(
    features: BaseModel, view: str = "fit", groups: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What the ``_map.html`` partial needs; ``groups`` are the legend's entries."""
    labels = map_labels()
    words = {**labels["groups"], "country": _("suppliers of the country")}
    return {
        "map_points": features,
        "map_features": json_block(features),
        "map_labels": json_block(labels),
        "map_view": view,
        "map_legend": [(g, words[g]) for g in groups],
        "kind_text": KIND_TEXT,
    }


ITEM_GROUPS = ("current", "tier1", "tier2", "tier3")


def process_label(pid: str) -> str:
    """A process's name in the reader's language (its French label in French)."""
    info = process_info(pid)
    return info.name_fr if info is not None and get_language() == "fr" else pid


def route_warnings(store: GraphStore, found: RoutesResult) -> dict[str, str]:
    """For each at-risk substitute of the routes, why it is at risk, in words."""
    warnings: dict[str, str] = {}
    for r in found.routes:
        if r.substitute_at_risk and r.via not in warnings:
            deps: list[Dependency] = queries.deps(store, r.via).dependencies
            reasons = "; ".join(why_at_risk(d) for d in deps if d.at_risk)
            warnings[r.via] = _(
                "Substitute {name} ({id}) is itself at risk ({reasons}): a route through it "
                "does not remove the dependency."
            ).format(name=r.via_name or r.via, id=r.via, reasons=reasons)
    return warnings


# -- outlines ----------------------------------------------------------------------------------


@router.get("/carte/contours/{name}.geojson")
async def outline(name: Literal["regions", "departements"], _viewer: Viewer) -> Response:
    """A packaged outline (regions carry their ISO 3166-2 code as ``iso``)."""
    data = await run_in_threadpool(geodata.outline, name)
    headers = {**HEADERS, "Cache-Control": "max-age=86400, private"}
    return JSONResponse(data, headers=headers, media_type="application/geo+json")


# -- Carte -------------------------------------------------------------------------------------


@cache
def region_links() -> tuple[tuple[str, str], ...]:
    """``(ISO code, name)`` of the regions with a packaged outline, by name: the map's
    region links for the keyboard (a click on an outline opens the same pages).

    >>> ("FR-BFC", "Bourgogne-Franche-Comté") in region_links()
    True
    """
    codes = {f["properties"].get("iso") for f in geodata.outline("regions")["features"]}
    named = ((c, region_name(c) or c) for c in codes if c)
    return tuple(sorted(named, key=lambda r: normalize_name(r[1])))


def _carte(store: GraphStore, article: str | None, region: str | None) -> dict[str, Any]:
    if article:
        found = queries.routes(store, article, region)
        features: BaseModel = geodata.item_map(store, article, region, found=found)
        return {"item_map": features, "world": None}
    return {"item_map": None, "world": geodata.world_map(store)}


@router.get("/carte")
async def carte(
    request: Request,
    store: StoreDep,
    _viewer: Viewer,
    article: Annotated[str | None, Query(max_length=200)] = None,
    region: RegionCode = None,
    vue: View | None = None,
) -> Response:
    """Suppliers on the map: by country, or an item's current suppliers and local candidates."""
    article = article.strip() or None if article else None
    region = region.strip() or None if region else None
    facts = await run_in_threadpool(_carte, store, article, region)
    shown = facts["item_map"] or facts["world"]
    view = _VIEWS[vue] if vue else ("fit" if article else "europe")
    context = {
        **facts,
        **map_context(shown, view, ITEM_GROUPS if article else ("country",)),
        "article": article,
        "region": region,
        "vue": vue,
        "region_links": region_links(),
    }
    return render(request, "carte.html", context)


# -- Article -----------------------------------------------------------------------------------


def _article(store: GraphStore, item: str, region: str | None) -> dict[str, Any]:
    detail = get_item(store, item)
    found = queries.routes(store, item, region, AnalysisSettings())
    context = itemdata.item_context(store, item)
    features = geodata.item_map(store, item, region, found=found)
    production = context.latest_production()
    return {
        "item": detail,
        "routes": found,
        "context": context,
        "production": production,
        "top_share": max((p.share for p in production), default=1.0) or 1.0,
        "warnings": route_warnings(store, found),
        **map_context(features, groups=ITEM_GROUPS),
    }


@router.get("/articles/{item}")
async def article(
    request: Request, store: StoreDep, _viewer: Viewer, item: Id, region: RegionCode = None
) -> Response:
    """An item: suppliers, where used, substitutes, world production, local routes, map."""
    region = region.strip() or None if region else None
    facts = await run_in_threadpool(_article, store, item, region)
    return render(request, "article.html", {**facts, "region": region})


# -- Fournisseur -------------------------------------------------------------------------------


def _fournisseur(store: GraphStore, supplier: str) -> dict[str, Any]:
    detail = get_supplier(store, supplier)
    return {
        "supplier": detail,
        "makes": itemdata.supplier_makes(store, supplier),
        "processes": [(p.id, process_label(p.id)) for p in detail.processes],
        **map_context(geodata.supplier_map(store, supplier), groups=("firm",)),
    }


@router.get("/fournisseurs/{supplier}")
async def fournisseur(request: Request, store: StoreDep, _viewer: Viewer, supplier: Id) -> Response:
    """A firm: where it is, what it supplies, offers and makes, the processes it masters."""
    facts = await run_in_threadpool(_fournisseur, store, supplier)
    return render(request, "fournisseur.html", facts)


# -- Région ------------------------------------------------------------------------------------


def _mapped_region(code: str) -> RegionDetail | None:
    """A region of the map's outlines that the store does not hold: no firm yet."""
    name = dict(region_links()).get(code.strip().upper())
    if name is None:
        return None
    code = code.strip().upper()
    return RegionDetail(
        code=code, name=name, country="FR", country_name=country_name("FR"), supplier_count=0
    )


def _region(store: GraphStore, code: str) -> dict[str, Any]:
    try:
        firms = geodata.region_map(store, code)
        detail = get_region(store, firms.region)
    except NotFoundError:  # a click on the map may land on a region with no firm
        empty = _mapped_region(code)
        if empty is None:
            raise
        detail = empty
        firms = geodata.RegionMap(features=[], region=detail.code, region_name=detail.name)
    return {
        "region": detail,
        "firms": firms,
        "process_label": process_label,
        **map_context(firms, groups=("firm",)),
    }


@router.get("/region/{code}")
async def region_page(request: Request, store: StoreDep, _viewer: Viewer, code: Id) -> Response:
    """A region: its firms and the processes they master, on the map."""
    facts = await run_in_threadpool(_region, store, code)
    return render(request, "region.html", facts)
