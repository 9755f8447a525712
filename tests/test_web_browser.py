"""The workspace in a real headless Chromium against a real ``filiere ui``, on both stores.

Each page loads with no console error, no request outside the server's origin and no
serious or critical axe-core violation; the journeys a CCI adviser makes: the product's
risk tree opens on its at-risk branches, the shock on "Chine" cuts 4 products, a
workbook with an error is refused as ``fichier:ligne`` in French with the store
unchanged, an analyst cannot reach Import, no session means the sign-in page.
Each page is screenshot as ``workspace-<page>.png``: in the test's own directory, or in
``docs/images/`` (the guide's) with ``FILIERE_UPDATE_IMAGES=1``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from api_support import make_keys
from openpyxl import Workbook
from viz_support import Browser, chromium, doc_image, load_demo
from web_support import filiere_ui

from filiere.graph.store import GraphStore

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"

#: The pages of this branch, as the signed-in local user (admin) opens them (name: path).
PAGES = {
    "accueil": "/",
    "recherche": "/recherche?q=aimant",
    "produit": "/produits/P-KAPLAN",
    "choc": "/choc?pays=CN",
    "import": "/import",
    "cles": "/cles",
}


@dataclass
class Server:
    """A running ``filiere ui``: its base URL, one-time link and API keys by role."""

    url: str
    link: str
    keys: dict[str, str]

    def same_origin(self, url: str) -> bool:
        if url.startswith(("data:", "about:", "blob:")):
            return True
        a, b = urlparse(url), urlparse(self.url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _env(store: GraphStore, request: pytest.FixtureRequest, keys_file: Path) -> dict[str, str]:
    env = {"FILIERE_API_KEYS_FILE": str(keys_file), "FILIERE_LANG": "en"}
    if store.kind == "neo4j":
        s = request.getfixturevalue("neo4j_settings")
        env |= {
            "FILIERE_STORE": s.store,
            "NEO4J_USERNAME": s.neo4j_user,
            "NEO4J_PASSWORD": s.neo4j_password,
        }
    else:
        env["FILIERE_STORE"] = store.uri
    return env


@pytest.fixture
def server(store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """``filiere ui --no-browser`` over the demo dataset in ``store``."""
    load_demo(store)
    keys_file = tmp_path / "apikeys.json"
    keys = make_keys(keys_file)
    with filiere_ui(_env(store, request, keys_file)) as ui:
        yield Server(ui.origin, ui.link, keys)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _axe(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page (axe injected by the test)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}));
        }"""
    )
    return found


def _open(browser: Browser, url: str) -> Any:
    page = browser.open(url)
    page.wait_for_load_state("networkidle")
    return page


def _sign_in(browser: Browser, server: Server, who: str) -> None:
    browser.context.clear_cookies()
    page = _open(browser, server.url + "/connexion")
    page.fill("#key", server.keys[who])
    page.click("form.card button[type=submit]")
    page.wait_for_url(server.url + "/")
    page.close()


def test_every_page_loads_offline_and_accessible(
    browser: Browser, server: Server, store: GraphStore, tmp_path: Path
) -> None:
    browser.requests.clear()
    browser.errors.clear()
    browser.context.clear_cookies()
    signin = _open(browser, server.url + "/?lang=fr")
    assert urlparse(signin.url).path == "/connexion"  # no session: the sign-in page
    assert _axe(signin) == []
    if store.kind == "embedded":
        signin.screenshot(path=doc_image("workspace-connexion.png", tmp_path), full_page=True)
    signin.close()
    first = _open(browser, server.link)  # the one-time link signs in, then leaves the URL
    assert first.url == server.url + "/"
    first.close()
    for name, path in PAGES.items():
        page = _open(browser, server.url + path + ("&" if "?" in path else "?") + "lang=fr")
        assert page.title(), name
        assert page.locator("h1").count() == 1, name
        assert _axe(page) == [], name
        if store.kind == "embedded":
            page.screenshot(path=doc_image(f"workspace-{name}.png", tmp_path), full_page=True)
        page.close()
    assert browser.errors == []
    assert [u for u in browser.requests if not server.same_origin(u)] == []
    again = _open(browser, server.link)  # the link was spent; the session cookie carries on
    assert "used already" in again.inner_text("main") or "déjà servi" in again.inner_text("main")
    again.close()


