"""The embedded store's records streamed from its tables (bounded memory).

:class:`SqlRecords` reads the ``nodes`` and ``rels`` tables of a connection row by row,
in key order, making one record at a time: a writer that reads the store twice (the
import files of ``filiere export --neo4j-admin``) holds one row, not the store. The
caller keeps the connection inside one read transaction, so both passes see the same
snapshot.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from filiere.graph.records import NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel


@dataclass(slots=True)
class SqlRecords:
    """A :class:`~filiere.graph.records.RecordSource` over the tables of ``conn``."""

    conn: sqlite3.Connection

    def nodes(self) -> Iterator[NodeRecord]:
        for label, key, extra, props in self.conn.execute(
            "SELECT label, key, extra, props FROM nodes ORDER BY label, key"
        ):
            extras = tuple(Label(x) for x in extra.split(":")) if extra else ()
            yield NodeRecord(Label(label), key, json.loads(props), extras)

    def rels(self) -> Iterator[RelRecord]:
        for rtype, a, ak, b, bk, props in self.conn.execute(
            "SELECT type, start_label, start_key, end_label, end_key, props FROM rels"
            " ORDER BY type, start_label, start_key, end_label, end_key, ident"
        ):
            yield RelRecord(Rel(rtype), Label(a), ak, Label(b), bk, json.loads(props))
