"""POST /cypher: read-only queries run on Neo4j; writes, schema and admin commands are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import Api, start_api
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import CypherError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.queries.cypher_runner import run_readonly
from filiere.settings import Settings

PROBLEM = "application/problem+json"

REFUSED = [
    "CREATE (n:Item {id: 'HACK', name: 'x'}) RETURN n",
    "MERGE (n:Item {id: 'HACK'}) RETURN n",
    "MATCH (n:Item {id: 'AIM'}) DELETE n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n:Item {id: 'AIM'}) SET n.name = 'hacked' RETURN n",
    "MATCH (n:Item {id: 'AIM'}) REMOVE n.name RETURN n",
    "MATCH (n:Item {id: 'AIM'}) SET n:Hacked RETURN n",
    "CREATE INDEX hack_idx IF NOT EXISTS FOR (n:Item) ON (n.name)",
    "CREATE CONSTRAINT hack_c IF NOT EXISTS FOR (n:Supplier) REQUIRE n.name IS UNIQUE",
    "DROP CONSTRAINT item_id",
    "CALL dbms.components() YIELD name RETURN name",
    "CALL dbms.listConfig() YIELD name RETURN name",
    "SHOW USERS",
    "CREATE USER hacker SET PASSWORD 'secret-secret'",
    "CALL db.createLabel('Hacked')",
    # A write hidden in a subquery, in FOREACH, after a read, in a union.
    "MATCH (i:Item) CALL (i) { SET i.hacked = true } RETURN count(*) AS n",
    "MATCH (i:Item {id: 'AIM'}) CALL { CREATE (:Item {id: 'HACK2'}) } RETURN i.id",
    "MATCH (i:Item) FOREACH (x IN [1] | CREATE (:Item {id: 'HACK3'})) RETURN count(i) AS n",
    "RETURN 1 AS x UNION MATCH (n:Item {id: 'AIM'}) DETACH DELETE n RETURN 1 AS x",
    "MATCH (i:Item) WITH i LIMIT 1 MERGE (i)-[:CONTAINS]->(i) RETURN i",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10 ROWS",
    # Server commands planned as reads: server paths, other users' queries, kill switch.
    "SHOW SETTINGS YIELD name, value WHERE name STARTS WITH 'server.directories' RETURN *",
    "SHOW TRANSACTIONS",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
]


@pytest.fixture
def api(neo4j_store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Api]:
    with start_api(neo4j_store, tmp_path, request, cypher_row_limit=10) as running:
        yield running


def _schema(store: GraphStore) -> list[Any]:
    assert isinstance(store, Neo4jStore)
    rows = store.run_read("SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name")
    rows += store.run_read("SHOW INDEXES YIELD name RETURN name ORDER BY name")
    return rows


def _users(store: GraphStore) -> list[Any]:
    assert isinstance(store, Neo4jStore)
    with store.driver.session(database="system") as s:
        return [r["user"] for r in s.run("SHOW USERS YIELD user RETURN user")]


@pytest.mark.neo4j
def test_read_queries_return_rows(api: Api) -> None:
    with api.client("analyst") as c:
        r = c.post(
            "/cypher",
            json={
                "query": "MATCH (i:Item {id: $id})-[:CONTAINS]->(c) RETURN c.id AS child",
                "params": {"id": "CAPT"},
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["columns"] == ["child"] and body["truncated"] is False
        assert sorted(row["child"] for row in body["rows"]) == ["AIM", "BOIT"]
        node = c.post("/cypher", json={"query": "MATCH (n:Item {id: 'ND'}) RETURN n"}).json()
        assert node["rows"][0]["n"]["properties"]["name"] == "Néodyme"
        schema = c.post("/cypher", json={"query": "CALL db.labels() YIELD label RETURN label"})
        assert schema.status_code == 200 and {"label": "Item"} in schema.json()["rows"]


@pytest.mark.neo4j
def test_row_limit_of_the_server_and_of_the_request(api: Api) -> None:
    query = {"query": "UNWIND range(1, 50) AS x RETURN x"}
    with api.client("analyst") as c:
        body = c.post("/cypher", json=query).json()
        assert len(body["rows"]) == 10 and body["truncated"] is True  # server limit: 10
        body = c.post("/cypher", json={**query, "limit": 3}).json()
        assert [r["x"] for r in body["rows"]] == [1, 2, 3] and body["truncated"] is True
        body = c.post("/cypher", json={**query, "limit": 1000}).json()
        assert len(body["rows"]) == 10  # never more than the server's limit


@pytest.mark.neo4j
def test_writes_schema_and_admin_commands_are_refused(api: Api) -> None:
    counts, schema, users = api.store.counts(), _schema(api.store), _users(api.store)
    with api.client("admin") as c:  # even an admin key only reads
        for query in REFUSED:
            r = c.post("/cypher", json={"query": query})
            assert r.status_code in (400, 403), f"{query} -> {r.status_code} {r.text}"
            assert r.headers["content-type"] == PROBLEM
            assert r.json()["type"] in (
                "urn:filiere:problem:cypher-refused",
                "urn:filiere:problem:cypher-error",
            )
    assert api.store.counts() == counts
    assert _schema(api.store) == schema
    assert _users(api.store) == users
    aim = api.store.get_node(Label.ITEM, "AIM")  # the sample is intact
    assert aim is not None and aim["name"] == "Aimant NdFeB" and "hacked" not in aim


@pytest.mark.neo4j
def test_writes_are_refused_with_403_and_why(api: Api) -> None:
    with api.client("analyst") as c:
        r = c.post("/cypher", json={"query": "CREATE (n:Item {id: 'X'})"})
        assert r.status_code == 403 and "writes" in r.json()["detail"]
        r = c.post("/cypher", json={"query": "CREATE INDEX x FOR (n:Item) ON (n.name)"})
        assert r.status_code == 403 and "schema" in r.json()["detail"]
        r = c.post("/cypher", json={"query": "CALL dbms.components() YIELD name RETURN name"})
        assert r.status_code == 403 and "refused" in r.json()["detail"]


@pytest.mark.neo4j
def test_parameters_cannot_inject(api: Api) -> None:
    counts = api.store.counts()
    evil = "x'}) MATCH (n) DETACH DELETE n //"
    with api.client("analyst") as c:
        r = c.post(
            "/cypher",
            json={
                "query": "MATCH (i:Item) WHERE i.name = $q RETURN i.id AS id",
                "params": {"q": evil},
            },
        )
        assert r.status_code == 200 and r.json()["rows"] == []
        r = c.post("/cypher", json={"query": "RETURN $q AS q", "params": {"q": evil}})
        assert r.json()["rows"] == [{"q": evil}]
    assert api.store.counts() == counts


@pytest.mark.neo4j
def test_syntax_errors_and_empty_queries_are_400(api: Api) -> None:
    with api.client("analyst") as c:
        for query in ("MATCH (n RETURN n", "SELECT * FROM items", "   "):
            r = c.post("/cypher", json={"query": query})
            assert r.status_code == 400, query
            assert r.json()["type"] == "urn:filiere:problem:cypher-error"
        assert c.post("/cypher", json={"query": ""}).status_code == 422
        assert c.post("/cypher", json={"params": {}}).status_code == 422


@pytest.mark.neo4j
def test_server_side_timeout(
    neo4j_store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with (
        start_api(neo4j_store, tmp_path, request, cypher_timeout_s=0.5) as api,
        api.client("analyst") as c,
    ):
        query = "UNWIND range(1, 200000000) AS x WITH x WHERE x % 7 = 3 RETURN count(x) AS n"
        r = c.post("/cypher", json={"query": query})
        assert r.status_code == 400, r.text
        assert "time limit" in r.json()["detail"]


def test_embedded_store_has_no_cypher(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with start_api(embedded_store, tmp_path, request) as api, api.client("analyst") as c:
        r = c.post("/cypher", json={"query": "MATCH (n) RETURN n"})
        assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
        assert r.json()["type"] == "urn:filiere:problem:cypher-unavailable"


#: Read-only queries that each try to exhaust Neo4j's memory (no APOC), and the limit
#: each must run into: the heap (an expression building one huge value, which Neo4j's
#: memory tracking does not see) or the per-transaction limit (rows buffered by
#: collect, DISTINCT, cartesian products). Each is refused in a few seconds.
MEMORY_BOMBS = [
    # A two-byte character: the string fills the 2 GB heap before reaching Java's
    # 2^31-character limit (with 'x' it sometimes overflowed first: an internal error).
    ("RETURN size(reduce(s = '€', i IN range(1, 40) | s + s)) AS n", "server.memory.heap"),
    ("RETURN size(reduce(s = '', i IN range(1, 30) | s + s + 'abcdefg€')) AS n", "server.memory"),
    ("UNWIND range(1, 20000000) AS x RETURN size(collect(x)) AS n", "db.memory.transaction.max"),
    (
        "UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b "
        "RETURN size(collect([a, b, 'cartesian'])) AS n",
        "db.memory.transaction.max",
    ),
    (
        "WITH [i IN range(1, 5000) | i] AS l UNWIND l AS a UNWIND l AS b "
        "RETURN size(collect(a * b)) AS n",
        "db.memory.transaction.max",
    ),
    (
        "UNWIND range(1, 10000000) AS x WITH DISTINCT toString(x) AS s RETURN count(s) AS n",
        "db.memory.transaction.max",
    ),
]

#: Queries whose one row is larger than the response may hold (8 MiB by default).
HUGE_ROWS = [
    # Just over the 8 MiB limit: bigger rows only cost time, and a loaded CI machine
    # once spent the query's 20 s building a 22.9 MB one (504 instead of 400).
    "RETURN range(1, 1200000) AS r",  # 9.7 MB of JSON
    "RETURN [i IN range(1, 300000) | 'xxxxxxxxxxxxxxxxxxxxxxxx' + i] AS big",  # 10.1 MB
    "RETURN reduce(s = 'x', i IN range(1, 24) | s + s) AS s",  # one 16 MiB string
]


@pytest.fixture
def default_api(
    neo4j_store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Api]:
    """A server with the default limits."""
    with start_api(neo4j_store, tmp_path, request) as running:
        yield running


def _still_up(c: httpx.Client) -> None:
    assert c.get("/ready").status_code == 200
    query = "MATCH (i:Item {id: $id}) RETURN i.name AS name"
    r = c.post("/cypher", json={"query": query, "params": {"id": "ND"}})
    assert r.status_code == 200 and r.json()["rows"] == [{"name": "Néodyme"}], r.text


@pytest.mark.neo4j
def test_memory_bombs_are_400_naming_the_limit_and_neo4j_stays_up(default_api: Api) -> None:
    with default_api.client("analyst") as c:
        for query, limit in MEMORY_BOMBS:
            r = c.post("/cypher", json={"query": query})
            assert r.status_code == 400, f"{query} -> {r.status_code} {r.text}"
            assert r.headers["content-type"] == PROBLEM
            problem = r.json()
            assert problem["type"] == "urn:filiere:problem:cypher-memory-limit", query
            assert limit in problem["detail"], (query, problem["detail"])
            _still_up(c)


@pytest.mark.neo4j
def test_a_row_larger_than_the_byte_limit_is_400(default_api: Api) -> None:
    with default_api.client("analyst") as c:
        for query in HUGE_ROWS:
            r = c.post("/cypher", json={"query": query})
            assert r.status_code == 400, f"{query} -> {r.status_code} {len(r.content)} bytes"
            assert r.json()["type"] == "urn:filiere:problem:cypher-too-large"
            assert str(8 * 1024 * 1024) in r.json()["detail"]
            assert len(r.content) < 2000
        _still_up(c)


@pytest.mark.neo4j
def test_the_byte_limit_stops_the_rows_while_they_stream(
    neo4j_store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    limit = 1024 * 1024
    # Rows of 64 KiB; row 500 would fail (division by zero) if it were ever computed:
    # the answer proves that the records stop being pulled once the bytes are spent.
    query = (
        "UNWIND range(1, 1000) AS i "
        "RETURN CASE WHEN i < 500 THEN reduce(s = 'x', j IN range(1, 16) | s + s) "
        "ELSE toString(1 / (i - i)) END AS s"
    )
    with (
        start_api(neo4j_store, tmp_path, request, cypher_max_bytes=limit) as api,
        api.client("analyst") as c,
    ):
        r = c.post("/cypher", json={"query": query})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["truncated"] is True
        row = len(json.dumps(body["rows"][0], separators=(",", ":")))
        assert len(body["rows"]) == limit // (row + 1)  # as many as fit, and no more
        assert limit - row < len(r.content) <= limit + 100
    with pytest.raises(CypherError, match="zero"):  # row 500 does fail when it is reached
        run_readonly(neo4j_store, query, limit=1000)


@pytest.mark.neo4j
def test_the_cli_names_the_memory_limit(neo4j_store: GraphStore, neo4j_settings: Settings) -> None:
    env = {"NEO4J_PASSWORD": neo4j_settings.neo4j_password, "NEO4J_USER": neo4j_settings.neo4j_user}
    query, limit = MEMORY_BOMBS[2]
    out = CliRunner().invoke(cli, ["--store", neo4j_settings.store, "cypher", query], env=env)
    assert out.exit_code == 1, out.output
    assert limit in out.output and "Traceback" not in out.output
    neo4j_store.ping()
