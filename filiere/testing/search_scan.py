"""Search as a scan: every name read and folded in Python, ranked in Python.

The embedded store's search before its search table (main at 3273c4c), kept as the
reference the table's search must equal (``tests/test_embedded_search.py``) and is
timed against (``benchmarks/search_bench.py``). It reads only the ``nodes`` table, so
it also runs on a store of an earlier release without upgrading it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from filiere.folding import fold
from filiere.queries.lookups import SEARCH_LABEL, SEARCH_TYPES, country_aliases

_DETAIL = {"item": "kind", "supplier": "country", "region": "country"}


def scan_search(
    conn: sqlite3.Connection, needle: str, types: list[str], offset: int, limit: int
) -> list[dict[str, Any]]:
    """Rows ``offset`` to ``offset + limit`` of the ranked search for the folded
    ``needle`` (what :meth:`filiere.queries.backend.StoreReader.search_rows` returns)."""
    aliases = country_aliases()
    rows = []
    for t in types:
        detail = _DETAIL.get(t)
        found = conn.execute(
            "SELECT key, json_extract(props, '$.name'), json_extract(props, ?)"
            " FROM nodes WHERE label = ?",
            (f"$.{detail or 'name'}", str(SEARCH_LABEL[t])),
        )
        for key, name, value in found:
            fid, fname = fold(key), fold(str(name or ""))
            alias = aliases.get(key, "") if t == "country" else ""
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
            rows.append(
                {"type": t, "id": key, "name": name, "detail": value if detail else None}
                | {"rank": rank}
            )
    order = {t: i for i, t in enumerate(SEARCH_TYPES)}
    rows.sort(key=lambda r: (r["rank"], order[r["type"]], r["id"]))
    return rows[offset : offset + limit + 1]
