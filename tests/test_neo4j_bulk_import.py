"""``filiere neo4j import`` against the real engine: the bulk-loaded graph equals an ingest.

A dedicated launcher home (not the session's server) receives the demo dataset through
Neo4j's import tool; the session's server receives the same dataset through the
transactional ingest. Both must hold the same graph, the same constraints and give the
same analyses.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from filiere.cli import cli
from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.schema import KEYED_LABELS, Label, constraint_name
from filiere.graph.store import GraphStore
from filiere.i18n import language
from filiere.ingest import load
from filiere.neo4j_local import Neo4jLauncherError, Neo4jServer, start, status, stop
from filiere.queries import deps

pytestmark = pytest.mark.neo4j

neo4j = pytest.importorskip("neo4j")

if not (shutil.which("java") and shutil.which("javac") and shutil.which("mvn")):
    pytest.skip("needs java, javac and mvn", allow_module_level=True)

DEMO = Path(__file__).resolve().parents[1] / "filiere" / "data" / "demo"
PRODUCT = "P-KAPLAN"


def _import(*args: str) -> Result:
    return CliRunner(env={"FILIERE_LANG": "en"}).invoke(
        cli, ["neo4j", "import", "--no-progress", *args]
    )


@dataclass
class Attempts:
    """What the imports before the first start answered."""

    first: Result
    without_overwrite: Result
    refused_dataset: Result


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("bulk-home")
    yield path
    stop(path, timeout=30)


@pytest.fixture(scope="module")
def attempts(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Attempts:
    first = _import(str(DEMO), "--home", str(home))
    again = _import(str(DEMO), "--home", str(home))
    # The demo with one bill-of-materials line pointing at an unknown item.
    bad = tmp_path_factory.mktemp("bad") / "demo"
    shutil.copytree(DEMO, bad)
    with (bad / "bom.csv").open("a", encoding="utf-8") as fh:
        fh.write("P-KAPLAN,NO-SUCH-ITEM,1\n")
    refused = _import(str(bad), "--home", str(home), "--overwrite")
    return Attempts(first, again, refused)


@pytest.fixture(scope="module")
def server(home: Path, attempts: Attempts) -> Neo4jServer:
    assert attempts.first.exit_code == 0, attempts.first.output
    return start(home, heap="512m", pagecache="64m", password="bulk-test", timeout=180)


@pytest.fixture(scope="module")
def bulk(server: Neo4jServer) -> Iterator[Neo4jStore]:
    store = Neo4jStore(server.uri, user=server.user, password=server.password)
    yield store
    store.close()


@pytest.fixture
def ingested(neo4j_store: GraphStore) -> GraphStore:
    load(DEMO, neo4j_store, progress=False)
    return neo4j_store


def test_start_creates_the_schema_constraints(server: Neo4jServer) -> None:
    # Asked before any filiere store opened the database (a store creates them too).
    with neo4j.GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        records, _, _ = driver.execute_query(
            "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties"
        )
    found = {(r["name"], r["type"], tuple(r["labelsOrTypes"])) for r in records}
    assert found == {(constraint_name(lbl), "UNIQUENESS", (lbl.value,)) for lbl in KEYED_LABELS}
    assert not (server.home / "schema-pending").exists()


def test_bulk_graph_equals_transactional_ingest(bulk: Neo4jStore, ingested: GraphStore) -> None:
    assert bulk.counts() == ingested.counts()
    assert bulk.export().canonical() == ingested.export().canonical()


def test_analysis_gives_the_same_answer(bulk: Neo4jStore, ingested: GraphStore) -> None:
    result = deps(bulk, PRODUCT)
    assert result.dependencies  # the demo product has some: the comparison means something
    assert result.model_dump_json() == deps(ingested, PRODUCT).model_dump_json()


def test_existing_database_needs_overwrite(attempts: Attempts) -> None:
    result = attempts.without_overwrite
    assert result.exit_code == 1
    assert "--overwrite" in result.output


def test_refused_dataset_leaves_database_untouched(
    attempts: Attempts, bulk: Neo4jStore, ingested: GraphStore
) -> None:
    result = attempts.refused_dataset
    assert result.exit_code == 1
    assert "NO-SUCH-ITEM" in result.output and "nothing was written" in result.output
    # The database the server started on is still the first import's.
    assert bulk.export().canonical() == ingested.export().canonical()


def test_import_refused_while_server_runs(server: Neo4jServer, home: Path) -> None:
    result = _import(str(DEMO), "--home", str(home), "--overwrite")
    assert result.exit_code == 1
    assert "running" in result.output and "filiere neo4j stop" in result.output
    assert status(home) == server


def test_overwrite_replaces_a_database_that_served(
    server: Neo4jServer, home: Path, bulk: Neo4jStore
) -> None:
    """Stop, import again with --overwrite, start: the new import is what the server serves."""
    before = bulk.counts()
    assert stop(home, timeout=30)
    result = _import(str(DEMO), "--home", str(home), "--overwrite", "--source", "second")
    assert result.exit_code == 0, result.output
    again = start(home, heap="512m", pagecache="64m", password="bulk-test", timeout=180)
    with Neo4jStore(again.uri, user=again.user, password=again.password) as store:
        assert store.counts() == before
        node = store.get_node(Label.ITEM, PRODUCT)
        assert node is not None and node["source"] == "second"


def test_failed_tool_run_leaves_no_database_and_no_staging(tmp_path: Path) -> None:
    from filiere.neo4j_local.bulk_import import database_exists, import_csv

    home = tmp_path / "home"
    stale = home / ".import-staging-killed"
    (stale / "data").mkdir(parents=True)  # what a killed import leaves behind
    missing = tmp_path / "no-such-nodes.csv"
    with language("en"), pytest.raises(Neo4jLauncherError, match="import tool failed"):
        import_csv(["neo4j", f"--nodes={missing}"], home, show_progress=False)
    assert not database_exists(home)
    assert not list(home.glob(".import-staging-*"))
    assert not (home / "schema-pending").exists()
