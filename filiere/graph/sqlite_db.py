"""The embedded store's SQLite file: tables, connection settings, change counter.

Schema (documented in ``docs/schema.md``)::

    nodes(label, key, extra, props)             PRIMARY KEY (label, key)
    rels(type, start_label, start_key, end_label, end_key, ident, props)
                                                PRIMARY KEY (type, start_label, start_key,
                                                             end_label, end_key, ident)
    meta(name, value)                           'changes': bumped by every write;
                                                'uid': a random id drawn when the store
                                                is created (or at its first write by
                                                this release): which store this is
    search(id, label, key, fid, fname)          the searchable nodes' folded ids and
    search_fts                                  names, and their trigram index
                                                (:mod:`filiere.graph.search_table`)

``label`` is the keyed label (``Item`` for items), ``extra`` the other labels joined
with ``:`` (``Product``), ``ident`` the JSON list of the identity properties of the
types that allow parallel relationships (``PRODUCES``: stage, year), else ``''``.
``props`` is the JSON object of the properties: the dataset format lets a file add
any column, with int, float, bool, text or list values, which a JSON object keeps
exactly and SQLite's ``json_patch`` merges in place (an upsert never reads a row
back into Python).

The file is in WAL mode (readers never block the writer, nor the writer them) with
``synchronous=FULL``: a write is one transaction, so FULL costs one fsync per ingest
and a finished ingest survives a power cut, as the JSON file (fsynced) did.
``PRAGMA application_id`` marks the file as filiere's and ``user_version`` is the
schema version: 2 since the search table; a store of version 1 gets the table on
first open (:func:`upgrade`, one transaction).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import sys
from pathlib import Path

from filiere.errors import StoreError
from filiere.graph import search_table
from filiere.i18n import _

#: ``PRAGMA application_id`` of a filiere store: "FLRE".
APPLICATION_ID = 0x464C5245
#: ``PRAGMA user_version``: the schema version (2: the search table).
SCHEMA_VERSION = 2
#: The versions this release opens, upgrading them to :data:`SCHEMA_VERSION` (1: without
#: the search table).
OPENS = (1, SCHEMA_VERSION)
#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: How long a writer waits for another one, in seconds (``exclusive()``).
BUSY_TIMEOUT = 600.0

#: Relationships by their end node (the primary key serves them by their start node): what
#: reads the suppliers and production rows of a set of items without reading the store.
#: Stores written before it existed get it with their next write (:func:`add_end_index`).
END_INDEX = "CREATE INDEX IF NOT EXISTS rels_by_end ON rels (type, end_label, end_key)"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
    label TEXT NOT NULL,
    key TEXT NOT NULL,
    extra TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (label, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rels (
    type TEXT NOT NULL,
    start_label TEXT NOT NULL,
    start_key TEXT NOT NULL,
    end_label TEXT NOT NULL,
    end_key TEXT NOT NULL,
    ident TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (type, start_label, start_key, end_label, end_key, ident)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('changes', 0);
"""
_SCHEMA += END_INDEX + ";\n"

#: Upserts: properties merge (a missing value, JSON ``null``, never erases one: patching
#: ``{}`` drops it), labels change only
#: when the record names extra labels, and a row whose content would not change is
#: not written at all.
UPSERT_NODE = """
INSERT INTO nodes (label, key, extra, props) VALUES (?, ?, ?, json_patch('{}', ?))
ON CONFLICT (label, key) DO UPDATE SET
    props = json_patch(props, excluded.props),
    extra = CASE WHEN excluded.extra = '' THEN extra ELSE excluded.extra END
WHERE props IS NOT json_patch(props, excluded.props)
   OR (excluded.extra <> '' AND extra IS NOT excluded.extra)
"""
UPSERT_REL = """
INSERT INTO rels (type, start_label, start_key, end_label, end_key, ident, props)
VALUES (?, ?, ?, ?, ?, ?, json_patch('{}', ?))
ON CONFLICT (type, start_label, start_key, end_label, end_key, ident) DO UPDATE SET
    props = json_patch(props, excluded.props)
WHERE props IS NOT json_patch(props, excluded.props)
"""
BUMP = "UPDATE meta SET value = value + 1 WHERE name = 'changes'"
CHANGES = "SELECT value FROM meta WHERE name = 'changes'"
UID = "SELECT value FROM meta WHERE name = 'uid'"


