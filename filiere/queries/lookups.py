"""Look-ups: one item, supplier or region; lists with filters and pages; search by id or name.

Each function answers the same on both stores: the store's reader
(:class:`filiere.queries.backend.StoreReader`) gives the rows, natively (Cypher
``cypher/lookup_*.cypher`` on Neo4j, ``SELECT`` s on the embedded store's file), and this module
turns them into models. Lists are in key order and paged with an opaque ``cursor`` (the
last key seen); search is ranked (exact, prefix, substring) and paged with an ``offset``.

>>> fold("Société Générale d'Électricité")
"societe generale d'electricite"
>>> decode_cursor(encode_cursor("S-42"))
'S-42'
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from filiere.errors import FiliereError, NotFoundError
from filiere.folding import FOLDS as FOLDS  # re-exported, as fold: search folds with them
from filiere.folding import fold as fold
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.ingest.build import process_id

MAX_LIMIT = 1000
#: The longest search text, in characters (spaces collapsed): the API's own bound too.
MAX_NEEDLE = 200
SearchType = Literal["item", "supplier", "region", "country"]
SEARCH_TYPES: tuple[SearchType, ...] = ("item", "supplier", "region", "country")
SEARCH_LABEL: dict[str, Label] = {
    "item": Label.ITEM,
    "supplier": Label.SUPPLIER,
    "region": Label.REGION,
    "country": Label.COUNTRY,
}


class InvalidLookup(FiliereError):
    """A look-up's arguments are wrong (a malformed cursor, a limit out of range...)."""


# -- models -----------------------------------------------------------------------------------


class ItemSummary(BaseModel):
    id: str
    name: str | None = None
    kind: str | None = None


class BomLink(ItemSummary):
    """An item in a bill of materials with the quantity of the child per parent."""

    quantity: float | None = None


class ProcessRef(BaseModel):
    id: str
    name: str | None = None


class SupplierSummary(BaseModel):
    id: str
    name: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    naf: str | None = None


class ItemSupplier(SupplierSummary):
    """A supplier of an item: ``supplies`` (current sourcing) or ``offers`` (potential)."""

    relation: Literal["supplies", "offers"]
    share: float | None = None


class SuppliedItem(ItemSummary):
    share: float | None = None


class ItemDetail(ItemSummary):
    """An item with its suppliers, children (what it contains), parents and processes."""

    hs_code: str | None = None
    unit: str | None = None
    unit_value_eur: float | None = None
    description: str | None = None
    source: str | None = None
    suppliers: list[ItemSupplier]
    children: list[BomLink]
    parents: list[BomLink]
    processes: list[ProcessRef]


class SupplierDetail(SupplierSummary):
    """A supplier with its location, processes and the items it supplies or offers."""

    country_name: str | None = None
    region_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    siren: str | None = None
    source: str | None = None
    processes: list[ProcessRef]
    supplies: list[SuppliedItem]
    offers: list[SuppliedItem]


class RegionSummary(BaseModel):
    code: str
    name: str | None = None
    country: str | None = None


class RegionDetail(RegionSummary):
    """A region and the number of suppliers located in it."""

    country_name: str | None = None
    lat: float | None = None
    lng: float | None = None
    supplier_count: int


