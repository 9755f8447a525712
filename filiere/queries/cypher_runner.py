"""Run an analyst's Cypher query on Neo4j, read-only, with a timeout and a row limit.

The query is first planned with ``EXPLAIN``: it is refused when Neo4j says it writes
(query type other than read-only), when its plan loads files or URLs (``LOAD CSV``),
calls a procedure outside a short read-only allow-list or runs a server command
(``SHOW SETTINGS``, ``SHOW TRANSACTIONS``, ``TERMINATE TRANSACTIONS``...: only
``SHOW INDEXES`` and ``SHOW CONSTRAINTS`` pass), or when it cannot be planned (admin
commands, syntax errors). It then runs in a READ transaction with a server-side
timeout, and at most ``limit`` rows are returned.

Bounds on what one query may cost: Neo4j's transaction memory limits (a query that
needs more fails with :class:`CypherMemoryLimit`, which names the limit) and, when
``max_bytes`` is given, the size of the rows as JSON, counted while records stream in
(a few at a time): the rows stop before the one that would pass it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import neo4j
from neo4j.exceptions import ClientError, Neo4jError, ServiceUnavailable
from pydantic import BaseModel

from filiere.errors import CypherError, CypherMemoryLimit, CypherRefused, CypherTooLarge
from filiere.graph.store import GraphStore
from filiere.i18n import _

#: Procedures an analyst may call (they only read the schema).
ALLOWED_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
    }
)
#: Plan operators that reach outside the graph or change it.
REFUSED_OPERATORS = frozenset({"LoadCSV", "TransactionForeach", "TransactionApply"})
#: Server commands that Neo4j plans as read-only queries. ``SHOW SETTINGS`` reveals the
#: server's paths, ``SHOW TRANSACTIONS`` other users' queries, ``TERMINATE TRANSACTIONS``
#: kills them: every ``Show*`` and ``Terminate*`` operator is refused but these two,
#: which only describe the graph's schema.
ALLOWED_COMMANDS = frozenset({"ShowIndexes", "ShowConstraints"})
COMMAND_PREFIXES = ("Show", "Terminate")
#: Records the driver fetches at a time: what it buffers beyond the rows already read.
FETCH_SIZE = 100
#: Neo4j's codes for a query that ran out of memory: a transaction memory limit
#: (``MemoryPoolOutOfMemoryError``) or the JVM's heap or direct memory (``OutOfMemoryError``).
MEMORY_CODES = ("MemoryPoolOutOfMemoryError", "OutOfMemoryError", "TransactionMemoryLimit")
HEAP_SETTING = "server.memory.heap.max_size"
_LIMIT_RE = re.compile(
    r"limit (?P<limit>[\d.]+ ?[KMGT]?i?B)\b.*?(?P<setting>[a-z_.]+) threshold", re.S
)


class CypherResult(BaseModel):
    """The rows of a query: ``rows`` holds plain JSON values, at most ``limit`` of them."""

    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


def _operators(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("children", []):
        yield from _operators(child)


def _procedure(op: Mapping[str, Any]) -> str:
    details = str(op.get("args", {}).get("Details", ""))
    return details.split("(", 1)[0].strip().lower()


def check_plan(query_type: str | None, plan: Mapping[str, Any] | None) -> None:
    """Raise :class:`CypherRefused` unless the planned query only reads the graph."""
    if query_type != "r":
        kinds = {"rw": "writes", "w": "writes", "s": "changes the schema or administers the server"}
        what = kinds.get(query_type or "", "is not a read-only query")
        raise CypherRefused(f"query refused: it {what}; only read-only queries may run here")
    for op in _operators(plan or {}):
        name = str(op.get("operatorType", "")).split("@", 1)[0]
        if name in REFUSED_OPERATORS:
            raise CypherRefused(f"query refused: {name} is not allowed here")
        if name.startswith(COMMAND_PREFIXES) and name not in ALLOWED_COMMANDS:
            raise CypherRefused(
                f"query refused: server commands ({name}) are not allowed here; "
                "SHOW INDEXES and SHOW CONSTRAINTS are"
            )
        if name == "ProcedureCall" and _procedure(op) not in ALLOWED_PROCEDURES:
            raise CypherRefused(
                f"query refused: procedure {_procedure(op)!r} is not allowed "
                f"(allowed: {', '.join(sorted(ALLOWED_PROCEDURES))})"
            )


def plain(value: Any, ids: bool = False) -> Any:
    """A driver value as plain JSON data (nodes and relationships become dicts).

    With ``ids``, nodes and relationships also carry their ``element_id`` and
    relationships the ``start`` and ``end`` nodes' (to draw the rows as a graph).
    """
    if isinstance(value, neo4j.graph.Node):
        node = {"labels": sorted(value.labels), "properties": plain(dict(value))}
        return {**node, "element_id": value.element_id} if ids else node
    if isinstance(value, neo4j.graph.Relationship):
        rel = {"type": value.type, "properties": plain(dict(value))}
        if ids and value.start_node is not None and value.end_node is not None:
            rel["element_id"] = value.element_id
            rel["start"] = value.start_node.element_id
            rel["end"] = value.end_node.element_id
        return rel
    if isinstance(value, neo4j.graph.Path):
        return {
            "nodes": [plain(n, ids) for n in value.nodes],
            "relationships": [plain(r, ids) for r in value.relationships],
        }
    if isinstance(value, dict):
        return {str(k): plain(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, ids) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time) or hasattr(value, "iso_format"):
        iso = getattr(value, "iso_format", None)
        return iso() if iso else value.isoformat()
    return str(value)


def _json(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def json_size(value: Any, budget: int) -> int:
    """Bytes of ``value`` (plain JSON data) as compact UTF-8 JSON; or any number over ``budget``.

    The count stops as soon as it passes ``budget``, so measuring a huge value costs
    about the budget, not the value.

    >>> value = {"a": [1, "é", None, 2.5], "b": {"c": True}}
    >>> compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    >>> json_size(value, 100) == len(compact.encode())
    True
    >>> json_size(list(range(10**6)), 50) > 50
    True
    """
    total = 0
    stack = [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2 if len(item) > budget else _json(item)
        elif isinstance(item, dict):
            total += 1 + len(item) + (len(item) == 0)  # braces and commas
            for key, member in item.items():
                total += _json(str(key)) + 1  # "key":
                stack.append(member)
        elif isinstance(item, list | tuple):
            total += 1 + len(item) + (len(item) == 0)
            stack.extend(item)
        else:
            total += _json(item)
    return total


def memory_error(code: str, message: str) -> CypherMemoryLimit:
    """The error naming the limit a query ran into, from Neo4j's error code and message."""
    found = _LIMIT_RE.search(message)
    if "MemoryPool" in code and found:
        setting, limit = found["setting"], found["limit"]
        text = _(
            "the query needs more memory than Neo4j allows ({setting} = {limit}); "
            "make it return less (aggregate, filter or add LIMIT)"
        ).format(setting=setting, limit=limit)
        return CypherMemoryLimit(text, setting)
    text = _(
        "the query needs more memory than the Neo4j server has (its Java heap, {setting}); "
        "make it return less (aggregate, filter or add LIMIT)"
    ).format(setting=HEAP_SETTING)
    return CypherMemoryLimit(text, HEAP_SETTING)