def test_search_as_you_type(browser: Browser, server: Server) -> None:
    browser.errors.clear()
    _open(browser, server.link).close()
    page = _open(browser, server.url + "/recherche")
    page.fill("#q", "neodyme")
    page.wait_for_selector("#results a[href='/articles/M-ND']")
    assert page.url.endswith("/recherche?q=neodyme")  # bookmarkable
    page.fill("#q", "Chine")
    page.wait_for_selector("#results a[href='/choc?pays=CN']")
    assert browser.errors == []
    page.close()


def test_product_tree_opens_on_the_at_risk_branches(browser: Browser, server: Server) -> None:
    browser.errors.clear()
    _open(browser, server.link).close()
    page = _open(browser, server.url + "/produits/P-KAPLAN")
    seen = page.evaluate(
        """() => Array.from(document.querySelectorAll('#risk-tree li')).map(li => {
             const d = li.querySelector(':scope > details');
             return {item: li.dataset.item, hot: li.classList.contains('hot'),
                     risk: li.classList.contains('risk'), open: d ? d.open : null,
                     shown: li.offsetParent !== null,
                     badges: Array.from(li.querySelectorAll(
                       ':scope > details > summary .badge.risk, :scope > .leaf .badge.risk'
                     )).map(b => b.innerText)};
           })"""
    )
    risky = [s for s in seen if s["risk"]]
    assert risky and all(s["shown"] and s["badges"] for s in risky)  # visible, with reasons
    assert all(s["open"] == s["hot"] for s in seen if s["open"] is not None)
    assert any(s["open"] is False for s in seen)  # the rest is folded
    page.click("button[aria-controls=graph]")
    frame = page.frame_locator("#graph")
    frame.locator("body[data-ready='1']").wait_for(state="attached", timeout=60_000)
    assert browser.errors == []
    page.close()


def test_shock_on_china_cuts_four_products(browser: Browser, server: Server) -> None:
    browser.errors.clear()
    _open(browser, server.link).close()
    page = _open(browser, server.url + "/choc")
    page.fill("#pays-other", "Chine")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#shock-products")
    assert "pays=Chine" in page.url
    assert page.locator("#shock-products tr.cut").count() == 4
    assert browser.errors == []
    page.close()


def _bad_workbook(path: Path) -> Path:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "items"
    sheet.append(["id", "name", "kind"])
    sheet.append(["X-NEW", "Truc", "product"])
    sheet.append(["X-BAD", "Machin", "gadget"])
    out = io.BytesIO()
    wb.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_an_editor_upload_with_an_error_changes_nothing(
    browser: Browser, server: Server, store: GraphStore, tmp_path: Path
) -> None:
    browser.errors.clear()
    before = store.counts()
    _sign_in(browser, server, "editor")
    page = _open(browser, server.url + "/import?lang=fr")
    page.set_input_files("#file", str(_bad_workbook(tmp_path / "catalogue.xlsx")))
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#import-errors")
    text = page.inner_text("#import-errors")
    assert "catalogue.xlsx[items]:3" in text
    assert "type inconnu 'gadget'" in text and "rien n'a été écrit" in text
    assert store.counts() == before
    page.close()


def test_an_analyst_cannot_reach_import(browser: Browser, server: Server) -> None:
    _sign_in(browser, server, "analyst")
    page = _open(browser, server.url + "/")
    assert page.locator("nav a[href='/import']").count() == 0
    page.close()
    page = _open(browser, server.url + "/import")
    assert "analyst" in page.inner_text("main") and page.locator("#file").count() == 0
    page.close()
