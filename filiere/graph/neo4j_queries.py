"""Every Cypher statement the Neo4j store runs, built only from the schema's names.

User values always travel as ``$parameters`` (``UNWIND $rows AS row``); labels,
relationship types and property names come from :mod:`filiere.graph.schema`.
"""

from __future__ import annotations

from filiere.graph.schema import (
    INGEST_LOCK_KEY,
    INGEST_LOCK_LABEL,
    KEY,
    KEYED_LABELS,
    LOAD_COMMITTED,
    LOAD_KEY,
    LOAD_LABEL,
    LOAD_TAG,
    LOAD_WRITING,
    NAME,
    REL_IDENTITY,
    REPLACED_TAG,
    SAVED_TAG,
    UNDO_LABEL,
    UNDO_LOAD,
    UNDO_NODE_KEY,
    UNDO_NODE_LABEL,
    UNDO_NODE_LABELS,
    UNDO_REL,
    Kind,
    Label,
    Rel,
)

KIND_LABELS = ":".join(k.label.value for k in Kind)
#: ``n`` is a node of the filiere graph (not a journal or lock node).
IS_GRAPH_NODE = "(" + " OR ".join(f"n:{lbl.value}" for lbl in KEYED_LABELS) + ")"
#: Journalled clean-ups commit every this many entities.
CLEANUP_BATCH = 10_000


def merge_nodes(label: Label, extra: tuple[Label, ...]) -> str:
    """Upsert keyed nodes from ``$rows`` of ``{key, props}``; items get their kind label."""
    query = (
        f"UNWIND $rows AS row MERGE (n:{label.value} {{{KEY[label]}: row.key}}) SET n += row.props"
    )
    return query + _node_labels(label, extra)


def merge_rels(rtype: Rel, start: Label, end: Label) -> str:
    """Upsert relationships from ``$rows`` of ``{start, end, props}``; returns how many matched."""
    match = (
        f"UNWIND $rows AS row "
        f"MATCH (a:{start.value} {{{KEY[start]}: row.start}}) "
        f"MATCH (b:{end.value} {{{KEY[end]}: row.end}}) "
    )
    ident = REL_IDENTITY.get(rtype, ())
    if not ident:
        return match + f"MERGE (a)-[r:{rtype.value}]->(b) SET r += row.props RETURN count(*) AS n"
    # Identity properties may be null (a production row without a year), which MERGE
    # cannot match on: find the relationship explicitly, create it when missing.
    same = " AND ".join(f"coalesce(r.{p}, '') = coalesce(row.props.{p}, '')" for p in ident)
    return (
        match + "CALL (a, b, row) { "
        f"OPTIONAL MATCH (a)-[r:{rtype.value}]->(b) WHERE {same} "
        "WITH r ORDER BY elementId(r) LIMIT 1 RETURN r AS found } "
        "CALL (a, b, row, found) { "
        f"WITH * WHERE found IS NULL CREATE (a)-[r:{rtype.value}]->(b) SET r = row.props "
        "UNION WITH * WHERE found IS NOT NULL SET found += row.props } "
        "RETURN count(*) AS n"
    )


def _node_labels(label: Label, extra: tuple[Label, ...]) -> str:
    """Clauses giving an upserted node its extra labels (items: exactly one kind label)."""
    query = ""
    if label is Label.ITEM and extra:
        query += f" REMOVE n:{KIND_LABELS}"
    for x in extra:
        query += f" SET n:{x.value}"
    return query


def journalled_merge_nodes(label: Label, extra: tuple[Label, ...], *, replace: bool) -> str:
    """:func:`merge_nodes` for a journalled load of id ``$load``; returns ``n, created``.

    A node that existed before the load gets an undo record (its properties and labels)
    the first time the load changes it, and the ``SAVED_TAG``; a node the load creates
    gets the ``LOAD_TAG``. With ``replace`` the node's properties become the row's (as
    after emptying the store), which also drops the ``REPLACED_TAG`` that doomed it.
    """
    key = KEY[label]
    return (
        f"UNWIND $rows AS row OPTIONAL MATCH (old:{label.value} {{{key}: row.key}}) "
        f"CALL (old) {{ WITH * WHERE old IS NOT NULL AND old.{LOAD_TAG} IS NULL "
        f"AND old.{SAVED_TAG} IS NULL "
        f"CREATE (u:{UNDO_LABEL}) SET u = properties(old), u.{UNDO_LOAD} = $load, "
        f"u.{UNDO_NODE_LABEL} = $label, u.{UNDO_NODE_KEY} = old.{key}, "
        f"u.{UNDO_NODE_LABELS} = labels(old) }} "
        f"WITH row, old IS NULL OR old.{LOAD_TAG} IS NOT NULL AS created "
        f"MERGE (n:{label.value} {{{key}: row.key}}) SET n {'=' if replace else '+='} row.props "
        f"SET n.{LOAD_TAG} = CASE WHEN created THEN $load END, "
        f"n.{SAVED_TAG} = CASE WHEN created THEN null ELSE $load END"
        + _node_labels(label, extra)
        + " RETURN count(*) AS n, sum(CASE WHEN created THEN 1 ELSE 0 END) AS created"
    )


