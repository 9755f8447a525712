"""The embedded store: one SQLite file, read by ``SELECT`` s and a compact index.

The file (tables in :mod:`filiere.graph.sqlite_db`, documented in ``docs/schema.md``)
is the store of record. A write is one SQLite transaction: atomic and isolated by
SQLite itself, so a killed writer leaves the store as it was and readers see the old
graph or the new one, never half. Readers never block the writer (WAL mode).

The analyses read a compact index built from the tables (:mod:`filiere.queries.embedded`),
the look-ups indexed ``SELECT`` s (:meth:`EmbeddedStore.reading`). :attr:`EmbeddedStore.graph`,
a ``networkx.MultiDiGraph`` of the whole store, is built only when asked for (tests, tools):
no command, request or page builds it, and ingesting never does.

A file holding the JSON store of an earlier release is migrated on first open (see
:mod:`filiere.graph.json_store`).

>>> import tempfile, pathlib
>>> from filiere.graph.records import GraphBatch, NodeRecord
>>> path = pathlib.Path(tempfile.mkdtemp()) / "g.db"
>>> store = EmbeddedStore(path)
>>> _ = store.write(GraphBatch([NodeRecord.make(Label.COUNTRY, "FR", {"name": "France"})]))
>>> EmbeddedStore(path).get_node(Label.COUNTRY, "FR")["name"]
'France'
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import networkx as nx

from filiere.errors import StoreError
from filiere.graph import json_store, search_table
from filiere.graph import sqlite_db as db
from filiere.graph.embedded_stream import SqlRecords
from filiere.graph.records import (
    BatchSource,
    GraphBatch,
    NodeRecord,
    ProgressCallback,
    RecordSource,
    RelRecord,
    WriteSummary,
)
from filiere.graph.schema import NAME, REL_IDENTITY, Label, Rel
from filiere.graph.store import GraphStore, reentrant
from filiere.i18n import _

if TYPE_CHECKING:
    from filiere.queries.backend import StoreReader

NodeId = tuple[str, str]

#: Records per ``executemany`` (and per progress step).
CHUNK = 10_000
#: Keys per ``IN (...)`` look-up (SQLite allows 32,766 parameters).
LOOKUP_CHUNK = 500

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def node_id(label: str, key: str) -> NodeId:
    """The networkx node of a keyed node: ``(label, key)``."""
    return (str(label), key)


def edge_key(rel: RelRecord) -> tuple[Any, ...]:
    """The networkx edge key: the type plus its identity properties."""
    return (str(rel.type), *rel.identity)


def _props_json(props: Mapping[str, Any]) -> str:
    """Properties as JSON (``None`` values are dropped by the upsert, in SQL)."""
    return _dumps(props)


def _ident(rel: RelRecord) -> str:
    return _dumps(list(rel.identity)) if rel.type in REL_IDENTITY else ""


class EmbeddedStore(GraphStore):
    """A :class:`~filiere.graph.store.GraphStore` in one SQLite file.

    ``graph`` is a ``networkx.MultiDiGraph`` whose nodes are ``(label, key)`` with
    attributes ``labels`` (tuple) and ``props`` (dict), and whose edges carry ``type``
    and ``props``, built on demand (tests and tools; see the module docstring).
    ``timeout``: how many seconds a
    write waits for another process's write before giving up with a clear error.
    """

    kind: ClassVar[str] = "embedded"
    in_process: ClassVar[bool] = True

    @property
    def reader(self) -> StoreReader:
        from filiere.queries.embedded import EmbeddedReader

        return EmbeddedReader(self)

    def for_upload(self) -> EmbeddedStore:
        # An upload writes through its own object (its own SQLite connection and
        # transaction): requests reading this one see the last commit, then reload.
        return EmbeddedStore(self.path)

    def __init__(self, path: str | os.PathLike[str], *, timeout: float | None = None) -> None:
        self.path = Path(path).expanduser()
        self.uri = str(self.path)
        self.timeout = db.BUSY_TIMEOUT if timeout is None else timeout
        self._local = threading.local()  # .conn: this thread's connection
        self._holder = threading.local()  # .depth: how deep this thread holds the writer lock
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._graph_lock = threading.Lock()
        self._graph: nx.MultiDiGraph | None = None
        #: The change counter the cached graph was built at (read by the analyses' cache).
        self._stamp: int | None = None
        content = json_store.sniff(self.path)
        if content == "json":
            json_store.migrate(self.path, _write_new_store)
        elif content == "other":
            raise StoreError(
                _("{path}: not a filiere store (neither SQLite nor a filiere JSON graph)").format(
                    path=self.path
                )
            )

    # -- connections and transactions --------------------------------------------------------

    def _connection(self, *, create: bool) -> sqlite3.Connection | None:
        """This thread's connection; ``None`` when the store is still empty and not ``create``.

        A connection to a file that is no longer at ``path`` (removed, or replaced by a
        refused first ingest's clean-up) is dropped for one to the current file.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        try:
            ino: int | None = self.path.stat().st_ino
        except FileNotFoundError:
            ino = None
        if conn is not None and ino != getattr(self._local, "ino", None):
            if conn.in_transaction:  # never drop a transaction in progress
                return conn
            self._drop_connection()
            conn = None
        if conn is None:
            if not create and ino is None:
                return None
            if create:
                db.create_private(self.path)
            conn = db.connect(self.path, self.timeout)
            with self._conns_lock:
                self._conns.append(conn)
            self._local.conn = conn
            self._local.ino = self.path.stat().st_ino
            self._local.ready = False
        if not self._local.ready:
            try:
                ready = db.is_initialised(conn, self.path)
                if not ready and create:
                    db.initialise(conn)
                    ready = True
                elif ready:
                    db.upgrade(conn, self.path)
            except sqlite3.Error as e:
                raise StoreError(db.cannot_open(self.path, e)) from None
            if not ready:
                return None
            self._local.ready = True
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._conns_lock:
                if conn in self._conns:
                    self._conns.remove(conn)
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        """A connection inside one read snapshot (or the writer's own transaction)."""
        conn = self._connection(create=False)
        if conn is None or conn.in_transaction:
            yield conn
            return
        try:
            conn.execute("BEGIN")
        except sqlite3.Error as e:
            raise StoreError(db.cannot_open(self.path, e)) from None
        try:
            yield conn
        except sqlite3.Error as e:
            raise StoreError(db.cannot_open(self.path, e)) from None
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection | None]:
        """A connection inside one read snapshot, for the look-ups' ``SELECT`` s (``None``:
        no store yet); inside this thread's own write, that write's connection."""
        with self._reading() as conn:
            yield conn

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._reading() as conn:
            return [] if conn is None else conn.execute(sql, tuple(params)).fetchall()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        fresh = not self.path.exists()
        conn = self._begin_immediate()
        # A store created for this write and still empty is removed if the write fails:
        # a refused first ingest leaves no file. Nobody else can have written it since
        # (this transaction holds the lock from an empty store); other connections to
        # it notice the file is gone and reopen the path.
        fresh = fresh and db.changes(conn) == 0
        try:
            db.add_end_index(conn)  # a store of an earlier release gets it with this write
            yield
        except BaseException:
            if fresh:
                json_store.remove_database(self.path)
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if fresh:
                self._drop_connection()
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise StoreError(_cannot_save(self.path, e)) from None

    def _begin_immediate(self) -> sqlite3.Connection:
        """``BEGIN IMMEDIATE`` on the file now at ``path`` (waiting up to ``timeout``)."""
        for _attempt in range(5):
            conn = self._connection(create=True)
            assert conn is not None
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                if "locked" in str(e) or "busy" in str(e):
                    raise StoreError(
                        _(
                            "{path}: another write has held the store for more than {seconds} s;"
                            " try again once it is finished"
                        ).format(path=self.path, seconds=f"{self.timeout:g}")
                    ) from None
                raise StoreError(db.cannot_open(self.path, e)) from None
            try:
                same = self.path.stat().st_ino == self._local.ino
            except FileNotFoundError:
                same = False
            if same:
                return conn
            conn.execute("ROLLBACK")  # the file was removed while this one waited
            self._drop_connection()
        raise StoreError(db.cannot_open(self.path, "the file keeps being replaced"))

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """One SQLite write transaction (``BEGIN IMMEDIATE``), committed at the end.

        Another process's write waits for it (up to ``timeout`` seconds, then a clear
        error); readers go on reading the graph as last committed. Everything written
        inside commits together, or nothing does if an exception leaves the block.
        """
        with reentrant(self._holder, self._transaction):
            yield

    # -- the analysis graph ------------------------------------------------------------------

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The graph, rebuilt from the file when the change counter moved since last built."""
        with self._graph_lock, self._reading() as conn:
            if conn is None:
                if self._graph is None or self._stamp is not None:
                    self._graph, self._stamp = nx.MultiDiGraph(), None
                return self._graph
            if conn.in_transaction and getattr(self._holder, "depth", 0) > 0:
                # Inside this thread's own write: uncommitted rows, never cached.
                return _build_graph(conn)
            version = db.changes(conn)
            if self._graph is None or version != self._stamp:
                self._graph = _build_graph(conn)
                self._stamp = version
            return self._graph

    def cached_graph(self) -> nx.MultiDiGraph | None:
        """:attr:`graph` if it is built and current, else ``None`` (nothing else is read)."""
        if getattr(self._holder, "depth", 0) > 0:
            return None  # inside this thread's own write: never cached
        with self._graph_lock, self._reading() as conn:
            if conn is None or self._graph is None:
                return None
            return self._graph if db.changes(conn) == self._stamp else None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The tables as of one read snapshot, and the version they are.

        ``version`` names this store's content (its ``uid`` and change counter: equal
        versions, equal tables); ``None`` inside this thread's own write (uncommitted rows,
        never to be cached) and for a store not created yet.
        """
        with self._reading() as conn:
            if conn is None:
                yield Snapshot(RowTables([], []), None)
                return
            if conn.in_transaction and getattr(self._holder, "depth", 0) > 0:
                yield Snapshot(SqlTables(conn), None)
                return
            yield Snapshot(SqlTables(conn), self._version(conn))

    def _version(self, conn: sqlite3.Connection) -> str:
        uid = db.uid(conn)
        if uid is None:  # written by an earlier release: the file's identity stands in
            st = self.path.stat()
            return f"file-{st.st_dev}-{st.st_ino}-{st.st_ctime_ns}-{db.changes(conn)}"
        return f"{uid}-{db.changes(conn)}"

    def closure_tables(self, root: str) -> RowTables | None:
        """The part of the tables that the dependencies of item ``root`` read.

        The items of closure(root) (a recursive ``SELECT`` over ``CONTAINS``), the
        ``CONTAINS``, ``SUPPLIES`` and ``PRODUCES`` relationships of those items and the
        suppliers and countries at their other end: one read snapshot whose cost grows
        with the bill of materials, not with the store. ``None`` inside this thread's own
        write, and when the store has no index by end node yet (written by an earlier
        release and not since).
        """
        if getattr(self._holder, "depth", 0) > 0:
            return None
        with self._reading() as conn:
            if conn is None:
                return RowTables([], [])
            if not db.has_end_index(conn):
                return None
            keys = [k for (k,) in conn.execute(_CLOSURE, (root,))]
            nodes = _rows_by_key(conn, _NODES_BY_KEY, str(Label.ITEM), keys)
            rels = _rows_by_key(conn, _CONTAINS_BY_START, str(Rel.CONTAINS), keys)
            ends: dict[str, set[str]] = {}
            for rtype in (Rel.SUPPLIES, Rel.PRODUCES):
                found = _rows_by_key(conn, _ITEM_RELS_BY_END, str(rtype), keys)
                rels += found
                for row in found:
                    ends.setdefault(row[1], set()).add(row[2])
            for label, wanted in sorted(ends.items()):
                nodes += _rows_by_key(conn, _NODES_BY_KEY, label, sorted(wanted))
        present = {(label, key) for label, key, _extra, _props in nodes}
        kept = [r for r in rels if (r[1], r[2]) in present and (r[3], r[4]) in present]
        # In the tables' key order, as the whole store is read: same adjacency order.
        return RowTables(sorted(nodes), sorted(kept, key=lambda r: r[:6]))

    def classifications(self, items: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """(item, HS code, the code's properties) of ``items``' ``CLASSIFIED_AS``
        relationships, by item then code, read from the file (no graph built)."""
        wanted = sorted(set(items))
        out: list[tuple[str, str, dict[str, Any]]] = []
        with self._reading() as conn:
            if conn is None:
                return out
            for item, code, props in _rows_by_key(
                conn, _CLASSIFIED, str(Rel.CLASSIFIED_AS), wanted
            ):
                out.append((item, code, json.loads(props)))
        return sorted(out, key=lambda r: (r[0], r[1]))

    # -- GraphStore --------------------------------------------------------------------------

    def write(
        self,
        batch: GraphBatch,
        *,
        replace: bool = False,
        progress: ProgressCallback | None = None,
        atomic: bool = True,
    ) -> WriteSummary:
        # Always atomic: one transaction (``atomic`` matters to Neo4j only).
        return self.write_records(batch.nodes, batch.rels, replace=replace, progress=progress)

    def write_records(
        self,
        nodes: Iterable[NodeRecord],
        rels: Iterable[RelRecord],
        *,
        replace: bool = False,
        progress: ProgressCallback | None = None,
        atomic: bool = True,
    ) -> WriteSummary:
        """Write the records chunk by chunk as they come, all in one SQLite transaction."""
        with self.exclusive():
            conn = self._local.conn
            conn.execute("SAVEPOINT filiere_write")
            try:
                summary = self._write(conn, nodes, rels, replace, progress)
            except BaseException as e:
                with contextlib.suppress(sqlite3.Error):  # gone if SQLite rolled back itself
                    conn.execute("ROLLBACK TO filiere_write")
                    conn.execute("RELEASE filiere_write")
                if isinstance(e, sqlite3.Error | ValueError):
                    raise StoreError(_cannot_save(self.path, e)) from None
                raise
            conn.execute("RELEASE filiere_write")
            return summary

    def _write(
        self,
        conn: sqlite3.Connection,
        nodes: Iterable[NodeRecord],
        rels: Iterable[RelRecord],
        replace: bool,
        progress: ProgressCallback | None,
    ) -> WriteSummary:
        if replace:
            db.delete_all(conn)
        ends = _Ends()
        node_count = _Counts(conn, "nodes", "label")
        rel_count = _Counts(conn, "rels", "type")

        def node_rows() -> Iterator[tuple[Any, ...]]:
            for n in nodes:
                label = str(n.label)
                node_count.add(label)
                ends.present(n)
                yield (label, n.key, ":".join(n.extra_labels), _props_json(n.props))

        def rel_rows() -> Iterator[tuple[Any, ...]]:
            present = ends.keys
            # Records are immutable: consecutive ones sharing one props object (the
            # provenance alone, as most relationships have) share its JSON text too.
            last: Mapping[str, Any] | None = None
            text = ""
            for r in rels:
                rtype = str(r.type)
                rel_count.add(rtype)
                if r.start not in present.get(r.start_label, ()) or r.end not in present.get(
                    r.end_label, ()
                ):
                    ends.want(r)
                if r.props is not last:
                    last, text = r.props, _props_json(r.props)
                yield (rtype, str(r.start_label), r.start, str(r.end_label), r.end, _ident(r), text)

        trigrams = search_table.has_trigrams(conn)
        _in_chunks(
            conn,
            db.UPSERT_NODE,
            node_rows(),
            progress,
            written=lambda chunk: search_table.sync(conn, (r[:2] for r in chunk), trigrams),
        )
        _in_chunks(conn, db.UPSERT_REL, rel_rows(), progress)
        ends.check(conn, replace)
        summary = WriteSummary()
        node_count.summarise(summary)
        rel_count.summarise(summary)
        conn.execute(db.BUMP)
        return summary

    def clear(self) -> None:
        with self.exclusive():
            conn = self._local.conn
            try:
                db.delete_all(conn)
                conn.execute(db.BUMP)
            except sqlite3.Error as e:
                raise StoreError(_cannot_save(self.path, e)) from None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with self._reading() as conn:
            if conn is None:
                return out
            for label, extra, n in conn.execute(
                "SELECT label, extra, count(*) FROM nodes GROUP BY label, extra"
            ):
                for lbl in (label, *extra.split(":")) if extra else (label,):
                    out[lbl] = out.get(lbl, 0) + n
            for rtype, n in conn.execute("SELECT type, count(*) FROM rels GROUP BY type"):
                out[rtype] = out.get(rtype, 0) + n
        return out

    def export(self) -> GraphBatch:
        with self._reading() as conn:
            if conn is None:
                return GraphBatch()
            nodes = [
                NodeRecord(Label(label), key, json.loads(props), _labels(extra))
                for label, key, extra, props in conn.execute(
                    "SELECT label, key, extra, props FROM nodes"
                )
            ]
            rels = [
                RelRecord(Rel(t), Label(sl), s, Label(el), e, json.loads(props))
                for t, sl, s, el, e, props in conn.execute(
                    "SELECT type, start_label, start_key, end_label, end_key, props FROM rels"
                )
            ]
        return GraphBatch(nodes, rels).sorted()

    @contextlib.contextmanager
    def streamed(self) -> Iterator[RecordSource]:
        """The tables read row by row, each pass in the same read snapshot."""
        with self._reading() as conn:
            yield BatchSource(GraphBatch()) if conn is None else SqlRecords(conn)

    def get_node(self, label: Label, key: str) -> dict[str, Any] | None:
        rows = self._query("SELECT props FROM nodes WHERE label = ? AND key = ?", (str(label), key))
        return json.loads(rows[0][0]) if rows else None

    def get_nodes(self, label: Label, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {key: json.loads(props) for key, props in self._by_keys(label, keys, "props")}

    def names(self, label: Label, keys: Iterable[str]) -> dict[str, str]:
        # The name read by SQLite (json_extract), not by parsing each node's JSON here.
        found = self._by_keys(label, keys, "json_extract(props, ?)", (f"$.{NAME}",))
        return {key: str(name) for key, name in found if name is not None}

    def _by_keys(
        self, label: Label, keys: Iterable[str], column: str, params: tuple[str, ...] = ()
    ) -> Iterator[tuple[str, Any]]:
        """``(key, column)`` of the ``label`` nodes with these keys, read in chunks.

        ``column`` is an SQL expression of this module's, never a caller's text."""
        wanted = sorted(set(keys))
        with self._reading() as conn:
            if conn is None:
                return
            for i in range(0, len(wanted), LOOKUP_CHUNK):
                part = wanted[i : i + LOOKUP_CHUNK]
                sql = (
                    f"SELECT key, {column} FROM nodes WHERE label = ? AND key IN"
                    f" ({', '.join('?' * len(part))})"
                )
                yield from conn.execute(sql, (*params, str(label), *part))

    def relationships(self, rtype: Rel) -> list[RelRecord]:
        rows = self._query(
            "SELECT start_label, start_key, end_label, end_key, props FROM rels WHERE type = ?",
            (str(rtype),),
        )
        return [
            RelRecord(rtype, Label(sl), s, Label(el), e, json.loads(props))
            for sl, s, el, e, props in rows
        ]

    def ping(self) -> None:
        """Check the file answers (one read of the change counter; no graph is built)."""
        with self._reading() as conn:
            if conn is not None:
                db.changes(conn)

    def close(self) -> None:
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()


class _Counts:
    """Records written by name (label or type), and how many rows of each the table held.

    A name's rows are counted when its first record comes, before the chunk holding it
    is written (chunks are gathered before they are executed): created = rows after -
    rows before, updated = the rest of that name's records.
    """

    def __init__(self, conn: sqlite3.Connection, table: str, column: str) -> None:
        self.conn = conn
        self.sql = f"SELECT count(*) FROM {table} WHERE {column} = ?"
        self.before: dict[str, int] = {}
        self.written: dict[str, int] = {}

    def add(self, name: str) -> None:
        written = self.written
        if name in written:
            written[name] += 1
        else:
            self.before[name] = self.conn.execute(self.sql, (name,)).fetchone()[0]
            written[name] = 1

    def summarise(self, summary: WriteSummary) -> None:
        for name, n in self.written.items():
            created = self.conn.execute(self.sql, (name,)).fetchone()[0] - self.before[name]
            summary.created[name] += created
            summary.updated[name] += n - created


class _Ends:
    """The nodes a write brings and the relationship ends it does not: checked at the end.

    Nodes come before relationships, so an end that is not among the written nodes must
    already be in the store, else the write is refused (and rolled back).
    """

    def __init__(self) -> None:
        self.keys: dict[Label, set[str]] = {}
        self.wanted: dict[tuple[Label, str], Rel] = {}

    def present(self, n: NodeRecord) -> None:
        self.keys.setdefault(n.label, set()).add(n.key)

    def want(self, r: RelRecord) -> None:
        for end in ((r.start_label, r.start), (r.end_label, r.end)):
            if end[1] not in self.keys.get(end[0], ()) and end not in self.wanted:
                self.wanted[end] = r.type

    def check(self, conn: sqlite3.Connection, replace: bool) -> None:
        if not self.wanted:
            return
        found = set() if replace else _existing(conn, set(self.wanted))
        for end, rtype in self.wanted.items():
            if end not in found:
                raise StoreError(f"{rtype} refers to a missing {end[0]} {end[1]!r}")


def _labels(extra: str) -> tuple[Label, ...]:
    return tuple(Label(x) for x in extra.split(":")) if extra else ()


def _existing(conn: sqlite3.Connection, ends: set[tuple[Label, str]]) -> set[tuple[Label, str]]:
    """The ``(label, key)`` among ``ends`` that the store holds."""
    by_label: dict[Label, list[str]] = {}
    for label, key in ends:
        by_label.setdefault(label, []).append(key)
    found: set[tuple[Label, str]] = set()
    for label, keys in by_label.items():
        for i in range(0, len(keys), LOOKUP_CHUNK):
            part = keys[i : i + LOOKUP_CHUNK]
            sql = f"SELECT key FROM nodes WHERE label = ? AND key IN ({', '.join('?' * len(part))})"
            found.update((label, k) for (k,) in conn.execute(sql, (str(label), *part)))
    return found


def _in_chunks(
    conn: sqlite3.Connection,
    statement: str,
    rows: Iterator[tuple[Any, ...]],
    progress: ProgressCallback | None,
    written: Callable[[list[tuple[Any, ...]]], None] | None = None,
) -> None:
    """``executemany`` ``rows`` by chunks of :data:`CHUNK`, reporting progress; ``written``
    is given each chunk once it is written."""
    while True:
        chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            return
        conn.executemany(statement, chunk)
        if written:
            written(chunk)
        if progress:
            progress(len(chunk))


_REL_COLUMNS = "type, start_label, start_key, end_label, end_key, ident, props"

#: The keys of closure(?) over ``CONTAINS`` (``UNION`` drops repeats: a cycle ends).
_CLOSURE = f"""
WITH RECURSIVE closure(key) AS (
    VALUES (?)
    UNION
    SELECT r.end_key FROM rels AS r JOIN closure AS c
    ON r.type = '{Rel.CONTAINS}' AND r.start_label = '{Label.ITEM}' AND r.start_key = c.key
    AND r.end_label = '{Label.ITEM}'
)
SELECT key FROM closure
"""


_NODES_BY_KEY = "SELECT label, key, extra, props FROM nodes WHERE label = ? AND key IN ({})"
_CONTAINS_BY_START = (
    f"SELECT {_REL_COLUMNS} FROM rels WHERE type = ? AND start_label = '{Label.ITEM}'"
    f" AND start_key IN ({{}}) AND end_label = '{Label.ITEM}'"
)
_ITEM_RELS_BY_END = (
    f"SELECT {_REL_COLUMNS} FROM rels WHERE type = ? AND end_label = '{Label.ITEM}'"
    " AND end_key IN ({})"
)


_CLASSIFIED = (
    "SELECT r.start_key, n.key, n.props FROM rels AS r JOIN nodes AS n"
    " ON n.label = r.end_label AND n.key = r.end_key"
    f" WHERE r.type = ? AND r.start_label = '{Label.ITEM}' AND r.start_key IN ({{}})"
    f" AND r.end_label = '{Label.HSCODE}'"
)


def _rows_by_key(conn: sqlite3.Connection, sql: str, first: str, keys: list[str]) -> list[Any]:
    """The rows of ``sql`` (``?`` = ``first``, ``{}``: the keys) for ``keys``, by chunks."""
    rows: list[Any] = []
    for i in range(0, len(keys), LOOKUP_CHUNK):
        part = keys[i : i + LOOKUP_CHUNK]
        rows += conn.execute(sql.format(",".join("?" * len(part))), (first, *part)).fetchall()
    return rows


def _graph_of(nodes: Iterable[Any], rels: Iterable[Any]) -> nx.MultiDiGraph:
    """The networkx graph of rows of the ``nodes`` and ``rels`` tables."""
    g = nx.MultiDiGraph()
    loads = json.loads
    g.add_nodes_from(
        (
            (label, key),
            {"labels": (label, *extra.split(":")) if extra else (label,), "props": loads(props)},
        )
        for label, key, extra, props in nodes
    )
    g.add_edges_from(
        (
            (sl, s),
            (el, e),
            (t, *loads(ident)) if ident else (t,),
            {"type": t, "props": loads(props)},
        )
        for t, sl, s, el, e, ident, props in rels
    )
    return g


class Tables(Protocol):
    """Rows of the store's tables, each in its primary key's order."""

    def nodes(self, label: str) -> Iterable[tuple[str, str, str]]:
        """``(key, extra labels, props JSON)`` of the nodes keyed by ``label``, by key."""
        ...

    def rels(self, rtype: str) -> Iterable[tuple[str, str, str]]:
        """``(start key, end key, props JSON)`` of the ``rtype`` relationships, in key order
        (start label, start key, end label, end key, identity)."""
        ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """:meth:`EmbeddedStore.snapshot`: tables and the version they are (``None``: unnamed)."""

    tables: Tables
    version: str | None


class SqlTables:
    """:class:`Tables` read from a connection (streaming ``SELECT`` s, in one snapshot)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def nodes(self, label: str) -> Iterable[tuple[str, str, str]]:
        return self._conn.execute(
            "SELECT key, extra, props FROM nodes WHERE label = ? ORDER BY key", (label,)
        )

    def rels(self, rtype: str) -> Iterable[tuple[str, str, str]]:
        return self._conn.execute(
            "SELECT start_key, end_key, props FROM rels WHERE type = ?"
            " ORDER BY start_label, start_key, end_label, end_key, ident",
            (rtype,),
        )


class RowTables:
    """:class:`Tables` of rows already read: ``nodes``/``rels`` rows in the tables' order."""

    def __init__(self, node_rows: list[Any], rel_rows: list[Any]) -> None:
        self.node_rows = node_rows
        self.rel_rows = rel_rows

    def nodes(self, label: str) -> Iterable[tuple[str, str, str]]:
        return ((k, extra, props) for lbl, k, extra, props in self.node_rows if lbl == label)

    def rels(self, rtype: str) -> Iterable[tuple[str, str, str]]:
        return ((s, e, props) for t, _sl, s, _el, e, _i, props in self.rel_rows if t == rtype)


def _build_graph(conn: sqlite3.Connection) -> nx.MultiDiGraph:
    """The networkx graph of the tables: one streaming ``SELECT`` per table."""
    return _graph_of(
        conn.execute("SELECT label, key, extra, props FROM nodes"),
        conn.execute(f"SELECT {_REL_COLUMNS} FROM rels"),
    )


def _cannot_save(path: Path, e: BaseException) -> str:
    return _("{path}: cannot save the graph: {error}").format(path=path, error=e)


def _write_new_store(path: Path, batch: GraphBatch) -> None:
    """Write ``batch`` into a new SQLite store at ``path`` (the JSON migration's target)."""
    store = EmbeddedStore(path)
    try:
        store.write(batch, replace=True)
    finally:
        store.close()
