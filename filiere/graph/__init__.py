"""The domain model, the schema and the two stores."""

from __future__ import annotations

from filiere.graph.records import GraphBatch, NodeRecord, RelRecord, WriteSummary
from filiere.graph.schema import EU27, KEY, Kind, Label, Rel
from filiere.graph.store import GraphStore
from filiere.graph.uri import open_store

__all__ = [
    "EU27",
    "KEY",
    "GraphBatch",
    "GraphStore",
    "Kind",
    "Label",
    "NodeRecord",
    "Rel",
    "RelRecord",
    "WriteSummary",
    "open_store",
]
