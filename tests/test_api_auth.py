"""The auth matrix, on both stores: no key, bad keys, a revoked key, each role x each endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, start_api

from filiere.api.security import parse_token
from filiere.graph.store import GraphStore

RANK = {"analyst": 0, "editor": 1, "admin": 2}

#: (method, path, request kwargs, least role, status when allowed: embedded, neo4j)
ENDPOINTS: list[tuple[str, str, dict[str, Any], str, tuple[int, int]]] = [
    ("GET", "/items", {}, "analyst", (200, 200)),
    ("GET", "/items/AIM", {}, "analyst", (200, 200)),
    ("GET", "/suppliers", {"params": {"country": "FR"}}, "analyst", (200, 200)),
    ("GET", "/suppliers/S-BEL", {}, "analyst", (200, 200)),
    ("GET", "/regions", {}, "analyst", (200, 200)),
    ("GET", "/regions/FR-BFC", {}, "analyst", (200, 200)),
    ("GET", "/regions/FR-BFC/suppliers", {}, "analyst", (200, 200)),
    ("GET", "/search", {"params": {"q": "aimant"}}, "analyst", (200, 200)),
    ("GET", "/analyses/deps/CAPT", {}, "analyst", (200, 200)),
    ("GET", "/analyses/routes/AIM", {"params": {"region": "FR-BFC"}}, "analyst", (200, 200)),
    ("POST", "/analyses/shock", {"json": {"countries": ["CN"]}}, "analyst", (200, 200)),
    ("GET", "/analyses/critical", {}, "analyst", (200, 200)),
    (
        "GET",
        "/analyses/opportunities",
        {"params": {"region": "FR-BFC", "top": 3}},
        "analyst",
        (200, 200),
    ),
    ("GET", "/analyses/matches", {"params": {"region": "FR-BFC"}}, "analyst", (200, 200)),
    ("GET", "/analyses/bom/CAPT", {}, "analyst", (200, 200)),
    # No BACI flows imported in this store: the role check passes, then 404.
    ("GET", "/trade-deps", {"params": {"importer": "FR"}}, "analyst", (404, 404)),
    ("GET", "/views/deps/CAPT", {}, "analyst", (200, 200)),
    ("GET", "/views/routes/AIM", {"params": {"region": "FR-BFC"}}, "analyst", (200, 200)),
    ("GET", "/views/shock", {"params": {"country": "CN"}}, "analyst", (200, 200)),
    # The embedded store has no Cypher (409), but the role check comes first.
    ("POST", "/cypher", {"json": {"query": "RETURN 1 AS one"}}, "analyst", (409, 200)),
    (
        "POST",
        "/datasets",
        {"files": {"file": ("x.csv", b"id;name;kind\n")}, "data": {"check": "true"}},
        "editor",
        (422, 422),  # allowed, and the (empty) table is refused with FILE:LINE errors
    ),
    ("GET", "/apikeys", {}, "admin", (200, 200)),
    ("POST", "/apikeys", {"json": {"role": "analyst", "name": "t"}}, "admin", (201, 201)),
    ("DELETE", "/apikeys/0000000000", {}, "admin", (404, 404)),
]


@pytest.fixture
def api(store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Api]:
    # The matrix fails to authenticate 132 times from one address: above the default budget.
    with start_api(store, tmp_path, request, auth_failures=1000) as running:
        yield running


def _wrong_secret(token: str) -> str:
    parsed = parse_token(token)
    assert parsed is not None
    return f"fil_{parsed[0]}_{'x' * 43}"


def test_every_endpoint_against_every_credential(api: Api) -> None:
    bad_keys = {
        "no key": None,
        "malformed key": "Bearer nope",
        "wrong secret of a real key id": f"Bearer {_wrong_secret(api.keys['admin'])}",
        "unknown key id": "Bearer fil_ffffffffff_" + "y" * 43,
        "revoked admin key": f"Bearer {api.keys['revoked']}",
        "not a bearer scheme": f"Basic {api.keys['admin']}",
    }
    failures = []
    with api.client() as c:
        for method, path, kw, least, allowed in ENDPOINTS:
            for what, header in bad_keys.items():
                headers = {"Authorization": header} if header else {}
                r = c.request(method, path, headers=headers, **kw)
                if r.status_code != 401 or r.headers.get("www-authenticate") is None:
                    failures.append(f"{what}: {method} {path} -> {r.status_code}")
                elif r.json()["type"] != "urn:filiere:problem:unauthenticated":
                    failures.append(f"{what}: {method} {path}: {r.text}")
            for role in RANK:
                headers = {"Authorization": f"Bearer {api.keys[role]}"}
                r = c.request(method, path, headers=headers, **kw)
                want = allowed[api.store.kind == "neo4j"] if RANK[role] >= RANK[least] else 403
                if r.status_code != want:
                    failures.append(f"{role}: {method} {path} -> {r.status_code}, want {want}")
    assert failures == []


def test_the_matrix_covers_every_route_of_the_app() -> None:
    from fastapi.routing import APIRoute

    from filiere.api.app import create_app

    open_paths = {"/health", "/ready"}
    uncovered = [
        f"{method} {route.path}"
        for route in create_app().routes
        if isinstance(route, APIRoute) and route.path not in open_paths and route.include_in_schema
        for method in route.methods or ()
        if not any(m == method and route.path_regex.match(path) for m, path, *_ in ENDPOINTS)
    ]
    assert uncovered == []


def test_open_routes_need_no_key(api: Api) -> None:
    with api.client() as c:
        for path in ("/health", "/ready", "/docs", "/openapi.json"):
            assert c.get(path).status_code == 200, path


def test_a_key_revoked_while_the_server_runs_stops_at_once(api: Api) -> None:
    with api.client("admin") as admin:
        created = admin.post("/apikeys", json={"role": "editor", "name": "temp"}).json()
        assert created["key"].startswith("fil_") and created["role"] == "editor"
        with api.client() as c:
            auth = {"Authorization": f"Bearer {created['key']}"}
            assert c.get("/items", headers=auth).status_code == 200
            revoked = admin.delete(f"/apikeys/{created['id']}").json()
            assert revoked["revoked_at"] is not None
            assert c.get("/items", headers=auth).status_code == 401
        listed = {k["id"]: k for k in admin.get("/apikeys").json()}
        assert listed[created["id"]]["revoked_at"] is not None
        assert all("key" not in k and "digest" not in k for k in listed.values())
