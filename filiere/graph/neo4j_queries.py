"""Every Cypher statement the Neo4j store runs, built only from the schema's names.

User values always travel as ``$parameters`` (``UNWIND $rows AS row``); labels,
relationship types and property names come from :mod:`filiere.graph.schema`.
"""

from __future__ import annotations

from filiere.graph.schema import (
    INGEST_LOCK_KEY,
    INGEST_LOCK_LABEL,
    KEY,
    REL_IDENTITY,
    Kind,
    Label,
    Rel,
)

KIND_LABELS = ":".join(k.label.value for k in Kind)


def merge_nodes(label: Label, extra: tuple[Label, ...]) -> str:
    """Upsert keyed nodes from ``$rows`` of ``{key, props}``; items get their kind label."""
    query = (
        f"UNWIND $rows AS row MERGE (n:{label.value} {{{KEY[label]}: row.key}}) SET n += row.props"
    )
    if label is Label.ITEM and extra:
        query += f" REMOVE n:{KIND_LABELS}"
    for x in extra:
        query += f" SET n:{x.value}"
    return query


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


DELETE_ALL = "MATCH (n) DETACH DELETE n"
DELETE_ALL_BATCHED = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
EXPORT_NODES = "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
EXPORT_RELS = (
    "MATCH (a)-[r]->(b) RETURN type(r) AS type, labels(a) AS a_labels, properties(a) AS a, "
    "labels(b) AS b_labels, properties(b) AS b, properties(r) AS props"
)
COUNT_LABELS = "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n"
COUNT_RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n"
PING = "RETURN 1 AS ok"


def get_node(label: Label) -> str:
    """Read one keyed node's properties by ``$key``."""
    return f"MATCH (n:{label.value} {{{KEY[label]}: $key}}) RETURN properties(n) AS props"


def get_nodes(label: Label) -> str:
    """Read the keyed nodes whose key is in ``$keys``."""
    return f"MATCH (n:{label.value}) WHERE n.{KEY[label]} IN $keys RETURN properties(n) AS props"


def rels_of_type(rtype: Rel) -> str:
    """Every relationship of one type, with both ends' labels and properties."""
    return EXPORT_RELS.replace("[r]", f"[r:{rtype.value}]", 1)


#: The ingest lock: a unique node that the holder's transaction MERGEs and never commits.
INGEST_LOCK_CONSTRAINT = (
    f"CREATE CONSTRAINT filiere_ingest_lock IF NOT EXISTS "
    f"FOR (n:{INGEST_LOCK_LABEL}) REQUIRE n.{INGEST_LOCK_KEY} IS UNIQUE"
)
TAKE_INGEST_LOCK = f"MERGE (:{INGEST_LOCK_LABEL} {{{INGEST_LOCK_KEY}: 'ingest'}})"
