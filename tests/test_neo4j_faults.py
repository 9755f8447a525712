"""Neo4j killed mid-load: a batched load says what it committed and completes when re-run;
an atomic load leaves the store as it was.

The test starts its own Neo4j (never the session's shared one: it kills it with
SIGKILL twice), with filiere's launcher, in a temporary home.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from filiere.errors import StoreError
from filiere.graph.neo4j_store import Neo4jStore
from filiere.graph.records import GraphBatch, ProgressCallback, WriteSummary
from filiere.ingest import load

pytestmark = pytest.mark.neo4j

ITEMS = 3_000
BATCH = 200


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


def test_killed_server_mid_load(server_factory: Callable[[], Any], tmp_path: Path) -> None:
    big = _dataset(tmp_path / "big", "", ITEMS)
    server = server_factory()

    # 1. A batched load, the server killed after 5 committed batches.
    killing = KilledMidWrite(server, after=5)
    with pytest.raises(StoreError) as err:
        load(big, killing, atomic=False, progress=False)
    killing.close()
    message = str(err.value)
    assert "Neo4j is not reachable" in message
    assert "5 of " in message and "batches were committed before the failure" in message
    assert "Run the same command again to complete the load" in message

    # 2. Restarted: part of the data is there; the same command completes it.
    server = server_factory()
    store = _store(server)
    items = store.counts().get("Item", 0)
    assert 0 < items < ITEMS + 1
    load(big, store, atomic=False, progress=False)
    resumed = store.export().canonical()

    # 3. The same as a clean load.
    store.clear()
    load(big, store, progress=False)
    clean = store.export().canonical()
    assert resumed == clean
    before = store.export().canonical()

    # 4. An atomic load killed mid-write leaves the store as it was.
    other = _dataset(tmp_path / "other", "Z", ITEMS // 2)
    store.close()
    killing = KilledMidWrite(server, after=3)
    with pytest.raises(StoreError) as err:
        load(other, killing, progress=False)
    killing.close()
    assert "nothing was written" in str(err.value)
    server = server_factory()
    store = _store(server)
    assert store.export().canonical() == before
    store.close()
