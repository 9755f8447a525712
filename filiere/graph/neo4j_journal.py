"""All-or-nothing batched loads on Neo4j: a load journal, tags and undo records.

A load too large for one transaction commits in batches, yet all of it or nothing
of it stays (``docs/stores.md``, "Large loads on Neo4j"):

1. under the ingest lock, the journal node (``FiliereLoad {id, state: 'writing'}``)
   is committed first, in its own transaction; with ``replace`` every node and
   relationship of the graph is then tagged as doomed (``filiere_replaced``);
2. each batch commits on its own: what it creates carries the load's id
   (``filiere_load``); before it changes an existing node or relationship, it saves
   its properties (and labels) in an undo record (``FiliereUndo``) in the same
   transaction and tags it ``filiere_saved``;
3. the commit point is one small transaction that sets the journal to ``committed``;
4. then the clean-up rolls forward in batches: what ``replace`` doomed is deleted,
   the tags and undo records go, the journal last.

A failure before the commit point rolls back in batches instead: what the load
created is deleted, the undo records are put back, the doomed tags are removed. Every
step is idempotent, so a journal left by a killed process or server is settled by
the next write (:func:`recover`, run whenever the ingest lock is taken) or by
``filiere neo4j recover``: rolled back while ``writing``, forward once ``committed``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import neo4j

from filiere.errors import StoreError
from filiere.graph import neo4j_queries as q
from filiere.graph.schema import LOAD_COMMITTED, LOAD_WRITING

#: Longest one clean-up statement may run, in seconds. Its batches commit on their own,
#: but the statement itself may outlast ``db.transaction.timeout`` (60 s with the
#: launcher) on a large graph.
CLEANUP_TIMEOUT_S = 6 * 3600


def _run(session: neo4j.Session, statement: str, **params: Any) -> None:
    query = neo4j.Query(statement, timeout=CLEANUP_TIMEOUT_S)
    session.run(query, params).consume()


def run_each(session: neo4j.Session, statements: list[str], **params: Any) -> None:
    """Run batched (``IN TRANSACTIONS``) statements one after the other."""
    for statement in statements:
        _run(session, statement, **params)


@dataclass(frozen=True, slots=True)
class Settled:
    """A load that :func:`recover` found pending, and what became of it."""

    load: str
    committed: bool  # True: rolled forward (it stays); False: rolled back (it is gone)


def new_load_id() -> str:
    """A fresh load id."""
    return uuid.uuid4().hex


def begin(session: neo4j.Session, load: str, *, replace: bool) -> None:
    """Commit the journal of a new load; with ``replace``, doom the current graph."""
    session.run(q.START_LOAD, load=load, replace=replace).consume()
    if replace:
        run_each(session, q.MARK_REPLACED, load=load)


def commit(session: neo4j.Session, load: str) -> None:
    """The commit point: one small transaction marks the load committed."""
    found = session.run(q.COMMIT_LOAD, load=load).single(strict=True)["n"]
    if found != 1:
        raise StoreError(f"load {load}: its journal is gone or no longer 'writing'")


def roll_forward(session: neo4j.Session, load: str) -> None:
    """Finish a committed load: delete what it replaced, remove its tags and undo records."""
    run_each(session, q.ROLL_FORWARD, load=load)
    session.run(q.END_LOAD, load=load).consume()


def roll_back(session: neo4j.Session, load: str) -> None:
    """Undo a load that did not reach its commit point: the graph is as before it."""
    run_each(session, q.ROLL_BACK, load=load)
    session.run(q.END_LOAD, load=load).consume()


def state(session: neo4j.Session, load: str) -> str | None:
    """The journal state of ``load`` (``writing``, ``committed``), ``None`` once ended."""
    for record in session.run(q.PENDING_LOADS):
        if record["id"] == load:
            return str(record["state"])
    return None


def settle(session: neo4j.Session, load: str) -> bool:
    """Roll ``load`` forward or back according to its journal; True if it stays."""
    current = state(session, load)
    if current == LOAD_COMMITTED:
        roll_forward(session, load)
        return True
    if current == LOAD_WRITING:
        roll_back(session, load)
    return False


def recover(session: neo4j.Session) -> list[Settled]:
    """Settle every load a killed process or server left (call it under the ingest lock)."""
    done = []
    for record in list(session.run(q.PENDING_LOADS)):
        load = str(record["id"])
        done.append(Settled(load, settle(session, load)))
    return done
