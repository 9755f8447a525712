"""No request of the API or the workspace builds the networkx graph of an embedded store.

The look-ups read the SQLite file, the analyses the compact index: a server on a store of
10^6 relationships answers without the 2 GB graph. The build is made to fail, so a page
that would build it fails, and the graph is still absent at the end.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel
from web_support import workspace

from filiere.cli import cli
from filiere.graph import embedded
from filiere.graph.embedded import EmbeddedStore
from filiere.ingest import load
from filiere.queries import lookups
from filiere.viz.data import supply_tree

DEMO = Path(__file__).resolve().parents[1] / "filiere" / "data" / "demo"
MAGNET = "C-MAG-NDFEB-S"
PRODUCT = "P-KAPLAN"

API = [
    "/ready",
    "/items",
    "/items?kind=product&limit=2",
    f"/items/{MAGNET}",
    "/suppliers?region=FR-BFC",
    "/suppliers?process=usinage&naf=25",
    "/suppliers?country=FR&limit=1",
    "/suppliers/SUP-MAG-ARA",
    "/regions",
    "/regions?country=FR",
    "/regions/FR-BFC",
    "/regions/FR-BFC/suppliers",
    "/search?q=aimant",
    "/search?q=chine&type=country",
    f"/analyses/deps/{PRODUCT}",
    f"/analyses/routes/{MAGNET}?region=FR-BFC",
    f"/analyses/bom/{PRODUCT}",
    "/analyses/critical",
    f"/views/deps/{PRODUCT}",
]
PAGES = [
    "/",
    "/carte",
    f"/carte?article={MAGNET}&vue=france",
    f"/articles/{MAGNET}",
    "/articles/M-ND",
    "/fournisseurs/SUP-MAG-ARA",
    "/fournisseurs/MAK-HYDRO-BFC",
    "/region/FR-BFC",
    "/recherche?q=aimant",
    f"/produits/{PRODUCT}",
    f"/produits/{PRODUCT}/graphe",
    "/relocalisation?region=fr-bfc&avec_route=1&voies=5",
    "/choc?pays=CN",
]


def _no_graph(*args: object) -> None:
    raise AssertionError("the networkx graph of the store was built")


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "store.db")
    load(DEMO, store, progress=False)
    monkeypatch.setattr(embedded, "_build_graph", _no_graph)
    return store


def test_api_and_workspace_answer_without_the_graph(demo: EmbeddedStore, tmp_path: Path) -> None:
    with workspace(demo, tmp_path) as w:  # the app's startup pings the store
        headers = {"Authorization": f"Bearer {w.keys['analyst']}"}
        for path in API:
            r = w.client.get(path, headers=headers)
            assert r.status_code == 200, (path, r.text[:500])
        w.sign_in("analyst")
        for path in PAGES:
            r = w.client.get(path)
            assert r.status_code == 200, (path, r.text[:500])
    assert demo.cached_graph() is None


def test_the_build_is_really_refused(demo: EmbeddedStore) -> None:
    with pytest.raises(AssertionError, match="networkx graph"):
        _ = demo.graph
    assert supply_tree(demo, PRODUCT).items  # the viz reads the file too


def _answers(store: EmbeddedStore) -> list[str]:
    reader = store.reader
    out: list[object] = [
        lookups.get_item(store, MAGNET),
        lookups.get_supplier(store, "SUP-MAG-ARA"),
        lookups.get_region(store, "FR-BFC"),
        lookups.list_suppliers(store, lookups.SupplierFilter(region="FR-BFC", naf="2"), limit=2),
        lookups.search(store, "aimant", limit=5, offset=1),
        reader.region_firms("FR-BFC", 50),
        reader.item_context_rows("M-ND"),
        reader.supplier_makes("MAK-HYDRO-BFC"),
        reader.store_sources(),
        reader.supplier_countries(),
        sorted(reader.item_names()),
    ]
    tree = supply_tree(store, PRODUCT)
    out += [tree.items, tree.children, tree.suppliers, sorted(map(repr, tree.supplies))]
    return [x.model_dump_json() if isinstance(x, BaseModel) else repr(x) for x in out]


def test_a_store_without_the_end_index_answers_the_same(demo: EmbeddedStore) -> None:
    expected = _answers(demo)
    with sqlite3.connect(demo.path) as conn:  # as written before rels_by_end existed
        conn.execute("DROP INDEX rels_by_end")
    old = EmbeddedStore(demo.path)
    assert _answers(old) == expected
    assert not {"[]", "{}", "None", "([], [], [])"} & set(expected)  # real rows compared
    old.close()


def test_the_viz_commands_build_no_graph(demo: EmbeddedStore, tmp_path: Path) -> None:
    base = ["--store", str(demo.path), "viz"]
    for args in (
        ["deps", PRODUCT, "--hierarchical"],
        ["routes", MAGNET, "--region", "FR-BFC"],
        ["shock", "--country", "Chine"],
    ):
        out = tmp_path / "view.html"
        result = CliRunner().invoke(cli, [*base, *args, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000


def test_folding_leaves_ascii_to_lower_case() -> None:
    assert all(not accented.isascii() for accented, _plain in lookups.FOLDS)
    assert lookups.fold("Œuvre Électrique") == "oeuvre electrique"
    assert lookups.fold("ACIER Inox") == "acier inox"
