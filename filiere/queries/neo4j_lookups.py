"""The look-ups, supply trees and trade facts of the Neo4j store: one read query each.

The Neo4j half of :class:`filiere.queries.backend.StoreReader` beside the analyses of
:mod:`filiere.queries.neo4j`: the queries are ``cypher/lookup_*.cypher``,
``cypher/viz_supply_tree.cypher`` and :mod:`filiere.sources.cypher`, values passed as
``$parameters``.
"""

from __future__ import annotations

from typing import Any

from filiere import i18n
from filiere.errors import NotFoundError
from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.schema import Label
from filiere.queries.backend import Row
from filiere.queries.library import load
from filiere.queries.lookups import FOLDS, SEARCH_TYPES, country_aliases, cypher
from filiere.queries.tree import Supply, SupplyTree, production, quantity
from filiere.sources import cypher as source_cypher


def _first(rows: list[Row]) -> Row | None:
    return rows[0] if rows else None


def item_row(store: Neo4jStore, item_id: str) -> Row | None:
    return _first(store.run_read(cypher("lookup_item"), id=item_id))


def supplier_row(store: Neo4jStore, supplier_id: str) -> Row | None:
    return _first(store.run_read(cypher("lookup_supplier"), id=supplier_id))


def region_row(store: Neo4jStore, code: str) -> Row | None:
    return _first(store.run_read(cypher("lookup_region"), code=code))


def item_rows(store: Neo4jStore, kind: str | None, after: str | None, limit: int) -> list[Row]:
    return store.run_read(cypher("lookup_items"), kind=kind, after=after, limit=limit + 1)


def region_rows(store: Neo4jStore, country: str | None, after: str | None, limit: int) -> list[Row]:
    return store.run_read(cypher("lookup_regions"), country=country, after=after, limit=limit + 1)


def supplier_rows(
    store: Neo4jStore, params: dict[str, Any], after: str | None, limit: int
) -> list[Row]:
    anchor = next((a for a in ("region", "process", "country") if params[a]), "all")
    return store.run_read(
        cypher(f"lookup_suppliers_{anchor}"), **params, after=after, limit=limit + 1
    )


def search_rows(
    store: Neo4jStore, needle: str, types: list[str], offset: int, limit: int
) -> list[Row]:
    return store.run_read(
        cypher("lookup_search"),
        q=needle,
        types=types,
        folds=[list(p) for p in FOLDS],
        type_order={t: i for i, t in enumerate(SEARCH_TYPES)},
        aliases=country_aliases(),
        offset=offset,
        limit=limit + 1,
    )


def store_sources(store: Neo4jStore) -> list[Row]:
    return store.run_read(cypher("lookup_store_sources"))


def supplier_countries(store: Neo4jStore) -> list[Row]:
    return store.run_read(cypher("lookup_country_counts"))


def region_firms(store: Neo4jStore, code: str, limit: int) -> list[Row] | None:
    rows = store.run_read(cypher("lookup_region_firms"), region=code, limit=limit)
    if not rows and store.get_node(Label.REGION, code) is None:
        return None
    return rows


def item_context_rows(store: Neo4jStore, item: str) -> tuple[list[Row], list[Row], list[Row]]:
    used = store.run_read(load("where_used").text, item=item)
    subs = store.run_read(load("item_substitutes").text, item=item)
    prod = store.run_read(load("material_production").text, material=item)
    return used, subs, prod


def supplier_makes(store: Neo4jStore, supplier: str) -> list[Row]:
    return store.run_read(cypher("lookup_supplier_makes"), id=supplier)


def supply_tree(store: Neo4jStore, product: str) -> SupplyTree:
    rows = store.run_read(cypher("viz_supply_tree"), product=product)
    if not rows:
        raise NotFoundError(i18n._("no item {item}").format(item=repr(product)))
    tree = SupplyTree(product)
    for row in rows:
        item = row["props"]["id"]
        tree.items[item] = dict(row["props"])
        tree.children[item] = [(c["child"], quantity(c["quantity"])) for c in row["children"]]
        for s in row["suppliers"]:
            sup = dict(s["supplier"])
            tree.suppliers[sup["id"]] = sup
            rel = dict(s["rel"])
            tree.supplies.append(Supply(sup["id"], item, rel.get("share"), rel))
        for p in row["production"]:
            tree.production.append(production(p["country"], item, dict(p["rel"])))
    return tree


def item_names(store: Neo4jStore) -> list[tuple[str, dict[str, Any]]]:
    return [
        (row["id"], {"name": row["name"], "kind": row["kind"]})
        for row in store.run_read(source_cypher.ITEM_NAMES)
    ]


def trade_holders(store: Neo4jStore) -> set[str]:
    return {r["code"] for r in store.run_read(source_cypher.TRADE_HOLDERS)}


def trade_codes(store: Neo4jStore, importer: str) -> list[tuple[str, dict[str, Any]]]:
    rows = store.run_read(source_cypher.TRADE_CODES, importer=importer)
    return [(r["code"], r["props"]) for r in rows]


def item_trade(store: Neo4jStore, items: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (r["item"], str(r["props"]["code"]), r["props"])
        for r in store.run_read(source_cypher.ITEM_TRADE, ids=items)
        if (r["props"].get("trade_extra_eu_imports") or 0) > 0
    ]
