"""Sessions shared by the workers of one server: a SQLite file beside the API key file.

Two apps over the same files stand for two workers of ``filiere serve --workers 2``; the
last test runs the real command with two workers.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from api_support import load_sample, make_keys
from fastapi.testclient import TestClient
from web_support import CSRF, Workspace

from filiere.api.app import create_app
from filiere.api.security import KeyStore, Role, parse_token
from filiere.api.settings import ApiSettings
from filiere.graph.embedded import EmbeddedStore
from filiere.web.sessions import SessionTable
from filiere.web.settings import WebSettings


@contextmanager
def two_workers(tmp_path: Path, **web: object) -> Iterator[tuple[Workspace, Workspace]]:
    """Two apps over the same store, key file and session file, one client each."""
    store = EmbeddedStore(tmp_path / "graph.json")
    load_sample(store)
    keys_file = tmp_path / "apikeys.json"
    keys = make_keys(keys_file)
    settings = WebSettings(**web)  # type: ignore[arg-type]
    apps = [
        create_app(ApiSettings(keys_file=keys_file), store=store, web_settings=settings)
        for _ in range(2)
    ]
    with (
        TestClient(apps[0]) as one,
        TestClient(apps[1]) as two,
    ):
        yield Workspace(apps[0], keys, one), Workspace(apps[1], keys, two)


def _status(ws: Workspace, cookie: str) -> int:
    ws.client.cookies.set("filiere_session", cookie)
    status: int = ws.client.get("/", follow_redirects=False).status_code
    return status


def test_a_session_opened_by_one_worker_is_seen_by_the_other(tmp_path: Path) -> None:
    with two_workers(tmp_path) as (a, b):
        a.sign_in("editor")
        cookie = a.client.cookies["filiere_session"]
        assert _status(b, cookie) == 200
        page = b.client.get("/import")
        assert page.status_code == 200 and "test editor (editor)" in page.text
        # the CSRF token is the session's, on every worker
        assert _csrf(page.text) == _csrf(a.client.get("/").text)


def test_signing_out_on_one_worker_ends_the_session_on_the_other(tmp_path: Path) -> None:
    with two_workers(tmp_path) as (a, b):
        a.sign_in("analyst")
        cookie = a.client.cookies["filiere_session"]
        assert _status(b, cookie) == 200
        r = b.client.post("/deconnexion", data={"csrf": b.csrf("/")}, follow_redirects=False)
        assert r.status_code == 303
        assert _status(a, cookie) == 303
        assert _status(b, cookie) == 303


def test_revoking_the_key_ends_the_session_on_every_worker(tmp_path: Path) -> None:
    with two_workers(tmp_path) as (a, b):
        a.sign_in("analyst")
        cookie = a.client.cookies["filiere_session"]
        parsed = parse_token(a.keys["analyst"])
        assert parsed is not None
        KeyStore(tmp_path / "apikeys.json").revoke(parsed[0])  # as `filiere apikey revoke`
        assert _status(b, cookie) == 303
        assert _status(a, cookie) == 303


def test_expiry_holds_across_workers(tmp_path: Path) -> None:
    with two_workers(tmp_path, session_idle_s=60, session_max_s=300) as (a, b):
        now = [1000.0]
        for ws in (a, b):
            ws.app.state.web.sessions.clock = lambda: now[0]
        a.sign_in("analyst")
        cookie = a.client.cookies["filiere_session"]
        for ws in (b, a, b, a):  # each visit, on either worker, restarts the idle time
            now[0] += 50
            assert _status(ws, cookie) == 200
        now[0] += 61
        assert _status(b, cookie) == 303  # idle
        a.sign_in("analyst")
        cookie = a.client.cookies["filiere_session"]
        for ws in (b, a, b, a, b):
            now[0] += 55
            assert _status(ws, cookie) == 200
        now[0] += 55  # 330 s after sign-in: too old, however active
        assert _status(a, cookie) == 303


def test_the_table_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    now = [0.0]
    one = SessionTable(path, idle_s=3600, max_s=7200, max_sessions=3, clock=lambda: now[0])
    two = SessionTable(path, idle_s=3600, max_s=7200, max_sessions=3, clock=lambda: now[0])
    opened = []
    for i in range(3):
        now[0] += 1
        opened.append((one if i % 2 else two).open(Role.ANALYST, key_id="k", name=str(i)))
    now[0] += 1
    assert two.get(opened[0].id) is not None  # the first one is used again
    now[0] += 1
    fourth = one.open(Role.ANALYST, key_id="k", name="3")
    assert one.count() == two.count() == 3
    assert two.get(opened[1].id) is None  # the least recently used closed
    assert all(t.get(s.id) is not None for t in (one, two) for s in (opened[0], opened[2], fourth))
    now[0] += 3601  # every session idle: the next sign-in clears them
    one.open(Role.ANALYST, key_id="k", name="late")
    assert two.count() == 1


def test_reading_a_session_leaves_the_file_free_for_the_other_workers(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    table = SessionTable(path, idle_s=60, max_s=600, max_sessions=10)
    session = table.open(Role.ANALYST, key_id="k", name="x")
    assert table.get(session.id) is not None
    token = table.grant(Role.ADMIN, name="local", ttl_s=60)
    assert table.redeem(token) is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)  # no waiting
    try:
        other.execute("BEGIN IMMEDIATE")  # fails ("database is locked") if a write is open
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_the_file_keeps_hashes_of_session_ids_for_its_owner_only(tmp_path: Path) -> None:
    with two_workers(tmp_path) as (a, _b):
        a.sign_in("admin")
        cookie = a.client.cookies["filiere_session"]
        path = tmp_path / "sessions.sqlite3"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT * FROM web_sessions").fetchall()
        assert len(rows) == 1 and cookie not in repr(rows)
        for file in tmp_path.glob("sessions.sqlite3*"):  # the database, its WAL
            assert cookie.encode() not in file.read_bytes(), file.name


def test_filiere_ui_keeps_its_sessions_in_memory(tmp_path: Path) -> None:
    keys_file = tmp_path / "apikeys.json"
    app = create_app(
        ApiSettings(keys_file=keys_file),
        store=EmbeddedStore(tmp_path / "graph.json"),
        web_settings=WebSettings(private_sessions=True),
    )
    with TestClient(app) as client:
        token = app.state.web.sessions.grant(Role.ADMIN, name="local", ttl_s=60)
        assert client.get(f"/?token={token}").status_code == 200
    assert not list(tmp_path.glob("sessions*"))


def test_an_unreadable_session_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    path.write_bytes(b"not a database, really not" * 100)
    table = SessionTable(path, idle_s=60, max_s=60, max_sessions=10)
    with pytest.raises(Exception, match="cannot open the workspace session file") as caught:
        table.open(Role.ANALYST, key_id=None, name="x")
    from filiere.errors import FiliereError

    assert isinstance(caught.value, FiliereError)


def test_filiere_serve_with_two_workers_keeps_the_session(tmp_path: Path) -> None:
    """The real server: each request on a new connection, to whichever worker takes it."""
    load_sample(EmbeddedStore(tmp_path / "graph.json"))
    keys_file = tmp_path / "keys.json"
    keys = make_keys(keys_file)
    port = _free_port()
    env = {**os.environ, "FILIERE_API_KEYS_FILE": str(keys_file)}
    exe = str(Path(sys.executable).with_name("filiere"))
    cmd = [exe, "--store", str(tmp_path / "graph.json"), "serve", "--workers", "2"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(base + "/health", timeout=5)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.3)
        fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection each time
        with httpx.Client(base_url=base, limits=fresh) as browser:
            r = browser.post(
                "/connexion",
                data={"key": keys["analyst"], "csrf": _csrf(browser.get("/connexion").text)},
                follow_redirects=False,
            )
            assert r.status_code == 303
            seen = [browser.get("/", follow_redirects=False).status_code for _ in range(20)]
            assert seen == [200] * 20
            cookie = browser.cookies["filiere_session"]
            out = browser.post("/deconnexion", data={"csrf": _csrf(browser.get("/").text)})
            assert out.status_code == 303
            browser.cookies.set("filiere_session", cookie)  # replaying the old cookie
            after = [browser.get("/", follow_redirects=False).status_code for _ in range(6)]
            assert after == [303] * 6
    finally:
        proc.terminate()
        proc.wait(30)


def _free_port() -> int:
    """A port free at the time of asking."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found, "no csrf field"
    return found.group(1)
