"""Concurrent ingests behave as if run one after the other, on both stores.

The store holds X and Y. Dataset A adds X -> Y, dataset B adds Y -> X. Two processes
load them at the same moment (a barrier releases both), many times over: each time
exactly one succeeds and the other is refused with the cycle message, the store holds
exactly one of the two links, and nothing either wrote is lost.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from pathlib import Path
from typing import Any

import pytest

from filiere.errors import DatasetError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest import load
from filiere.settings import Settings
from filiere.testing.hostile import zip_of

ROUNDS = 12


def _worker(settings: dict[str, str], barrier: Any, tasks: Any, results: Any) -> None:
    from filiere.graph.uri import open_store

    store = open_store(settings=Settings.model_validate(settings))
    while (path := tasks.get()) is not None:
        barrier.wait()
        try:
            load(path, store, progress=False)
            results.put((path, "ok", ""))
        except DatasetError as e:
            results.put((path, "refused", "\n".join(str(i) for i in e.issues)))
        except Exception as e:  # reported to the test, which fails on it
            results.put((path, "error", repr(e)))
    store.close()


def _dataset(folder: Path, item: str, bom: tuple[str, str] | None) -> str:
    folder.mkdir()
    (folder / "items.csv").write_text(f"id,name,kind\n{item},{item},component\n", encoding="utf-8")
    if bom:
        (folder / "bom.csv").write_text(f"parent,child\n{bom[0]},{bom[1]}\n", encoding="utf-8")
    return str(folder)


def _links(store: GraphStore) -> set[tuple[str, str]]:
    return {(r.start, r.end) for r in store.relationships(Rel.CONTAINS)}


@pytest.fixture
def settings_of(store: GraphStore, request: pytest.FixtureRequest) -> dict[str, str]:
    if isinstance(store, EmbeddedStore):
        return {"store": str(store.path)}
    s: Settings = request.getfixturevalue("neo4j_settings")
    return {"store": s.store, "neo4j_user": s.neo4j_user, "neo4j_password": s.neo4j_password}


def test_concurrent_ingests_are_serialisable(
    store: GraphStore, settings_of: dict[str, str], tmp_path: Path
) -> None:
    base = _dataset(tmp_path / "base", "X", None)
    (Path(base) / "items.csv").write_text("id,name,kind\nX,X,component\nY,Y,component\n")
    a = _dataset(tmp_path / "a", "A", ("X", "Y"))
    b = _dataset(tmp_path / "b", "B", ("Y", "X"))
    c = _dataset(tmp_path / "c", "C", ("X", "C"))
    d = _dataset(tmp_path / "d", "D", ("Y", "D"))
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    tasks = [ctx.Queue(), ctx.Queue()]
    workers = [
        ctx.Process(target=_worker, args=(settings_of, barrier, t, results), daemon=True)
        for t in tasks
    ]
    for w in workers:
        w.start()

    def race(first: str, second: str) -> dict[str, tuple[str, str]]:
        tasks[0].put(first)
        tasks[1].put(second)
        out = {}
        for _ in range(2):
            try:
                path, outcome, detail = results.get(timeout=120)
            except queue.Empty:
                pytest.fail("a concurrent ingest never finished (deadlock?)")
            out[path] = (outcome, detail)
        return out

    try:
        for n in range(ROUNDS):
            store.clear()
            load(base, store, progress=False)
            first, second = (a, b) if n % 2 else (b, a)
            out = race(first, second)
            outcomes = sorted(o for o, _ in out.values())
            assert outcomes == ["ok", "refused"], out
            [(winner, _)] = [(p, x) for p, x in out.items() if x[0] == "ok"]
            [loser] = [x[1] for x in out.values() if x[0] == "refused"]
            assert "cycle in the bill of materials" in loser, loser
            assert _links(store) == ({("X", "Y")} if winner == a else {("Y", "X")})
            won, lost = ("A", "B") if winner == a else ("B", "A")
            assert store.get_node(Label.ITEM, won) is not None
            assert store.get_node(Label.ITEM, lost) is None
            # Two ingests that do not conflict: both land, nothing is lost.
            out = race(c, d)
            assert [o for o, _ in out.values()] == ["ok", "ok"], out
            assert {("X", "C"), ("Y", "D")} <= _links(store)
            assert store.get_nodes(Label.ITEM, ["C", "D"]).keys() == {"C", "D"}
    finally:
        for t in tasks:
            t.put(None)
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()


def test_concurrent_uploads_are_serialisable(
    store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from api_support import start_api

    def upload(name: str, link: tuple[str, str]) -> tuple[str, Any]:
        items = f"id,name,kind\n{name},{name},component\n"
        data = zip_of({"items.csv": items, "bom.csv": f"parent,child\n{link[0]},{link[1]}\n"})
        with api.client("editor") as c:
            r = c.post("/datasets", files={"file": (f"{name}.zip", data)})
        return name, r

    with start_api(store, tmp_path, request, load=False) as api:
        for n in range(6):
            store.clear()
            load(_dataset(tmp_path / f"base{n}", "X", None), store, progress=False)
            load(_dataset(tmp_path / f"y{n}", "Y", None), store, progress=False)
            with ThreadPoolExecutor(2) as pool:
                done = list(pool.map(lambda a: upload(*a), [("A", ("X", "Y")), ("B", ("Y", "X"))]))
            codes = sorted(r.status_code for _, r in done)
            assert codes == [201, 422], [(name, r.text) for name, r in done]
            [refused] = [r for _, r in done if r.status_code == 422]
            assert "cycle in the bill of materials" in refused.text
            assert len(_links(store)) == 1
