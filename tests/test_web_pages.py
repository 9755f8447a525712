"""The workspace pages over the demo dataset, on both stores: what a reader sees on each.

The journeys of the browser tests, checked here on the server's HTML: the product page
opens the at-risk branches with their reasons, the shock on "Chine" cuts 4 products,
an editor's workbook with an error is refused as ``fichier:ligne`` with the store
unchanged, an analyst cannot reach Import.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from viz_support import load_demo
from web_support import Workspace, workspace

from filiere import queries
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.queries.summary import store_summary


@pytest.fixture
def ws(store: GraphStore, tmp_path: Path) -> Iterator[Workspace]:
    load_demo(store)
    with workspace(store, tmp_path) as w:
        w.local()
        yield w


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_home_shows_what_the_store_holds(ws: Workspace, store: GraphStore) -> None:
    page = ws.client.get("/")
    assert page.status_code == 200
    counts = store.counts()
    text = _text(page.text)
    assert f"{counts['Product']} products" in text
    assert f"{counts['Supplier']} suppliers" in text
    assert "demo" in text  # the source, with its load date
    assert "Néodyme" in text  # an at-risk item touching many products
    assert 'href="/choc?pays=CN"' in page.text  # a shock shortcut


def test_store_summary_is_the_same_on_both_stores(store: GraphStore) -> None:
    load_demo(store)
    summary = store_summary(store)
    assert [s.source for s in summary.sources][-1] == "demo"
    demo = summary.sources[-1]
    assert demo.nodes > 100 and demo.last_loaded is not None
    assert summary.supplier_countries[0].country == "FR"
    assert summary.supplier_countries[0].suppliers > summary.supplier_countries[1].suppliers


@pytest.mark.parametrize(
    ("q", "href"),
    [
        ("aimant", "/articles/C-MAG-NDFEB-S"),
        ("neodyme", "/articles/M-ND"),
        ("Chine", "/choc?pays=CN"),
        ("bourgogne", "/region/FR-BFC"),
        ("KAPLAN", "/produits/P-KAPLAN"),
    ],
)
def test_search_by_name_or_id_ignoring_accents_and_case(ws: Workspace, q: str, href: str) -> None:
    page = ws.client.get("/recherche", params={"q": q})
    assert page.status_code == 200
    assert f'href="{href}"' in page.text
    assert f'value="{q}"' in page.text  # the URL holds the search: bookmarkable


def test_search_as_you_type_returns_the_results_only(ws: Workspace) -> None:
    page = ws.client.get("/recherche", params={"q": "aimant"}, headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert "<html" not in page.text and 'href="/articles/C-MAG-NDFEB-S"' in page.text


def test_search_text_is_bounded(ws: Workspace) -> None:
    assert ws.client.get("/recherche", params={"q": "x" * 201}).status_code == 422


def test_product_tree_opens_the_at_risk_branches_with_their_reasons(
    ws: Workspace, store: GraphStore
) -> None:
    page = ws.client.get("/produits/P-KAPLAN")
    assert page.status_code == 200
    text = page.text
    deps = queries.deps(store, "P-KAPLAN")
    at_risk = {d.item for d in deps.dependencies if d.at_risk}
    assert at_risk
    for item in at_risk:  # every at-risk item is shown as such, with a reason badge
        line = re.search(
            rf'<li class="hot risk" data-item="{re.escape(item)}">(.*?)</li>', text, re.S
        )
        assert line, item
        assert 'class="badge risk"' in line.group(1)
    # A branch opens exactly when an at-risk item is under it.
    for cls, opened in re.findall(
        r'<li class="([^"]*)" data-item="[^"]*">\s*<details( open)?>', text
    ):
        assert ("hot" in cls.split()) == bool(opened)
    assert "upstream: China" in _text(text)
    assert 'data-src="/produits/P-KAPLAN/graphe"' in text  # the toggle to the layered view


def test_product_graph_is_the_layered_view(ws: Workspace) -> None:
    view = ws.client.get("/produits/P-KAPLAN/graphe")
    assert view.status_code == 200
    assert "cytoscape" in view.text.lower()
    assert view.headers["x-frame-options"] == "SAMEORIGIN"


def test_unknown_product_is_a_404_page(ws: Workspace) -> None:
    page = ws.client.get("/produits/NOPE")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"] and "NOPE" in page.text


def test_dependency_table_downloads_as_the_cli_writes_it(ws: Workspace, store: GraphStore) -> None:
    deps = queries.deps(store, "P-KAPLAN")
    got = ws.client.get("/produits/P-KAPLAN/dependances.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [r["item"] for r in rows] == [d.item for d in deps.dependencies]
    book = ws.client.get("/produits/P-KAPLAN/dependances.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("item", "kind")
    assert [v[0] for v in values[1:]] == [d.item for d in deps.dependencies]


def test_shock_on_china_cuts_four_products(ws: Workspace, store: GraphStore) -> None:
    page = ws.client.get("/choc", params={"pays": "Chine"})
    assert page.status_code == 200
    cut = re.findall(r'<tr class="cut" data-product="([^"]+)"', page.text)
    expected = queries.shock(store, ["CN"])
    assert sorted(cut) == sorted(p.product for p in expected.impacted_products if p.cut)
    assert len(cut) == 4
    assert "C-MAG-NDFEB-S" in page.text and "C-MAG-SMCO" in page.text  # cut item, recovery
    assert 'data-src="/choc/graphe?pays=Chine"' in page.text
    assert 'id="pays-CN" name="pays" value="CN" checked' in page.text


def test_shock_with_a_partial_cut_only_dents(ws: Workspace) -> None:
    page = ws.client.get("/choc", params={"pays": "CN", "part": "50"})
    assert page.status_code == 200
    assert 'class="cut"' not in page.text and 'class="dented"' in page.text


@pytest.mark.parametrize(
    ("params", "status"),
    [({"pays": "Atlantis"}, 400), ({"pays": "CN", "part": "0"}, 422), ({"pays": ["CN"] * 31}, 422)],
)
def test_shock_input_is_checked(ws: Workspace, params: dict[str, object], status: int) -> None:
    page = ws.client.get("/choc", params=params)
    assert page.status_code == status and "text/html" in page.headers["content-type"]


def _workbook(*rows: list[object]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "items"
    sheet.append(["id", "name", "kind"])
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(ws: Workspace, data: bytes, **form: str) -> httpx.Response:
    response: httpx.Response = ws.client.post(
        "/import",
        data={"csrf": ws.csrf("/import"), **form},
        files={"file": ("catalogue.xlsx", data)},
    )
    return response


def test_import_refuses_a_workbook_with_an_error_in_french(
    ws: Workspace, store: GraphStore
) -> None:
    before = store.counts()
    data = _workbook(["X-NEW", "Truc", "product"], ["X-BAD", "Machin", "gadget"])
    ws.client.get("/?lang=fr")
    page = ws.client.post(
        "/import",
        data={"csrf": ws.csrf("/import")},
        files={"file": ("catalogue.xlsx", data)},
    )
    assert page.status_code == 422
    shown = html.unescape(page.text)
    assert "catalogue.xlsx[items]:3</code> : type inconnu 'gadget'" in shown
    assert "rien n'a été écrit" in shown
    assert store.counts() == before  # nothing written, not even the valid row


def test_import_loads_a_valid_workbook(ws: Workspace, store: GraphStore) -> None:
    page = ws.client.post(
        "/import",
        data={"csrf": ws.csrf("/import"), "source": "atelier"},
        files={"file": ("catalogue.xlsx", _workbook(["X-NEW", "Truc", "product"]))},
    )
    assert page.status_code == 200, page.text
    assert "atelier" in page.text
    assert store.get_node(Label.ITEM, "X-NEW") is not None


def test_import_needs_the_csrf_token(ws: Workspace, store: GraphStore) -> None:
    before = store.counts()
    page = ws.client.post(
        "/import",
        data={"csrf": "forged"},
        files={"file": ("catalogue.xlsx", _workbook(["X-NEW", "Truc", "product"]))},
    )
    assert page.status_code == 403
    assert store.counts() == before


def test_an_analyst_cannot_reach_import(ws: Workspace) -> None:
    ws.sign_in("analyst")
    assert ws.client.get("/import").status_code == 403
    assert 'href="/import"' not in ws.client.get("/").text  # not in the menu either
    refused = ws.client.post(
        "/import", data={"csrf": ws.csrf("/")}, files={"file": ("x.csv", b"id,name,kind\n")}
    )
    assert refused.status_code == 403


def test_every_page_needs_a_session(ws: Workspace) -> None:
    ws.client.cookies.clear()
    for path in ["/", "/recherche?q=a", "/produits/P-KAPLAN", "/produits/P-KAPLAN/graphe",
                 "/produits/P-KAPLAN/dependances.csv", "/choc?pays=CN", "/choc/graphe?pays=CN",
                 "/import"]:  # fmt: skip
        r = ws.client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/connexion?next="), path


def test_uploads_are_refused_before_their_body_is_read(ws: Workspace) -> None:
    """No session, or a role too low: the gate answers without reading a byte."""
    import asyncio

    from filiere.web.gate import UploadGate

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the page must not run")

    async def receive() -> dict[str, object]:
        raise AssertionError("the body must not be read")

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    gate = UploadGate(app, state=ws.app.state.web, path="/import")
    ws.sign_in("analyst")
    analyst = ws.client.cookies["filiere_session"]
    for cookie, status in [(b"", 303), (f"filiere_session={analyst}".encode(), 403)]:
        sent.clear()
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/import",
            "query_string": b"",
            "headers": [(b"cookie", cookie), (b"content-length", b"60000000")],
        }
        asyncio.run(gate(scope, receive, send))  # type: ignore[arg-type]
        assert sent[0]["status"] == status


def test_one_session_runs_a_bounded_number_of_uploads(ws: Workspace, store: GraphStore) -> None:
    state = ws.app.state.web
    session = state.sessions.get(ws.client.cookies["filiere_session"])
    limit = state.uploads.limits["upload"]
    for _ in range(limit):  # uploads of this session still running
        assert state.uploads.acquire("upload", session.id)
    data = _workbook(["X-NEW", "Truc", "product"])
    busy = _upload(ws, data)
    assert busy.status_code == 429
    for _ in range(limit):
        state.uploads.release("upload", session.id)
    assert _upload(ws, data).status_code == 200
    assert store.get_node(Label.ITEM, "X-NEW") is not None