def _too_large(max_bytes: int) -> CypherTooLarge:
    return CypherTooLarge(
        _(
            "one row of the result is larger than the {limit} bytes a response may hold; "
            "make it return less (aggregate, filter or add LIMIT)"
        ).format(limit=max_bytes)
    )


def _failure(e: Neo4jError, timeout_s: float) -> CypherError:
    code = e.code or ""
    if any(name in code for name in MEMORY_CODES):
        return memory_error(code, e.message or "")
    if isinstance(e, ClientError):
        if "TransactionTimedOut" in code or "Terminated" in code:
            return CypherError(f"query stopped after the {timeout_s:g} s time limit")
        return CypherError(f"Neo4j refused the query: {e.message}")
    return CypherError(f"{e.code}: {e.message}")


def run_readonly(
    store: GraphStore,
    query: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout_s: float = 30,
    limit: int = 1000,
    max_bytes: int | None = None,
    ids: bool = False,
) -> CypherResult:
    """Run ``query`` with ``params`` read-only on the Neo4j ``store``.

    ``ids`` adds element ids to nodes and relationships (see :func:`plain`).

    Raises :class:`CypherRefused` for the embedded store and for queries that would
    write, :class:`CypherMemoryLimit` when Neo4j ran out of the memory a transaction
    may use, :class:`CypherTooLarge` when not even one row fits in ``max_bytes``, and
    :class:`CypherError` when Neo4j cannot plan or run the query.
    """
    from filiere.graph.neo4j_store import Neo4jStore

    if not isinstance(store, Neo4jStore):
        raise CypherRefused(
            "Cypher queries need the Neo4j store; the embedded store cannot run them "
            "(use --store bolt://... or FILIERE_STORE)"
        )
    if not query.strip():
        raise CypherRefused("the query is empty")
    args = dict(params or {})
    try:
        with store.driver.session(
            database=store.database, default_access_mode=neo4j.READ_ACCESS, fetch_size=FETCH_SIZE
        ) as session:
            tx = session.begin_transaction(timeout=timeout_s)
            try:
                summary = tx.run("EXPLAIN " + query, args).consume()
                check_plan(summary.query_type, summary.plan)
                result = tx.run(query, args)
                columns = list(result.keys())
                rows: list[dict[str, Any]] = []
                truncated = False
                budget = max_bytes if max_bytes is not None else -1
                for record in result:
                    if len(rows) >= limit:
                        truncated = True
                        break
                    row = {k: plain(record[k], ids) for k in columns}
                    if max_bytes is not None:
                        budget -= json_size(row, budget) + 2
                        if budget < 0:
                            if not rows:
                                raise _too_large(max_bytes)
                            truncated = True
                            break
                    rows.append(row)
            finally:
                tx.close()  # never commit: rolls back whatever happened
    except CypherError:
        raise
    except Neo4jError as e:
        raise _failure(e, timeout_s) from None
    except ServiceUnavailable as e:
        raise CypherError(f"{store.uri}: Neo4j is not reachable ({e})") from None
    return CypherResult(columns=columns, rows=rows, truncated=truncated)
