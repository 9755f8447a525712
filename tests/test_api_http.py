"""Every endpoint over HTTP against a real uvicorn server, on both stores."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Api, start_api
from click.testing import CliRunner

from filiere.cli import cli
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.testing.hostile import zip_of

PROBLEM = "application/problem+json"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Api]:
    with start_api(store, tmp_path, request) as running:
        yield running


def _cli_json(api: Api, request: pytest.FixtureRequest, *args: str) -> object:
    """What ``filiere --store ... <args> --format json`` prints, parsed."""
    env = {}
    if api.store.kind == "neo4j":
        s = request.getfixturevalue("neo4j_settings")
        env = {"NEO4J_USERNAME": s.neo4j_user, "NEO4J_PASSWORD": s.neo4j_password}
    result = CliRunner().invoke(
        cli, ["--store", _uri(api, request), *args, "--format", "json"], env=env
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _uri(api: Api, request: pytest.FixtureRequest) -> str:
    if api.store.kind == "neo4j":
        return str(request.getfixturevalue("neo4j_settings").store)
    return api.store.uri


def test_health_and_ready_need_no_key(api: Api) -> None:
    with api.client() as c:
        assert c.get("/health").json() == {"status": "ok"}
        assert c.get("/ready").json() == {"status": "ready", "store": api.store.kind}


def test_item_supplier_region_lookups(api: Api) -> None:
    with api.client("analyst") as c:
        aim = c.get("/items/AIM").json()
        assert aim["name"] == "Aimant NdFeB"
        assert [(s["id"], s["relation"]) for s in aim["suppliers"]] == [
            ("S-CN", "supplies"),
            ("S-LYO", "offers"),
        ]
        assert [p["id"] for p in aim["parents"]] == ["CAPT"]
        bel = c.get("/suppliers/S-BEL").json()
        assert (
            bel["region_name"] == "Bourgogne-Franche-Comté" and bel["supplies"][0]["id"] == "BOIT"
        )
        region = c.get("/regions/fr-bfc").json()
        assert region["supplier_count"] == 2 and region["country_name"] == "France"
        page = c.get("/regions/FR-BFC/suppliers", params={"limit": 1}).json()
        assert [s["id"] for s in page["items"]] == ["S-BEL"]
        rest = c.get("/regions/FR-BFC/suppliers", params={"cursor": page["next_cursor"]}).json()
        assert [s["id"] for s in rest["items"]] == ["S-DIJ"] and rest["next_cursor"] is None
        assert [r["code"] for r in c.get("/regions", params={"country": "FR"}).json()["items"]] == [
            "FR-ARA",
            "FR-BFC",
        ]
        items = c.get("/items", params={"kind": "component"}).json()["items"]
        assert [i["id"] for i in items] == ["AIM", "BOIT"]


def test_supplier_filters_and_pages(api: Api) -> None:
    with api.client("analyst") as c:

        def ids(**params: str) -> list[str]:
            r = c.get("/suppliers", params=params)
            assert r.status_code == 200, r.text
            return [s["id"] for s in r.json()["items"]]

        assert ids(country="fr") == ["S-BEL", "S-DIJ", "S-LYO"]
        assert ids(region="FR-BFC", process="Fonderie") == ["S-DIJ"]
        assert ids(naf="25.62") == ["S-BEL"]
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = c.get("/suppliers", params=params).json()
            seen += [s["id"] for s in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["S-BEL", "S-CN", "S-DIJ", "S-LYO"]


def test_search(api: Api) -> None:
    with api.client("analyst") as c:
        hits = c.get("/search", params={"q": "NEODYME"}).json()["hits"]
        assert [(h["type"], h["id"], h["match"]) for h in hits] == [("item", "ND", "exact")]
        hits = c.get("/search", params=[("q", "fr"), ("type", "region")]).json()["hits"]
        assert [h["id"] for h in hits] == ["FR-ARA", "FR-BFC"]
        page = c.get("/search", params={"q": "e", "limit": 2}).json()
        assert len(page["hits"]) == 2 and page["next_offset"] == 2


def test_analyses_answer_like_the_cli(api: Api, request: pytest.FixtureRequest) -> None:
    with api.client("analyst") as c:
        cases = [
            ("/analyses/deps/CAPT", ["deps", "CAPT"]),
            ("/analyses/routes/AIM?region=FR-BFC", ["routes", "AIM", "--region", "FR-BFC"]),
            ("/analyses/critical", ["critical"]),
            ("/analyses/bom/CAPT", ["bom", "CAPT"]),
            (
                "/analyses/opportunities?region=FR-BFC&with_route=true&top=2",
                ["opportunities", "--region", "FR-BFC", "--with-route", "--top", "2"],
            ),
            ("/analyses/opportunities", ["opportunities"]),
            ("/analyses/matches?region=fr-bfc", ["matches", "--region", "FR-BFC"]),
        ]
        for path, args in cases:
            r = c.get(path)
            assert r.status_code == 200, r.text
            assert r.json() == _cli_json(api, request, *args), path
        deps = c.get("/analyses/deps/CAPT").json()
        assert [d["item"] for d in deps["dependencies"] if d["at_risk"]] == ["AIM", "ND"]
        r = c.post("/analyses/shock", json={"countries": ["cn"]})
        assert r.status_code == 200
        assert r.json() == _cli_json(api, request, "shock", "--country", "CN")
        assert r.json()["impacted_products"][0]["product"] == "CAPT"
        r = c.post("/analyses/shock", json={"countries": ["CN"], "cut": 0.5, "upstream": True})
        assert r.status_code == 200
        args = ["shock", "--country", "CN", "--cut", "0.5", "--upstream"]
        assert r.json() == _cli_json(api, request, *args)
        assert r.json()["cut"] == 0.5 and r.json()["cut_items"] == []
        strict = c.get("/analyses/deps/CAPT", params={"hhi": 1, "home": "CN"}).json()
        assert strict["home_country"] == "CN"


def test_errors_are_problem_details(api: Api) -> None:
    with api.client("analyst") as c:
        for path in ("/items/NOPE", "/suppliers/NOPE", "/regions/FR-XXX", "/analyses/deps/NOPE"):
            r = c.get(path)
            assert r.status_code == 404, path
            assert r.headers["content-type"] == PROBLEM
            body = r.json()
            assert body["status"] == 404 and body["type"] == "urn:filiere:problem:not-found"
            assert "NOPE" in body["detail"] or "FR-XXX" in body["detail"]
        r = c.get("/items", params={"limit": 0})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        assert r.json()["errors"][0]["location"] == "query.limit"
        assert c.get("/items", params={"cursor": "%%%"}).status_code == 422
        r = c.get("/analyses/routes/AIM", params={"region": "XX-NOWHERE"})
        assert r.status_code == 422 and "unknown region" in r.json()["detail"]
        r = c.get("/analyses/matches", params={"region": "XX-NOWHERE"})
        assert r.status_code == 422 and "unknown region" in r.json()["detail"]
        assert c.get("/analyses/matches").status_code == 422
        assert c.get("/analyses/opportunities", params={"top": 0}).status_code == 422
        r = c.post("/analyses/shock", json={"countries": ["CN"], "cut": 1.5})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        r = c.post("/analyses/shock", json={"countries": ["Atlantis"]})
        assert r.status_code == 422 and "Atlantis" in r.json()["detail"]
        r = c.post(
            "/analyses/shock", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        assert c.get("/nowhere").json()["status"] == 404


def test_upload_zip_of_csvs_is_loaded(api: Api) -> None:
    data = zip_of(
        {
            "pompe/items.csv": (
                "id;name;kind\nPMP;Pompe à chaleur;product\nCOMP;Compresseur;component\n"
            ),
            "pompe/bom.csv": "parent;child;quantity\nPMP;COMP;1\n",
        }
    )
    with api.client("editor") as c:
        check = c.post("/datasets", files={"file": ("pompe.zip", data)}, data={"check": "true"})
        assert check.status_code == 200 and check.json()["checked_only"] is True
        assert api.store.get_node(Label.ITEM, "PMP") is None
        r = c.post("/datasets", files={"file": ("pompe.zip", data)})
        assert r.status_code == 201, r.text
        report = r.json()
        assert report["source"] == "pompe" and report["rows"]["items"] == 2
        assert report["created"]["Item"] == 2 and report["created"]["CONTAINS"] == 1
        assert "store" not in report  # no internal path
        # Served at once by the same server.
        assert c.get("/items/PMP").json()["children"][0]["id"] == "COMP"
    assert api.store.get_node(Label.ITEM, "PMP") is not None


def test_upload_refused_with_file_line_errors(api: Api) -> None:
    data = zip_of({"items.csv": "id,name,kind\nX1,Vis,component\nX1,Écrou,alloy\n"})
    before = api.store.counts()
    with api.client("editor") as c:
        r = c.post("/datasets", files={"file": ("lot.zip", data)})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == "urn:filiere:problem:dataset-invalid"
    errors = {(e["file"], e["line"]) for e in body["errors"]}
    assert errors == {("lot.zip/items.csv", 3)}
    assert any("alloy" in e["message"] for e in body["errors"])
    assert api.store.counts() == before


def test_upload_xlsx(api: Api) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = "items"
    ws.append(["id", "name", "kind"])
    ws.append(["VANNE", "Vanne papillon", "product"])
    buf = io.BytesIO()
    wb.save(buf)
    with api.client("editor") as c:
        r = c.post("/datasets", files={"file": ("vannes.xlsx", buf.getvalue())})
        assert r.status_code == 201, r.text
        assert c.get("/items/VANNE").json()["kind"] == "product"


def test_upload_of_unknown_type_or_badzip_of(api: Api) -> None:
    with api.client("editor") as c:
        r = c.post("/datasets", files={"file": ("notes.txt", b"hello")})
        assert r.status_code == 422 and r.json()["errors"][0]["file"] == "notes.txt"
        r = c.post("/datasets", files={"file": ("../../etc/evil.zip", b"PK not a zip")})
        assert r.status_code == 422 and r.json()["errors"][0]["file"] == "evil.zip"
        r = c.post("/datasets", data={"check": "true"})
        assert r.status_code == 422


def test_replace_needs_admin(api: Api) -> None:
    data = zip_of({"items.csv": "id;name;kind\nSEUL;Seul produit;product\n"})
    with api.client("editor") as c:
        r = c.post("/datasets", files={"file": ("seul.zip", data)}, data={"replace": "true"})
        assert r.status_code == 403
    with api.client("admin") as c:
        r = c.post("/datasets", files={"file": ("seul.zip", data)}, data={"replace": "true"})
        assert r.status_code == 201 and r.json()["replaced"] is True
        assert [i["id"] for i in c.get("/items").json()["items"]] == ["SEUL"]


def test_docs_pages_load_nothing_from_outside(api: Api) -> None:
    import re

    with api.client() as c:
        for page in ("/docs", "/redoc"):
            html = c.get(page)
            assert html.status_code == 200, page
            urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""", html.text)
            assert urls, page
            assert [u for u in urls if u.startswith(("http:", "https:", "//"))] == [], page
            for asset in (u for u in urls if u.startswith("/static")):
                assert c.get(asset).status_code == 200, asset
