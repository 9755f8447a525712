"""The read-only Cypher runner and the ``.cypher`` library, on a real Neo4j."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import CypherError, CypherRefused
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.queries.cypher_runner import run_readonly
from filiere.queries.library import library, load
from filiere.settings import Settings
from filiere.testing.workshop import workshop


@pytest.fixture
def neo(neo4j_store: GraphStore) -> GraphStore:
    neo4j_store.write(build_batch(workshop()))
    return neo4j_store


def test_the_embedded_store_is_refused(embedded_store: EmbeddedStore) -> None:
    with pytest.raises(CypherRefused, match="Neo4j"):
        run_readonly(embedded_store, "RETURN 1 AS one", {})


@pytest.mark.neo4j
def test_a_read_query_runs_with_parameters(neo: GraphStore) -> None:
    result = run_readonly(
        neo,
        "MATCH (x:Item) WHERE x.id IN $ids RETURN x.id AS id, x ORDER BY id",
        {"ids": ["A", "B"]},
    )
    assert result.columns == ["id", "x"]
    assert [r["id"] for r in result.rows] == ["A", "B"]
    node = result.rows[0]["x"]
    assert node["labels"] == ["Component", "Item"] and node["properties"]["name"] == "Article A"
    assert not result.truncated


@pytest.mark.neo4j
def test_rows_are_limited(neo: GraphStore) -> None:
    result = run_readonly(neo, "UNWIND range(1, 50) AS n RETURN n", {}, limit=10)
    assert [r["n"] for r in result.rows] == list(range(1, 11))
    assert result.truncated


@pytest.mark.neo4j
@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("CREATE (:Item {id: 'X'})", "writes"),
        ("MATCH (x:Item {id: 'A'}) SET x.name = 'hacked' RETURN x", "writes"),
        ("MATCH (x:Item {id: 'A'}) DETACH DELETE x", "writes"),
        ("MERGE (x:Item {id: 'A'}) RETURN x", "writes"),
        ("CREATE INDEX hack IF NOT EXISTS FOR (n:Item) ON (n.name)", "schema"),
        ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LoadCSV"),
        ("CALL dbms.components() YIELD name RETURN name", "refused"),
        ("CALL db.index.fulltext.queryNodes('x', 'y') YIELD node RETURN node", "procedure"),
        # Server commands that Neo4j plans as read-only queries.
        ("SHOW SETTINGS YIELD name, value RETURN name, value", "ShowSettings"),
        ("SHOW TRANSACTIONS", "ShowTransactions"),
        ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TerminateTransactions"),
        ("SHOW PROCEDURES", "ShowProcedures"),
    ],
)
def test_writes_and_escapes_are_refused(neo: GraphStore, query: str, why: str) -> None:
    before = neo.export().canonical()
    with pytest.raises(CypherRefused, match=why):
        run_readonly(neo, query, {})
    assert neo.export().canonical() == before


@pytest.mark.neo4j
def test_schema_listings_are_allowed(neo: GraphStore) -> None:
    indexes = run_readonly(neo, "SHOW INDEXES YIELD name RETURN name", {})
    constraints = run_readonly(neo, "SHOW CONSTRAINTS YIELD name RETURN name", {})
    assert {"name": "item_id"} in constraints.rows
    assert indexes.rows  # the constraints' own indexes


@pytest.mark.neo4j
def test_terminate_cannot_kill_another_session(neo: GraphStore) -> None:
    from filiere.graph.neo4j_store import Neo4jStore

    assert isinstance(neo, Neo4jStore)
    with neo.driver.session() as other, other.begin_transaction() as tx:
        tx.run("MATCH (n:Item {id: 'A'}) SET n.touched = true").consume()
        tx_id = neo.run_read(
            "SHOW TRANSACTIONS YIELD transactionId, currentQuery "
            "WHERE currentQuery CONTAINS 'touched' RETURN transactionId"
        )
        assert tx_id, "the other session's transaction should be listed"
        query = "TERMINATE TRANSACTIONS $ids"
        with pytest.raises(CypherRefused):
            run_readonly(neo, query, {"ids": [r["transactionId"] for r in tx_id]})
        tx.rollback()  # it was still alive: rolling it back works


@pytest.mark.neo4j
def test_bad_queries_and_timeouts_are_clear_errors(neo: GraphStore) -> None:
    with pytest.raises(CypherError, match=r"Neo4j refused|Invalid|SyntaxError"):
        run_readonly(neo, "MATCH (x RETURN x", {})
    with pytest.raises(CypherRefused):
        run_readonly(neo, "SHOW USERS", {})
    slow = "UNWIND range(1, 500000000) AS n WITH n WHERE n % 7 = 99999999 RETURN count(*) AS c"
    with pytest.raises(CypherError, match="time limit"):
        run_readonly(neo, slow, {}, timeout_s=0.5)
    assert run_readonly(neo, "RETURN 1 AS one", {}).rows == [{"one": 1}]  # still usable


@pytest.mark.neo4j
def test_every_library_query_runs(neo: GraphStore) -> None:
    samples = {
        "item": "A",
        "product": "P",
        "material": "M1",
        "region": "FR-BFC",
        "process": "machining",
        "country": "CN",
        "countries": ["CN"],
        "roots": ["A3"],
        "items": ["A", "M1"],
        "lossItems": ["A", "A4"],
        "upstream": True,
        "home": "FR",
        "eu": ["DE", "FR"],
        "maxPaths": 3,
        "limit": 3,
        "regionLat": None,
        "regionLng": None,
    }
    for q in library():
        if q.name.startswith("lookup_"):
            continue  # the API's queries, tested with the API
        params = {p: samples[p] for p in q.params}
        run_readonly(neo, q.text, params)  # raises on any problem
    used = run_readonly(neo, load("where_used").text, {"item": "M1"}).rows
    assert [(r["item"], r["levels"]) for r in used] == [
        ("E", 1),
        ("D", 2),
        ("C", 3),
        ("A", 4),
        ("B", 4),
        ("P", 5),
        ("Q", 5),
    ]
    paths = run_readonly(
        neo, load("product_paths").text, {"product": "P", "item": "C", "maxPaths": 5}
    )
    assert sorted(r["path"] for r in paths.rows) == [["P", "A", "C"], ["P", "B", "C"]]
    region = run_readonly(
        neo, load("region_suppliers_with_process").text, {"region": "FR-BFC", "process": "coating"}
    )
    assert [(r["supplier"], r["items"]) for r in region.rows] == [("S-FR1", ["A", "A3", "B", "C"])]
    in_french = run_readonly(
        neo,
        load("region_suppliers_with_process").text,
        {"region": "FR-BFC", "process": " Revêtement "},
    )
    assert in_french.rows == region.rows


def test_every_library_query_documents_its_parameters() -> None:
    for q in library():
        assert q.description, q.name
        for name, text in q.params.items():
            assert text, f"{q.name}: parameter ${name} has no description"


@pytest.mark.neo4j
def test_cli_cypher_by_name_and_text(neo: GraphStore, neo4j_settings: Settings) -> None:
    env = {"NEO4J_PASSWORD": neo4j_settings.neo4j_password, "NEO4J_USER": neo4j_settings.neo4j_user}
    runner = CliRunner()
    base = ["--store", neo4j_settings.store, "cypher"]
    out = runner.invoke(cli, [*base, "where_used", "-p", "item=M2", "--format", "json"], env=env)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["rows"] == [
        {"item": "B", "name": "Article B", "kind": "component", "levels": 1},
        {"item": "P", "name": "Article P", "kind": "product", "levels": 2},
        {"item": "Q", "name": "Article Q", "kind": "product", "levels": 2},
    ]
    out = runner.invoke(
        cli,
        [
            *base,
            "MATCH (s:Supplier {country: $c}) RETURN s.id AS id ORDER BY id",
            "-p",
            "c=CN",
            "--format",
            "csv",
        ],
        env=env,
    )
    assert out.output.splitlines() == ["id", "S-CN1", "S-CN2"]
    out = runner.invoke(cli, [*base, "MATCH (n) DETACH DELETE n"], env=env)
    assert out.exit_code == 1 and "refused" in out.output
    out = runner.invoke(cli, [*base, "where_used"], env=env)
    assert out.exit_code != 0 and "--param item=" in out.output


ANALYSIS_QUERIES = [
    "deps",
    "bom",
    "closure_facts",
    "routes",
    "shock_items",
    "shock_products",
    "shock_cut_items",
    "critical",
    "opportunity_roots",
    "opportunity_facts",
    "opportunity_products",
    "opportunity_items",
    "routes_summary",
    "where_used",
    "viz_supply_tree",
]

#: Analysis queries that read items' neighbours only, no bill of materials.
NO_TRAVERSAL = (
    "opportunity_roots",
    "routes",
    "routes_summary",
    "shock_items",
    "opportunity_facts",
    "opportunity_products",
    "opportunity_items",
)

#: Realistic values for EXPLAIN: the planner may plan differently for null parameters.
PLAN_PARAMS: dict[str, object] = {
    "limit": 20,
    "product": "P",
    "roots": ["P"],
    "item": "C",
    "region": "FR-BFC",
    "regionLat": None,
    "regionLng": None,
    "home": "FR",
    "eu": ["FR", "DE"],
    "countries": ["CN"],
    "upstream": True,
    "items": ["C"],
    "lossItems": ["C"],
}


@pytest.fixture(params=["small graph", "larger graph"])
def planned(request: pytest.FixtureRequest, neo: GraphStore) -> GraphStore:
    """The workshop graph alone, or beside a generated one: the planner's statistics differ."""
    if request.param == "larger graph":
        from filiere.testing.generate import GeneratorConfig, generate

        config = GeneratorConfig(
            seed=3, products=60, layers=5, width=400, materials=60, suppliers=200
        )
        neo.write(build_batch(generate(config)))
    return neo


