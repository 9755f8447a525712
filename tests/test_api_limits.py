"""Work per client is bounded: auth before the body, a failed-auth budget, slots per key.

Real HTTP on loopback only; every loop is bounded in requests and time.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from api_support import Api, start_api

from filiere.api import security
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore

BAD_KEY = "fil_ffffffffff_" + "y" * 43


def _raw(url: str, head: bytes, timeout: float = 10) -> bytes:
    """Send ``head`` (request line and headers, no body) and read what comes back."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_an_unauthenticated_upload_is_refused_before_its_body_is_sent(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with start_api(embedded_store, tmp_path, request) as api:
        for auth in (b"", b"Authorization: Bearer " + BAD_KEY.encode() + b"\r\n"):
            head = (
                b"POST /datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + b"Content-Type: "
                b"multipart/form-data; boundary=xyz\r\nContent-Length: 62914560\r\n\r\n"
            )
            answer = _raw(api.url, head)  # 60 MB announced, not one byte sent
            assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
            assert b"www-authenticate: Bearer" in answer.lower().replace(b"bearer", b"Bearer")


def test_failed_authentications_are_budgeted_per_address(
    embedded_store: EmbeddedStore,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = []
    scrypt = security._hash

    def counted(secret: str, salt: bytes) -> bytes:
        checks.append(1)
        return scrypt(secret, salt)

    monkeypatch.setattr(security, "_hash", counted)
    with (
        start_api(
            embedded_store, tmp_path, request, auth_failures=5, auth_failure_window_s=2
        ) as api,
        api.client("analyst") as good,
    ):
        assert good.get("/items").status_code == 200  # verified once, then cached
        with api.client() as c:
            bad = {"Authorization": f"Bearer {BAD_KEY}"}
            assert [c.get("/items", headers=bad).status_code for _ in range(5)] == [401] * 5
            before = len(checks)
            refused = [c.get("/items/AIM", headers=bad) for _ in range(20)]
            assert {r.status_code for r in refused} == {429}
            assert len(checks) == before  # refused before any scrypt check
            retry = int(refused[0].headers["retry-after"])
            assert 1 <= retry <= 2
            assert refused[0].json()["type"] == "urn:filiere:problem:too-many-failures"
            assert c.get("/items").status_code == 429  # no key at all: also refused
            assert good.get("/items/AIM").status_code == 200  # a verified key still works
            assert c.get("/health").status_code == 200
            time.sleep(retry + 0.2)
            assert c.get("/items", headers=bad).status_code == 401  # the window moved on


def test_a_flood_of_bad_keys_does_not_starve_health(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """64 concurrent random well-formed keys, each a real scrypt check (no budget hit)."""
    with start_api(embedded_store, tmp_path, request, auth_failures=100_000) as api:
        stop = threading.Event()
        done: list[int] = []

        def flood() -> None:
            async def one(c: httpx.AsyncClient, i: int) -> None:
                key = f"fil_{i % 1000:010x}_" + "z" * 43
                while not stop.is_set() and len(done) < 2000:
                    r = await c.get("/search?q=a", headers={"Authorization": f"Bearer {key}"})
                    done.append(r.status_code)

            async def main() -> None:
                limits = httpx.Limits(max_connections=64)
                async with httpx.AsyncClient(base_url=api.url, limits=limits, timeout=60) as c:
                    await asyncio.gather(*(one(c, i) for i in range(64)))

            asyncio.run(main())

        flooder = threading.Thread(target=flood)
        flooder.start()
        latencies = []
        try:
            with api.client() as c:
                time.sleep(1)  # the flood is on
                for _ in range(30):
                    start = time.perf_counter()
                    assert c.get("/health").status_code == 200
                    latencies.append(time.perf_counter() - start)
                    time.sleep(0.05)
        finally:
            stop.set()
            flooder.join(120)
        assert set(done) == {401} and len(done) >= 20
        assert statistics.median(latencies) < 0.1, latencies


@pytest.fixture
def neo_api(
    neo4j_store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Api]:
    with start_api(neo4j_store, tmp_path, request, cypher_per_key=3, cypher_timeout_s=4) as api:
        yield api


@pytest.mark.neo4j
def test_one_key_runs_few_cypher_queries_at_once_and_others_are_served(neo_api: Api) -> None:
    slow = {"query": "UNWIND range(1, 400000000) AS x RETURN count(x) AS n"}

    def cypher(_i: int) -> httpx.Response:
        with neo_api.client("analyst") as c:
            return c.post("/cypher", json=slow)

    with ThreadPoolExecutor(60) as pool:
        futures = [pool.submit(cypher, i) for i in range(60)]
        time.sleep(1)
        with neo_api.client("analyst") as c:
            assert c.get("/items").status_code == 200  # same key, other work: served
        with neo_api.client("editor") as c:  # another key has its own slots
            assert c.post("/cypher", json={"query": "RETURN 1 AS one"}).status_code == 200
        answers = [f.result(60) for f in futures]
        statuses = [r.status_code for r in answers]
        limited = [r for r in answers if r.status_code == 429]
    assert len(limited) >= 57 and set(statuses) <= {200, 400, 429}, statuses
    assert limited[0].headers["retry-after"] == "1"
    assert limited[0].json()["type"] == "urn:filiere:problem:too-many-requests"
    with neo_api.client("analyst") as c:  # the slots are given back
        assert c.post("/cypher", json={"query": "RETURN 1 AS one"}).status_code == 200


def test_one_key_runs_few_uploads_at_once(
    embedded_store: EmbeddedStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    release = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"--xyz\r\nContent-Disposition: form-data; name=check\r\n\r\ntrue\r\n"
        release.wait(20)  # holds the upload (and its slot) open
        yield b"--xyz--\r\n"

    with start_api(embedded_store, tmp_path, request, uploads_per_key=1) as api:
        headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
        with ThreadPoolExecutor(1) as pool, api.client("editor") as c:
            first = pool.submit(c.post, "/datasets", content=slow_body(), headers=headers)
            time.sleep(1)
            try:
                second = c.post("/datasets", files={"file": ("x.csv", b"id;name;kind\n")})
                assert second.status_code == 429 and second.headers["retry-after"] == "1"
            finally:
                release.set()
            assert first.result(30).status_code == 422  # it ran: no file in the form
            third = c.post("/datasets", files={"file": ("x.csv", b"id;name;kind\n")})
            assert third.status_code == 422  # the slot was given back


@pytest.mark.neo4j
def test_the_slot_stays_taken_while_an_abandoned_query_still_runs(
    neo4j_store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A 504 (the request's time limit) does not free the slot: Neo4j still runs the query."""
    slow = {"query": "UNWIND range(1, 400000000) AS x RETURN count(x) AS n"}
    quick = {"query": "RETURN 1 AS one"}
    with (
        start_api(
            neo4j_store,
            tmp_path,
            request,
            cypher_per_key=1,
            request_timeout_s=1,
            cypher_timeout_s=5,
        ) as api,
        api.client("analyst") as c,
    ):
        assert c.post("/cypher", json=quick).status_code == 200  # the key is verified
        assert c.post("/cypher", json=slow).status_code == 504
        assert c.post("/cypher", json=quick).status_code == 429  # still running in Neo4j
        deadline = time.monotonic() + 30
        while (status := c.post("/cypher", json=quick).status_code) == 429:
            assert time.monotonic() < deadline, "the slot was never given back"
            time.sleep(0.5)
        assert status == 200
