"""Neo4j killed mid-load (SIGKILL): whatever the load, the store stays as it was.

A journalled load (batches committed one by one) run by ``filiere ingest`` in another
process, the server killed after some batches: once restarted, ``filiere neo4j
recover`` undoes the load. A one-transaction load killed midway leaves nothing either.

The test starts its own Neo4j (never the session's shared one: it kills it), with
filiere's launcher, in a temporary home.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import StoreError
from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.records import GraphBatch, ProgressCallback, WriteSummary
from filiere.graph.schema import LOAD_LABEL, LOAD_TAG, LOAD_WRITING, UNDO_LABEL
from filiere.ingest import load

pytestmark = pytest.mark.neo4j

ITEMS = 8_000
BATCH = 250


def _dataset(folder: Path, prefix: str, n: int) -> Path:
    """A product P with ``n`` components, each supplied by one of 50 suppliers."""
    folder.mkdir()
    items = ["id,name,kind", f"{prefix}P,Produit {prefix},product"]
    items += [f"{prefix}C{i},Composant {i},component" for i in range(n)]
    (folder / "items.csv").write_text("\n".join(items) + "\n", encoding="utf-8")
    bom = ["parent,child,quantity"] + [f"{prefix}P,{prefix}C{i},{1 + i % 3}" for i in range(n)]
    (folder / "bom.csv").write_text("\n".join(bom) + "\n", encoding="utf-8")
    suppliers = ["id,name,country"] + [f"{prefix}S{j},Fournisseur {j},FR" for j in range(50)]
    (folder / "suppliers.csv").write_text("\n".join(suppliers) + "\n", encoding="utf-8")
    supplies = ["supplier,item,share"] + [f"{prefix}S{i % 50},{prefix}C{i},1" for i in range(n)]
    (folder / "supplies.csv").write_text("\n".join(supplies) + "\n", encoding="utf-8")
    return folder


class KilledMidWrite(Neo4jStore):
    """A Neo4j store whose server is killed (SIGKILL) after ``after`` written batches."""

    def __init__(self, server: Any, after: int) -> None:
        super().__init__(server.uri, user=server.user, password=server.password, batch_size=BATCH)
        self.pid = server.pid
        self.home = server.home
        self.after = after

    def write(
        self,
        batch: GraphBatch,
        *,
        replace: bool = False,
        progress: ProgressCallback | None = None,
        atomic: bool = True,
    ) -> WriteSummary:
        calls = 0

        def hook(n: int) -> None:
            nonlocal calls
            calls += 1
            if calls == self.after:
                _kill(self.pid, self.home)

        return super().write(batch, replace=replace, progress=hook, atomic=atomic)


def _kill(pid: int, home: Path) -> None:
    from filiere.neo4j_local import status

    os.kill(pid, signal.SIGKILL)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if status(home) is None:  # reaps the dead server too
            return
        time.sleep(0.1)
    pytest.fail(f"Neo4j (pid {pid}) still alive after SIGKILL")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Start (or restart, after a kill) a dedicated Neo4j in a temporary home."""
    from filiere.neo4j_local import start, stop

    home = tmp_path / "neo4j"
    yield lambda: start(home, heap="512m", pagecache="64m")
    stop(home)


def _store(server: Any) -> Neo4jStore:
    return Neo4jStore(server.uri, user=server.user, password=server.password, batch_size=BATCH)


def _in_flight(store: Neo4jStore) -> tuple[int, int]:
    """(journals writing, nodes the load has created so far)."""
    journals = store.run_read(
        f"MATCH (l:{LOAD_LABEL}) WHERE l.state = $writing RETURN count(l) AS n",
        writing=LOAD_WRITING,
    )[0]["n"]
    tagged = store.run_read(f"MATCH (n) WHERE n.{LOAD_TAG} IS NOT NULL RETURN count(n) AS n")
    return journals, tagged[0]["n"]


def _ingest_process(server: Any, dataset: Path) -> subprocess.Popen[str]:
    """``filiere ingest --batched`` into ``server`` in another process, small batches."""
    env = {
        **os.environ,
        "FILIERE_STORE": server.uri,
        "NEO4J_PASSWORD": server.password,
        "FILIERE_NEO4J_BATCH": str(BATCH),
        "FILIERE_LANG": "en",
    }
    main = "from filiere.cli import main; main()"
    cmd = [sys.executable, "-c", main, "ingest", str(dataset), "--batched", "--no-progress"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_server_killed_mid_load_leaves_the_store_as_it_was(
    server_factory: Callable[[], Any], tmp_path: Path
) -> None:
    server = server_factory()
    store = _store(server)
    load(_dataset(tmp_path / "base", "B", 300), store, progress=False)  # the store holds data
    before = store.export()
    assert before.nodes

    # 1. Another process loads a big dataset in journalled batches; once its journal
    #    exists and several batches are committed, the server is killed.
    writer = _ingest_process(server, _dataset(tmp_path / "big", "", ITEMS))
    try:
        end = time.monotonic() + 120
        while True:
            assert writer.poll() is None, writer.communicate()
            journals, created = _in_flight(store)
            if journals == 1 and created >= 5 * BATCH:
                break
            assert time.monotonic() < end, "the load never got going"
            time.sleep(0.02)
        _kill(server.pid, server.home)
        _, err = writer.communicate(timeout=120)
    finally:
        if writer.poll() is None:
            writer.kill()
    store.close()
    assert writer.returncode != 0
    assert "could not be undone now" in err and "filiere neo4j recover" in err, err

    # 2. Restarted, the half-written load is still there, journal included...
    server = server_factory()
    store = _store(server)
    journals, created = _in_flight(store)
    assert journals == 1 and created >= 5 * BATCH
    # ... until `filiere neo4j recover` undoes it.
    env = {"FILIERE_STORE": server.uri, "NEO4J_PASSWORD": server.password}
    result = CliRunner().invoke(cli, ["neo4j", "recover"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 interrupted load undone: nothing of it remains" in result.output
    assert store.export() == before
    assert store.run_read(f"MATCH (n) WHERE n:{LOAD_LABEL} OR n:{UNDO_LABEL} RETURN n") == []
    again = CliRunner().invoke(cli, ["neo4j", "recover"], env=env)
    assert "no interrupted load" in again.output

    # 3. A one-transaction load killed mid-write leaves the store as it was too.
    store.close()
    killing = KilledMidWrite(server, after=3)
    with pytest.raises(StoreError) as err_one:
        load(_dataset(tmp_path / "other", "Z", 1500), killing, progress=False)
    killing.close()
    assert "nothing was written" in str(err_one.value)
    server = server_factory()
    store = _store(server)
    assert store.export() == before
    store.close()
