"""Every view, the report and the API views in a real headless Chromium, offline.

From the page: the vis network drew the expected nodes and edges, and no request left
the machine (only file:, data:, about: or loopback). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import start_api
from viz_support import Browser, artifact, chromium, load_mini

from filiere.api.routers import views
from filiere.graph.store import GraphStore
from filiere.i18n import language
from filiere.queries.models import AnalysisSettings
from filiere.report import build_report
from filiere.viz import deps_view, routes_view, shock_view

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _check_page(browser: Browser, frame: Any, nodes: int, edges: int) -> None:
    if frame.evaluate("typeof cy !== 'undefined'"):  # the layered (Cytoscape) supply tree
        seen = browser.wait_layered(frame)
        assert seen["total"] == nodes
        assert frame.evaluate("cy.edges().length") == edges
        assert seen["overlaps"] == [] and seen["min_px"] >= 10
        assert seen["violations"] == 0
        return
    counts = browser.wait_ready(frame)
    assert counts["nodes"] == nodes
    assert counts["edges"] == edges
    assert counts["drawn"] == nodes  # vis-network holds a body node for each
    assert counts["violations"] == 0  # nothing even tried to fetch


def test_each_view_draws_offline(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_mini(embedded_store)
    cases = {
        "deps": (deps_view(embedded_store, "P"), 9, 8),
        "deps-pruned": (deps_view(embedded_store, "P", max_nodes=5), 5, None),
        "routes": (routes_view(embedded_store, "C1", "FR-BFC"), 5, 4),
        "shock": (shock_view(embedded_store, ["CN"]), 4, 3),
        "shock-two-countries": (shock_view(embedded_store, ["CN", "DE"]), None, None),
    }
    browser.requests.clear()
    for name, (view, n_nodes, n_edges) in cases.items():
        path = view.write(tmp_path / f"{name}.html")
        page = browser.open(path.as_uri())
        _check_page(
            browser,
            page,
            view.node_count if n_nodes is None else n_nodes,
            view.edge_count if n_edges is None else n_edges,
        )
        if name == "deps-pruned":
            assert "showing 5 of 9 nodes" in page.inner_text(".note")
        assert page.inner_text("#legend")  # the legend is shown
        page.screenshot(path=artifact(f"viz-{name}.png"))
        page.close()
    assert browser.leaks() == []
    assert all(u.startswith("file:") for u in browser.requests)


def test_tooltip_shows_shares_and_provenance(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_mini(embedded_store)
    with language("en"):
        path = deps_view(embedded_store, "P").write(tmp_path / "deps.html")
    page = browser.open(path.as_uri())
    browser.wait_layered(page)
    text = browser.hover_node(page, "item:M1").inner_text()
    assert "Néodyme (M1)" in text and "kind: raw material" in text  # one line per fact
    assert "upstream: China produces 90%" in text and "source: mini" in text
    page.screenshot(path=artifact("viz-deps-tooltip.png"))
    page.close()


def test_report_page_embeds_every_view(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_mini(embedded_store)
    paths = build_report(
        embedded_store, None, tmp_path / "rep", AnalysisSettings(), region="FR-BFC"
    )
    browser.requests.clear()
    page = browser.open(paths.html.as_uri())
    page.wait_for_load_state("load")
    frames = {Path(f.url).name: f for f in page.frames if f != page.main_frame}
    assert sorted(frames) == ["deps-P.html", "routes-C1.html", "shock-CN.html"]
    expected = {"deps-P.html": (9, 8), "routes-C1.html": (5, 4), "shock-CN.html": (4, 3)}
    for name, frame in frames.items():
        _check_page(browser, frame, *expected[name])
    assert "At-risk dependencies" in page.inner_text("body")
    page.screenshot(path=artifact("report.png"), full_page=True)
    page.close()
    assert browser.leaks() == []


def test_api_views_are_html_pages(
    browser: Browser, store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same views over HTTP (loopback only), on both stores, analyst role."""
    with start_api(store, tmp_path, request, load=False) as api:
        load_mini(store)
        if not any(getattr(r, "path", "").startswith("/views") for r in api.app.routes):
            api.app.include_router(views.router)  # until the app lists the router itself
        with api.client() as anonymous:
            assert anonymous.get("/views/deps/P").status_code == 401
        with api.client("analyst") as client:
            r = client.get("/views/deps/P")
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/html")
            assert client.get("/views/deps/NOPE").status_code == 404
            assert client.get("/views/routes/C1", params={"region": "XX-NOPE"}).status_code == 422
        headers = {"Authorization": f"Bearer {api.keys['analyst']}"}
        browser.requests.clear()
        for url, n_nodes, n_edges in (
            ("/views/deps/P?hierarchical=true", 9, 8),
            ("/views/routes/C1?region=FR-BFC", 5, 4),
            ("/views/shock?country=CN", 4, 3),
        ):
            page = browser.open(api.url + url, headers=headers)
            _check_page(browser, page, n_nodes, n_edges)
            page.screenshot(path=artifact(f"api-{store.kind}-{url.split('/')[2][:5]}.png"))
            page.close()
        assert browser.leaks() == []
