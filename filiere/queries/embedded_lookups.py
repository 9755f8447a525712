"""The look-ups, supply trees and trade facts of the embedded store: ``SELECT`` s on its file.

The embedded half of :class:`filiere.queries.backend.StoreReader` beside the analyses
of :mod:`filiere.queries.embedded`; each function answers like its Cypher twin
(``cypher/lookup_*.cypher``, ``viz_supply_tree.cypher``, :mod:`filiere.sources.cypher`).
Each reads what it answers through the tables' indexes (nodes by label and key,
relationships by start node and, ``rels_by_end``, by end node) in one read snapshot: no
networkx graph of the store is built, so a server on a big store answers at once.
Search reads the search table (:mod:`filiere.graph.search_table`) through its trigram
index; scans are left to what reads every node of a label anyway (store summaries).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import Any

from filiere import i18n
from filiere.errors import NotFoundError
from filiere.graph import search_table
from filiere.graph.embedded import LOOKUP_CHUNK, EmbeddedStore
from filiere.graph.schema import Label, Rel
from filiere.queries.backend import Row
from filiere.queries.lookups import (
    ITEM_FIELDS,
    SEARCH_LABEL,
    SEARCH_TYPES,
    SUPPLIER_FIELDS,
    InvalidLookup,
    country_aliases,
    normalize_naf,
    pick,
)
from filiere.queries.tree import Supply, SupplyTree, production, quantity

_loads = json.loads

#: A relationship seen from one end: (type, other label, other key, its props, other's props).
Link = tuple[str, str, str, dict[str, Any], dict[str, Any]]

# The relationships of one node by type, joined to the node at their other end, in the
# tables' key order (by end node: ``rels_by_end``; by start node: the primary key).
_IN = (
    "SELECT r.type, r.start_label, r.start_key, r.props, n.props FROM rels AS r"
    " JOIN nodes AS n ON n.label = r.start_label AND n.key = r.start_key"
    " WHERE r.type IN ({}) AND r.end_label = ? AND r.end_key = ?"
    " ORDER BY r.type, r.start_label, r.start_key, r.ident"
)
_OUT = (
    "SELECT r.type, r.end_label, r.end_key, r.props, n.props FROM rels AS r"
    " JOIN nodes AS n ON n.label = r.end_label AND n.key = r.end_key"
    " WHERE r.type IN ({}) AND r.start_label = ? AND r.start_key = ?"
    " ORDER BY r.type, r.end_label, r.end_key, r.ident"
)
_STARTS = (
    "SELECT start_key FROM rels WHERE type = ? AND end_label = ? AND end_key = ?"
    " AND start_label = ? ORDER BY start_key"
)


def _props(conn: sqlite3.Connection, label: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT props FROM nodes WHERE label = ? AND key = ?", (label, key)
    ).fetchone()
    return None if row is None else dict(_loads(row[0]))


def _links(
    conn: sqlite3.Connection, sql: str, types: Iterable[Rel], label: str, key: str
) -> list[Link]:
    """The ``types`` relationships of node ``(label, key)`` through ``sql`` (:data:`_IN` or
    :data:`_OUT`), with the properties of both the relationship and the other node."""
    wanted = [str(t) for t in types]
    rows = conn.execute(sql.format(",".join("?" * len(wanted))), (*wanted, label, key))
    return [(t, ol, ok, _loads(rp), _loads(op)) for t, ol, ok, rp, op in rows]


def _starts(conn: sqlite3.Connection, rtype: Rel, end: tuple[str, str], start: Label) -> list[str]:
    """The keys of the ``start`` nodes with an ``rtype`` relationship to ``end``, in order."""
    return [k for (k,) in conn.execute(_STARTS, (str(rtype), end[0], end[1], str(start)))]


# -- one node ---------------------------------------------------------------------------------


def item_row(store: EmbeddedStore, item_id: str) -> Row | None:
    with store.reading() as conn:
        props = None if conn is None else _props(conn, Label.ITEM, item_id)
        if conn is None or props is None:
            return None
        inbound = _links(conn, _IN, (Rel.CONTAINS, Rel.OFFERS, Rel.SUPPLIES), Label.ITEM, item_id)
        outbound = _links(conn, _OUT, (Rel.CONTAINS, Rel.REQUIRES), Label.ITEM, item_id)
    row: dict[str, Any] = {
        "props": props,
        "suppliers": [],
        "children": [],
        "parents": [],
        "processes": [],
    }
    for t, _label, _key, rel, other in inbound:
        if t in (Rel.SUPPLIES, Rel.OFFERS):
            row["suppliers"].append(
                {**pick(other, SUPPLIER_FIELDS), "relation": t.lower(), "share": rel.get("share")}
            )
        else:
            row["parents"].append({**pick(other, ITEM_FIELDS), "quantity": rel.get("quantity")})
    for t, _label, _key, rel, other in outbound:
        if t == Rel.CONTAINS:
            row["children"].append({**pick(other, ITEM_FIELDS), "quantity": rel.get("quantity")})
        else:
            row["processes"].append(pick(other, ("id", "name")))
    return row


def supplier_row(store: EmbeddedStore, supplier_id: str) -> Row | None:
    types = (Rel.LOCATED_IN, Rel.MASTERS, Rel.OFFERS, Rel.SUPPLIES)
    with store.reading() as conn:
        props = None if conn is None else _props(conn, Label.SUPPLIER, supplier_id)
        if conn is None or props is None:
            return None
        links = _links(conn, _OUT, types, Label.SUPPLIER, supplier_id)
    row: dict[str, Any] = {"props": props}
    for name in ("country_names", "region_names", "processes", "supplies", "offers"):
        row[name] = []
    for t, label, _key, rel, other in links:
        if t == Rel.LOCATED_IN and label == Label.COUNTRY:
            row["country_names"].append(other.get("name"))
        elif t == Rel.LOCATED_IN and label == Label.REGION:
            row["region_names"].append(other.get("name"))
        elif t == Rel.MASTERS:
            row["processes"].append(pick(other, ("id", "name")))
        elif t == Rel.SUPPLIES:
            row["supplies"].append({**pick(other, ITEM_FIELDS), "share": rel.get("share")})
        elif t == Rel.OFFERS:
            row["offers"].append({**pick(other, ITEM_FIELDS), "share": None})
    row["country_names"] = [n for n in row["country_names"] if n is not None]
    row["region_names"] = [n for n in row["region_names"] if n is not None]
    return row


def region_row(store: EmbeddedStore, code: str) -> Row | None:
    with store.reading() as conn:
        props = None if conn is None else _props(conn, Label.REGION, code)
        if conn is None or props is None:
            return None
        parts = _links(conn, _OUT, (Rel.PART_OF,), Label.REGION, code)
        (count,) = conn.execute(
            "SELECT count(*) FROM rels WHERE type = ? AND end_label = ? AND end_key = ?"
            " AND start_label = ?",
            (str(Rel.LOCATED_IN), str(Label.REGION), code, str(Label.SUPPLIER)),
        ).fetchone()
    countries: list[Any] = [other.get("name") for *_, other in parts]
    return {
        "props": props,
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
    sql = "SELECT props FROM nodes WHERE label = ?"
    params: list[Any] = [str(label)]
    if after is not None:
        sql += " AND key > ?"
        params.append(after)
    if value is not None:
        sql += " AND json_extract(props, ?) = ?"
        params += [f'$."{prop}"', value]
    sql += " ORDER BY key LIMIT ?"
    with store.reading() as conn:
        if conn is None:
            return []
        rows = conn.execute(sql, (*params, limit + 1)).fetchall()
    return [pick(_loads(props), fields) for (props,) in rows]


_ANCHOR = {"region": (Label.REGION, Rel.LOCATED_IN), "process": (Label.PROCESS, Rel.MASTERS)}
_ANCHOR["country"] = (Label.COUNTRY, Rel.LOCATED_IN)


def supplier_rows(
    store: EmbeddedStore, params: dict[str, Any], after: str | None, limit: int
) -> list[Row]:
    naf = params["naf"]
    rows: list[Row] = []

    def keep(props_json: str) -> bool:
        props = _loads(props_json)
        if naf and not normalize_naf(str(props.get("naf") or "")).startswith(naf):
            return False
        rows.append(pick(props, SUPPLIER_FIELDS))
        return len(rows) > limit

    with store.reading() as conn:
        if conn is None:
            return []
        candidates: set[str] | None = None
        for name, (label, rel) in _ANCHOR.items():
            if params[name]:
                ids = set(_starts(conn, rel, (label, params[name]), Label.SUPPLIER))
                candidates = ids if candidates is None else candidates & ids
        if candidates is None:  # every supplier, in key order, until the page is full
            past = "" if after is None else " AND key > ?"
            for (props_json,) in conn.execute(
                f"SELECT props FROM nodes WHERE label = ?{past} ORDER BY key",
                (str(Label.SUPPLIER), *([] if after is None else [after])),
            ):
                if keep(props_json):
                    break
            return rows
        wanted = sorted(k for k in candidates if after is None or k > after)
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            part = wanted[i : i + LOOKUP_CHUNK]
            sql = (
                "SELECT props FROM nodes WHERE label = ? AND key IN"
                f" ({','.join('?' * len(part))}) ORDER BY key"
            )
            if any(keep(p) for (p,) in conn.execute(sql, (str(Label.SUPPLIER), *part))):
                break
    return rows


# -- search -----------------------------------------------------------------------------------

#: What a hit's ``detail`` is, by type: an item's kind, a supplier's or region's country.
_DETAIL = {"item": "kind", "supplier": "country", "region": "country"}
#: Trigrams asked of the index at most (a longer needle is checked by ``instr`` anyway).
MAX_TRIGRAMS = 8
#: Seconds a search may run before it is stopped with a message (its time bound).
SEARCH_SECONDS = 10.0
#: SQLite instructions between two looks at the clock while a search runs.
PROGRESS_STEP = 10_000


def search_rows(
    store: EmbeddedStore, needle: str, types: list[str], offset: int, limit: int
) -> list[Row]:
    """The ranked hits ``offset`` to ``offset + limit`` of ``needle`` (folded) among
    ``types``, from the search table (:mod:`filiere.graph.search_table`): its trigram
    index gives the candidates of a needle of 3 characters or more, SQL ranks them and
    keeps the page; a shorter needle is looked for in the folded names of the table."""
    if not types:
        return []
    sql, params = _search_sql(needle, types, offset, limit)
    with store.reading() as conn:
        if conn is None:
            return []
        trigrams = len(needle) >= 3 and search_table.has_trigrams(conn)
        sql = sql.format(source=_FROM_TRIGRAMS if trigrams else _FROM_TABLE)
        deadline = time.monotonic() + SEARCH_SECONDS
        conn.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEP)
        try:
            found = conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            if "interrupt" not in str(e):
                raise
            raise InvalidLookup(
                i18n._(
                    "the search for {needle} took more than {seconds} s and was stopped;"
                    " add characters to narrow it"
                ).format(needle=repr(needle), seconds=f"{SEARCH_SECONDS:g}")
            ) from None
        finally:
            conn.set_progress_handler(None, 0)
    return [
        {"type": _TYPE_OF[label], "id": key, "name": name, "detail": detail, "rank": rank}
        for label, key, name, detail, rank in found
    ]


_TYPE_OF = {str(SEARCH_LABEL[t]): t for t in SEARCH_TYPES}
_ORDER = " ".join(f"WHEN '{SEARCH_LABEL[t]}' THEN {i}" for i, t in enumerate(SEARCH_TYPES))
_DETAILS = " ".join(
    f"WHEN '{SEARCH_LABEL[t]}' THEN json_extract(n.props, '$.{p}')" for t, p in _DETAIL.items()
)
_COUNTRY = str(SEARCH_LABEL["country"])
#: The candidates: through the trigram index (driving the join), or every row.
_FROM_TRIGRAMS = (
    "search_fts AS f CROSS JOIN search AS s ON s.id = f.rowid WHERE search_fts MATCH :match AND"
)
_FROM_TABLE = "search AS s WHERE"


def _search_sql(
    needle: str, types: list[str], offset: int, limit: int
) -> tuple[str, dict[str, Any]]:
    """The search ``SELECT`` (its ``{source}`` left to fill) and its parameters: nodes whose
    folded id or name holds the needle, and countries whose French name does."""
    params: dict[str, Any] = {"q": needle, "n": len(needle), "match": _trigram_query(needle)}
    params |= {"limit": limit + 1, "offset": offset}
    labels = _names(params, "t", [str(SEARCH_LABEL[t]) for t in types])
    aliases = country_aliases() if "country" in types else {}
    holding = sorted(code for code, alias in aliases.items() if alias and needle in alias)
    exact = [c for c in holding if aliases[c] == needle]
    prefix = [c for c in holding if aliases[c].startswith(needle)]
    rank = (
        "CASE WHEN s.fid = :q OR s.fname = :q{exact} THEN 0"
        " WHEN substr(s.fid, 1, :n) = :q OR substr(s.fname, 1, :n) = :q{prefix} THEN 1"
        " ELSE 2 END"
    ).format(exact=_alias_test(params, "e", exact), prefix=_alias_test(params, "p", prefix))
    columns = (
        f"SELECT s.label AS label, s.key AS key, {rank} AS rank, CASE s.label {_ORDER} END AS tord"
    )
    parts = [
        f"{columns} FROM {{source}} s.label IN ({labels})"
        " AND (instr(s.fid, :q) > 0 OR instr(s.fname, :q) > 0)"
    ]
    if holding:
        parts.append(
            f"{columns} FROM search AS s WHERE s.label = '{_COUNTRY}'"
            f" AND s.key IN ({_names(params, 'a', holding)})"
        )
    sql = (
        f"WITH hits AS ({' UNION '.join(parts)} ORDER BY rank, tord, key"
        " LIMIT :limit OFFSET :offset)"
        f" SELECT h.label, h.key, json_extract(n.props, '$.name'), CASE h.label {_DETAILS} END,"
        " h.rank FROM hits AS h JOIN nodes AS n ON n.label = h.label AND n.key = h.key"
        " ORDER BY h.rank, h.tord, h.key"
    )
    return sql, params


def _names(params: dict[str, Any], prefix: str, values: list[str]) -> str:
    """Add ``values`` to ``params`` as ``:<prefix>0``, ``:<prefix>1``...: their list in SQL."""
    names = [f"{prefix}{i}" for i in range(len(values))]
    params.update(zip(names, values, strict=True))
    return ", ".join(f":{name}" for name in names)


def _alias_test(params: dict[str, Any], prefix: str, codes: list[str]) -> str:
    """`` OR`` the node is one of the countries ``codes`` (nothing when there is none)."""
    if not codes:
        return ""
    return f" OR (s.label = '{_COUNTRY}' AND s.key IN ({_names(params, prefix, codes)}))"


def _trigram_query(needle: str) -> str:
    """The FTS5 query of the rows holding every one of a few trigrams of ``needle``
    (at most :data:`MAX_TRIGRAMS`, covering it from end to end): each is quoted, so the
    needle is text to find, never query syntax."""
    if len(needle) < 3:
        return ""
    starts = sorted({*range(0, len(needle) - 2, 3), len(needle) - 3})
    if len(starts) > MAX_TRIGRAMS:
        step = (len(starts) - 1) / (MAX_TRIGRAMS - 1)
        starts = sorted({starts[round(i * step)] for i in range(MAX_TRIGRAMS)})
    grams = dict.fromkeys(needle[i : i + 3] for i in starts)
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


# -- workspace pages --------------------------------------------------------------------------


def store_sources(store: EmbeddedStore) -> list[Row]:
    with store.reading() as conn:
        if conn is None:
            return []
        found = conn.execute(
            "SELECT source, count(*), min(loaded), max(loaded) FROM"
            " (SELECT json_extract(props, '$.source') AS source,"
            " json_extract(props, '$.loaded_at') AS loaded FROM nodes)"
            " WHERE source IS NOT NULL GROUP BY source ORDER BY source"
        ).fetchall()
    return [
        {"source": s, "nodes": n, "first_loaded": first, "last_loaded": last}
        for s, n, first, last in found
    ]


def supplier_countries(store: EmbeddedStore) -> list[Row]:
    with store.reading() as conn:
        if conn is None:
            return []
        found = conn.execute(
            "SELECT json_extract(props, '$.country') AS c, count(*) FROM nodes"
            " WHERE label = ? GROUP BY c ORDER BY c",
            (str(Label.SUPPLIER),),
        ).fetchall()
    return [{"country": c, "suppliers": n} for c, n in found if c]


def region_firms(store: EmbeddedStore, code: str, limit: int) -> list[Row] | None:
    with store.reading() as conn:
        if conn is None or _props(conn, Label.REGION, code) is None:
            return None
        ids = _starts(conn, Rel.LOCATED_IN, (Label.REGION, code), Label.SUPPLIER)[:limit]
        masters = "SELECT end_key FROM rels WHERE type = ? AND start_label = ? AND start_key = ?"
        rows = []
        for sid in ids:
            found = conn.execute(masters, (str(Rel.MASTERS), str(Label.SUPPLIER), sid))
            rows.append({"id": sid, "processes": sorted(k for (k,) in found)})
    return rows


def item_context_rows(store: EmbeddedStore, item: str) -> tuple[list[Row], list[Row], list[Row]]:
    with store.reading() as conn:
        if conn is None or _props(conn, Label.ITEM, item) is None:
            return [], [], []
        used = _used_in(conn, item)
        subs = []
        prod = []
        for t, _label, key, rel, other in _links(
            conn, _IN, (Rel.PRODUCES, Rel.SUBSTITUTES), Label.ITEM, item
        ):
            if t == Rel.SUBSTITUTES:
                makers = _links(conn, _IN, (Rel.OFFERS, Rel.SUPPLIES), Label.ITEM, key)
                subs.append(
                    {
                        "substitute": key,
                        "name": other.get("name"),
                        "compatibility": rel.get("compatibility"),
                        "suppliers": sorted(
                            {f"{k} ({p.get('country')})" for *_, k, _r, p in makers}
                        ),
                    }
                )
            else:
                prod.append(
                    {
                        "country": key,
                        "share": rel.get("share"),
                        "stage": rel.get("stage"),
                        "year": rel.get("year"),
                        "source": rel.get("source"),
                    }
                )
    return used, subs, prod


def _used_in(conn: sqlite3.Connection, item: str) -> list[Row]:
    """Every item whose bill of materials holds ``item``, with the fewest levels between:
    breadth first over ``CONTAINS`` by end node, one level at a time."""
    levels = {item: 0}
    frontier = [item]
    used = []
    depth = 0
    while frontier:
        depth += 1
        found: dict[str, dict[str, Any]] = {}
        for child in frontier:
            for *_, key, _rel, props in _links(conn, _IN, (Rel.CONTAINS,), Label.ITEM, child):
                if key not in levels:
                    found[key] = props
        frontier = sorted(found)
        for key in frontier:
            levels[key] = depth
            p = found[key]
            used.append(
                {"item": key, "name": p.get("name"), "kind": p.get("kind"), "levels": depth}
            )
    return used


def supplier_makes(store: EmbeddedStore, supplier: str) -> list[Row]:
    with store.reading() as conn:
        if conn is None:
            return []
        links = _links(conn, _OUT, (Rel.MAKES,), Label.SUPPLIER, supplier)
    rows = [{"id": key, "name": other.get("name")} for _t, _l, key, _r, other in links]
    return sorted(rows, key=lambda r: str(r["id"]))


# -- supply tree ------------------------------------------------------------------------------


def supply_tree(store: EmbeddedStore, product: str) -> SupplyTree:
    with store.reading() as conn:
        root = None if conn is None else _props(conn, Label.ITEM, product)
        if conn is None or root is None:
            raise NotFoundError(i18n._("no item {item}").format(item=repr(product)))
        tree = SupplyTree(product)
        tree.items[product] = root
        queue = [product]
        for item in queue:  # breadth first; the queue grows as children are first seen
            tree.children[item] = []
            for *_, child, rel, props in _links(conn, _OUT, (Rel.CONTAINS,), Label.ITEM, item):
                tree.children[item].append((child, quantity(rel.get("quantity"))))
                if child not in tree.items:
                    tree.items[child] = props
                    queue.append(child)
            for t, _label, src, rel, props in _links(
                conn, _IN, (Rel.PRODUCES, Rel.SUPPLIES), Label.ITEM, item
            ):
                if t == Rel.SUPPLIES:
                    tree.suppliers[src] = props
                    tree.supplies.append(Supply(src, item, rel.get("share"), rel))
                else:
                    tree.production.append(production(src, item, rel))
    return tree


# -- imports and trade facts ------------------------------------------------------------------


def item_names(store: EmbeddedStore) -> Iterator[tuple[str, dict[str, Any]]]:
    with store.reading() as conn:
        if conn is None:
            return iter(())
        rows = conn.execute(
            "SELECT key, props FROM nodes WHERE label = ? ORDER BY key", (str(Label.ITEM),)
        ).fetchall()
    return ((key, dict(_loads(props))) for key, props in rows)


def trade_holders(store: EmbeddedStore) -> set[str]:
    with store.reading() as conn:
        if conn is None:
            return set()
        rows = conn.execute(
            "SELECT key FROM nodes WHERE label = ?"
            " AND json_type(props, '$.trade_importer') IS NOT NULL",
            (str(Label.HSCODE),),
        )
        return {k for (k,) in rows}


def trade_codes(store: EmbeddedStore, importer: str) -> list[tuple[str, dict[str, Any]]]:
    with store.reading() as conn:
        if conn is None:
            return []
        rows = conn.execute(
            "SELECT key, props FROM nodes WHERE label = ?"
            " AND json_extract(props, '$.trade_importer') = ? ORDER BY key",
            (str(Label.HSCODE), importer),
        ).fetchall()
    found = [(key, dict(_loads(props))) for key, props in rows]
    return [(k, p) for k, p in found if (p.get("trade_extra_eu_imports") or 0) > 0]


def item_trade(store: EmbeddedStore, items: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (item, code, props)
        for item, code, props in store.classifications(items)
        if (props.get("trade_extra_eu_imports") or 0) > 0
    ]
