"""The local Neo4j launcher against the real engine (no mocks)."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from filiere.neo4j_local import Neo4jLauncherError, Neo4jServer, start, status, stop

pytestmark = pytest.mark.neo4j

neo4j = pytest.importorskip("neo4j")

if not (shutil.which("java") and shutil.which("javac") and shutil.which("mvn")):
    pytest.skip("needs java, javac and mvn", allow_module_level=True)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("neo4j-home")
    yield path
    stop(path, timeout=30)


@pytest.fixture(scope="module")
def server(home: Path) -> Neo4jServer:
    return start(home, heap="512m", pagecache="64m", password="s3cret-test", timeout=180)


def test_server_answers_bolt_with_auth(server: Neo4jServer, home: Path) -> None:
    assert server.uri.startswith("bolt://127.0.0.1:")
    assert server.home == home.resolve()
    assert (home / "neo4j.log").is_file()
    assert "FILIERE_NEO4J_READY" in (home / "neo4j.log").read_text()
    with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        driver.execute_query("CREATE (:Item {key: $k, name: 'bolt'})", k="t1")
        records, _, _ = driver.execute_query(
            "MATCH (n:Item {key: $k}) RETURN n.name AS name", k="t1"
        )
        assert [r["name"] for r in records] == ["bolt"]
        probes, _, _ = driver.execute_query("MATCH (n:FiliereLauncherProbe) RETURN count(n) AS c")
        assert probes[0]["c"] == 0
    with (
        pytest.raises(neo4j.exceptions.AuthError),
        neo4j.GraphDatabase.driver(server.uri, auth=(server.user, "wrong-password")) as bad,
    ):
        bad.verify_connectivity()


def test_transactions_have_memory_limits_sized_from_the_heap(server: Neo4jServer) -> None:
    """--heap 512m: a transaction may use 128 MiB, all of them together 307 MiB."""
    query = (
        "SHOW SETTINGS YIELD name, value WHERE name IN "
        "['db.memory.transaction.max', 'dbms.memory.transaction.total.max'] "
        "RETURN name, value ORDER BY name"
    )
    with neo4j.GraphDatabase.driver(server.uri, auth=server.auth) as driver:
        records, _, _ = driver.execute_query(query)
    assert {r["name"]: r["value"] for r in records} == {
        "db.memory.transaction.max": "128.00MiB",
        "dbms.memory.transaction.total.max": "307.00MiB",
    }


def test_status_and_idempotent_start(server: Neo4jServer, home: Path) -> None:
    assert status(home) == server
    assert start(home, password="s3cret-test") == server


def test_stop_ends_process_and_closes_port(server: Neo4jServer, home: Path) -> None:
    assert _port_open(server.port)
    assert stop(home, timeout=30) is True
    assert not _pid_running(server.pid)
    assert not _port_open(server.port)
    assert status(home) is None
    assert not (home / "server.json").exists()
    assert stop(home) is False


def test_stale_record_is_cleaned(tmp_path: Path) -> None:
    (tmp_path / "server.json").write_text(
        '{"uri": "bolt://127.0.0.1:1", "pid": 999999999, "user": "neo4j", "password": "x"}'
    )
    assert status(tmp_path) is None
    assert not (tmp_path / "server.json").exists()


def test_empty_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Neo4jLauncherError):
        start(tmp_path, password="")
