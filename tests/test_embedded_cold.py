"""A cold command on the embedded store reads one product's part of the file, not all of it.

``deps`` and ``bom`` of a store whose index is not in memory build an index of
closure(product), its suppliers and production rows (``EmbeddedStore.closure_tables``);
the answers must be those of the whole store's index, and the whole store must stay unread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from filiere import queries
from filiere.graph.embedded import EmbeddedStore
from filiere.ingest.build import build_batch
from filiere.queries.embedded import current_index, index
from filiere.queries.models import AnalysisSettings
from filiere.testing.generate import GeneratorConfig, generate

SETTINGS = (
    AnalysisSettings(),
    AnalysisSettings(home="DE", hhi=0.3, upstream_share=0.5, max_paths=1),
)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("cold") / "graph.db"
    dataset = generate(GeneratorConfig(seed=11, products=6, width=25, suppliers=60))
    store = EmbeddedStore(path)
    store.write(build_batch(dataset))
    store.close()
    items = sorted(i.id for i in dataset.items)
    return path, items


def test_cold_deps_and_bom_equal_the_whole_graphs(stored: tuple[Path, list[str]]) -> None:
    path, items = stored
    warm = EmbeddedStore(path)
    assert len(index(warm).items) > 0  # built: every analysis reads the whole store's index
    for item in [*items[:: max(1, len(items) // 25)], "P0000", "P0003"]:
        for settings in SETTINGS:
            cold = EmbeddedStore(path)
            got = queries.deps(cold, item, settings).model_dump_json()
            assert current_index(cold) is None, "a cold deps read the whole store"
            assert got == queries.deps(warm, item, settings).model_dump_json(), item
        cold = EmbeddedStore(path)
        assert queries.bom(cold, item) == queries.bom(warm, item), item
        assert current_index(cold) is None
        assert cold.cached_graph() is None


def test_an_unknown_product_is_still_not_found(stored: tuple[Path, list[str]]) -> None:
    from filiere.errors import NotFoundError

    with pytest.raises(NotFoundError):
        queries.deps(EmbeddedStore(stored[0]), "NOPE", AnalysisSettings())


def test_a_store_without_the_end_index_reads_the_whole_graph_until_its_next_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    store = EmbeddedStore(path)
    store.write(build_batch(generate(GeneratorConfig(seed=2))))
    store.close()
    with sqlite3.connect(path) as conn:  # as a store of the first SQLite release was
        conn.execute("DROP INDEX rels_by_end")
    old = EmbeddedStore(path)
    expected = queries.deps(EmbeddedStore(path), "P0001", AnalysisSettings())
    assert old.closure_tables("P0001") is None
    assert queries.deps(old, "P0001", AnalysisSettings()) == expected
    assert current_index(old) is not None  # it fell back on the whole store's index
    old.write(build_batch(generate(GeneratorConfig(seed=2))))  # any write adds the index
    fresh = EmbeddedStore(path)
    assert fresh.closure_tables("P0001") is not None
    assert queries.deps(fresh, "P0001", AnalysisSettings()) == expected
    assert current_index(fresh) is None
