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

Triggers on ``nodes`` keep the table in step with every write, in the write's own
transaction; they call ``filiere_fold``, a function each connection of the store
registers (:func:`register`): another SQLite client cannot write the store without it,
so it cannot leave the table behind the nodes either.
"""

from __future__ import annotations

import sqlite3
from functools import cache

from filiere.folding import fold
from filiere.graph.schema import Label

#: The labels search finds, in search's type order (items first, countries last).
LABELS: tuple[Label, ...] = (Label.ITEM, Label.SUPPLIER, Label.REGION, Label.COUNTRY)
#: The SQL function the triggers fold with.
FOLD_FUNCTION = "filiere_fold"

_IN_LABELS = ", ".join(f"'{label}'" for label in LABELS)
_FOLDED_NAME = f"{FOLD_FUNCTION}(json_extract(new.props, '$.name'))"

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
#: Nodes -> search (``DELETE`` is one trigger: :func:`delete_all` drops it for a while).
_NODE_TRIGGERS = {
    "search_add": f"""
CREATE TRIGGER search_add AFTER INSERT ON nodes WHEN new.label IN ({_IN_LABELS}) BEGIN
    INSERT INTO search (label, key, fid, fname)
    VALUES (new.label, new.key, {FOLD_FUNCTION}(new.key), {_FOLDED_NAME});
END""",
    "search_rename": f"""
CREATE TRIGGER search_rename AFTER UPDATE OF props ON nodes
WHEN new.label IN ({_IN_LABELS}) BEGIN
    UPDATE search SET fname = {_FOLDED_NAME}
    WHERE label = new.label AND key = new.key AND fname IS NOT {_FOLDED_NAME};
END""",
    "search_drop": f"""
CREATE TRIGGER search_drop AFTER DELETE ON nodes WHEN old.label IN ({_IN_LABELS}) BEGIN
    DELETE FROM search WHERE label = old.label AND key = old.key;
END""",
}
#: Search -> its trigram index (an external content FTS5 table is told every change).
_FTS_TRIGGERS = {
    "search_fts_add": """
CREATE TRIGGER search_fts_add AFTER INSERT ON search BEGIN
    INSERT INTO search_fts (rowid, fid, fname) VALUES (new.id, new.fid, new.fname);
END""",
    "search_fts_drop": """
CREATE TRIGGER search_fts_drop AFTER DELETE ON search BEGIN
    INSERT INTO search_fts (search_fts, rowid, fid, fname)
    VALUES ('delete', old.id, old.fid, old.fname);
END""",
    "search_fts_change": """
CREATE TRIGGER search_fts_change AFTER UPDATE ON search BEGIN
    INSERT INTO search_fts (search_fts, rowid, fid, fname)
    VALUES ('delete', old.id, old.fid, old.fname);
    INSERT INTO search_fts (rowid, fid, fname) VALUES (new.id, new.fid, new.fname);
END""",
}
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
    """Give ``conn`` the function the triggers call (every connection to a store)."""
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
    """Create the table, its index and triggers, filled from ``nodes`` (inside the
    caller's write: a new store, or one written before the table existed)."""
    conn.execute(_TABLE)
    conn.execute(_FILL)
    if trigrams_available():
        conn.execute(_FTS)
        conn.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
        for sql in _FTS_TRIGGERS.values():
            conn.execute(sql)
    for sql in _NODE_TRIGGERS.values():
        conn.execute(sql)


def delete_all(conn: sqlite3.Connection) -> None:
    """Empty ``nodes`` and the search table at once (inside the caller's write): the
    row-by-row triggers are dropped meanwhile, so the cost does not grow with the store."""
    trigrams = has_trigrams(conn)
    conn.execute("DROP TRIGGER search_drop")
    if trigrams:
        conn.execute("DROP TRIGGER search_fts_drop")
    conn.execute("DELETE FROM nodes")
    conn.execute("DELETE FROM search")
    if trigrams:
        conn.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
        conn.execute(_FTS_TRIGGERS["search_fts_drop"])
    conn.execute(_NODE_TRIGGERS["search_drop"])