def connect(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, synchronous FULL.

    ``timeout``: how long a statement waits for a lock held by another connection.
    """
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as e:
        raise StoreError(cannot_open(path, e)) from None
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA cache_size = -32768")  # 32 MB of page cache at most
        conn.execute("PRAGMA journal_size_limit = 67108864")  # WAL truncated to 64 MB
        search_table.register(conn)
    except sqlite3.Error as e:
        conn.close()
        raise StoreError(cannot_open(path, e)) from None
    return conn


def cannot_open(path: Path, e: object) -> str:
    """The message of a store file SQLite cannot open or read."""
    return _("{path}: cannot read the store: {error}").format(path=path, error=e)


def create_private(path: Path) -> None:
    """Create ``path`` empty, readable by its owner only (as the JSON store's files were)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as e:
        raise StoreError(cannot_open(path, e)) from None


def is_initialised(conn: sqlite3.Connection, path: Path) -> bool:
    """Whether the file holds a filiere store; ``False`` when it is empty.

    Raises :class:`StoreError` when it holds another application's database or a
    newer schema. A store of an older schema is initialised: :func:`upgrade` brings it up
    to date.
    """
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == 0 and version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
        if tables == 0:
            return False
    if app_id != APPLICATION_ID:
        raise StoreError(_("{path}: this SQLite file is not a filiere store").format(path=path))
    if version not in OPENS:
        raise StoreError(
            _("{path}: store schema version {version} is not supported by this release").format(
                path=path, version=version
            )
        )
    return True


def initialise(conn: sqlite3.Connection) -> None:
    """Create the tables in an empty file (idempotent, safe against a concurrent opener)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        add_end_index(conn)
        search_table.create(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def upgrade(conn: sqlite3.Connection, path: Path) -> None:
    """Bring a store of an older schema up to :data:`SCHEMA_VERSION`, in one transaction
    (a store of version 1 gets the search table, filled from its nodes); nothing to do
    for a current one. Another process upgrading it at the same time is waited for."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            conn.execute("ROLLBACK")  # upgraded by another process meanwhile
            return
        print(
            _(
                "{path}: store written by an earlier release; adding its search table"
                " (once, in one transaction)"
            ).format(path=path),
            file=sys.stderr,
        )
        search_table.create(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def delete_all(conn: sqlite3.Connection) -> None:
    """Empty the store's tables (inside the caller's write: ``replace``, ``clear``)."""
    conn.execute("DELETE FROM rels")
    conn.execute("DELETE FROM nodes")
    search_table.delete_all(conn)


def changes(conn: sqlite3.Connection) -> int:
    """The change counter: it moves with every committed write."""
    row = conn.execute(CHANGES).fetchone()
    return int(row[0]) if row else 0


def add_end_index(conn: sqlite3.Connection) -> None:
    """Create :data:`END_INDEX` and the store's ``uid`` if the store lacks them (inside the
    caller's write)."""
    conn.execute(END_INDEX)
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('uid', ?)", (secrets.randbits(62),))


def uid(conn: sqlite3.Connection) -> int | None:
    """The store's random id (``None``: a store not written since an earlier release).

    With the change counter it names one version of one store: a store removed and
    created again at the same path counts its changes from zero again, with another id.
    """
    row = conn.execute(UID).fetchone()
    return int(row[0]) if row else None


def has_end_index(conn: sqlite3.Connection) -> bool:
    """Whether the store has :data:`END_INDEX` (a store written before it may not)."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'rels_by_end'"
    ).fetchone()
    return row is not None
