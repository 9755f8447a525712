"""The analysis index cached beside the embedded store (``<store>.index``).

A command on a store whose index is cached reads the file instead of the tables; a
stale, truncated, corrupt or planted file is ignored and replaced, never trusted nor
unpickled; a directory that cannot be written means no cache, not an error.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from filiere import queries
from filiere.graph.embedded import EmbeddedStore
from filiere.ingest.build import build_batch
from filiere.queries import embedded, index_cache
from filiere.queries.models import AnalysisSettings
from filiere.testing.generate import GeneratorConfig, generate


def answers(path: Path) -> list[str]:
    """What an adviser reads, from a new store object (as a new command would)."""
    store = EmbeddedStore(path)
    try:
        return [
            queries.critical(store).model_dump_json(),
            queries.shock(store, ["CN"]).model_dump_json(),
            queries.routes(store, "C1-0001", "FR-BFC").model_dump_json(),
            embedded.deps(store, "P0001", AnalysisSettings()).model_dump_json(),
        ]
    finally:
        store.close()


def make_store(path: Path, seed: int) -> None:
    store = EmbeddedStore(path)
    store.write(build_batch(generate(GeneratorConfig(seed=seed, products=5, suppliers=40))))
    store.close()


@pytest.fixture()
def stored(tmp_path: Path) -> Path:
    path = tmp_path / "graph.db"
    make_store(path, 3)
    return path


def no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building the whole store's index fail: answers must come from the cache."""

    def refuse(*_args: Any) -> Any:
        raise AssertionError("the index was built from the tables")

    monkeypatch.setattr(embedded, "build", refuse)