def journalled_merge_rels(rtype: Rel, start: Label, end: Label, *, replace: bool) -> str:
    """:func:`merge_rels` for a journalled load of id ``$load``; returns ``n, created``.

    The same tags and undo records as :func:`journalled_merge_nodes`, the undo record
    naming the relationship by its element id (stable while it exists).
    """
    match = (
        f"UNWIND $rows AS row "
        f"MATCH (a:{start.value} {{{KEY[start]}: row.start}}) "
        f"MATCH (b:{end.value} {{{KEY[end]}: row.end}}) "
    )
    ident = REL_IDENTITY.get(rtype, ())
    same = " AND ".join(f"coalesce(r.{p}, '') = coalesce(row.props.{p}, '')" for p in ident)
    where = f" WHERE {same}" if ident else ""
    op = "=" if replace else "+="
    return (
        match + "CALL (a, b, row) { "
        f"OPTIONAL MATCH (a)-[r:{rtype.value}]->(b){where} "
        "WITH r ORDER BY elementId(r) LIMIT 1 RETURN r AS found } "
        f"CALL (found) {{ WITH * WHERE found IS NOT NULL AND found.{LOAD_TAG} IS NULL "
        f"AND found.{SAVED_TAG} IS NULL "
        f"CREATE (u:{UNDO_LABEL}) SET u = properties(found), u.{UNDO_LOAD} = $load, "
        f"u.{UNDO_REL} = elementId(found) }} "
        f"WITH a, b, row, found, found.{LOAD_TAG} AS mine "
        "CALL (a, b, row, found, mine) { "
        f"WITH * WHERE found IS NULL CREATE (a)-[r:{rtype.value}]->(b) "
        f"SET r = row.props, r.{LOAD_TAG} = $load "
        f"UNION WITH * WHERE found IS NOT NULL SET found {op} row.props "
        f"SET found.{LOAD_TAG} = mine, "
        f"found.{SAVED_TAG} = CASE WHEN mine IS NULL THEN $load END }} "
        "RETURN count(*) AS n, count(*) - count(found) AS created"
    )


def _in_batches(match: str, var: str, action: str) -> str:
    return f"{match} CALL ({var}) {{ {action} }} IN TRANSACTIONS OF {CLEANUP_BATCH} ROWS"


_NODES = "MATCH (n) WHERE "
_RELS = "MATCH ()-[r]->() WHERE "

# -- the journal of a batched load (ids in $load) ---------------------------------------------
START_LOAD = (
    f"CREATE (:{LOAD_LABEL} {{{LOAD_KEY}: $load, state: '{LOAD_WRITING}', "
    "started: datetime(), replace: $replace})"
)
COMMIT_LOAD = (
    f"MATCH (l:{LOAD_LABEL} {{{LOAD_KEY}: $load}}) WHERE l.state = '{LOAD_WRITING}' "
    f"SET l.state = '{LOAD_COMMITTED}' RETURN count(l) AS n"
)
PENDING_LOADS = (
    f"MATCH (l:{LOAD_LABEL}) RETURN l.{LOAD_KEY} AS id, l.state AS state ORDER BY l.started"
)
END_LOAD = f"MATCH (l:{LOAD_LABEL} {{{LOAD_KEY}: $load}}) DELETE l"
#: ``replace``: doom every node and relationship of the graph (deleted at the end).
MARK_REPLACED = [
    _in_batches(f"MATCH (n) WHERE {IS_GRAPH_NODE}", "n", f"SET n.{REPLACED_TAG} = $load"),
    _in_batches("MATCH ()-[r]->()", "r", f"SET r.{REPLACED_TAG} = $load"),
]
#: After the commit point: what ``replace`` doomed goes, the tags and undo records too.
ROLL_FORWARD = [
    _in_batches(_RELS + f"r.{REPLACED_TAG} = $load", "r", "DELETE r"),
    _in_batches(_NODES + f"n.{REPLACED_TAG} = $load", "n", "DETACH DELETE n"),
    _in_batches(
        _RELS + f"r.{LOAD_TAG} = $load OR r.{SAVED_TAG} = $load",
        "r",
        f"REMOVE r.{LOAD_TAG}, r.{SAVED_TAG}",
    ),
    _in_batches(
        _NODES + f"n.{LOAD_TAG} = $load OR n.{SAVED_TAG} = $load",
        "n",
        f"REMOVE n.{LOAD_TAG}, n.{SAVED_TAG}",
    ),
    _in_batches(f"MATCH (u:{UNDO_LABEL}) WHERE u.{UNDO_LOAD} = $load", "u", "DELETE u"),
]


