"""The embedded store's search table: every searchable node's id and name, folded.

Search looks for a folded needle (:func:`filiere.folding.fold`) inside the folded id and
name of items, suppliers, regions and countries. Folding each name at every search
costs a read of every node; this table keeps them folded instead::

    search(id INTEGER PRIMARY KEY, label, key, fid, fname)   UNIQUE (label, key)
    search_fts                                               FTS5, trigram tokenizer

``fid`` is the folded key, ``fname`` the folded ``name`` property (``''`` when there is
none). ``search_fts`` indexes the trigrams (3 characters) of both, so that a needle of
3 characters or more finds its candidates through the index; it holds no text of its
own (``content='search'``) and no positions (``detail=none``): a candidate is then
checked with ``instr``. SQLite builds without FTS5 or its trigram tokenizer (before
3.34) get the table without ``search_fts``, and search scans the table instead.

The store's writes keep the table in step, chunk by chunk, in the write's own
transaction (:func:`sync`: the nodes of a chunk are read back once written, so the
name compared is the merged one). Row-by-row triggers would do the same at 5 times the
cost: FTS5 flushes its pending terms at each statement of a trigger. Another SQLite
client that writes ``nodes`` leaves the table behind: open the file read only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from functools import cache

from filiere.folding import fold
from filiere.graph.schema import Label

#: The labels search finds, in search's type order (items first, countries last).
LABELS: tuple[Label, ...] = (Label.ITEM, Label.SUPPLIER, Label.REGION, Label.COUNTRY)
#: The SQL function that folds in SQL (filling the table of an existing store at once).
FOLD_FUNCTION = "filiere_fold"

_IN_LABELS = ", ".join(f"'{label}'" for label in LABELS)
_SEARCHED = frozenset(str(label) for label in LABELS)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_TABLE = """
CREATE TABLE search (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    key TEXT NOT NULL,
    fid TEXT NOT NULL,
    fname TEXT NOT NULL,
    UNIQUE (label, key)
)
"""
_FTS = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(fid, fname, content='search',"
    " content_rowid='id', tokenize='trigram case_sensitive 1', detail=none, columnsize=0)"
)
_FILL = f"""
INSERT INTO search (label, key, fid, fname)
SELECT label, key, {FOLD_FUNCTION}(key), {FOLD_FUNCTION}(json_extract(props, '$.name'))
FROM nodes WHERE label IN ({_IN_LABELS})
"""


def _sql_fold(value: object) -> str:
    """``filiere_fold(x)``: ``x`` as text (``''`` for NULL, 0 and ''), folded; what
    search always compared (``fold(str(name or ""))``)."""
    return fold(str(value or ""))


def register(conn: sqlite3.Connection) -> None:
    """Give ``conn`` :data:`FOLD_FUNCTION` (every connection to a store)."""
    conn.create_function(FOLD_FUNCTION, 1, _sql_fold, deterministic=True)


@cache
def trigrams_available() -> bool:
    """Whether this SQLite has FTS5 and its trigram tokenizer (SQLite >= 3.34)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return True


def has_trigrams(conn: sqlite3.Connection) -> bool:
    """Whether the store has the trigram index (built where SQLite had the tokenizer)."""
    found = conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'search_fts'").fetchone()
    return found is not None


def create(conn: sqlite3.Connection) -> None:
    """Create the table and its index, filled from ``nodes`` (inside the caller's write:
    a new store, or one written before the table existed)."""
    conn.execute(_TABLE)
    conn.execute(_FILL)
    if trigrams_available():
        conn.execute(_FTS)
        conn.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")


#: The chunk's nodes (``?``: a JSON list of keys, and their label) whose row is missing
#: or holds another name; CROSS JOIN: from the keys, never a scan of the label.
_CHUNK = "FROM json_each(?) AS j CROSS JOIN nodes AS n ON n.label = ? AND n.key = j.value"
_NAME = f"{FOLD_FUNCTION}(json_extract(n.props, '$.name'))"
_RENAMED = f"""
SELECT s.id, s.fid, s.fname, {_NAME} {_CHUNK}
JOIN search AS s ON s.label = n.label AND s.key = n.key WHERE s.fname IS NOT {_NAME}
"""
_ADD = f"""
INSERT INTO search (label, key, fid, fname)
SELECT n.label, n.key, {FOLD_FUNCTION}(n.key), {_NAME} {_CHUNK}
WHERE NOT EXISTS (SELECT 1 FROM search AS s WHERE s.label = n.label AND s.key = n.key)
"""


def sync(conn: sqlite3.Connection, written: Iterable[tuple[str, str]], trigrams: bool) -> None:
    """Bring the rows of the ``(label, key)`` nodes just ``written`` up to date (inside the
    write): add the new ones, refold the renamed ones, and tell the trigram index
    (``trigrams``: the store has it, :func:`has_trigrams`)."""
    by_label: dict[str, dict[str, None]] = {}
    for label, key in written:
        if label in _SEARCHED:
            by_label.setdefault(label, {})[key] = None
    for label, keys in by_label.items():
        chunk = (_dumps(list(keys)), label)
        renamed = conn.execute(_RENAMED, chunk).fetchall()  # id, fid, old fname, new fname
        (top,) = conn.execute("SELECT coalesce(max(id), 0) FROM search").fetchone()
        conn.execute(_ADD, chunk)  # new rows: ids above top
        conn.executemany(
            "UPDATE search SET fname = ? WHERE id = ?", [(r[3], r[0]) for r in renamed]
        )
        if trigrams:
            conn.executemany(
                "INSERT INTO search_fts (search_fts, rowid, fid, fname) VALUES ('delete', ?, ?, ?)",
                [r[:3] for r in renamed],
            )
            conn.executemany(
                "INSERT INTO search_fts (rowid, fid, fname) VALUES (?, ?, ?)",
                [(r[0], r[1], r[3]) for r in renamed],
            )
            conn.execute(
                "INSERT INTO search_fts (rowid, fid, fname) SELECT id, fid, fname FROM search"
                " WHERE id > ?",
                (top,),
            )


def delete_all(conn: sqlite3.Connection) -> None:
    """Empty the table and its index (inside the caller's write, with ``nodes``)."""
    conn.execute("DELETE FROM search")
    if has_trigrams(conn):
        conn.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
