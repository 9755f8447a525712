"""Workspace sessions: sign-in by API key or one-time link, sign-out, expiry, CSRF, roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import load_sample
from web_support import Workspace, filiere_ui, sample_workspace, workspace

from filiere.graph.embedded import EmbeddedStore


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with sample_workspace(tmp_path) as w:
        yield w


def test_no_session_goes_to_the_sign_in_page(ws: Workspace) -> None:
    r = ws.client.get("/?lang=fr", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/connexion?next=%2F%3Flang%3Dfr"
    page = ws.client.get(r.headers["location"])
    assert page.status_code == 200
    assert 'name="key"' in page.text and '<html lang="fr">' in page.text  # as asked in the URL


def test_sign_in_with_an_api_key_then_back_where_one_was_going(ws: Workspace) -> None:
    csrf = ws.csrf("/connexion?next=/recherche")
    r = ws.client.post(
        "/connexion",
        data={"key": ws.keys["analyst"], "csrf": csrf, "next": "/recherche?q=aimant"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/recherche?q=aimant"
    cookie = r.headers["set-cookie"]
    assert "filiere_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    home = ws.client.get("/")
    assert home.status_code == 200 and "test analyst (analyst)" in home.text


@pytest.mark.parametrize("who", ["revoked", "bogus"])
def test_a_bad_key_opens_no_session(ws: Workspace, who: str) -> None:
    key = ws.keys.get(who, "fil_0123456789_notakeynotakeynotakey")
    r = ws.client.post("/connexion", data={"key": key, "csrf": ws.csrf()}, follow_redirects=False)
    assert r.status_code == 401
    assert "This API key is unknown or revoked." in r.text
    assert ws.client.get("/", follow_redirects=False).status_code == 303


def test_the_sign_in_form_needs_its_own_csrf_token(ws: Workspace) -> None:
    """Login CSRF: another site cannot sign the reader in with the attacker's key."""
    ws.client.get("/connexion")
    r = ws.client.post(
        "/connexion", data={"key": ws.keys["admin"], "csrf": "forged"}, follow_redirects=False
    )
    assert r.status_code == 403
    assert ws.client.get("/", follow_redirects=False).status_code == 303


def test_failed_sign_ins_are_bounded_per_address(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph.json")
    with workspace(store, tmp_path, signin_failures=3) as ws:
        for _ in range(3):
            data = {"key": "fil_0123456789_wrongwrongwrongwrong", "csrf": ws.csrf()}
            assert ws.client.post("/connexion", data=data).status_code == 401
        data = {"key": ws.keys["admin"], "csrf": ws.csrf()}
        r = ws.client.post("/connexion", data=data, follow_redirects=False)
        assert r.status_code == 429  # even a good key waits: no more guesses from here


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_sign_in_never_sends_the_reader_to_another_site(ws: Workspace, target: str) -> None:
    data = {"key": ws.keys["analyst"], "csrf": ws.csrf(), "next": target}
    r = ws.client.post("/connexion", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_out_ends_the_session_on_the_server(ws: Workspace) -> None:
    ws.sign_in("analyst")
    session = ws.client.cookies["filiere_session"]
    r = ws.client.post("/deconnexion", data={"csrf": ws.csrf("/")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/connexion"
    ws.client.cookies.set("filiere_session", session)  # replaying the old cookie
    assert ws.client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_without_the_csrf_token_is_refused(ws: Workspace) -> None:
    ws.sign_in("analyst")
    r = ws.client.post("/deconnexion", data={"csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert ws.client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_sessions_expire_when_idle_and_when_old(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph.json")
    with workspace(store, tmp_path, session_idle_s=60, session_max_s=300) as ws:
        now = [1000.0]
        ws.app.state.web.sessions.clock = lambda: now[0]
        ws.sign_in("analyst")
        now[0] += 59
        assert ws.client.get("/", follow_redirects=False).status_code == 200
        now[0] += 61
        assert ws.client.get("/", follow_redirects=False).status_code == 303  # idle
        ws.sign_in("analyst")
        for _ in range(6):  # active, never idle, but older than session_max_s at the end
            now[0] += 55
            ws.client.get("/", follow_redirects=False)
        assert ws.client.get("/", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(ws: Workspace) -> None:
    from filiere.api.security import parse_token

    ws.sign_in("editor")
    assert ws.client.get("/", follow_redirects=False).status_code == 200
    key_id = parse_token(ws.keys["editor"])
    assert key_id is not None
    ws.app.state.keys.revoke(key_id[0])
    assert ws.client.get("/", follow_redirects=False).status_code == 303


def test_the_one_time_link_signs_in_once(ws: Workspace) -> None:
    token = ws.app.state.web.sessions.grant("admin", name="local user", ttl_s=60)
    r = ws.client.get(f"/?token={token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # the token leaves the URL
    assert "HttpOnly" in r.headers["set-cookie"]
    assert "local user (admin)" in ws.client.get("/").text  # the cookie carries on
    ws.client.cookies.clear()
    again = ws.client.get(f"/?token={token}", follow_redirects=False)
    assert again.status_code == 403
    assert "used already or has expired" in again.text
    assert ws.client.get("/", follow_redirects=False).status_code == 303


def test_pages_forbid_foreign_scripts_and_frames(ws: Workspace) -> None:
    ws.local()
    r = ws.client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["content-type"].startswith("text/html")


def test_the_language_switch_is_kept_in_a_cookie(ws: Workspace) -> None:
    ws.local()
    english = ws.client.get("/?lang=en")
    assert '<html lang="en">' in english.text
    assert "filiere_lang=en" in english.headers["set-cookie"]
    french = ws.client.get("/?lang=fr")
    assert '<html lang="fr">' in french.text
    assert '<html lang="fr">' in ws.client.get("/").text  # the cookie remembers


def test_the_api_is_unchanged_and_pages_stay_out_of_its_schema(ws: Workspace) -> None:
    paths = ws.client.get("/openapi.json").json()["paths"]
    assert not {"/", "/connexion", "/deconnexion"} & set(paths)
    r = ws.client.get("/items", follow_redirects=False)
    assert r.status_code == 401  # the API still wants its key, not a session
    ws.local()
    assert ws.client.get("/items", follow_redirects=False).status_code == 401
    ok = ws.client.get("/items", headers={"Authorization": f"Bearer {ws.keys['analyst']}"})
    assert ok.status_code == 200 and "items" in ok.json()


def test_static_files_are_served_from_the_package(ws: Workspace) -> None:
    css = ws.client.get("/static/filiere.css")
    assert css.status_code == 200 and ":focus-visible" in css.text
    htmx = ws.client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text


def test_filiere_ui_prints_a_one_time_link_on_loopback(tmp_path: Path) -> None:
    """The real command: a link on 127.0.0.1 that signs in once, then the cookie carries on."""
    load_sample(EmbeddedStore(tmp_path / "graph.json"))
    env = {"FILIERE_API_KEYS_FILE": str(tmp_path / "keys.json")}
    with filiere_ui(env, str(tmp_path / "graph.json")) as ui:
        assert len(ui.link.partition("/?token=")[2]) >= 32
        with httpx.Client(base_url=ui.origin, follow_redirects=True) as browser:
            first = browser.get(ui.link)
            assert first.status_code == 200 and "local user" in first.text  # signed in
            assert str(first.url) == ui.origin + "/"
            assert browser.get("/recherche?q=aimant").status_code == 200
        with httpx.Client(base_url=ui.origin) as other:  # the link is spent
            assert other.get(ui.link, follow_redirects=False).status_code == 403