def test_the_index_is_saved_beside_the_store_and_read_back(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = index_cache.path_for(stored)
    assert cache == stored.parent / "graph.db.index"
    expected = answers(stored)
    assert cache.is_file()
    assert [p.name for p in stored.parent.iterdir() if p.suffix == ".tmp"] == []
    no_build(monkeypatch)
    assert answers(stored) == expected


def test_a_write_makes_the_cache_stale(stored: Path) -> None:
    before = answers(stored)
    make_store(stored, 4)  # another dataset into the same store: the counter moves
    after = answers(stored)
    assert after != before
    fresh = stored.parent / "fresh.db"
    make_store(fresh, 3)
    make_store(fresh, 4)
    assert answers(fresh) == after


def test_a_store_made_again_at_the_same_path_does_not_read_the_old_cache(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    make_store(path, 3)
    old = answers(path)
    for suffix in ("", "-wal", "-shm"):  # the user deletes the store, not its cache
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    make_store(path, 4)  # same change counter as the deleted store's
    other = tmp_path / "other.db"
    make_store(other, 4)
    assert answers(path) == answers(other) != old


@pytest.mark.parametrize(
    "damage",
    ["truncated", "empty", "garbage", "flipped bytes", "wrong format", "ids out of range"],
)
def test_a_damaged_cache_is_ignored_and_replaced(
    stored: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = answers(stored)
    cache = index_cache.path_for(stored)
    data = cache.read_bytes()
    if damage == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        cache.write_bytes(b"")
    elif damage == "garbage":
        cache.write_bytes(os.urandom(len(data)))
    elif damage == "flipped bytes":
        middle = len(data) // 2
        cache.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]))
    else:
        with np.load(cache, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        if damage == "wrong format":
            arrays["key"] = np.frombuffer(b'{"format": 0}', dtype=np.uint8)
        else:  # a consistent-looking file whose BOM points past the last item
            arrays["children"] = arrays["children"] + 10_000
        with cache.open("wb") as f:
            np.savez(f, **arrays)
    assert answers(stored) == expected
    # The damaged file was replaced by a good one: the next command reads it.
    no_build(monkeypatch)
    assert answers(stored) == expected


def test_a_cache_holding_pickles_is_never_unpickled(stored: Path, tmp_path: Path) -> None:
    expected = answers(stored)
    cache = index_cache.path_for(stored)
    with np.load(cache, allow_pickle=False) as npz:
        arrays: dict[str, Any] = {k: npz[k] for k in npz.files}
    marker = tmp_path / "pwned"
    arrays["strings"] = np.array([Pickled(str(marker))], dtype=object)
    with cache.open("wb") as f:
        np.savez(f, **arrays)
    assert answers(stored) == expected
    assert not marker.exists()


class Pickled:
    """Unpickling it creates a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


def test_a_cache_file_larger_than_its_bound_is_not_read(stored: Path) -> None:
    answers(stored)
    cache = index_cache.path_for(stored)
    store = EmbeddedStore(stored)
    with store.snapshot() as snap:
        assert snap.version is not None
        assert index_cache.load(cache, snap.version, 1 << 30) is not None
        assert index_cache.load(cache, snap.version, 100) is None
    store.close()


def test_an_unwritable_directory_means_no_cache(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    # As a read-only directory does (chmod does not stop root, who runs CI containers).
    monkeypatch.setattr("filiere.queries.index_cache.tempfile.mkstemp", refuse)
    expected = answers(stored)
    assert not index_cache.path_for(stored).exists()
    monkeypatch.undo()
    assert answers(stored) == expected


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_means_no_cache(stored: Path) -> None:
    expected = answers(stored)
    index_cache.path_for(stored).unlink()
    stored.parent.chmod(0o555)
    try:
        assert answers(stored) == expected
        assert not index_cache.path_for(stored).exists()
    finally:
        stored.parent.chmod(0o755)


def test_a_save_that_fails_midway_keeps_the_old_cache_and_leaves_no_temp_file(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = answers(stored)
    cache = index_cache.path_for(stored)
    good = cache.read_bytes()
    make_store(stored, 4)

    def disk_full(file: Any, **_arrays: Any) -> None:
        file.write(b"PK\x03\x04 half an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("filiere.queries.index_cache.np.savez", disk_full)
    changed = answers(stored)
    assert changed != expected
    assert cache.read_bytes() == good  # stale, hence ignored, but whole
    assert sorted(p.name for p in stored.parent.iterdir() if "index" in p.name) == [cache.name]


def test_a_store_of_an_earlier_release_without_uid_is_cached_by_its_file(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(stored) as conn:
        conn.execute("DELETE FROM meta WHERE name = 'uid'")
    conn.close()
    expected = answers(stored)
    with monkeypatch.context() as m:
        no_build(m)
        assert answers(stored) == expected
    make_store(stored, 4)  # its next write gives it a uid
    with sqlite3.connect(stored) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE name = 'uid'").fetchone() == (1,)
    conn.close()
    assert answers(stored) != expected


def test_one_store_object_keeps_its_index_until_the_store_changes(stored: Path) -> None:
    store = EmbeddedStore(stored)
    first = embedded.index(store)
    assert embedded.index(store) is first
    assert embedded.current_index(store) is first
    store.write(build_batch(generate(GeneratorConfig(seed=4))))
    assert embedded.current_index(store) is None
    assert embedded.index(store) is not first
    store.close()


def test_an_analysis_inside_a_write_reads_the_uncommitted_rows_and_caches_nothing(
    stored: Path,
) -> None:
    store = EmbeddedStore(stored)
    before = queries.critical(store)
    cache = index_cache.path_for(stored)
    stamp = cache.stat().st_mtime_ns
    with store.exclusive():
        store.clear()
        assert queries.critical(store).items == []
    assert cache.stat().st_mtime_ns == stamp
    assert queries.critical(store) != before
    store.close()


def test_the_temp_file_of_a_killed_save_is_removed_by_a_later_save(stored: Path) -> None:
    cache = index_cache.path_for(stored)
    old = stored.parent / f"{cache.name}.k1ll3d.tmp"  # a save killed an hour ago
    old.write_bytes(b"PK\x03\x04 half an archive")
    hours_ago = old.stat().st_mtime - 2 * index_cache.LEFTOVER_AGE
    os.utime(old, (hours_ago, hours_ago))
    running = stored.parent / f"{cache.name}.runn1n.tmp"  # another process saving now
    running.write_bytes(b"PK\x03\x04")
    expected = answers(stored)  # builds and saves
    assert not old.exists()
    assert running.exists()
    assert answers(stored) == expected


def test_the_analyses_build_no_networkx_graph_of_the_store(stored: Path) -> None:
    store = EmbeddedStore(stored)
    queries.critical(store)
    queries.shock(store, ["CN"], upstream=True)
    queries.opportunities(store, "FR-BFC")
    queries.matches(store, "FR-BFC")
    queries.routes(store, "C1-0001", "FR-BFC")
    assert embedded.current_index(store) is not None
    assert store.cached_graph() is None  # the 2 KB-per-relationship graph was never made
    store.close()