def _restore_node(label: Label) -> str:
    """Put back the properties and labels an undo record saved for a ``label`` node."""
    key = KEY[label]
    labels = ""
    if label is Label.ITEM:
        labels = f" REMOVE n:{KIND_LABELS}" + "".join(
            f" FOREACH (_ IN CASE WHEN '{k.label.value}' IN u.{UNDO_NODE_LABELS} "
            f"THEN [1] ELSE [] END | SET n:{k.label.value})"
            for k in Kind
        )
    restore = (
        f"CALL (u) {{ MATCH (n:{label.value} {{{key}: u.{UNDO_NODE_KEY}}}) "
        f"SET n = properties(u) REMOVE n.{UNDO_LOAD}, n.{UNDO_NODE_LABEL}, "
        f"n.{UNDO_NODE_KEY}, n.{UNDO_NODE_LABELS}, n.{REPLACED_TAG}{labels} }} DELETE u"
    )
    match = (
        f"MATCH (u:{UNDO_LABEL}) WHERE u.{UNDO_LOAD} = $load "
        f"AND u.{UNDO_NODE_LABEL} = '{label.value}'"
    )
    return _in_batches(match, "u", restore)


RESTORE_RELS = _in_batches(
    f"MATCH (u:{UNDO_LABEL}) WHERE u.{UNDO_LOAD} = $load AND u.{UNDO_REL} IS NOT NULL",
    "u",
    f"CALL (u) {{ MATCH ()-[r]->() WHERE elementId(r) = u.{UNDO_REL} SET r = properties(u) "
    f"REMOVE r.{UNDO_LOAD}, r.{UNDO_REL}, r.{REPLACED_TAG} }} DELETE u",
)
#: Before the commit point: what the load created goes, what it changed is put back,
#: what ``replace`` doomed stays.
ROLL_BACK = [
    _in_batches(_RELS + f"r.{LOAD_TAG} = $load", "r", "DELETE r"),
    _in_batches(_NODES + f"n.{LOAD_TAG} = $load", "n", "DETACH DELETE n"),
    *[_restore_node(label) for label in KEYED_LABELS],
    RESTORE_RELS,
    _in_batches(_RELS + f"r.{REPLACED_TAG} = $load", "r", f"REMOVE r.{REPLACED_TAG}"),
    _in_batches(_NODES + f"n.{REPLACED_TAG} = $load", "n", f"REMOVE n.{REPLACED_TAG}"),
]

DELETE_ALL = "MATCH (n) DETACH DELETE n"
#: Empty the database in batches: relationships first, so that no batch deletes a node
#: with its 50,000 relationships at once (a country's: too much for a 1 GB heap).
DELETE_ALL_BATCHED = [
    _in_batches("MATCH ()-[r]->()", "r", "DELETE r"),
    _in_batches("MATCH (n)", "n", "DETACH DELETE n"),
]
EXPORT_NODES = f"MATCH (n) WHERE {IS_GRAPH_NODE} RETURN labels(n) AS labels, properties(n) AS props"
EXPORT_RELS = (
    "MATCH (a)-[r]->(b) RETURN type(r) AS type, labels(a) AS a_labels, properties(a) AS a, "
    "labels(b) AS b_labels, properties(b) AS b, properties(r) AS props"
)
COUNT_LABELS = (
    f"MATCH (n) WHERE {IS_GRAPH_NODE} UNWIND labels(n) AS label RETURN label, count(*) AS n"
)
COUNT_RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n"
PING = "RETURN 1 AS ok"
GRAPH_SIZE = "RETURN COUNT { MATCH (n) } + COUNT { MATCH ()-[r]->() } AS n"


def get_node(label: Label) -> str:
    """Read one keyed node's properties by ``$key``."""
    return f"MATCH (n:{label.value} {{{KEY[label]}: $key}}) RETURN properties(n) AS props"


def get_nodes(label: Label) -> str:
    """Read the keyed nodes whose key is in ``$keys``."""
    return f"MATCH (n:{label.value}) WHERE n.{KEY[label]} IN $keys RETURN properties(n) AS props"


def names(label: Label) -> str:
    """Read the key and name of the keyed nodes whose key is in ``$keys`` and have a name."""
    return (
        f"MATCH (n:{label.value}) WHERE n.{KEY[label]} IN $keys AND n.{NAME} IS NOT NULL"
        f" RETURN n.{KEY[label]} AS key, n.{NAME} AS name"
    )


def rels_of_type(rtype: Rel) -> str:
    """Every relationship of one type, with both ends' labels and properties."""
    return EXPORT_RELS.replace("[r]", f"[r:{rtype.value}]", 1)


#: The ingest lock: a unique node that the holder's transaction MERGEs and never commits.
INGEST_LOCK_CONSTRAINT = (
    f"CREATE CONSTRAINT filiere_ingest_lock IF NOT EXISTS "
    f"FOR (n:{INGEST_LOCK_LABEL}) REQUIRE n.{INGEST_LOCK_KEY} IS UNIQUE"
)
TAKE_INGEST_LOCK = f"MERGE (:{INGEST_LOCK_LABEL} {{{INGEST_LOCK_KEY}: 'ingest'}})"
