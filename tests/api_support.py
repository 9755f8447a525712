"""Helpers of the HTTP API tests: a sample dataset, API keys per role, a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from filiere.api.app import create_app
from filiere.api.security import KeyStore, Role
from filiere.api.settings import ApiSettings
from filiere.graph.model import (
    BomLine,
    Capability,
    Dataset,
    Item,
    Offer,
    ProcessNeed,
    Production,
    Supplier,
    Supply,
)
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.settings import Settings


def sample_dataset() -> Dataset:
    """A flow sensor: magnets from China (neodymium), a machined casing from Burgundy."""
    return Dataset(
        name="capteurs",
        items=[
            Item(id="CAPT", name="Capteur de débit", kind="product"),
            Item(id="AIM", name="Aimant NdFeB", kind="component", hs_code="850511"),
            Item(id="BOIT", name="Boîtier usiné", kind="component"),
            Item(id="ND", name="Néodyme", kind="material"),
            Item(id="ACIER", name="Acier inoxydable", kind="material"),
        ],
        bom=[
            BomLine(parent="CAPT", child="AIM", quantity=2),
            BomLine(parent="CAPT", child="BOIT", quantity=1),
            BomLine(parent="AIM", child="ND", quantity=0.3),
            BomLine(parent="BOIT", child="ACIER", quantity=1.5),
        ],
        suppliers=[
            Supplier(
                id="S-BEL",
                name="Usinage Belfortain",
                country="FR",
                region="FR-BFC",
                city="Belfort",
                naf="25.62A",
                lat=47.64,
                lon=6.86,
            ),
            Supplier(
                id="S-DIJ", name="Fonderie Dijonnaise", country="FR", region="FR-BFC", naf="24.51Z"
            ),
            Supplier(
                id="S-LYO", name="Électro Lyonnaise", country="FR", region="FR-ARA", naf="27.11Z"
            ),
            Supplier(id="S-CN", name="Ningbo Magnets", country="CN"),
        ],
        supplies=[
            Supply(supplier="S-CN", item="AIM", share=1.0),
            Supply(supplier="S-BEL", item="BOIT", share=0.6),
            Supply(supplier="S-DIJ", item="BOIT", share=0.4),
        ],
        offers=[Offer(supplier="S-LYO", item="AIM")],
        processes=[ProcessNeed(item="BOIT", process="Usinage")],
        capabilities=[
            Capability(supplier="S-BEL", process="usinage"),
            Capability(supplier="S-DIJ", process="Fonderie"),
        ],
        production=[Production(material="ND", country="CN", share=0.9, year=2022)],
    )


def load_sample(store: GraphStore) -> None:
    store.write(build_batch(sample_dataset()))


def sample_store_and_key(tmp_path: Path) -> tuple[Path, dict[str, str], str]:
    """An embedded store holding the sample, the environment of its key file and a new
    analyst key, made by the real ``filiere apikey create`` (for tests of ``filiere serve``)."""
    store_path = tmp_path / "graph.json"
    from filiere.graph.embedded import EmbeddedStore

    load_sample(EmbeddedStore(store_path))
    env = {**os.environ, "FILIERE_API_KEYS_FILE": str(tmp_path / "keys.json")}
    token = subprocess.run(
        [str(Path(sys.executable).with_name("filiere")), "apikey", "create", "--role", "analyst"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return store_path, env, token


def store_settings(store: GraphStore, request: pytest.FixtureRequest) -> Settings:
    """Settings naming the same store, for a server that opens its own."""
    if store.kind == "neo4j":
        settings: Settings = request.getfixturevalue("neo4j_settings")
        return settings
    return Settings(store=store.uri)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI, log_level: str = "warning") -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


ROLES = ("analyst", "editor", "admin")


@dataclass
class Api:
    """A running server, its keys by role (plus ``revoked``) and the store it serves."""

    url: str
    keys: dict[str, str]
    store: GraphStore
    keys_file: Path
    app: FastAPI

    def client(self, who: str | None = None, **kw: Any) -> httpx.Client:
        # The tests read English problem details; French (the default) is in test_i18n.py.
        headers = {"Accept-Language": "en"}
        if who:
            headers["Authorization"] = f"Bearer {self.keys[who]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kw)


def make_keys(path: Path) -> dict[str, str]:
    """One key per role and one revoked admin key."""
    keys = KeyStore(path)
    tokens = {role: keys.create(Role(role), name=f"test {role}")[1] for role in ROLES}
    record, tokens["revoked"] = keys.create(Role.ADMIN, name="revoked")
    keys.revoke(record.id)
    return tokens


@contextmanager
def start_api(
    store: GraphStore,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    *,
    load: bool = True,
    log_level: str = "warning",
    **settings: Any,
) -> Iterator[Api]:
    """The sample dataset in ``store`` and a server over the same store."""
    if load:
        load_sample(store)
    keys_file = tmp_path / "apikeys.json"
    tokens = make_keys(keys_file)
    api_settings = ApiSettings(keys_file=keys_file, **settings)
    app = create_app(api_settings, store_settings=store_settings(store, request))
    with serve(app, log_level) as url:
        yield Api(url, tokens, store, keys_file, app)