@pytest.mark.neo4j
@pytest.mark.parametrize("name", ANALYSIS_QUERIES)
def test_analysis_plans_never_enumerate_paths(planned: GraphStore, name: str) -> None:
    """BOM traversals are breadth-first searches (pruned expansions or shortest-path ones).

    A plain ``VarLengthExpand(All)`` would enumerate every path, which explodes on
    shared sub-assemblies; the legacy ``ShortestPath`` operator needs both ends bound, so
    the planner pairs the root with every item (a cartesian product): the cost would grow
    with the graph, not with the product's bill of materials.
    """
    from neo4j import ManagedTransaction

    from filiere.graph.neo4j_store import Neo4jStore

    assert isinstance(planned, Neo4jStore)
    q = load(name)
    params = {p: PLAN_PARAMS[p] for p in q.params}

    def plan(tx: ManagedTransaction) -> list[str]:
        summary = tx.run("EXPLAIN " + q.text, params).consume()
        assert summary.plan is not None, "EXPLAIN gave no plan"
        ops: list[str] = []
        stack = [summary.plan]
        while stack:
            op = stack.pop()
            ops.append(op["operatorType"].split("@")[0])
            stack.extend(op.get("children", []))
        return ops

    ops = planned.read(plan)
    var_length = [op for op in ops if op.startswith("VarLengthExpand")]
    assert all("Pruning" in op for op in var_length), ops
    assert "CartesianProduct" not in ops, ops
    assert "ShortestPath" not in ops, ops
    breadth_first = var_length + [op for op in ops if op.startswith("StatefulShortestPath")]
    if name not in NO_TRAVERSAL:
        assert breadth_first, f"{name} should traverse the BOM"
