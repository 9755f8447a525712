"""The embedded store: a networkx graph persisted to one JSON file.

File format (UTF-8 JSON, documented in ``docs/schema.md``)::

    {"format": "filiere-graph", "version": 1,
     "nodes": [{"labels": ["Item", "Product"], "key": "P1", "props": {...}}, ...],
     "relationships": [{"type": "CONTAINS", "start": ["Item", "P1"],
                        "end": ["Item", "C1"], "props": {...}}, ...]}

Saves are atomic: the file is written beside the target, flushed to disk, then
renamed over it, so a crash leaves the old file or the new one, never a torn one.
A lock file serialises writers; readers reload when the file changes on disk. The
temp file of a save killed midway is removed when the store is next opened or saved.

>>> import tempfile, pathlib
>>> from filiere.graph.records import GraphBatch, NodeRecord
>>> path = pathlib.Path(tempfile.mkdtemp()) / "g.json"
>>> store = EmbeddedStore(path)
>>> _ = store.write(GraphBatch([NodeRecord.make(Label.COUNTRY, "FR", {"name": "France"})]))
>>> EmbeddedStore(path).get_node(Label.COUNTRY, "FR")["name"]
'France'
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import networkx as nx

from filiere.errors import StoreError
from filiere.fsutil import (
    atomic_write_text,
    file_lock,
    file_stamp,
    stale_temp_files,
    try_file_lock,
)
from filiere.graph.records import GraphBatch, NodeRecord, ProgressCallback, RelRecord, WriteSummary
from filiere.graph.schema import KEY, REL_IDENTITY, Label, Rel
from filiere.graph.store import GraphStore, reentrant

if TYPE_CHECKING:
    from filiere.queries.backend import StoreReader

FORMAT = "filiere-graph"
VERSION = 1

NodeId = tuple[str, str]
_R = TypeVar("_R")


def node_id(label: str, key: str) -> NodeId:
    """The networkx node of a keyed node: ``(label, key)``."""
    return (str(label), key)


def edge_key(rel: RelRecord) -> tuple[Any, ...]:
    """The networkx edge key: the type plus its identity properties."""
    return (str(rel.type), *rel.identity)


def _each(
    records: Sequence[_R], put: Callable[[_R], None], progress: ProgressCallback | None
) -> None:
    """``put`` every record, reporting progress every 10,000 records and at the end."""
    for i, record in enumerate(records, 1):
        put(record)
        if progress and i % 10_000 == 0:
            progress(10_000)
    if progress:
        progress(len(records) % 10_000)


class EmbeddedStore(GraphStore):
    """A :class:`~filiere.graph.store.GraphStore` kept in memory and in one JSON file.

    ``graph`` is a ``networkx.MultiDiGraph`` whose nodes are ``(label, key)`` with
    attributes ``labels`` (tuple) and ``props`` (dict), and whose edges carry ``type``
    and ``props``; the analyses read it directly.
    """

    kind: ClassVar[str] = "embedded"
    in_process: ClassVar[bool] = True

    @property
    def reader(self) -> StoreReader:
        from filiere.queries.embedded import EmbeddedReader

        return EmbeddedReader(self)

    def for_upload(self) -> EmbeddedStore:
        # Requests reading this object must never see a graph half-updated: an upload
        # writes through its own object, and they reload the file once it is written.
        return EmbeddedStore(self.path)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.uri = str(self.path)
        self._stamp: tuple[int, int] | None = None
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._holder = threading.local()  # .depth: how deep this thread holds the lock
        self._remove_stale_files(wait=False)
        self._load_if_changed()

    # -- persistence -------------------------------------------------------------------------

    def _load_if_changed(self) -> None:
        stamp = file_stamp(self.path)
        if stamp == self._stamp:
            return
        self._graph = self._read() if stamp is not None else nx.MultiDiGraph()
        self._stamp = stamp

    def _read(self) -> nx.MultiDiGraph:
        try:
            with self.path.open(encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            raise StoreError(f"{self.path}: cannot read the graph file: {e}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StoreError(f"{self.path}: not a filiere graph file")
        if data.get("version") != VERSION:
            raise StoreError(f"{self.path}: unsupported graph file version {data.get('version')}")
        g = nx.MultiDiGraph()
        for n in data["nodes"]:
            labels = tuple(n["labels"])
            g.add_node(node_id(labels[0], n["key"]), labels=labels, props=n["props"])
        for r in data["relationships"]:
            rtype = Rel(r["type"])
            identity = tuple(r["props"].get(p) for p in REL_IDENTITY.get(rtype, ()))
            g.add_edge(
                node_id(*r["start"]),
                node_id(*r["end"]),
                key=(str(rtype), *identity),
                type=str(rtype),
                props=r["props"],
            )
        return g

    def _remove_stale_files(self, *, wait: bool) -> None:
        """Remove the temp files of saves killed midway (``.graph.json.XXXXXXXX``).

        Only this store's own pattern, and only under its writer lock (held by the
        caller when ``wait``; else taken if free, skipped if a save is running).
        """
        if wait:
            for p in stale_temp_files(self.path):
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            return
        if not stale_temp_files(self.path):
            return
        with try_file_lock(self.path) as taken:
            if taken:
                self._remove_stale_files(wait=True)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale_files(wait=True)  # called under the writer lock
        batch = _export(self._graph)
        data = {
            "format": FORMAT,
            "version": VERSION,
            "nodes": [
                {"labels": [str(x) for x in n.labels], "key": n.key, "props": dict(n.props)}
                for n in batch.nodes
            ],
            "relationships": [
                {
                    "type": str(r.type),
                    "start": [str(r.start_label), r.start],
                    "end": [str(r.end_label), r.end],
                    "props": dict(r.props),
                }
                for r in batch.rels
            ],
        }
        # dumps (C encoder) then one write: several times faster than dump().
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        atomic_write_text(self.path, text)
        self._stamp = file_stamp(self.path)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the writer lock file (re-entrant), with the graph as last saved."""
        with reentrant(self._holder, lambda: file_lock(self.path)):
            self._load_if_changed()
            yield

    _locked = exclusive

    # -- GraphStore --------------------------------------------------------------------------

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The current graph (reloaded first if another process changed the file)."""
        self._load_if_changed()
        return self._graph

    def write(
        self,
        batch: GraphBatch,
        *,
        replace: bool = False,
        progress: ProgressCallback | None = None,
        atomic: bool = True,
    ) -> WriteSummary:
        # Always atomic: the file is replaced whole (``atomic`` matters to Neo4j only).
        with self._locked():
            g = nx.MultiDiGraph() if replace else self._graph
            present = set(g.nodes) | {node_id(n.label, n.key) for n in batch.nodes}
            for r in batch.rels:
                for label, key in ((r.start_label, r.start), (r.end_label, r.end)):
                    if node_id(label, key) not in present:
                        raise StoreError(f"{r.type} refers to a missing {label} {key!r}")
            summary = WriteSummary()
            _each(batch.nodes, lambda n: self._put_node(g, n, summary), progress)
            _each(batch.rels, lambda r: self._put_rel(g, r, summary), progress)
            self._graph = g
            try:
                self._save()
            except OSError as e:
                # Back to what is on disk: the write did not happen.
                self._stamp = file_stamp(self.path)
                self._graph = self._read() if self._stamp is not None else nx.MultiDiGraph()
                raise StoreError(f"{self.path}: cannot save the graph: {e}") from None
            return summary

    @staticmethod
    def _put_node(g: nx.MultiDiGraph, n: NodeRecord, summary: WriteSummary) -> None:
        nid = node_id(n.label, n.key)
        if nid in g:
            attrs = g.nodes[nid]
            attrs["props"] = {**attrs["props"], **n.props}
            if n.extra_labels:
                attrs["labels"] = n.labels
            summary.updated[n.label] += 1
        else:
            g.add_node(nid, labels=n.labels, props=dict(n.props))
            summary.created[n.label] += 1

    @staticmethod
    def _put_rel(g: nx.MultiDiGraph, r: RelRecord, summary: WriteSummary) -> None:
        u, v, k = node_id(r.start_label, r.start), node_id(r.end_label, r.end), edge_key(r)
        data = g.get_edge_data(u, v, key=k)
        if data is not None:
            data["props"] = {**data["props"], **r.props}
            summary.updated[r.type] += 1
        else:
            g.add_edge(u, v, key=k, type=str(r.type), props=dict(r.props))
            summary.created[r.type] += 1

    def clear(self) -> None:
        with self._locked():
            self._graph = nx.MultiDiGraph()
            self._save()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        g = self.graph
        for _, labels in g.nodes(data="labels"):
            for lbl in labels:
                out[lbl] = out.get(lbl, 0) + 1
        for _, _, t in g.edges(data="type"):
            out[t] = out.get(t, 0) + 1
        return out

    def export(self) -> GraphBatch:
        return _export(self.graph)

    def get_node(self, label: Label, key: str) -> dict[str, Any] | None:
        d = self.graph.nodes.get(node_id(label, key))
        return None if d is None else dict(d["props"])

    def get_nodes(self, label: Label, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        nodes = self.graph.nodes
        found = (nodes.get(node_id(label, k)) for k in set(keys))
        return {d["props"][KEY[label]]: dict(d["props"]) for d in found if d is not None}

    def relationships(self, rtype: Rel) -> list[RelRecord]:
        return [
            RelRecord(rtype, Label(u[0]), u[1], Label(v[0]), v[1], d["props"])
            for u, v, d in self.graph.edges(data=True)
            if d["type"] == rtype
        ]

    def ping(self) -> None:
        self._load_if_changed()


def _export(g: nx.MultiDiGraph) -> GraphBatch:
    nodes = [
        NodeRecord(
            Label(d["labels"][0]), nid[1], d["props"], tuple(Label(x) for x in d["labels"][1:])
        )
        for nid, d in g.nodes(data=True)
    ]
    rels = [
        RelRecord(Rel(d["type"]), Label(u[0]), u[1], Label(v[0]), v[1], d["props"])
        for u, v, d in g.edges(data=True)
    ]
    return GraphBatch(nodes, rels).sorted()
