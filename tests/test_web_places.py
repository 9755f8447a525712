"""The Carte, Article, Fournisseur and Région pages over HTTP, on the demo dataset, both stores."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import Workspace, workspace

from filiere.graph.store import GraphStore
from filiere.ingest import load

DEMO = Path(__file__).resolve().parents[1] / "filiere" / "data" / "demo"
MAGNET = "C-MAG-NDFEB-S"


@pytest.fixture
def ws(store: GraphStore, tmp_path: Path) -> Iterator[Workspace]:
    load(DEMO, store, progress=False)
    with workspace(store, tmp_path) as w:
        w.sign_in("analyst")
        yield w


def features(page: str) -> dict[str, Any]:
    """The GeoJSON the page hands to the map script."""
    found = re.search(r'<script type="application/json" id="map-features">(.*?)</script>', page)
    assert found, "no map data on the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_article_page_shows_suppliers_routes_warning_and_map(ws: Workspace) -> None:
    r = ws.client.get(f"/articles/{MAGNET}")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    text = html.unescape(r.text)
    assert "Ningbo Cixing Magnet Co." in text and "60%" in text.replace("\u202f", "")
    # the route card of the Auvergne-Rhône-Alpes firm, tier in words, and the SmCo warning
    card = re.search(r'<li class="card" data-supplier="SUP-MAG-ARA">(.*?)</li>', text, re.S)
    assert card, "no route card for SUP-MAG-ARA"
    assert "Aimants Alpins" in card.group(1) and "Grenoble" in card.group(1)
    assert "tier 2: in the home country" in card.group(1)
    assert "already offers the item" in card.group(1)
    smco = re.search(r'<li class="card" data-supplier="SUP-DE-MAG">(.*?)</li>', text, re.S)
    assert smco and "Substitute Aimant SmCo fritté (Sm2Co17) (C-MAG-SMCO) is itself at risk" in (
        smco.group(1)
    )
    # where used and substitutes
    assert "/articles/C-GEN-PM" in text
    assert "/articles/C-MAG-SMCO" in text
    # the map data: current suppliers and candidates, with the ARA firm as a tier 2 point
    points = {f["properties"]["supplier"]: f for f in features(r.text)["features"]}
    assert points["SUP-CN-MAG1"]["properties"]["group"] == "current"
    assert points["SUP-MAG-ARA"]["properties"]["group"] == "tier2"
    assert points["SUP-MAG-ARA"]["geometry"]["coordinates"] == [5.71479, 45.17869]


def test_article_routes_follow_the_region_in_the_url(ws: Workspace) -> None:
    text = html.unescape(ws.client.get(f"/articles/{MAGNET}?region=FR-ARA").text)
    card = re.search(r'<li class="card" data-supplier="SUP-MAG-ARA">(.*?)</li>', text, re.S)
    assert card and "tier 1: in the region" in card.group(1)
    assert 'value="FR-ARA"' in text  # the form keeps the state of the URL


def test_material_page_draws_world_production(ws: Workspace) -> None:
    text = html.unescape(ws.client.get("/articles/M-ND").text)
    bars = re.search(r'<ul class="bars">(.*?)</ul>', text, re.S)
    assert bars and "China" in bars.group(1)
    assert re.search(r'width="100\.0%"', bars.group(1))  # the largest share fills its bar


def test_article_data_cannot_break_out_of_the_json_block(ws: Workspace) -> None:
    from filiere.web.pages.places import json_block

    assert (
        str(json_block({"a": "</script><b>&"}))
        == '{"a": "\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'
    )


def test_unknown_item_and_region_are_pages_not_tracebacks(ws: Workspace) -> None:
    r = ws.client.get("/articles/NOPE")
    assert r.status_code == 404 and "no item 'NOPE'" in html.unescape(r.text)
    assert ws.client.get("/region/XX-999").status_code == 400
    assert ws.client.get("/fournisseurs/NOPE").status_code == 404
    assert ws.client.get("/carte?region=nowhere&article=" + MAGNET).status_code == 400
    assert ws.client.get("/articles/" + "x" * 300).status_code == 422


def test_carte_without_item_counts_suppliers_by_country(ws: Workspace) -> None:
    r = ws.client.get("/carte")
    assert r.status_code == 200
    counts = {
        f["properties"]["country"]: f["properties"]["suppliers"]
        for f in features(r.text)["features"]
    }
    assert counts["FR"] == 54 and counts["CN"] == 22
    assert 'data-view="europe"' in r.text


def test_carte_for_an_item_lists_the_points_for_the_keyboard(ws: Workspace) -> None:
    r = ws.client.get(f"/carte?article={MAGNET}&vue=france")
    assert r.status_code == 200 and 'data-view="france"' in r.text
    rows = re.findall(r'<tr data-supplier="([^"]+)">', r.text)
    assert rows == ["SUP-CN-MAG1", "SUP-CN-MAG2", "SUP-MAG-ARA", "SUP-DE-MAG", "SUP-EE-MAG"]
    assert 'data-map-show="SUP-MAG-ARA"' in r.text


def test_carte_links_every_region_for_the_keyboard_and_the_map(ws: Workspace) -> None:
    outlines = ws.client.get("/carte/contours/regions.geojson").json()["features"]
    codes = {f["properties"]["iso"] for f in outlines}
    for path in ("/carte", f"/carte?article={MAGNET}&vue=france"):
        page = ws.client.get(path).text
        links = re.findall(r'<li><a href="/region/([^"]+)">([^<]+)</a></li>', page)
        assert {code for code, _name in links} == codes and len(links) == 13
        assert ("FR-BFC", "Bourgogne-Franche-Comté") in links
        assert "data-region-links" in page  # the map script makes the outlines clickable
    for code in codes:  # every link opens a Région page, even with no firm in the store
        assert ws.client.get(f"/region/{code}").status_code == 200, code
    assert "0 firms in the store" in ws.client.get("/region/FR-PAC").text
    assert ws.client.get("/region/FR-971").status_code == 404  # no outline, no firm
    article = ws.client.get(f"/articles/{MAGNET}").text
    assert "data-region-links" not in article  # elsewhere a click stays on the page


def test_region_page_lists_firms_and_processes(ws: Workspace) -> None:
    r = ws.client.get("/region/FR-BFC")
    assert r.status_code == 200
    text = html.unescape(r.text)
    assert "Bourgogne-Franche-Comté" in text
    row = re.search(r'<tr data-supplier="SUP-FCR">(.*?)</tr>', text, re.S)
    assert row and "steel casting" in row.group(1) and "Le Creusot" in row.group(1)
    assert len(features(r.text)["features"]) == 34  # the demo's suppliers.csv rows of FR-BFC


def test_supplier_page_shows_supplies_offers_makes_and_processes(ws: Workspace) -> None:
    text = html.unescape(ws.client.get("/fournisseurs/MAK-HYDRO-BFC").text)
    assert "Hydro-Turbines de Belfort" in text and "/articles/P-KAPLAN" in text
    text = html.unescape(ws.client.get("/fournisseurs/SUP-MAG-ARA").text)
    assert "/articles/C-MAG-NDFEB-S" in text and "Grenoble" in text
    assert "/region/FR-ARA" in text


def test_pages_are_french_by_default(ws: Workspace) -> None:
    text = html.unescape(ws.client.get(f"/articles/{MAGNET}?lang=fr").text)
    assert "Chine" in text


def test_outlines_are_served_to_signed_in_readers_only(ws: Workspace) -> None:
    r = ws.client.get("/carte/contours/regions.geojson")
    assert r.status_code == 200
    assert len(r.json()["features"]) == 13
    assert ws.client.get("/carte/contours/other.geojson").status_code == 422
    ws.client.cookies.clear()
    assert (
        ws.client.get("/carte/contours/regions.geojson", follow_redirects=False).status_code == 303
    )
    assert ws.client.get("/carte", follow_redirects=False).status_code == 303
