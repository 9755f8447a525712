"""The map pages in Debian's Chromium against a real ``filiere ui`` on the demo dataset.

Journey (a): search "aimant" -> the NdFeB magnet -> its route cards and its map show the
Auvergne-Rhône-Alpes supplier and the SmCo warning. Journey (d): a saved Cypher query with
a parameter returns rows (Neo4j). Every page: no console error, no request outside the
origin, no serious or critical axe-core violation. Screenshots: workspace-*.png in the test's
directory, or in docs/images/ (the guide's) with ``FILIERE_UPDATE_IMAGES=1``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from viz_support import Browser, chromium, doc_image, load_demo
from web_support import filiere_ui

from filiere.graph.embedded import EmbeddedStore
from filiere.settings import Settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
MAGNET = "C-MAG-NDFEB-S"


@dataclass
class Server:
    origin: str
    link: str  # the one-time sign-in link
    store: str
    shots: Path  # where screenshots go unless FILIERE_UPDATE_IMAGES=1


def _serve(tmp: Path, env: dict[str, str], store: str) -> Iterator[Server]:
    with filiere_ui({**env, "FILIERE_API_KEYS_FILE": str(tmp / "keys.json")}, store) as ui:
        yield Server(ui.origin, ui.link, store, tmp / "shots")


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """``filiere ui`` over the demo dataset, on each store."""
    if request.param == "embedded":
        path = tmp_path / "graph.json"
        load_demo(EmbeddedStore(path))
        yield from _serve(tmp_path, {}, str(path))
        return
    store = request.getfixturevalue("neo4j_store")
    load_demo(store)
    settings: Settings = request.getfixturevalue("neo4j_settings")
    env = {"NEO4J_USER": settings.neo4j_user, "NEO4J_PASSWORD": settings.neo4j_password}
    yield from _serve(tmp_path, env, settings.store)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _signed_in(browser: Browser, server: Server) -> Any:
    page = browser.open(server.link)
    page.on(
        "response",
        lambda r: browser.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.wait_for_url(server.origin + "/")
    return page


def _check(browser: Browser, page: Any, server: Server, shot: str | None = None) -> None:
    """No console error, nothing outside the origin, no CSP violation, axe-core clean."""
    page.wait_for_load_state("networkidle")
    if page.query_selector("#map"):
        page.wait_for_selector("#map[data-ready='true']", timeout=30_000)
    assert browser.errors == [], browser.errors
    outside = [u for u in browser.requests if urlparse(u).netloc != urlparse(server.origin).netloc]
    assert outside == [], outside
    assert page.evaluate("window.__csp.length") == 0
    page.evaluate(AXE.read_text(encoding="utf-8"))  # through DevTools: the page's CSP holds
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
    )
    assert found == [], found
    if shot and server.store.endswith(".json"):  # one set of screenshots: the embedded store
        page.screenshot(path=str(doc_image(f"workspace-{shot}.png", server.shots)), full_page=True)


def test_journey_a_search_magnet_routes_and_map(browser: Browser, server: Server) -> None:
    browser.errors.clear()
    browser.requests.clear()
    page = _signed_in(browser, server)
    page.fill("#q", "aimant")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r".*/recherche\?q=aimant.*"))
    page.click(f"a[href='/articles/{MAGNET}']")
    page.wait_for_url(server.origin + f"/articles/{MAGNET}")
    page.wait_for_selector("#map[data-ready='true']", timeout=30_000)
    card = page.inner_text("li.card[data-supplier='SUP-MAG-ARA']")
    assert "Aimants Alpins" in card and "Grenoble" in card and "tier 2" in card
    warning = page.inner_text("li.card[data-supplier='SUP-DE-MAG'] .warning")
    assert "Aimant SmCo fritté (Sm2Co17)" in warning and "itself at risk" in warning
    marker = page.query_selector("#map path.fmap-marker[data-key='SUP-MAG-ARA']")
    assert marker is not None, "no marker of the Auvergne-Rhône-Alpes supplier on the map"
    assert "fmap-tier2" in (marker.get_attribute("class") or "")
    page.click("button[data-map-show='SUP-MAG-ARA']")  # the keyboard table opens its popup
    assert "Aimants Alpins" in page.inner_text(".leaflet-popup-content")
    _check(browser, page, server, "article")
    page.close()


def test_every_map_page_loads_clean(browser: Browser, server: Server) -> None:
    pages = {
        "carte": "/carte",
        "carte-article": f"/carte?article={MAGNET}&region=FR-ARA",
        "fournisseur": "/fournisseurs/SUP-MAG-ARA",
        "region": "/region/FR-BFC",
        "cypher": "/requetes?requete=where_used&p.item=" + MAGNET + "&run=1",
    }
    browser.requests.clear()
    page = _signed_in(browser, server)
    for shot, path in pages.items():
        browser.errors.clear()
        browser.requests.clear()
        page.goto(server.origin + path + ("&" if "?" in path else "?") + "lang=fr")
        _check(browser, page, server, shot)
        if shot == "carte":
            assert page.query_selector("#map path.fmap-marker[data-key='CN']")
        if shot == "region":
            assert page.query_selector("#map path.fmap-marker[data-key='SUP-FCR']")
    page.close()


def test_a_click_on_a_region_outline_opens_its_page(browser: Browser, server: Server) -> None:
    browser.errors.clear()
    browser.requests.clear()
    page = _signed_in(browser, server)
    page.goto(server.origin + "/carte?vue=france")
    page.wait_for_selector("#map[data-ready='true']", timeout=30_000)
    outline = page.locator("#map path.fmap-region[data-region='FR-BFC']")
    outline.hover()
    assert "Bourgogne-Franche-Comté" in page.inner_text(".leaflet-tooltip")
    outline.click()
    page.wait_for_url(server.origin + "/region/FR-BFC")
    assert "Bourgogne-Franche-Comté" in page.inner_text("h1")
    page.go_back()
    page.wait_for_selector("#map[data-ready='true']", timeout=30_000)
    page.click("nav[aria-labelledby='region-links-title'] a[href='/region/FR-ARA']")
    page.wait_for_url(server.origin + "/region/FR-ARA")  # the same, by the keyboard's links
    assert browser.errors == [], browser.errors
    page.close()


@pytest.mark.neo4j
def test_journey_d_saved_query_with_a_parameter(browser: Browser, server: Server) -> None:
    if server.store.endswith(".json"):
        pytest.skip("Cypher runs on Neo4j only; the embedded page is checked above")
    browser.errors.clear()
    browser.requests.clear()
    page = _signed_in(browser, server)
    page.goto(server.origin + "/requetes?requete=where_used")
    page.fill("#p-item", MAGNET)
    page.click("button[name='run']")
    page.wait_for_selector("#rows tbody tr")
    assert "P-KAPLAN" in page.inner_text("#rows")
    _check(browser, page, server)
    page.close()