class ItemPage(BaseModel):
    items: list[ItemSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class SupplierPage(BaseModel):
    items: list[SupplierSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class RegionPage(BaseModel):
    items: list[RegionSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class SearchHit(BaseModel):
    """One match; ``detail`` is an item's kind or a supplier's or region's country."""

    type: SearchType
    id: str
    name: str | None = None
    detail: str | None = None
    match: Literal["exact", "prefix", "contains"]


class SearchPage(BaseModel):
    hits: list[SearchHit]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page.")


@dataclass(frozen=True)
class SupplierFilter:
    """Suppliers located in ``region``/``country``, mastering ``process``, of a NAF code prefix."""

    region: str | None = None
    country: str | None = None
    process: str | None = None
    naf: str | None = None


# -- helpers ----------------------------------------------------------------------------------


@cache
def country_aliases() -> dict[str, str]:
    """The folded French name of every country by code: "Chine" finds ``CN`` (whose node
    holds ISO's English name, "China")."""
    import pycountry

    from filiere.names import country_name

    return {c.alpha_2: fold(country_name(c.alpha_2, "fr") or "") for c in pycountry.countries}


def encode_cursor(key: str) -> str:
    """An opaque cursor for the page after ``key``."""
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The key a cursor stands for (``None`` for the first page)."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidLookup(f"invalid cursor {cursor!r}") from None


def normalize_naf(code: str) -> str:
    """NAF codes compare without dots or spaces, upper-case: ``25.62a`` is ``2562A``."""
    return code.replace(".", "").replace(" ", "").upper()


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidLookup(f"limit must be between 1 and {MAX_LIMIT}")


@cache
def cypher(name: str) -> str:
    """The text of ``filiere/queries/cypher/<name>.cypher``."""
    return (files("filiere.queries") / "cypher" / f"{name}.cypher").read_text(encoding="utf-8")


T = TypeVar("T")


def _page(rows: list[T], limit: int, key: Callable[[T], str]) -> tuple[list[T], str | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None


def pick(props: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The ``fields`` of ``props`` (``None`` where missing)."""
    return {f: props.get(f) for f in fields}


#: The fields of an item and a supplier in lists and in the rows of their neighbours.
ITEM_FIELDS = ("id", "name", "kind")
SUPPLIER_FIELDS = ("id", "name", "country", "region", "city", "naf")


# -- one node ---------------------------------------------------------------------------------


def get_item(store: GraphStore, item_id: str) -> ItemDetail:
    """An item with its suppliers, bill-of-materials neighbours and processes."""
    row = store.reader.item_row(item_id)
    if row is None:
        raise NotFoundError(_("no item {item}").format(item=repr(item_id)))
    props = row["props"]
    return ItemDetail(
        **pick(props, (*ITEM_FIELDS, "hs_code", "unit", "unit_value_eur", "description")),
        source=props.get("source"),
        suppliers=sorted(
            (ItemSupplier(**s) for s in row["suppliers"]),
            key=lambda s: (s.relation != "supplies", s.id),
        ),
        children=sorted((BomLink(**c) for c in row["children"]), key=lambda c: c.id),
        parents=sorted((BomLink(**p) for p in row["parents"]), key=lambda p: p.id),
        processes=sorted((ProcessRef(**p) for p in row["processes"]), key=lambda p: p.id),
    )


def get_supplier(store: GraphStore, supplier_id: str) -> SupplierDetail:
    """A supplier with its country and region names, processes and items."""
    row = store.reader.supplier_row(supplier_id)
    if row is None:
        raise NotFoundError(_("no supplier {supplier}").format(supplier=repr(supplier_id)))
    props = row["props"]
    return SupplierDetail(
        **pick(props, (*SUPPLIER_FIELDS, "lat", "lon", "siren", "source")),
        country_name=min(row["country_names"], default=None),
        region_name=min(row["region_names"], default=None),
        processes=sorted((ProcessRef(**p) for p in row["processes"]), key=lambda p: p.id),
        supplies=sorted((SuppliedItem(**i) for i in row["supplies"]), key=lambda i: i.id),
        offers=sorted((SuppliedItem(**i) for i in row["offers"]), key=lambda i: i.id),
    )


def get_region(store: GraphStore, code: str) -> RegionDetail:
    """A region (ISO 3166-2 code) and how many suppliers are located in it."""
    row = store.reader.region_row(code)
    if row is None:
        raise NotFoundError(_("no region {region}").format(region=repr(code)))
    props = row["props"]
    return RegionDetail(
        **pick(props, ("code", "name", "country", "lat", "lng")),
        country_name=row["country_name"],
        supplier_count=row["supplier_count"],
    )


# -- lists ------------------------------------------------------------------------------------


def list_items(
    store: GraphStore, *, kind: str | None = None, limit: int = 50, cursor: str | None = None
) -> ItemPage:
    """Items in id order, optionally of one kind (``product``, ``component``, ``material``)."""
    _check_limit(limit)
    after = decode_cursor(cursor)
    rows = store.reader.item_rows(kind, after, limit)
    page, nxt = _page(rows, limit, lambda r: r["id"])
    return ItemPage(items=[ItemSummary(**r) for r in page], next_cursor=nxt)


def list_regions(
    store: GraphStore, *, country: str | None = None, limit: int = 50, cursor: str | None = None
) -> RegionPage:
    """Regions in code order, optionally of one country."""
    _check_limit(limit)
    after = decode_cursor(cursor)
    country = country.upper() if country else None
    rows = store.reader.region_rows(country, after, limit)
    page, nxt = _page(rows, limit, lambda r: r["code"])
    return RegionPage(items=[RegionSummary(**r) for r in page], next_cursor=nxt)


def list_suppliers(
    store: GraphStore,
    filters: SupplierFilter | None = None,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> SupplierPage:
    """Suppliers in id order that pass every filter given."""
    _check_limit(limit)
    f = filters or SupplierFilter()
    after = decode_cursor(cursor)
    params: dict[str, Any] = {
        "region": f.region.upper() if f.region else None,
        "country": f.country.upper() if f.country else None,
        "process": process_id(f.process) if f.process else None,
        "naf": normalize_naf(f.naf) if f.naf else None,
    }
    rows = store.reader.supplier_rows(params, after, limit)
    page, nxt = _page(rows, limit, lambda r: r["id"])
    return SupplierPage(items=[SupplierSummary(**r) for r in page], next_cursor=nxt)


# -- search -----------------------------------------------------------------------------------

_MATCH: tuple[Literal["exact", "prefix", "contains"], ...] = ("exact", "prefix", "contains")


def search(
    store: GraphStore,
    q: str,
    *,
    types: Iterable[SearchType] = SEARCH_TYPES,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Nodes whose id or name contains ``q``, ignoring case and accents, best matches first.

    Exact matches of the id or name come first, then prefixes, then substrings; ties
    are in type order (item, supplier, region, country) then id order.
    """
    _check_limit(limit)
    if offset < 0:
        raise InvalidLookup("offset must not be negative")
    text = " ".join(q.split())
    if len(text) > MAX_NEEDLE:
        raise InvalidLookup(
            _("the search text is longer than {max} characters").format(max=MAX_NEEDLE)
        )
    needle = fold(text)
    if not needle:
        raise InvalidLookup("the search text is empty")
    wanted: list[str] = [t for t in SEARCH_TYPES if t in set(types)]
    rows = store.reader.search_rows(needle, wanted, offset, limit)
    more = len(rows) > limit
    hits = [
        SearchHit(
            type=r["type"],
            id=r["id"],
            name=r["name"],
            detail=r["detail"],
            match=_MATCH[r["rank"]],
        )
        for r in rows[:limit]
    ]
    return SearchPage(hits=hits, next_offset=offset + limit if more else None)
