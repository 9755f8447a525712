"""Clés API (``/cles``): an admin lists, creates and revokes keys over HTTP; nobody else can.

Key management does not touch the graph store, so one store (the embedded one) is enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import CSRF, Workspace, sample_workspace

from filiere.api.security import KeyStore, parse_token

NEW_KEY = re.compile(r'id="new-key"[^>]*value="(fil_[^"]+)"')


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with sample_workspace(tmp_path) as w:
        yield w


def _keys(ws: Workspace) -> KeyStore:
    keys: KeyStore = ws.app.state.keys
    return keys


def _create(ws: Workspace, role: str, label: str) -> tuple[str, str]:
    """Create a key through the form: (the page, the new key)."""
    r = ws.client.post("/cles", data={"csrf": ws.csrf("/cles"), "role": role, "label": label})
    assert r.status_code == 200, r.text
    found = NEW_KEY.search(r.text)
    assert found, "the new key is not on the page"
    return r.text, found.group(1)


def _revoke(ws: Workspace, key_id: str) -> str:
    """Revoke through the button and its confirmation page; the answer's HTML."""
    first = ws.client.post(f"/cles/{key_id}/revocation", data={"csrf": ws.csrf("/cles")})
    assert first.status_code == 200 and "This cannot be undone." in first.text
    confirm = CSRF.search(first.text)
    assert confirm and 'name="confirm" value="yes"' in first.text
    r = ws.client.post(
        f"/cles/{key_id}/revocation", data={"csrf": confirm.group(1), "confirm": "yes"}
    )
    assert r.status_code == 200, r.text
    return str(r.text)


def _api(ws: Workspace, key: str) -> int:
    status: int = ws.client.get("/items", headers={"Authorization": f"Bearer {key}"}).status_code
    return status


def test_an_admin_sees_every_key_without_its_secret(ws: Workspace) -> None:
    ws.sign_in("admin")
    page = ws.client.get("/cles")
    assert page.status_code == 200
    assert 'href="/cles"' in page.text  # in the admin's menu
    for record in _keys(ws).list():
        row = re.search(rf'<tr id="key-{record.id}">(.*?)</tr>', page.text, re.S)
        assert row, record.id
        assert record.name in row.group(1) and record.role.value in row.group(1)
        assert f"fil_{record.id}_…" in row.group(1)
        assert record.created_at[:10] in row.group(1)
        assert ("revoked on" in row.group(1)) == record.revoked
        assert ("/revocation" in row.group(1)) != record.revoked  # a button for live keys
        assert record.digest not in page.text and record.salt not in page.text
    for token in ws.keys.values():
        parsed = parse_token(token)
        assert parsed is not None and parsed[1] not in page.text


def test_an_admin_creates_a_key_shown_once_that_works(ws: Workspace) -> None:
    ws.sign_in("admin")
    page, key = _create(ws, "editor", "ingestion nocturne")
    assert "shown this once only" in page
    record = _keys(ws).authenticate(key)
    assert record is not None and record.role.value == "editor"
    assert record.name == "ingestion nocturne"
    assert key not in ws.client.get("/cles").text  # never again
    assert f"fil_{record.id}_…" in ws.client.get("/cles").text
    assert _api(ws, key) == 200
    other = Workspace(ws.app, {"new": key}, ws.client)
    other.sign_in("new")
    assert "ingestion nocturne (editor)" in ws.client.get("/").text


def test_revoking_a_key_asks_first_then_ends_its_access_and_sessions(ws: Workspace) -> None:
    ws.sign_in("admin")
    admin_cookie = ws.client.cookies["filiere_session"]
    _page, key = _create(ws, "analyst", "stagiaire")
    key_id = parse_token(key)
    assert key_id is not None
    reader = TestClient(ws.app)  # someone signed in with the key meanwhile
    Workspace(ws.app, {"analyst": key}, reader).sign_in("analyst")
    assert reader.get("/", follow_redirects=False).status_code == 200
    first = ws.client.post(f"/cles/{key_id[0]}/revocation", data={"csrf": ws.csrf("/cles")})
    assert first.status_code == 200
    assert _keys(ws).authenticate(key) is not None  # asking is not revoking
    assert ws.client.cookies["filiere_session"] == admin_cookie
    done = _revoke(ws, key_id[0])
    assert "revoked" in done and "stagiaire" in done
    assert reader.get("/", follow_redirects=False).status_code == 303  # signed out at once
    assert _keys(ws).authenticate(key) is None
    assert _api(ws, key) == 401
    ws.client.cookies.clear()
    r = ws.client.post(
        "/connexion", data={"key": key, "csrf": ws.csrf("/connexion")}, follow_redirects=False
    )
    assert r.status_code == 401 and "unknown or revoked" in r.text


def test_revoking_ones_own_key_signs_one_out(ws: Workspace) -> None:
    ws.sign_in("admin")
    own = parse_token(ws.keys["admin"])
    assert own is not None
    _revoke(ws, own[0])
    assert ws.client.get("/cles", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("who", ["analyst", "editor"])
def test_only_an_admin_manages_keys(ws: Workspace, who: str) -> None:
    ws.sign_in(who)
    before = _keys(ws).list()
    r = ws.client.get("/cles?lang=fr")
    assert r.status_code == 403
    assert "Cette page demande le rôle admin" in r.text and '<html lang="fr">' in r.text
    assert 'href="/cles"' not in ws.client.get("/").text  # not in the menu
    csrf = ws.csrf("/")
    assert (
        ws.client.post("/cles", data={"csrf": csrf, "role": "admin", "label": "x"}).status_code
        == 403
    )
    target = before[0].id
    r = ws.client.post(f"/cles/{target}/revocation", data={"csrf": csrf, "confirm": "yes"})
    assert r.status_code == 403
    assert _keys(ws).list() == before  # nothing created, nothing revoked


def test_no_session_goes_to_the_sign_in_page(ws: Workspace) -> None:
    r = ws.client.get("/cles", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/connexion")


def test_the_forms_need_the_csrf_token(ws: Workspace) -> None:
    ws.sign_in("admin")
    before = _keys(ws).list()
    for csrf in ("", "forged"):
        r = ws.client.post("/cles", data={"csrf": csrf, "role": "admin", "label": "x"})
        assert r.status_code == 403 and 'id="new-key"' not in r.text
        victim = before[0].id
        r = ws.client.post(f"/cles/{victim}/revocation", data={"csrf": csrf, "confirm": "yes"})
        assert r.status_code == 403
    assert _keys(ws).list() == before


def test_labels_are_escaped(ws: Workspace) -> None:
    ws.sign_in("admin")
    label = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page, _key = _create(ws, "analyst", label)
    listing = ws.client.get("/cles").text
    for text in (page, listing):
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(" in text


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"role": "superuser", "label": "x"}, 422),
        ({"role": "analyst", "label": "x" * 201}, 422),
    ],
)
def test_bad_forms_are_refused(ws: Workspace, form: dict[str, str], status: int) -> None:
    ws.sign_in("admin")
    before = _keys(ws).list()
    r = ws.client.post("/cles", data={"csrf": ws.csrf("/cles"), **form})
    assert r.status_code == status and "invalid value of" in r.text
    assert _keys(ws).list() == before


def test_an_unknown_key_is_a_404_page(ws: Workspace) -> None:
    ws.sign_in("admin")
    r = ws.client.post("/cles/nosuchkey/revocation", data={"csrf": ws.csrf("/cles")})
    assert r.status_code == 404 and "There is no API key nosuchkey." in r.text
