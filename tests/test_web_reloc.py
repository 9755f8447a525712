"""The Relocalisation page over HTTP, on the demo dataset, both stores.

What an adviser of Bourgogne-Franche-Comté checks: the opportunities with the firms that
buy them and the best route in words, the matches grouped by buyer, product and at-risk
item, the items with no route yet, the region kept in the URL, the downloads, a bad number
of routes refused in French, no session -> the sign-in page, and firm names shown as text.
"""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from viz_support import load_demo
from web_support import Workspace, workspace

from filiere import queries
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _, language
from filiere.ingest import load

DEMO = Path(__file__).resolve().parents[1] / "filiere" / "data" / "demo"
BFC = "FR-BFC"


@pytest.fixture
def ws(store: GraphStore, tmp_path: Path) -> Iterator[Workspace]:
    load_demo(store)
    with workspace(store, tmp_path) as w:
        w.sign_in("analyst")
        yield w


def _text(page: str) -> str:
    """The page's words: block tags become spaces, inline ones (links, emphasis) vanish."""
    page = re.sub(r"</?(?:a|span|strong)\b[^>]*>", "", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _row(page: str, item: str) -> str:
    found = re.search(rf'<tr data-item="{re.escape(item)}">(.*?)</tr>', page, re.S)
    assert found, f"no opportunity row for {item}"
    return found.group(1)


def _buyer(page: str, buyer: str) -> str:
    found = re.search(rf'<section class="buyer" data-buyer="{buyer}"(.*?)</section>', page, re.S)
    assert found, f"no match group for {buyer}"
    return found.group(1)


def _made(group: str, product: str) -> str:
    """The part of a buyer's group about one product it makes."""
    start = group.index(f'href="/produits/{product}"')
    end = group.find("<h4>", start)
    return group[start : end if end >= 0 else len(group)]


def _names(store: GraphStore, label: Label, ids: set[str]) -> dict[str, str]:
    return {k: str(v.get("name") or k) for k, v in store.get_nodes(label, ids).items()}


def test_bfc_opportunities_name_buyers_value_and_best_route(
    ws: Workspace, store: GraphStore
) -> None:
    page = ws.client.get("/relocalisation", params={"region": BFC})
    assert page.status_code == 200
    found = queries.opportunities(store, BFC)
    rows = re.findall(r'<tr data-item="([^"]+)">', page.text)
    assert rows == [o.item for o in found.opportunities]  # most valuable first, as the CLI
    # the harmonic drive: bought by the Montbéliard cobot maker, made 80 km away in Besançon
    row = _text(_row(page.text, "C-HARMONIC"))
    assert "Robotique Collaborative de Montbéliard" in row
    assert "single country: Japan" in row
    assert "1,404,000 €" in row
    assert "Microtechniques Bisontines, Besançon" in row
    assert "tier 1: in the region · 81 km" in row
    assert "masters every process the item needs" in row
    assert '<a href="/articles/C-HARMONIC?region=FR-BFC">' in page.text
    assert '<a href="/fournisseurs/MAK-COBOT-BFC">' in _row(page.text, "C-HARMONIC")
    # the magnet: four buyers in the region, one elsewhere, the Grenoble firm in tier 2
    magnet = _text(_row(page.text, "C-MAG-NDFEB-S"))
    assert "Hydro-Turbines de Belfort" in magnet and "+1 buyer elsewhere" in magnet
    assert "Aimants Alpins, Grenoble" in magnet and "tier 2: in the home country" in magnet


def test_bfc_matches_are_grouped_by_buyer_product_and_item(
    ws: Workspace, store: GraphStore
) -> None:
    page = ws.client.get("/relocalisation", params={"region": BFC}).text
    found = queries.matches(store, BFC)
    assert found.matches and found.unmatched
    firms = _names(store, Label.SUPPLIER, {m.supplier for m in found.matches})
    for m in found.matches:  # every introduction is on a card of its buyer, with names
        part = _made(_buyer(page, m.buyer), m.product)
        card = re.search(
            rf'<li class="card match" data-item="{re.escape(m.item)}">(.*?)</ol>', part, re.S
        )
        assert card, (m.buyer, m.product, m.item)
        assert f'data-supplier="{m.supplier}"' in card.group(1)
        assert html.escape(firms[m.supplier], quote=True) in card.group(1)
        route = re.search(rf'<li data-supplier="{m.supplier}">(.*?)</li>', card.group(1), re.S)
        assert route
        warned = "the substitute is itself at risk" in route.group(1)
        assert warned == bool(m.substitute_at_risk), (m.item, m.supplier)
    for u in found.unmatched:  # each product says which of its items have no route yet
        part = _made(_buyer(page, u.buyer), u.product)
        bare = re.search(r'<div class="no-route">(.*?)</div>', part, re.S)
        assert bare and "No route yet for:" in bare.group(1), (u.buyer, u.product)
        assert f'<li data-item="{u.item}">' in bare.group(1), (u.buyer, u.item)
        assert f'class="card match" data-item="{u.item}"' not in part
    hydro = _text(_buyer(page, "MAK-HYDRO-BFC"))
    assert "Hydro-Turbines de Belfort" in hydro and "Belfort" in hydro
    text = _text(page)
    assert f"{len(found.matches)} introductions" in text


def test_more_routes_are_said_with_a_link_to_the_item(ws: Workspace, store: GraphStore) -> None:
    page = ws.client.get("/relocalisation", params={"region": BFC, "voies": "1"}).text
    found = queries.matches(store, BFC, routes_per_item=1)
    assert found.more_routes
    text = _text(page)
    for more in found.more_routes:
        assert f"listed: 1 of its {more.routes} routes; all of them on the item's page" in text
        assert f'<a href="/articles/{more.item}?region=FR-BFC">all of them' in page


def test_region_picker_keeps_the_state_of_the_url(ws: Workspace) -> None:
    page = ws.client.get("/relocalisation?region=fr-bfc&avec_route=1&voies=5").text
    assert '<option value="FR-BFC" selected>Bourgogne-Franche-Comté</option>' in page
    assert re.search(r'id="avec_route" name="avec_route" value="1" checked', page)
    assert 'id="voies" name="voies" type="number" min="1" max="1000" value="5"' in page
    assert 'href="/relocalisation/opportunites.csv?region=fr-bfc&amp;avec_route=1&amp;voies=5"' in (
        page
    )
    # every region of France is offered by its name
    assert '<option value="FR-IDF">Île-de-France</option>' in page
    assert '<option value="FR-ARA">Auvergne-Rhône-Alpes</option>' in page


def test_with_route_keeps_the_items_that_have_one(ws: Workspace, store: GraphStore) -> None:
    page = ws.client.get("/relocalisation", params={"region": BFC, "avec_route": "1"}).text
    rows = re.findall(r'<tr data-item="([^"]+)">', page)
    kept = queries.opportunities(store, BFC, with_route=True).opportunities
    assert rows == [o.item for o in kept]
    assert len(rows) < len(queries.opportunities(store, BFC).opportunities)
    assert "no route yet" not in _text(page.split('id="h-matches"')[0])


def test_without_a_region_the_whole_map_and_no_matches(ws: Workspace, store: GraphStore) -> None:
    page = ws.client.get("/relocalisation").text
    rows = re.findall(r'<tr data-item="([^"]+)">', page)
    assert rows == [o.item for o in queries.opportunities(store).opportunities]
    assert '<option value="" selected>' in page
    assert 'class="buyer"' not in page
    assert "Choose a region" in _text(page)
    # without a region, every buyer is listed, the Grenoble valve maker too
    assert "Robinetterie Hydraulique Grenobloise" in _text(_row(page, "C-MAG-NDFEB-S"))


@pytest.mark.parametrize("voies", ["0", "1001", "abc", "-3", "2.5", "１"])
def test_a_bad_number_of_routes_is_a_french_400_page(ws: Workspace, voies: str) -> None:
    page = ws.client.get("/relocalisation", params={"region": BFC, "voies": voies, "lang": "fr"})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and "Erreur 400" in page.text
    with language("fr"):
        said = _("The number of routes per item must be a whole number from {low} to {high}.")
    assert said.format(low=1, high=1000) in html.unescape(page.text)


def test_an_unknown_region_is_a_400_page(ws: Workspace) -> None:
    page = ws.client.get("/relocalisation", params={"region": "FR-ZZZ"})
    assert page.status_code == 400 and "FR-ZZZ" in html.unescape(page.text)
    assert ws.client.get("/relocalisation", params={"region": "x" * 21}).status_code == 422


def test_downloads_are_the_cli_csv_and_the_report_sheets(ws: Workspace, store: GraphStore) -> None:
    found = queries.opportunities(store, BFC)
    got = ws.client.get("/relocalisation/opportunites.csv", params={"region": BFC})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="opportunites-FR-BFC.csv"' in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [r["item"] for r in rows] == [o.item for o in found.opportunities]
    assert rows[0]["buyers_in_region"] == " ".join(found.opportunities[0].buyers_in_region)
    book = ws.client.get("/relocalisation/opportunites.xlsx", params={"region": BFC})
    assert book.status_code == 200
    wb = load_workbook(io.BytesIO(book.content))
    assert wb.sheetnames == ["Opportunities", "Matches"]
    opps = list(wb["Opportunities"].iter_rows(values_only=True))
    assert [r[1] for r in opps[1:]] == [o.item for o in found.opportunities]
    matches = list(wb["Matches"].iter_rows(values_only=True))
    assert "Hydro-Turbines de Belfort" in {r[1] for r in matches[1:]}
    whole = ws.client.get("/relocalisation/opportunites.xlsx")
    assert load_workbook(io.BytesIO(whole.content)).sheetnames == ["Opportunities"]


def test_the_page_needs_a_session(ws: Workspace) -> None:
    ws.client.cookies.clear()
    for path in ["/relocalisation?region=FR-BFC", "/relocalisation/opportunites.csv"]:
        r = ws.client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/connexion?next="), path


def test_home_region_and_nav_link_to_the_page(ws: Workspace) -> None:
    home = ws.client.get("/").text
    assert '<a href="/relocalisation">' in home  # the navigation bar
    assert 'href="/relocalisation#h-opps"' in home  # from the at-risk ranking
    region = ws.client.get("/region/FR-BFC").text
    assert 'href="/relocalisation?region=FR-BFC"' in region


def test_firm_names_are_shown_as_text(store: GraphStore, tmp_path: Path) -> None:
    data = tmp_path / "demo"
    shutil.copytree(DEMO, data)
    suppliers = data / "suppliers.csv"
    evil = "<script>alert('x')</script> & \"Cie\""
    text = suppliers.read_text(encoding="utf-8")
    text = text.replace("Électrobroches de Vesoul", '"' + evil.replace('"', '""') + '"')
    text = text.replace("Aimants Alpins", "<img src=x onerror=alert(1)>")
    suppliers.write_text(text, encoding="utf-8")
    load(data, store, progress=False)
    with workspace(store, tmp_path) as w:
        w.sign_in("analyst")
        page = w.client.get("/relocalisation", params={"region": BFC}).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;Cie&#34;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_long_lists_are_cut_on_the_page_and_whole_in_the_downloads(
    ws: Workspace, store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filiere.web.pages import reloc

    monkeypatch.setattr(reloc, "SHOWN_OPPORTUNITIES", 2)
    monkeypatch.setattr(reloc, "SHOWN_MATCHES", 3)
    monkeypatch.setattr(reloc, "SHOWN_BUYERS", 1)
    found = queries.matches(store, BFC)
    page = ws.client.get("/relocalisation", params={"region": BFC}).text
    assert len(re.findall(r'<tr data-item="', page)) == 2
    text = _text(page)
    assert "Only the first 2 opportunities are shown; the downloads have them all." in text
    hidden = len(found.matches) - 3 + len(found.unmatched) - 3
    assert f"{hidden} more lines of the matches are in the workbook." in text
    assert len(re.findall(r'<li data-supplier="', page)) == 3
    assert "and 3 more" in _text(_row(page, "C-MAG-NDFEB-S"))  # 4 buyers in the region
    csv_rows = ws.client.get("/relocalisation/opportunites.csv", params={"region": BFC}).text
    assert len(list(csv.DictReader(io.StringIO(csv_rows)))) == len(
        queries.opportunities(store, BFC).opportunities
    )
