"""The embedded server loads or builds its analysis index off the event loop.

An analysis of one item runs in the event loop only when the store's analysis index is
current in memory; otherwise it runs in the thread pool, which loads or builds the index
first (0.1 s from the ``<store>.index`` file, about 4 s at 10^6 rows without it). The
build is made slow here at its seam, :func:`filiere.queries.embedded.build` (the one
function that builds an index from the store's tables), by holding it until the test
lets it go: a request that needs no index (``/health``, an item look-up) must be
answered meanwhile, at startup and again after a write makes the index stale.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import start_api

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.model import Dataset, Item, Offer
from filiere.ingest.build import build_batch
from filiere.queries import index_cache, routes
from filiere.queries.embedded_index import Index, build


class HeldBuild:
    """The real index build, held at its start until :meth:`release`; counts builds."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.go = threading.Event()
        self.builds = 0
        self.finished = 0

    def __call__(self, tables: Any) -> Index:
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


def _routes_while_building(client: httpx.Client, held: HeldBuild) -> httpx.Response:
    """GET the routes of AIM; while its index build is held, /health and a look-up answer."""
    held.hold()
    finished = held.finished
    answer: list[httpx.Response] = []
    asking = threading.Thread(
        target=lambda: answer.append(client.get("/analyses/routes/AIM?region=FR-BFC"))
    )
    asking.start()
    try:
        assert held.started.wait(30), "the routes request did not build the index"
        quick = httpx.Timeout(5)
        assert client.get("/health", timeout=quick).status_code == 200
        item = client.get("/items/AIM", timeout=quick)
        assert item.status_code == 200 and item.json()["name"] == "Aimant NdFeB"
        assert held.finished == finished  # both answered while the build was still held
    finally:
        held.release()
        asking.join(60)
    assert len(answer) == 1
    return answer[0]


def test_requests_are_answered_while_the_index_builds(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest, held: HeldBuild
) -> None:
    assert not index_cache.path_for(embedded_store.path).exists()
    with start_api(embedded_store, tmp_path, request) as api, api.client("analyst") as client:
        first = _routes_while_building(client, held)
        assert first.status_code == 200
        expected = routes(EmbeddedStore(embedded_store.path), "AIM", "FR-BFC")
        assert first.json() == expected.model_dump(mode="json")
        assert [r["supplier"] for r in first.json()["routes"]] == ["S-LYO"]
        builds = held.builds

        # The index is current now: the next analyses read it, nothing is built.
        assert client.get("/analyses/deps/CAPT").status_code == 200
        assert client.get("/analyses/routes/AIM?region=FR-BFC").json() == first.json()
        assert held.builds == builds

        # A write (here through another store object, as `filiere ingest` would) makes
        # the server's index stale: the next analysis rebuilds it, off the event loop.
        another = Dataset(
            name="more",
            items=[Item(id="AIM", name="Aimant NdFeB", kind="component")],
            offers=[Offer(supplier="S-BEL", item="AIM")],
        )
        EmbeddedStore(embedded_store.path).write(build_batch(another))
        second = _routes_while_building(client, held)
        assert held.builds > builds
        assert second.status_code == 200
        assert [r["supplier"] for r in second.json()["routes"]] == ["S-BEL", "S-LYO"]
