"""The look-ups, supply trees and trade facts of the embedded store, read from its graph.

The embedded half of :class:`filiere.queries.backend.StoreReader` beside the analyses
of :mod:`filiere.queries.embedded`; each function answers like its Cypher twin
(``cypher/lookup_*.cypher``, ``viz_supply_tree.cypher``, :mod:`filiere.sources.cypher`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from filiere import i18n
from filiere.errors import NotFoundError
from filiere.graph.embedded import EmbeddedStore, node_id
from filiere.graph.schema import Label, Rel
from filiere.queries.backend import Row
from filiere.queries.lookups import (
    ITEM_FIELDS,
    SEARCH_LABEL,
    SEARCH_TYPES,
    SUPPLIER_FIELDS,
    country_aliases,
    fold,
    normalize_naf,
    pick,
)
from filiere.queries.tree import Supply, SupplyTree, production, quantity

# -- one node ---------------------------------------------------------------------------------


def item_row(store: EmbeddedStore, item_id: str) -> Row | None:
    g = store.graph
    nid = node_id(Label.ITEM, item_id)
    if nid not in g:
        return None
    row: dict[str, Any] = {
        "props": g.nodes[nid]["props"],
        "suppliers": [],
        "children": [],
        "parents": [],
        "processes": [],
    }
    for u, _v, d in g.in_edges(nid, data=True):
        other = g.nodes[u]["props"]
        if d["type"] in (Rel.SUPPLIES, Rel.OFFERS):
            rel = d["type"].lower()
            share = d["props"].get("share")
            row["suppliers"].append(
                {**pick(other, SUPPLIER_FIELDS), "relation": rel, "share": share}
            )
        elif d["type"] == Rel.CONTAINS:
            row["parents"].append(
                {**pick(other, ITEM_FIELDS), "quantity": d["props"].get("quantity")}
            )
    for _u, v, d in g.out_edges(nid, data=True):
        other = g.nodes[v]["props"]
        if d["type"] == Rel.CONTAINS:
            row["children"].append(
                {**pick(other, ITEM_FIELDS), "quantity": d["props"].get("quantity")}
            )
        elif d["type"] == Rel.REQUIRES:
            row["processes"].append(pick(other, ("id", "name")))
    return row


def supplier_row(store: EmbeddedStore, supplier_id: str) -> Row | None:
    g = store.graph
    nid = node_id(Label.SUPPLIER, supplier_id)
    if nid not in g:
        return None
    row: dict[str, Any] = {"props": g.nodes[nid]["props"]}
    for name in ("country_names", "region_names", "processes", "supplies", "offers"):
        row[name] = []
    for _u, v, d in g.out_edges(nid, data=True):
        other = g.nodes[v]["props"]
        t = d["type"]
        if t == Rel.LOCATED_IN and v[0] == Label.COUNTRY:
            row["country_names"].append(other.get("name"))
        elif t == Rel.LOCATED_IN and v[0] == Label.REGION:
            row["region_names"].append(other.get("name"))
        elif t == Rel.MASTERS:
            row["processes"].append(pick(other, ("id", "name")))
        elif t == Rel.SUPPLIES:
            row["supplies"].append({**pick(other, ITEM_FIELDS), "share": d["props"].get("share")})
        elif t == Rel.OFFERS:
            row["offers"].append({**pick(other, ITEM_FIELDS), "share": None})
    row["country_names"] = [n for n in row["country_names"] if n is not None]
    row["region_names"] = [n for n in row["region_names"] if n is not None]
    return row


def region_row(store: EmbeddedStore, code: str) -> Row | None:
    g = store.graph
    nid = node_id(Label.REGION, code)
    if nid not in g:
        return None
    countries = [
        g.nodes[v]["props"].get("name")
        for _, v, t in g.out_edges(nid, data="type")
        if t == Rel.PART_OF
    ]
    count = sum(
        1
        for u, _, t in g.in_edges(nid, data="type")
        if t == Rel.LOCATED_IN and u[0] == Label.SUPPLIER
    )
    return {
        "props": g.nodes[nid]["props"],
        "country_name": min(countries, default=None),
        "supplier_count": count,
    }


# -- lists ------------------------------------------------------------------------------------


def nodes(
    store: EmbeddedStore,
    label: Label,
    fields: tuple[str, ...],
    where: tuple[str, str | None],
    after: str | None,
    limit: int,
) -> list[Row]:
    """The first ``limit + 1`` nodes of ``label`` past ``after`` in key order (``fields[0]``),
    whose property ``where[0]`` equals ``where[1]`` (any value when it is ``None``)."""
    prop, value = where
    found = [
        pick(d["props"], fields)
        for nid, d in store.graph.nodes(data=True)
        if nid[0] == label
        and (value is None or d["props"].get(prop) == value)
        and (after is None or nid[1] > after)
    ]
    found.sort(key=lambda r: r[fields[0]])
    return found[: limit + 1]


_ANCHOR = {"region": (Label.REGION, Rel.LOCATED_IN), "process": (Label.PROCESS, Rel.MASTERS)}
_ANCHOR["country"] = (Label.COUNTRY, Rel.LOCATED_IN)


def supplier_rows(
    store: EmbeddedStore, params: dict[str, Any], after: str | None, limit: int
) -> list[Row]:
    g = store.graph

    def linked(anchor: tuple[str, str], rel: Rel) -> set[str]:
        if anchor not in g:
            return set()
        return {
            u[1]
            for u, _, t in g.in_edges(anchor, data="type")
            if t == rel and u[0] == Label.SUPPLIER
        }

    candidates: set[str] | None = None
    for name, (label, rel) in _ANCHOR.items():
        if params[name]:
            ids = linked(node_id(label, params[name]), rel)
            candidates = ids if candidates is None else candidates & ids
    if candidates is None:
        candidates = {nid[1] for nid in g.nodes if nid[0] == Label.SUPPLIER}
    naf = params["naf"]
    rows = []
    for sid in candidates:
        if after is not None and sid <= after:
            continue
        props = g.nodes[node_id(Label.SUPPLIER, sid)]["props"]
        if naf and not normalize_naf(str(props.get("naf") or "")).startswith(naf):
            continue
        rows.append(pick(props, SUPPLIER_FIELDS))
    rows.sort(key=lambda r: r["id"])
    return rows[: limit + 1]


# -- search -----------------------------------------------------------------------------------


def search_rows(
    store: EmbeddedStore, needle: str, types: list[str], offset: int, limit: int
) -> list[Row]:
    labels = {SEARCH_LABEL[t]: t for t in types}
    detail_field = {"item": "kind", "supplier": "country", "region": "country"}
    aliases = country_aliases()
    rows = []
    for nid, d in store.graph.nodes(data=True):
        t = labels.get(nid[0])
        if t is None:
            continue
        props = d["props"]
        fid, fname = fold(nid[1]), fold(str(props.get("name") or ""))
        alias = aliases.get(nid[1], "") if t == "country" else ""
        if needle not in fid and needle not in fname and not (alias and needle in alias):
            continue
        if needle in (fid, fname, alias):
            rank = 0
        elif (
            fid.startswith(needle)
            or fname.startswith(needle)
            or (alias and alias.startswith(needle))
        ):
            rank = 1
        else:
            rank = 2
        field = detail_field.get(t)
        rows.append(
            {
                "type": t,
                "id": nid[1],
                "name": props.get("name"),
                "detail": props.get(field) if field else None,
                "rank": rank,
            }
        )
    order = {t: i for i, t in enumerate(SEARCH_TYPES)}
    rows.sort(key=lambda r: (r["rank"], order[r["type"]], r["id"]))
    return rows[offset : offset + limit + 1]


# -- workspace pages --------------------------------------------------------------------------


def store_sources(store: EmbeddedStore) -> list[Row]:
    found: dict[str, Row] = {}
    for _nid, d in store.graph.nodes(data=True):
        props = d["props"]
        source = props.get("source")
        if source is None:
            continue
        s = found.setdefault(
            source, {"source": source, "nodes": 0, "first_loaded": None, "last_loaded": None}
        )
        s["nodes"] += 1
        when = props.get("loaded_at")
        if when is not None:
            s["first_loaded"] = min(s["first_loaded"] or when, when)
            s["last_loaded"] = max(s["last_loaded"] or when, when)
    return [found[k] for k in sorted(found)]


def supplier_countries(store: EmbeddedStore) -> list[Row]:
    counts: dict[str, int] = {}
    for nid, d in store.graph.nodes(data=True):
        country = d["props"].get("country") if nid[0] == Label.SUPPLIER else None
        if country:
            counts[country] = counts.get(country, 0) + 1
    return [{"country": c, "suppliers": n} for c, n in sorted(counts.items())]


def region_firms(store: EmbeddedStore, code: str, limit: int) -> list[Row] | None:
    g = store.graph
    nid = node_id(Label.REGION, code)
    if nid not in g:
        return None
    ids = sorted(
        u[1]
        for u, _v, t in g.in_edges(nid, data="type")
        if t == Rel.LOCATED_IN and u[0] == Label.SUPPLIER
    )[:limit]
    rows = []
    for sid in ids:
        out = g.out_edges(node_id(Label.SUPPLIER, sid), data="type")
        processes = sorted(v[1] for _u, v, t in out if t == Rel.MASTERS)
        rows.append({"id": sid, "processes": processes})
    return rows


def item_context_rows(store: EmbeddedStore, item: str) -> tuple[list[Row], list[Row], list[Row]]:
    g = store.graph
    start = node_id(Label.ITEM, item)
    if start not in g:
        return [], [], []
    levels = {start: 0}
    queue = deque([start])
    used = []
    while queue:  # breadth first: the first visit is the fewest levels
        child = queue.popleft()
        for parent, _c, t in g.in_edges(child, data="type"):
            if t == Rel.CONTAINS and parent not in levels:
                levels[parent] = levels[child] + 1
                queue.append(parent)
                p = g.nodes[parent]["props"]
                used.append(
                    {
                        "item": parent[1],
                        "name": p.get("name"),
                        "kind": p.get("kind"),
                        "levels": levels[parent],
                    }
                )
    subs = []
    prod = []
    for u, _v, d in g.in_edges(start, data=True):
        props = g.nodes[u]["props"]
        if d["type"] == Rel.SUBSTITUTES:
            suppliers = {
                f"{s[1]} ({g.nodes[s]['props'].get('country')})"
                for s, _y, t in g.in_edges(u, data="type")
                if t in (Rel.SUPPLIES, Rel.OFFERS)
            }
            subs.append(
                {
                    "substitute": u[1],
                    "name": props.get("name"),
                    "compatibility": d["props"].get("compatibility"),
                    "suppliers": sorted(suppliers),
                }
            )
        elif d["type"] == Rel.PRODUCES:
            rel = d["props"]
            prod.append(
                {
                    "country": u[1],
                    "share": rel.get("share"),
                    "stage": rel.get("stage"),
                    "year": rel.get("year"),
                    "source": rel.get("source"),
                }
            )
    return used, subs, prod


def supplier_makes(store: EmbeddedStore, supplier: str) -> list[Row]:
    g = store.graph
    nid = node_id(Label.SUPPLIER, supplier)
    if nid not in g:
        return []
    rows = [
        {"id": v[1], "name": g.nodes[v]["props"].get("name")}
        for _u, v, t in g.out_edges(nid, data="type")
        if t == Rel.MAKES
    ]
    return sorted(rows, key=lambda r: str(r["id"]))


# -- supply tree ------------------------------------------------------------------------------


def supply_tree(store: EmbeddedStore, product: str) -> SupplyTree:
    g = store.graph
    root = node_id(Label.ITEM, product)
    if root not in g:
        raise NotFoundError(i18n._("no item {item}").format(item=repr(product)))
    tree = SupplyTree(product)
    queue = deque([root])
    seen = {root}
    while queue:
        nid = queue.popleft()
        item = nid[1]
        tree.items[item] = dict(g.nodes[nid]["props"])
        tree.children[item] = []
        for _, child, d in g.out_edges(nid, data=True):
            if d["type"] == Rel.CONTAINS:
                tree.children[item].append((child[1], quantity(d["props"].get("quantity"))))
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        for src, _, d in g.in_edges(nid, data=True):
            if d["type"] == Rel.SUPPLIES:
                tree.suppliers[src[1]] = dict(g.nodes[src]["props"])
                rel = dict(d["props"])
                tree.supplies.append(Supply(src[1], item, rel.get("share"), rel))
            elif d["type"] == Rel.PRODUCES:
                tree.production.append(production(src[1], item, dict(d["props"])))
    return tree


# -- imports and trade facts ------------------------------------------------------------------


def item_names(store: EmbeddedStore) -> Iterator[tuple[str, dict[str, Any]]]:
    for nid, data in store.graph.nodes(data=True):
        if nid[0] == Label.ITEM:
            yield nid[1], dict(data["props"])


def trade_holders(store: EmbeddedStore) -> set[str]:
    return {
        nid[1]
        for nid, d in store.graph.nodes(data=True)
        if nid[0] == Label.HSCODE and "trade_importer" in d["props"]
    }


def trade_codes(store: EmbeddedStore, importer: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (nid[1], dict(d["props"]))
        for nid, d in store.graph.nodes(data=True)
        if nid[0] == Label.HSCODE
        and d["props"].get("trade_importer") == importer
        and (d["props"].get("trade_extra_eu_imports") or 0) > 0
    ]


def item_trade(store: EmbeddedStore, items: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    g = store.cached_graph()
    if g is None:  # a cold command: read these items' codes, not the whole store
        return [
            (item, code, props)
            for item, code, props in store.classifications(items)
            if (props.get("trade_extra_eu_imports") or 0) > 0
        ]
    found = []
    for item in items:
        nid = node_id(Label.ITEM, item)
        if nid not in g:
            continue
        for _, target, data in g.out_edges(nid, data=True):
            props = g.nodes[target]["props"]
            if data["type"] == Rel.CLASSIFIED_AS and (props.get("trade_extra_eu_imports") or 0) > 0:
                found.append((item, target[1], props))
    return found
