"""One collector pause for loads and analyses that overlap in the API server's threads.

Collection must stay off until the last overlapping caller leaves, and come back only if
it was on when the first came in: an analysis that turned it back on while a load in
another thread still ran would cost that load its pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator

import pytest

from filiere import gcpause
from filiere.graph.model import Make
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.queries import relocation
from filiere.queries.backend import StoreReader
from filiere.queries.common import ProductClosures
from filiere.queries.models import AnalysisSettings
from filiere.testing.workshop import workshop

SETTINGS = AnalysisSettings()


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Collection on when each test starts, and on again after it whatever it did."""
    gc.enable()
    yield
    gc.enable()


def test_collection_comes_back_after_the_last_overlapping_caller() -> None:
    inside, release = threading.Event(), threading.Event()

    def other_load() -> None:
        with gcpause.paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other_load)
    with gcpause.paused():
        t.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other load still runs
    release.set()
    t.join()
    assert gc.isenabled()


def test_collection_stays_off_when_it_was_off() -> None:
    gc.disable()
    with gcpause.paused(), gcpause.paused():
        pass
    assert not gc.isenabled()


def _opportunities(reader: StoreReader) -> list[str]:
    result = relocation.opportunities(reader, None, SETTINGS, with_route=False, top=None)
    return [o.item for o in result.opportunities]


def _matches(reader: StoreReader) -> list[str]:
    result = relocation.matches(reader, "FR-BFC", SETTINGS, routes_per_item=5)
    return sorted({m.item for m in result.matches})


ANALYSES = {"opportunities": _opportunities, "matches": _matches}


@pytest.fixture
def shop(store: GraphStore) -> GraphStore:
    """The workshop, with S-FR1 (FR-BFC) making P so that both analyses have rows."""
    dataset = workshop()
    dataset.makes.append(Make(supplier="S-FR1", item="P"))
    store.write(build_batch(dataset))
    return store


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_an_analysis_leaving_first_keeps_the_other_callers_pause(
    shop: GraphStore, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysis: Callable[[StoreReader], list[str]] = ANALYSES[name]
    expected = analysis(shop.reader)
    assert expected  # the analysis has rows to build, so it really runs below
    assert gc.isenabled()

    # The analysis starts first (collection on), then waits in its store read.
    reader = shop.reader
    reading, release = threading.Event(), threading.Event()
    closures = reader.closures

    def held_closures() -> ProductClosures:
        reading.set()
        release.wait(10)
        return closures()

    monkeypatch.setattr(reader, "closures", held_closures)
    found: list[list[str]] = []
    t = threading.Thread(target=lambda: found.append(analysis(reader)))
    t.start()
    assert reading.wait(10)
    assert not gc.isenabled()
    with gcpause.paused():  # a load in another thread, entering while the analysis runs
        release.set()
        t.join(30)
        assert found == [expected]
        assert not gc.isenabled()  # the analysis has left; the load still relies on it
    assert gc.isenabled()
