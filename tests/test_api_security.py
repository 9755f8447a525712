"""Keys stored hashed, errors that leak nothing, size and time limits, CORS, keys never logged."""

from __future__ import annotations

import json
import logging
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
from api_support import Api, start_api

from filiere.api.deps import get_store
from filiere.api.security import KeyStore, Role
from filiere.errors import ConfigError, NotFoundError, StoreError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore

PROBLEM = "application/problem+json"


# -- the key file -------------------------------------------------------------------------------


def test_keys_are_stored_hashed_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "apikeys.json"
    keys = KeyStore(path)
    record, token = keys.create(Role.EDITOR, name="ingest bot")
    text = path.read_text(encoding="utf-8")
    secret = token.split("_", 2)[2]
    assert secret not in text and token not in text
    assert json.loads(text)["keys"][0]["digest"] == record.digest
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".apikeys")]  # no temp left
    # Another process (a fresh object) authenticates it; a different key does not.
    assert KeyStore(path).authenticate(token) == record
    other, token2 = keys.create(Role.ANALYST)
    assert token2 != token and other.salt != record.salt
    assert KeyStore(path).authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_revoked_keys_stay_listed_and_fail(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "k.json")
    record, token = keys.create(Role.ADMIN)
    assert keys.authenticate(token) is not None  # cached from now on
    KeyStore(tmp_path / "k.json").revoke(record.id)  # revoked by another process
    assert keys.authenticate(token) is None
    assert keys.cached(token) == (True, None)  # known, and refused
    assert [k.revoked for k in keys.list()] == [True]
    with pytest.raises(NotFoundError):
        keys.revoke("nope")


def test_a_broken_key_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the API key file"):
        KeyStore(path).list()


# -- errors leak nothing -----------------------------------------------------------------------


class _Broken(EmbeddedStore):
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.uri = "/srv/secret/graph.json"

    kind = "embedded"

    def ping(self) -> None:
        raise self.error

    def reading(self) -> NoReturn:  # what the look-ups read through
        raise self.error


@pytest.fixture
def api(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Api]:
    with start_api(
        embedded_store,
        tmp_path,
        request,
        max_json_bytes=2048,
        max_body_bytes=4096,
        request_timeout_s=0.5,
        log_level="info",
    ) as running:
        yield running
    running.app.dependency_overrides.clear()


def test_unexpected_errors_are_a_bare_500(api: Api) -> None:
    api.app.dependency_overrides[get_store] = lambda: _Broken(
        RuntimeError("boom in /srv/secret/graph.json")
    )
    with api.client("analyst") as c:
        for path in ("/ready", "/items/AIM", "/search?q=x"):
            r = c.get(path)
            assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
            text = r.text
            assert "secret" not in text and "Traceback" not in text and "boom" not in text
            assert "incident" in r.json()["detail"]


def test_store_errors_are_503_without_the_store_address(api: Api) -> None:
    api.app.dependency_overrides[get_store] = lambda: _Broken(
        StoreError("bolt://10.0.0.7:7687: Neo4j is not reachable")
    )
    with api.client("analyst") as c:
        for path in ("/ready", "/items/AIM"):
            r = c.get(path)
            assert r.status_code == 503 and "10.0.0.7" not in r.text
            assert r.json()["type"] == "urn:filiere:problem:store-unavailable"


# -- limits ------------------------------------------------------------------------------------


def test_bodies_over_the_limit_are_413(api: Api) -> None:
    big = json.dumps({"countries": ["CN"] * 1000})
    with api.client("editor") as c:
        # The key is checked before the body is read: verify it once (scrypt) within
        # the 0.5 s time limit of this server, so that what follows is about sizes.
        assert c.get("/items/AIM").status_code == 200
        r = c.post("/analyses/shock", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.headers["content-type"] == PROBLEM

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield big.encode()

        r = c.post(
            "/analyses/shock", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413
        r = c.post("/datasets", files={"file": ("big.csv", b"x" * 8000)})
        assert r.status_code == 413
        small = c.post("/analyses/shock", json={"countries": ["CN"]})
        assert small.status_code == 200  # the limit is not in the way of normal requests


def test_requests_over_the_time_limit_are_504(api: Api) -> None:
    def slow_store() -> GraphStore:
        time.sleep(2)
        return api.store

    api.app.dependency_overrides[get_store] = slow_store
    with api.client("analyst") as c:
        start = time.monotonic()
        r = c.get("/items/AIM")
        assert r.status_code == 504 and r.headers["content-type"] == PROBLEM
        assert time.monotonic() - start < 1.5
    api.app.dependency_overrides.clear()
    with api.client("analyst") as c:
        assert c.get("/items/AIM").status_code == 200


def test_keys_are_never_logged(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        with api.client("analyst") as c:
            assert c.get("/items/AIM").status_code == 200
            assert c.get("/items/NOPE").status_code == 404
        api.app.dependency_overrides[get_store] = lambda: _Broken(RuntimeError("x"))
        with api.client("analyst") as c:
            assert c.get("/items/AIM").status_code == 500
        with api.client("revoked") as c:
            assert c.get("/items/AIM").status_code == 401
    assert "GET /items/AIM" in caplog.text  # the access log ran
    for token in api.keys.values():
        assert token not in caplog.text
        assert token.split("_", 2)[2] not in caplog.text


# -- CORS --------------------------------------------------------------------------------------


def test_cors_is_closed_by_default(api: Api) -> None:
    origin = {"Origin": "https://somewhere.example"}
    with api.client("analyst") as c:
        r = c.get("/items/AIM", headers=origin)
        assert "access-control-allow-origin" not in r.headers
        pre = c.options("/items/AIM", headers={**origin, "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in pre.headers


def test_cors_allows_configured_origins_only(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    allowed = "https://cartes.cci.example"
    with (
        start_api(embedded_store, tmp_path, request, cors_origins=[allowed]) as api,
        api.client("analyst") as c,
    ):
        r = c.get("/items/AIM", headers={"Origin": allowed})
        assert r.headers["access-control-allow-origin"] == allowed
        pre = c.options(
            "/items/AIM",
            headers={
                "Origin": allowed,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert pre.status_code == 200
        assert "authorization" in pre.headers["access-control-allow-headers"].lower()
        r = c.get("/items/AIM", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_method_not_allowed_lists_every_method(api: Api) -> None:
    r = httpx.put(f"{api.url}/apikeys")
    assert r.status_code == 405 and r.headers["content-type"] == PROBLEM
    assert {"GET", "POST"} <= set(r.headers["allow"].replace(" ", "").split(","))
