"""The store interface shared by the embedded (networkx) and the Neo4j store."""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from filiere.graph.records import (
    BatchSource,
    GraphBatch,
    NodeRecord,
    ProgressCallback,
    RecordSource,
    RelRecord,
    WriteSummary,
)
from filiere.graph.schema import Label, Rel

if TYPE_CHECKING:
    from filiere.queries.backend import StoreReader


class GraphStore(ABC):
    """A place where the supply-chain graph lives.

    Both implementations behave the same: a write is atomic (all of a batch or
    nothing), upserts by key, and never erases a property with a missing value.
    """

    kind: ClassVar[str]
    #: Reads run in this process's memory (no network): a cheap one-item read may run
    #: right in an event loop, and the process may freeze its heap once loaded.
    in_process: ClassVar[bool] = False
    #: The store runs Cypher (:func:`filiere.queries.cypher_runner.run_readonly`).
    runs_cypher: ClassVar[bool] = False
    uri: str

    @property
    @abstractmethod
    def reader(self) -> StoreReader:
        """The store's analyses, look-ups, supply trees and trade facts (the one seam).

        See :mod:`filiere.queries.backend`: a store implements them once, natively.
        """

    def for_upload(self) -> GraphStore:
        """The store object an upload served by the API writes through (``self``).

        A store whose readers would see a write half-done through the served object
        returns a separate object on the same data.
        """
        return self

    @abstractmethod
    def write(
        self,
        batch: GraphBatch,
        *,
        replace: bool = False,
        progress: ProgressCallback | None = None,
        atomic: bool = True,
    ) -> WriteSummary:
        """Upsert ``batch`` atomically; with ``replace``, empty the store first (same write).

        Relationships must join nodes that exist after the write, else nothing is
        written and :class:`~filiere.errors.StoreError` is raised.

        Every write is all-or-nothing, whatever its size: Neo4j commits a large one in
        batches under a load journal that undoes it on failure (``docs/stores.md``).
        ``atomic=False`` asks for those journalled batches even for a small write (all
        or nothing too); a store whose writes are always one transaction ignores it.
        """

    def write_records(
        self,
        nodes: Iterable[NodeRecord],
        rels: Iterable[RelRecord],
        *,
        replace: bool = False,
        progress: ProgressCallback | None = None,
        atomic: bool = True,
    ) -> WriteSummary:
        """:meth:`write` of records that may come from generators (a large ingest).

        Same guarantees as :meth:`write`. By default the records are gathered into one
        batch; a store that can write them as they come, in one transaction, does (the
        embedded store: a million-row ingest never holds all its records).
        """
        batch = GraphBatch(list(nodes), list(rels))
        return self.write(batch, replace=replace, progress=progress, atomic=atomic)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the store's writer lock: ingests inside it run as if one after the other.

        Validation reads the store, then the write changes it; both must happen under
        this lock, else two concurrent ingests each validate against the store without
        the other's rows (two halves of a cycle both pass). Re-entrant within one
        store object and thread.
        """
        yield

    def recover(self) -> list[tuple[str, bool]]:
        """Settle the writes a killed process or server left half-done.

        Returns ``(load id, kept)`` for each: kept when it had reached its commit point
        (its clean-up is finished), else undone. A store whose writes are one
        transaction has nothing to settle.
        """
        return []

    @abstractmethod
    def clear(self) -> None:
        """Remove every node and relationship."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Number of nodes by label and of relationships by type (zero counts left out)."""

    @abstractmethod
    def export(self) -> GraphBatch:
        """Everything in the store, in canonical order."""

    @contextlib.contextmanager
    def streamed(self) -> Iterator[RecordSource]:
        """Everything in the store as records read again on each pass, from one snapshot.

        What a writer of the whole store (``filiere export --neo4j-admin``) reads without
        holding it all. By default :meth:`export`'s batch, in memory.
        """
        yield BatchSource(self.export())

    @abstractmethod
    def get_node(self, label: Label, key: str) -> dict[str, Any] | None:
        """The properties of one keyed node, or ``None``."""

    @abstractmethod
    def get_nodes(self, label: Label, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The properties of the keyed nodes among ``keys`` that exist, by key."""

    @abstractmethod
    def names(self, label: Label, keys: Iterable[str]) -> dict[str, str]:
        """The name (:data:`~filiere.graph.schema.NAME`) of the keyed nodes among ``keys``
        that have one, by key: :meth:`get_nodes` without the other properties, for
        results that list hundreds of thousands of items."""

    @abstractmethod
    def relationships(self, rtype: Rel) -> list[RelRecord]:
        """Every relationship of one type (used to check a dataset against the store)."""

    @abstractmethod
    def ping(self) -> None:
        """Raise :class:`~filiere.errors.StoreError` unless the store answers."""

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release connections and files."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def reentrant(
    holder: threading.local, acquire: Callable[[], AbstractContextManager[None]]
) -> Iterator[None]:
    """Hold a lock that ``acquire`` takes, once per thread however deeply it is nested.

    ``holder.depth`` counts how deep the current thread holds it: only the outermost
    holder takes and releases the lock.
    """
    depth = getattr(holder, "depth", 0)
    if depth:
        holder.depth = depth + 1
        try:
            yield
        finally:
            holder.depth = depth
        return
    with acquire():
        holder.depth = 1
        try:
            yield
        finally:
            holder.depth = 0
