"""Helpers of the workspace tests: an app over a store with one key per role, signing in,
and a real ``filiere ui`` process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from api_support import load_sample, make_keys
from fastapi import FastAPI
from fastapi.testclient import TestClient

from filiere.api.app import create_app
from filiere.api.settings import ApiSettings
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.web.settings import WebSettings

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)")


@dataclass
class Workspace:
    app: FastAPI
    keys: dict[str, str]
    client: TestClient

    def csrf(self, path: str = "/connexion") -> str:
        """The CSRF token of the first form on ``path``."""
        found = CSRF.search(self.client.get(path).text)
        assert found, f"no csrf field on {path}"
        return found.group(1)

    def sign_in(self, who: str) -> None:
        """Sign in through the sign-in form with the key of role ``who``."""
        self.client.cookies.clear()
        r = self.client.post(
            "/connexion",
            data={"key": self.keys[who], "csrf": self.csrf(), "next": "/"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text

    def local(self) -> None:
        """Sign in as ``filiere ui``'s local user does: through a one-time link."""
        self.client.cookies.clear()
        token = self.app.state.web.sessions.grant("admin", name="local", ttl_s=60)
        r = self.client.get(f"/?token={token}", follow_redirects=False)
        assert r.status_code == 303


@contextmanager
def workspace(store: GraphStore, tmp_path: Path, **web: Any) -> Iterator[Workspace]:
    """The app (API and workspace) over ``store``, one key per role, a client not signed in."""
    keys_file = tmp_path / "apikeys.json"
    keys = make_keys(keys_file)
    app = create_app(ApiSettings(keys_file=keys_file), store=store, web_settings=WebSettings(**web))
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        yield Workspace(app, keys, client)


@contextmanager
def sample_workspace(tmp_path: Path) -> Iterator[Workspace]:
    """:func:`workspace` over an embedded store holding the API tests' sample dataset."""
    store = EmbeddedStore(tmp_path / "graph.json")
    load_sample(store)
    with workspace(store, tmp_path) as w:
        yield w


@dataclass
class UiProcess:
    origin: str  # http://127.0.0.1:PORT
    link: str  # the one-time sign-in link the command printed


@contextmanager
def filiere_ui(
    env: Mapping[str, str], store: str | None = None, *, timeout_s: float = 60
) -> Iterator[UiProcess]:
    """``filiere [--store STORE] ui --no-browser`` with ``env`` added to this process's,
    once its app answers ``/health``; stopped when the block ends."""
    exe = str(Path(sys.executable).with_name("filiere"))
    cmd = [exe, *(["--store", store] if store else []), "ui", "--no-browser"]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = LINK.search(line)
        assert found, f"filiere ui printed: {line!r}"
        origin = found.group(1)
        deadline = time.monotonic() + timeout_s
        while True:  # the socket listens at once; wait until the app has started
            try:
                if httpx.get(origin + "/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "filiere ui stopped"
            assert time.monotonic() < deadline, "filiere ui did not start"
            time.sleep(0.2)
        yield UiProcess(origin, found.group(0))
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
