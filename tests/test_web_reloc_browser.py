"""The Relocalisation page in Debian's Chromium against a real ``filiere ui`` on the demo.

Journey: Accueil -> the at-risk ranking's link -> Relocalisation -> pick
Bourgogne-Franche-Comté -> a match card (the Vesoul spindle maker's magnet, sourced from
Aimants Alpins in Grenoble) -> the magnet's Article page. Each page: no console error, no
request outside the origin, no serious or critical axe-core violation. Screenshot:
workspace-relocalisation.png (embedded store, French), in docs/images/ with
``FILIERE_UPDATE_IMAGES=1``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from test_web_places_browser import MAGNET, Server, _check, _signed_in, browser, server
from viz_support import Browser

__all__ = ["browser", "server"]  # the fixtures of the map pages' tests: filiere ui, chromium

pytestmark = pytest.mark.browser


def test_journey_home_to_a_match_card_to_the_article(browser: Browser, server: Server) -> None:
    browser.errors.clear()
    browser.requests.clear()
    page = _signed_in(browser, server)  # lands on Accueil
    page.click("a[href='/relocalisation#h-opps']")
    page.wait_for_url(server.origin + "/relocalisation#h-opps")
    assert page.locator("#opportunities tbody tr").count() > 0
    assert page.locator("#matches").count() == 0  # no region: no matches yet
    page.select_option("#region", label="Bourgogne-Franche-Comté")
    page.click("#reloc-form button[type=submit]")
    page.wait_for_selector("#matches")
    assert parse_qs(urlparse(page.url).query)["region"] == ["FR-BFC"]  # bookmarkable
    assert page.input_value("#region") == "FR-BFC"
    _check(browser, page, server)
    card = page.locator(f"section[data-buyer='MAK-BROCHE-BFC'] li.card.match[data-item='{MAGNET}']")
    text = card.inner_text()
    assert "Aimants Alpins" in text and "Grenoble" in text and "tier 2" in text
    card.locator(f"h5 a[href^='/articles/{MAGNET}']").click()
    page.wait_for_url(server.origin + f"/articles/{MAGNET}?region=FR-BFC")
    page.wait_for_selector("li.card[data-supplier='SUP-MAG-ARA']")
    _check(browser, page, server)
    page.close()


def test_relocalisation_page_in_french(browser: Browser, server: Server) -> None:
    browser.errors.clear()
    browser.requests.clear()
    page = _signed_in(browser, server)
    page.goto(server.origin + "/relocalisation?region=FR-BFC&voies=3&lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Bourgogne-Franche-Comté" in page.locator("h1").inner_text()
    _check(browser, page, server, "relocalisation")
    page.focus("#opportunities th:nth-child(5) button.sort")  # sort by value, with the keyboard
    page.keyboard.press("Enter")
    assert page.locator("#opportunities th:nth-child(5)").get_attribute("aria-sort") == "ascending"
    values = page.eval_on_selector_all(
        "#opportunities tbody td:nth-child(5)", "tds => tds.map(td => Number(td.dataset.sort))"
    )
    assert values == sorted(values) and len(set(values)) > 1
    page.close()
