"""docs/schema.md is the analysts' contract: it must match the code and the database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.schema import KEY, Label, Rel, constraint_name, constraints_cypher
from filiere.graph.store import GraphStore

DOC = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text(encoding="utf-8")


def test_doc_lists_exactly_the_constraints_the_store_creates() -> None:
    documented = re.findall(r"^CREATE CONSTRAINT .*$", DOC, flags=re.MULTILINE)
    assert documented == constraints_cypher()


def test_doc_names_every_label_and_relationship_type() -> None:
    for label in Label:
        assert f"`{label.value}`" in DOC, label
    for rel in Rel:
        assert f"`{rel.value}`" in DOC, rel
    for label, key in KEY.items():
        assert re.search(rf"^\| `{label.value}` \| `{key}` \|", DOC, flags=re.MULTILINE), label


@pytest.mark.neo4j
def test_neo4j_has_the_documented_constraints(neo4j_store: GraphStore) -> None:
    assert isinstance(neo4j_store, Neo4jStore)
    neo4j_store.ensure_schema()
    rows = neo4j_store.run_read(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
        "WHERE type = 'UNIQUENESS' RETURN name, labelsOrTypes, properties"
    )
    found = {(r["name"], r["labelsOrTypes"][0], r["properties"][0]) for r in rows}
    expected = {(constraint_name(lbl), lbl.value, KEY[lbl]) for lbl in KEY}
    assert expected <= found


@pytest.mark.neo4j
def test_doc_example_queries_compile(neo4j_store: GraphStore) -> None:
    assert isinstance(neo4j_store, Neo4jStore)
    blocks = re.findall(r"```cypher\n(.*?)```", DOC, flags=re.DOTALL)
    examples = [b for b in blocks if not b.startswith("CREATE CONSTRAINT")]
    assert len(examples) >= 4
    params = {"product": "P", "item": "I", "material": "M", "region": "FR-BFC", "process": "x"}
    for query in examples:
        neo4j_store.run_read("EXPLAIN " + query, **params)
