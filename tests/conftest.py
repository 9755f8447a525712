"""Shared fixtures: one ``store`` fixture that runs a test on both stores.

The Neo4j store is a real Neo4j: the server named by ``NEO4J_URI`` when set, else one
started once per session by filiere's own launcher. Neo4j tests never skip: when no
server can be had, they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.settings import Settings

# In CI (CI=true) property tests replay the same examples every run, so a landing never
# hinges on luck; on a developer's machine they explore new examples each run.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the project; tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings that point at a real Neo4j for the whole session."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield Settings(store=uri)
        return
    from filiere.neo4j_local import start, stop

    home = Path(os.environ.get("FILIERE_TEST_NEO4J_HOME") or tmp_path_factory.mktemp("neo4j"))
    server = start(home)
    try:
        yield Settings(store=server.uri, neo4j_user=server.user, neo4j_password=server.password)
    finally:
        if not os.environ.get("FILIERE_TEST_NEO4J_HOME"):
            stop(home)


@pytest.fixture(scope="session")
def neo4j_store_session(neo4j_settings: Settings) -> Iterator[GraphStore]:
    from filiere.graph.uri import open_store

    store = open_store(settings=neo4j_settings)
    store.ping()
    yield store
    store.close()


@pytest.fixture
def neo4j_store(neo4j_store_session: GraphStore) -> GraphStore:
    """The session's Neo4j store, emptied before the test."""
    neo4j_store_session.clear()
    return neo4j_store_session


@pytest.fixture
def embedded_store(tmp_path: Path) -> EmbeddedStore:
    """A fresh embedded store in a temporary file."""
    return EmbeddedStore(tmp_path / "graph.json")


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> GraphStore:
    """Each test that takes ``store`` runs once per store, so both must behave alike."""
    name = "embedded_store" if request.param == "embedded" else "neo4j_store"
    result: GraphStore = request.getfixturevalue(name)
    return result


@pytest.fixture
def both_stores(embedded_store: EmbeddedStore, neo4j_store: GraphStore) -> list[GraphStore]:
    """Both stores at once, for tests that compare them."""
    return [embedded_store, neo4j_store]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how the tests against the real Neo4j went, so a skipped Neo4j cannot hide."""
    outcomes: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            # A test is counted once: by its call, or by its setup when that did not pass.
            counted = report.when == "call" or (report.when == "setup" and outcome != "passed")
            if counted and "neo4j" in getattr(report, "keywords", {}):
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes:
        uri = os.environ.get("NEO4J_URI", "the launcher's server")
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        terminalreporter.write_line(f"Neo4j-marked tests against {uri}: {counts}")
