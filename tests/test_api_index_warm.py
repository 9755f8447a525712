"""The embedded server loads its analysis index in a worker thread, never in the event loop.

An analysis of one item runs in the event loop only when the store's analysis index is
current in memory; until then it runs in the thread pool while a worker thread loads the
index (at the server's start, and again after a write: 0.1 s from the ``<store>.index``
file, about 4 s at 10^6 rows without it). The build is made slow here at its seam,
:func:`filiere.queries.embedded.build`, by holding the build of the whole store's index
(from the store's tables; the small index of one product's closure that ``deps`` reads
from the file is not held) until the test lets it go. Meanwhile ``/health``, an item
look-up and ``deps`` must be answered, and ``routes``, which needs the index, answers
once it is built.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import Api, load_sample, make_keys, start_api
from fastapi.testclient import TestClient

from filiere.api.app import create_app
from filiere.api.settings import ApiSettings
from filiere.graph.embedded import EmbeddedStore, SqlTables
from filiere.graph.model import Dataset, Item, Offer
from filiere.ingest.build import build_batch
from filiere.queries import deps as deps_of
from filiere.queries import index_cache, routes
from filiere.queries.embedded_index import Index, build

#: Far longer than any of these requests takes, far shorter than the build is held.
QUICK = 5


class HeldBuild:
    """The real index build; that of a whole store is held at its start until released."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.go = threading.Event()
        self.builds = 0
        self.finished = 0

    def __call__(self, tables: Any) -> Index:
        if not isinstance(tables, SqlTables):  # one product's closure, read for deps
            return build(tables)
        self.builds += 1
        self.started.set()
        self.go.wait(30)
        ix = build(tables)
        self.finished += 1
        return ix

    def hold(self) -> None:
        self.started.clear()
        self.go.clear()

    def release(self) -> None:
        self.go.set()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldBuild]:
    held = HeldBuild()
    monkeypatch.setattr("filiere.queries.embedded.build", held)
    try:
        yield held
    finally:
        held.release()  # never leave a server thread waiting


def _answered_while_building(api: Api, held: HeldBuild) -> httpx.Response:
    """While the held build runs: /health, a look-up and deps answer, routes waits.
    Then the build is released; the routes' answer is returned."""
    assert held.started.wait(30), "no worker thread builds the index"
    finished = held.finished
    answer: list[httpx.Response] = []
    with api.client("analyst") as slow, api.client("analyst") as quick:
        asking = threading.Thread(
            target=lambda: answer.append(slow.get("/analyses/routes/AIM?region=FR-BFC"))
        )
        asking.start()
        try:
            assert quick.get("/health", timeout=QUICK).status_code == 200
            item = quick.get("/items/AIM", timeout=QUICK)
            assert item.status_code == 200 and item.json()["name"] == "Aimant NdFeB"
            deps = quick.get("/analyses/deps/CAPT", timeout=QUICK)
            assert deps.status_code == 200
            expected = deps_of(EmbeddedStore(api.store.uri), "CAPT")  # read from the file
            assert deps.json() == expected.model_dump(mode="json")
            assert held.finished == finished and not answer  # the build is still held
        finally:
            held.release()
            asking.join(60)
    assert len(answer) == 1
    return answer[0]


def test_requests_are_answered_while_the_index_builds(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest, held: HeldBuild
) -> None:
    assert not index_cache.path_for(embedded_store.path).exists()
    with start_api(embedded_store, tmp_path, request) as api:
        # The server starts loading the index at once (here: building it, held).
        first = _answered_while_building(api, held)
        assert first.status_code == 200
        expected = routes(EmbeddedStore(embedded_store.path), "AIM", "FR-BFC")
        assert first.json() == expected.model_dump(mode="json")
        assert [r["supplier"] for r in first.json()["routes"]] == ["S-LYO"]
        assert held.builds == 1

        # The index is current: the next analyses read it, nothing is built.
        with api.client("analyst") as client:
            assert client.get("/analyses/deps/CAPT").status_code == 200
            assert client.get("/analyses/routes/AIM?region=FR-BFC").json() == first.json()
        assert held.builds == 1

        # A write (here through another store object, as `filiere ingest` would) makes the
        # index stale: the next analysis of one item has a worker thread build it again.
        held.hold()
        another = Dataset(
            name="more",
            items=[Item(id="AIM", name="Aimant NdFeB", kind="component")],
            offers=[Offer(supplier="S-BEL", item="AIM")],
        )
        EmbeddedStore(embedded_store.path).write(build_batch(another))
        with api.client("analyst") as client:
            assert client.get("/analyses/deps/CAPT", timeout=QUICK).status_code == 200  # file
        second = _answered_while_building(api, held)
        assert held.builds == 2
        assert second.status_code == 200
        assert [r["supplier"] for r in second.json()["routes"]] == ["S-BEL", "S-LYO"]


def test_two_apps_sharing_a_store_each_settle_their_own_load(
    tmp_path: Path, held: HeldBuild
) -> None:
    """Two apps over one store object (two workers' loops, as in test_web_sessions): the one
    that stops first while the other's load is still held must not wait on a task of the
    other's event loop (it did: "attached to a different loop" at its shutdown)."""
    store = EmbeddedStore(tmp_path / "graph.db")
    load_sample(store)
    keys_file = tmp_path / "apikeys.json"
    make_keys(keys_file)
    apps = [create_app(ApiSettings(keys_file=keys_file), store=store) for _ in range(2)]
    with TestClient(apps[0]) as one:
        assert held.started.wait(30), "the first app does not load the index"
        with TestClient(apps[1]) as two:
            assert one.get("/health").status_code == 200
            assert two.get("/health").status_code == 200
            # The second app stops while the build is still held; let it go meanwhile.
            threading.Timer(0.5, held.release).start()
        assert one.get("/health").status_code == 200
    assert held.finished >= 1
