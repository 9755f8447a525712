"""The Neo4j store, through the official driver.

A write is batched ``UNWIND $rows`` statements on constrained keys: in one transaction
up to :data:`ONE_TRANSACTION_MAX` records, above that in batches committed one by one
under a load journal that keeps the write all-or-nothing
(:mod:`filiere.graph.neo4j_journal`). Reads run in read transactions so that a
cluster routes them to readers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import neo4j
from neo4j import GraphDatabase, ManagedTransaction
from neo4j.exceptions import AuthError as Neo4jAuthError
from neo4j.exceptions import DriverError, IncompleteCommit, Neo4jError, ServiceUnavailable

from filiere.errors import StoreError
from filiere.graph import neo4j_journal as journal
from filiere.graph import neo4j_queries as q
from filiere.graph.records import GraphBatch, NodeRecord, ProgressCallback, RelRecord, WriteSummary
from filiere.graph.schema import JOURNAL_PROPS, KEY, KEYED_LABELS, Label, Rel, constraints_cypher
from filiere.graph.store import GraphStore, reentrant
from filiere.i18n import _

if TYPE_CHECKING:
    from filiere.queries.backend import StoreReader

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Largest write (nodes + relationships) made in one transaction; a larger one is
#: committed in journalled batches (all-or-nothing too). With the launcher's default
#: 1 GB heap (256 MB per transaction), one transaction held the 79,264 records of the
#: ingest benchmark's 60,000-row dataset, and failed on its 132,281 records of 10^5
#: rows (docs/benchmarks.md): this leaves room for larger properties.
ONE_TRANSACTION_MAX = 50_000

#: Longest an ingest may hold (or wait for) the ingest lock on Neo4j, in seconds.
LOCK_TIMEOUT_S = 6 * 3600

#: Writes one chunk in the transaction it is given; returns how many it created.
Step = Callable[[ManagedTransaction | neo4j.Transaction], int]


def _chunks(rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _describe(e: Exception) -> str:
    """A driver or server error in a few words."""
    if isinstance(e, ServiceUnavailable | neo4j.exceptions.SessionExpired):
        return _("Neo4j is not reachable ({reason})").format(reason=e)
    if isinstance(e, Neo4jError):
        return f"{e.code}: {e.message}"
    return str(e) or type(e).__name__


def _keyed_label(labels: Sequence[str]) -> Label:
    for lbl in KEYED_LABELS:
        if lbl.value in labels:
            return lbl
    raise StoreError(f"node with labels {list(labels)} is not part of the filiere schema")


def _public(props: dict[str, Any]) -> dict[str, Any]:
    """Properties without the tags of a journalled load in progress."""
    return {k: v for k, v in props.items() if k not in JOURNAL_PROPS}


def _rel(r: neo4j.Record) -> RelRecord:
    a, b = _keyed_label(r["a_labels"]), _keyed_label(r["b_labels"])
    return RelRecord(Rel(r["type"]), a, r["a"][KEY[a]], b, r["b"][KEY[b]], _public(r["props"]))


class Neo4jStore(GraphStore):
    """A :class:`~filiere.graph.store.GraphStore` in a Neo4j database."""

    kind: ClassVar[str] = "neo4j"
    runs_cypher: ClassVar[bool] = True

    @property
    def reader(self) -> StoreReader:
        from filiere.queries.neo4j import Neo4jReader

        return Neo4jReader(self)

    def __init__(
        self,
        uri: str,
        *,
        user: str = "neo4j",
        password: str = "",
        database: str = "neo4j",
        batch_size: int = 5000,
        one_transaction_max: int = ONE_TRANSACTION_MAX,
    ) -> None:
        self.uri = uri
        self.database = database
        self.batch_size = batch_size
        self.one_transaction_max = one_transaction_max
        try:
            # Server notifications (e.g. "property key does not exist" on a graph without
            # trade data) are about filiere's own queries, not the user's: keep them quiet.
            self.driver = GraphDatabase.driver(
                uri, auth=(user, password), notifications_min_severity="OFF"
            )
        except ValueError as e:
            raise StoreError(f"bad Neo4j URI {uri!r}: {e}") from None
        self._schema_ready = False
        self._holder = threading.local()  # .depth: how deep this thread holds the lock
        self._recover_log: list[journal.Settled] = []  # settled on taking the lock

    # -- helpers -----------------------------------------------------------------------------

    def read(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run ``work`` in a read transaction (retried by the driver on transient errors)."""
        self.ensure_schema()
        return self._call(lambda s: s.execute_read(work))

    def run_read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Run one read query, return its records as dicts."""
        return self.read(lambda tx: [r.data() for r in tx.run(query, params)])

    def _call(self, fn: Callable[[neo4j.Session], T]) -> T:
        with self._translated(), self.driver.session(database=self.database) as session:
            return fn(session)

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn the driver's errors into :class:`StoreError`."""
        try:
            yield
        except Neo4jAuthError as e:
            raise StoreError(f"{self.uri}: authentication failed: {e.message}") from None
        except IncompleteCommit as e:
            raise StoreError(
                _(
                    "{uri}: the connection was lost while Neo4j committed the write ({reason}): "
                    "it may or may not have been saved; run the same command again to be sure "
                    "(writes are idempotent)"
                ).format(uri=self.uri, reason=e)
            ) from None
        except ServiceUnavailable as e:
            raise StoreError(f"{self.uri}: Neo4j is not reachable ({e})") from None
        except Neo4jError as e:
            raise StoreError(f"{self.uri}: {e.code}: {e.message}") from None

    def ensure_schema(self) -> None:
        """Create the unique constraints on every keyed label (once per store object)."""
        if self._schema_ready:
            return

        def create(session: neo4j.Session) -> None:
            for stmt in [*constraints_cypher(), q.INGEST_LOCK_CONSTRAINT]:
                session.run(stmt).consume()

        self._call(create)
        self._schema_ready = True

    # -- GraphStore --------------------------------------------------------------------------

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the ingest lock: a transaction that MERGEs the lock node and never commits.

        The node's unique constraint makes another holder's MERGE wait until this
        transaction ends (rolled back: the node is never seen). Reads and writes made
        meanwhile, in other transactions, see everything committed before.
        """
        with reentrant(self._holder, self._ingest_lock):
            yield

    @contextlib.contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        self.ensure_schema()
        with self._translated():
            session = self.driver.session(database=self.database)
            tx: neo4j.Transaction | None = None
            try:
                # Its own timeout: a batched load may outlast db.transaction.timeout
                # (60 s with the launcher), and the lock must last as long as the load.
                tx = session.begin_transaction(timeout=LOCK_TIMEOUT_S)
                tx.run(q.TAKE_INGEST_LOCK).consume()
                self._recover()
                yield
            finally:
                with contextlib.suppress(Exception):  # the server may be gone: nothing to undo
                    if tx is not None:
                        tx.close()  # rolls back: the lock node is never committed
                    session.close()

    def recover(self) -> list[tuple[str, bool]]:
        """Settle the loads a killed process or server left half-done (under the lock)."""
        with self.exclusive():  # the outermost holder already recovered on taking the lock
            self._recover()
            settled, self._recover_log = self._recover_log, []
        return [(s.load, s.committed) for s in settled]

    def _recover(self) -> list[journal.Settled]:
        try:
            settled = self._call(journal.recover)
        except StoreError as e:
            raise StoreError(
                _(
                    "{reason}; an interrupted load could not be settled now: it will be on "
                    "the next write or by `filiere neo4j recover`"
                ).format(reason=e)
            ) from None
        self._recover_log.extend(settled)
        for s in settled:
            log.warning(
                "%s: load %s %s",
                self.uri,
                s.load,
                "committed: clean-up finished" if s.committed else "interrupted: rolled back",
            )
        return settled

    def write(
        self,
        batch: GraphBatch,
        *,
        replace: bool = False,
        progress: ProgressCallback | None = None,
        atomic: bool = True,
    ) -> WriteSummary:
        """Upsert ``batch``, all or nothing: see :meth:`GraphStore.write`.

        Up to :attr:`one_transaction_max` records (and ``atomic``) it is one transaction;
        above, journalled batches (``atomic=False`` asks for them whatever the size).
        """
        self.ensure_schema()
        summary = WriteSummary()

        def done(name: str, rows: int, created: int) -> None:
            summary.created[name] += created
            summary.updated[name] += rows - created
            if progress:
                progress(rows)

        with self.exclusive():
            # replace deletes the current graph in the same transaction: it counts too.
            size = len(batch) + (self._graph_size() if replace and atomic else 0)
            if atomic and size <= self.one_transaction_max:
                steps = self._steps(batch, self._node_step, self._rel_step)
                self._call(lambda session: self._one_transaction(session, steps, replace, done))
            else:
                self._journalled(batch, replace, done)
        return summary

    def _graph_size(self) -> int:
        """Nodes + relationships in the database (Neo4j's count store: no scan)."""
        return int(self.run_read(q.GRAPH_SIZE)[0]["n"])

    def _steps(
        self,
        batch: GraphBatch,
        node_step: Callable[[Label, tuple[Label, ...], Sequence[NodeRecord]], Step],
        rel_step: Callable[[Rel, Label, Label, Sequence[RelRecord]], Step],
    ) -> list[tuple[str, int, Step]]:
        """One step per chunk: (label or type, rows, write it and return how many were created)."""
        nodes: dict[tuple[Label, tuple[Label, ...]], list[NodeRecord]] = defaultdict(list)
        for n in batch.nodes:
            nodes[(n.label, n.extra_labels)].append(n)
        rels: dict[tuple[Rel, Label, Label], list[RelRecord]] = defaultdict(list)
        for r in batch.rels:
            rels[(r.type, r.start_label, r.end_label)].append(r)
        steps: list[tuple[str, int, Step]] = []
        for (label, extra), group in nodes.items():
            for chunk in _chunks(group, self.batch_size):
                steps.append((label, len(chunk), node_step(label, extra, chunk)))
        for (rtype, start, end), rgroup in rels.items():
            for rchunk in _chunks(rgroup, self.batch_size):
                steps.append((rtype, len(rchunk), rel_step(rtype, start, end, rchunk)))
        return steps

    def _one_transaction(
        self,
        session: neo4j.Session,
        steps: list[tuple[str, int, Step]],
        replace: bool,
        done: Callable[[str, int, int], None],
    ) -> None:
        try:
            with session.begin_transaction() as tx:
                if replace:
                    tx.run(q.DELETE_ALL).consume()
                for name, rows, step in steps:
                    done(name, rows, step(tx))
                tx.commit()
        except IncompleteCommit:
            raise
        except (Neo4jError, DriverError) as e:
            raise StoreError(
                _("{uri}: {reason}; nothing was written (one transaction)").format(
                    uri=self.uri, reason=_describe(e)
                )
            ) from None

    def _journalled(
        self, batch: GraphBatch, replace: bool, done: Callable[[str, int, int], None]
    ) -> None:
        """Write in batches under a load journal (see :mod:`filiere.graph.neo4j_journal`)."""
        # Refuse dangling relationships before anything is written, as one transaction would.
        self._check_ends(batch, replace=replace)
        load = journal.new_load_id()
        steps = self._steps(
            batch,
            lambda label, extra, chunk: self._journal_node_step(label, extra, chunk, load, replace),
            lambda rtype, start, end, chunk: self._journal_rel_step(
                rtype, start, end, chunk, load, replace
            ),
        )

        def write_all(session: neo4j.Session) -> None:
            journal.begin(session, load, replace=replace)  # the journal commits first
            for name, rows, step in steps:
                done(name, rows, session.execute_write(step))
            journal.commit(session, load)

        started = time.perf_counter()
        try:
            self._call(write_all)
        except BaseException as e:
            if self._settle(load, e):
                return  # the commit point was passed before the connection was lost
            raise
        committed = time.perf_counter()
        try:
            self._call(lambda session: journal.roll_forward(session, load))
            log.info(
                "%s: load %s: %d batches committed in %.1f s, clean-up %.1f s",
                self.uri,
                load,
                len(steps),
                committed - started,
                time.perf_counter() - committed,
            )
        except StoreError as e:  # the load stays: only its clean-up waits for the next write
            log.warning(
                "%s: load %s committed; its clean-up will finish later: %s", self.uri, load, e
            )

    def _settle(self, load: str, error: BaseException) -> bool:
        """After ``error`` in a journalled load: roll it back (or forward, if it was
        committed after all); True if it stays. Raises :class:`StoreError` saying which."""
        if isinstance(error, StoreError):
            reason = str(error)
        elif isinstance(error, Exception):
            reason = f"{self.uri}: {_describe(error)}"
        else:  # KeyboardInterrupt
            reason = _("{uri}: interrupted").format(uri=self.uri)
        try:
            stays = self._call(lambda session: journal.settle(session, load))
        except Exception as e:
            raise StoreError(
                _(
                    "{reason}; the load stopped midway and could not be undone now ({why}): "
                    "the next write to this store, or `filiere neo4j recover`, undoes it; "
                    "until then the store shows part of it"
                ).format(reason=reason, why=_describe(e))
            ) from None
        if stays:
            return True
        raise StoreError(
            _("{reason}; the load was undone: nothing of this load remains").format(reason=reason)
        ) from None

    @staticmethod
    def _node_step(label: Label, extra: tuple[Label, ...], chunk: Sequence[NodeRecord]) -> Step:
        """Upsert one chunk of nodes; returns how many were created."""
        query = q.merge_nodes(label, extra)

        def step(tx: ManagedTransaction | neo4j.Transaction) -> int:
            rows = [{"key": n.key, "props": dict(n.props)} for n in chunk]
            return tx.run(query, rows=rows).consume().counters.nodes_created

        return step

    def _rel_step(self, rtype: Rel, start: Label, end: Label, chunk: Sequence[RelRecord]) -> Step:
        """Upsert one chunk of relationships; returns how many were created."""
        query = q.merge_rels(rtype, start, end)

        def step(tx: ManagedTransaction | neo4j.Transaction) -> int:
            rows = [{"start": r.start, "end": r.end, "props": dict(r.props)} for r in chunk]
            result = tx.run(query, rows=rows)
            matched = result.single(strict=True)["n"]
            created = result.consume().counters.relationships_created
            if matched != len(chunk):
                raise StoreError(
                    f"{rtype} refers to a missing {self._missing_end(tx, start, end, chunk)}"
                )
            return created

        return step

    @staticmethod
    def _journal_node_step(
        label: Label,
        extra: tuple[Label, ...],
        chunk: Sequence[NodeRecord],
        load: str,
        replace: bool,
    ) -> Step:
        """Upsert one chunk of nodes of load ``load``, saving what it changes; returns created."""
        query = q.journalled_merge_nodes(label, extra, replace=replace)

        def step(tx: ManagedTransaction | neo4j.Transaction) -> int:
            rows = [{"key": n.key, "props": dict(n.props)} for n in chunk]
            record = tx.run(query, rows=rows, load=load, label=label.value).single(strict=True)
            return len(chunk) if replace else int(record["created"])  # replace: all anew

        return step

    def _journal_rel_step(
        self,
        rtype: Rel,
        start: Label,
        end: Label,
        chunk: Sequence[RelRecord],
        load: str,
        replace: bool,
    ) -> Step:
        """Upsert one chunk of relationships of load ``load``; returns how many were created."""
        query = q.journalled_merge_rels(rtype, start, end, replace=replace)

        def step(tx: ManagedTransaction | neo4j.Transaction) -> int:
            rows = [{"start": r.start, "end": r.end, "props": dict(r.props)} for r in chunk]
            record = tx.run(query, rows=rows, load=load).single(strict=True)
            if record["n"] != len(chunk):
                raise StoreError(
                    f"{rtype} refers to a missing {self._missing_end(tx, start, end, chunk)}"
                )
            return len(chunk) if replace else int(record["created"])

        return step

    def _check_ends(self, batch: GraphBatch, *, replace: bool) -> None:
        """Raise :class:`StoreError` when a relationship joins a node that will not exist."""
        written = {(n.label, n.key) for n in batch.nodes}
        wanted: dict[Label, set[str]] = defaultdict(set)
        for r in batch.rels:
            for label, key in ((r.start_label, r.start), (r.end_label, r.end)):
                if (label, key) not in written:
                    wanted[label].add(key)
        for label, keys in wanted.items():
            found = set() if replace else set(self.get_nodes(label, keys))
            missing = sorted(keys - found)
            if missing:
                raise StoreError(f"a relationship refers to a missing {label} {missing[0]!r}")

    @staticmethod
    def _missing_end(
        tx: ManagedTransaction | neo4j.Transaction,
        start: Label,
        end: Label,
        chunk: Sequence[RelRecord],
    ) -> str:
        for r in chunk:
            for label, key in ((start, r.start), (end, r.end)):
                found = tx.run(q.get_node(label), key=key).single()
                if found is None:
                    return f"{label} {key!r}"
        return "node"

    def clear(self) -> None:
        self._call(lambda s: journal.run_each(s, q.DELETE_ALL_BATCHED))

    def counts(self) -> dict[str, int]:
        def work(tx: ManagedTransaction) -> dict[str, int]:
            out = {r["label"]: r["n"] for r in tx.run(q.COUNT_LABELS)}
            out.update({r["type"]: r["n"] for r in tx.run(q.COUNT_RELS)})
            return out

        return self.read(work)

    def export(self) -> GraphBatch:
        def work(tx: ManagedTransaction) -> GraphBatch:
            nodes = []
            for r in tx.run(q.EXPORT_NODES):
                label = _keyed_label(r["labels"])
                extra = tuple(Label(x) for x in sorted(r["labels"]) if x != label.value)
                props = _public(r["props"])
                nodes.append(NodeRecord(label, props[KEY[label]], props, extra))
            rels = [_rel(r) for r in tx.run(q.EXPORT_RELS)]
            return GraphBatch(nodes, rels).sorted()

        return self.read(work)

    def get_node(self, label: Label, key: str) -> dict[str, Any] | None:
        rows = self.run_read(q.get_node(label), key=key)
        return _public(rows[0]["props"]) if rows else None

    def get_nodes(self, label: Label, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        rows = self.run_read(q.get_nodes(label), keys=sorted(set(keys)))
        return {r["props"][KEY[label]]: _public(r["props"]) for r in rows}

    def names(self, label: Label, keys: Iterable[str]) -> dict[str, str]:
        rows = self.run_read(q.names(label), keys=sorted(set(keys)))
        return {r["key"]: str(r["name"]) for r in rows}

    def relationships(self, rtype: Rel) -> list[RelRecord]:
        return self.read(lambda tx: [_rel(r) for r in tx.run(q.rels_of_type(rtype))])

    def ping(self) -> None:
        try:
            self.driver.verify_connectivity()
        except Exception as e:  # the driver raises several unrelated types here
            raise StoreError(f"{self.uri}: Neo4j is not reachable ({e})") from None

    def close(self) -> None:
        self.driver.close()
