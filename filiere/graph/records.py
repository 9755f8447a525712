"""Plain records that carry nodes and relationships between ingestion and the stores.

They are deliberately light (slotted dataclasses, not pydantic models): a load of a
million rows builds a million of them. Records and their ``props`` are never modified
once made (several records may share one ``props`` dict); the dataclasses are not
``frozen`` only because a frozen dataclass's ``__init__`` costs four times as much
(2 us more per record: seconds on a million-row ingest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from filiere.graph.schema import KEY, REL_IDENTITY, Label, Rel

#: A property value as both stores hold it.
Value = str | int | float | bool | list[str] | list[int] | list[float]

#: Called with the number of rows just written; drives a progress bar.
ProgressCallback = Callable[[int], None]


def clean_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """Drop ``None`` values: a missing value never erases a stored one."""
    return {k: v for k, v in props.items() if v is not None}


@dataclass(slots=True)
class NodeRecord:
    """A node: its keyed label, key value, extra labels and properties.

    ``props`` holds every property to set, the key property included.
    """

    label: Label
    key: str
    props: Mapping[str, Any]
    extra_labels: tuple[Label, ...] = ()

    @property
    def labels(self) -> tuple[Label, ...]:
        return (self.label, *self.extra_labels)

    @classmethod
    def make(
        cls, label: Label, key: str, props: Mapping[str, Any], extra: Iterable[Label] = ()
    ) -> NodeRecord:
        """Build a record, adding the key property and dropping ``None`` values."""
        full = clean_props(props)
        full[KEY[label]] = key
        return cls(label, key, full, tuple(extra))


@dataclass(slots=True)
class RelRecord:
    """A relationship between two keyed nodes."""

    type: Rel
    start_label: Label
    start: str
    end_label: Label
    end: str
    props: Mapping[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> tuple[Any, ...]:
        """What identifies this relationship among those between the same two nodes."""
        return tuple(self.props.get(p) for p in REL_IDENTITY.get(self.type, ()))

    @property
    def ident(self) -> tuple[Any, ...]:
        """The full identity: type, both ends and identity properties."""
        return (self.type, self.start_label, self.start, self.end_label, self.end, *self.identity)


@dataclass(slots=True)
class GraphBatch:
    """Nodes and relationships to write together, in one atomic write."""

    nodes: list[NodeRecord] = field(default_factory=list)
    rels: list[RelRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.nodes) + len(self.rels)

    def sorted(self) -> GraphBatch:
        """A copy in a canonical order, for comparisons and exports."""
        return GraphBatch(
            sorted(self.nodes, key=lambda n: (n.label, n.key)),
            sorted(self.rels, key=lambda r: tuple(str(x) for x in r.ident)),
        )

    def canonical(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Hashable, order-free content, ignoring provenance timestamps."""

        def props(p: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
            return tuple(sorted((k, _freeze(v)) for k, v in p.items() if k != "loaded_at"))

        nodes = sorted(
            (n.label, n.key, tuple(sorted(n.labels)), props(n.props)) for n in self.nodes
        )
        rels = sorted((tuple(str(x) for x in r.ident), props(r.props)) for r in self.rels)
        return nodes, rels


class RecordSource(Protocol):
    """Records that can be read more than once: ``nodes()`` then ``rels()``, each pass anew."""

    def nodes(self) -> Iterable[NodeRecord]: ...

    def rels(self) -> Iterable[RelRecord]: ...


@dataclass(slots=True)
class BatchSource:
    """A :class:`GraphBatch` as a :class:`RecordSource`."""

    batch: GraphBatch

    def nodes(self) -> Iterable[NodeRecord]:
        return self.batch.nodes

    def rels(self) -> Iterable[RelRecord]:
        return self.batch.rels


def _freeze(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


@dataclass(slots=True)
class WriteSummary:
    """What a write created and updated, by label and relationship type."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, int, int]]:
        """``(label or type, created, updated)`` rows, sorted by name."""
        names = sorted(set(self.created) | set(self.updated))
        return [(n, self.created[n], self.updated[n]) for n in names]
