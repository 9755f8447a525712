"""Authentication before the body, a failed-authentication budget, and work limits per key.

:class:`AuthGate` is a pure ASGI middleware. For a route that needs a key it checks the
``Authorization`` header before the application reads a byte of the body (an
unauthenticated 60 MB upload is refused at once), so that:

- a client address that failed to authenticate ``max_failures`` times in the last
  ``window_s`` seconds is answered 429 with ``Retry-After``, before any scrypt check
  (a key already verified, which costs no scrypt, still passes);
- scrypt checks run in the thread pool, at most ``auth_slots`` at a time: a flood of
  random keys waits its turn without taking every core from the event loop;
- a key runs at most N requests of a kind at once (``POST /cypher``, ``POST /datasets``):
  beyond, 429 with ``Retry-After``. The slot is held until the work ends, even when the
  client or the time limit gave up on it (:func:`run_held`). Counts are per server
  process (per worker).

The route's own ``current_key`` dependency then finds the key in the request's scope.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import ParamSpec, TypeVar

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from filiere.api.problems import TYPE_PREFIX, problem_response
from filiere.api.security import ApiKey, KeyStore
from filiere.i18n import _

#: Where the gate leaves the authenticated key for ``current_key``.
SCOPE_KEY = "filiere.api_key"
#: Where the gate leaves the request's work slot, for :func:`run_held`.
SLOT_KEY = "filiere.work_slot"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="filiere"'}
P = ParamSpec("P")
T = TypeVar("T")
#: Scrypt checks that may wait for a slot; beyond, 429 at once.
MAX_WAITING = 256


class AuthBudget:
    """Failed authentications per client address, in a sliding window of ``window_s``.

    >>> budget = AuthBudget(max_failures=2, window_s=60)
    >>> budget.fail("10.0.0.1", now=0); budget.fail("10.0.0.1", now=1)
    >>> budget.retry_after("10.0.0.1", now=2), budget.retry_after("10.0.0.2", now=2)
    (58, None)
    >>> budget.retry_after("10.0.0.1", now=60.5) is None
    True
    """

    def __init__(self, max_failures: int, window_s: float, max_clients: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Seconds until ``client`` may try again, or ``None`` when it may now."""
        now = time.monotonic() if now is None else now
        times = self._failures.get(client)
        if times is None or len(times) < self.max_failures:
            return None
        wait = times[0] + self.window_s - now
        return max(1, math.ceil(wait)) if wait > 0 else None

    def fail(self, client: str, now: float | None = None) -> None:
        """Count one failed authentication of ``client``."""
        now = time.monotonic() if now is None else now
        times = self._failures.pop(client, None) or deque(maxlen=self.max_failures)
        times.append(now)
        self._failures[client] = times  # most recent last
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)


class WorkLimits:
    """At most ``limits[kind]`` requests of each kind at once per key.

    >>> work = WorkLimits({"cypher": 1})
    >>> work.acquire("cypher", "k1"), work.acquire("cypher", "k1"), work.acquire("cypher", "k2")
    (True, False, True)
    >>> work.release("cypher", "k1"); work.acquire("cypher", "k1")
    True
    """

    def __init__(self, limits: Mapping[str, int]) -> None:
        self.limits = dict(limits)
        self._running: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()  # a slot may be given back by a worker thread

    def acquire(self, kind: str, key_id: str) -> bool:
        """Take a slot of ``kind`` for ``key_id``; False when all are taken."""
        slot = (kind, key_id)
        with self._lock:
            if self._running.get(slot, 0) >= self.limits[kind]:
                return False
            self._running[slot] = self._running.get(slot, 0) + 1
            return True

    def release(self, kind: str, key_id: str) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        slot = (kind, key_id)
        with self._lock:
            left = self._running.get(slot, 0) - 1
            if left > 0:
                self._running[slot] = left
            else:
                self._running.pop(slot, None)


class Slot:
    """One request's work slot, given back once: by the request, or by its worker thread."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release = release
        self._lock = threading.Lock()
        self.held_by_thread = False
        self.released = False

    def release(self) -> None:
        with self._lock:
            if self.released:
                return
            self.released = True
        self._release()

    def hand_to_thread(self) -> bool:
        """Let the worker thread give the slot back; False if it was already given back."""
        with self._lock:
            if self.released:
                return False
            self.held_by_thread = True
            return True


async def run_held(scope: Scope, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` in the thread pool, holding the request's work slot until ``fn`` ends.

    A request abandoned by its time limit or its client stops waiting for the thread,
    but the thread goes on (Neo4j may still be running the query): the slot must stay
    taken until it ends, else one key could pile up work past its limit.
    """
    slot: Slot | None = scope.get(SLOT_KEY)
    if slot is None:
        return await run_in_threadpool(fn, *args, **kwargs)

    def held() -> T:
        if not slot.hand_to_thread():
            raise asyncio.CancelledError  # the request was given up before the thread ran
        try:
            return fn(*args, **kwargs)
        finally:
            slot.release()

    try:
        return await run_in_threadpool(held)
    finally:
        if not slot.held_by_thread:
            slot.release()


def keyed_routes(api: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each path of ``api`` (as a pattern) with the methods that need a key there.

    Read from the OpenAPI schema: an operation needs a key when it declares ``security``.
    """
    routes = []
    for template, operations in api.openapi()["paths"].items():
        methods = {m.upper() for m, op in operations.items() if op.get("security")}
        if "GET" in methods:
            methods.add("HEAD")
        if methods:
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            routes.append((re.compile(pattern), frozenset(methods)))
    return routes


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _sep, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class AuthGate:
    """Authenticate requests to keyed routes before their body is read (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        api: FastAPI,
        keys: KeyStore,
        budget: AuthBudget,
        auth_slots: int,
        work: WorkLimits,
        work_routes: Mapping[tuple[str, str], str],
    ) -> None:
        self.app = app
        self.api = api
        self.keys = keys
        self.budget = budget
        self.auth_slots = auth_slots
        self.work = work
        self.work_routes = dict(work_routes)
        self._keyed: list[tuple[re.Pattern[str], frozenset[str]]] | None = None
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0

    def _needs_key(self, scope: Scope) -> bool:
        """Whether the request goes to an operation that needs a key.

        No route, or a method the path does not have: 404 or 405, which read no body.
        """
        if self._keyed is None:
            self._keyed = keyed_routes(self.api)
        path, method = scope["path"], scope["method"]
        return any(method in methods and p.match(path) for p, methods in self._keyed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self._keyed is None:
            self._keyed = keyed_routes(self.api)  # at startup, not in a request's time
        if scope["type"] != "http" or not self._needs_key(scope):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def refuse(status: int, slug: str, detail: str, headers: dict[str, str]) -> None:
            response = problem_response(
                status,
                type_=TYPE_PREFIX + slug,
                detail=detail,
                instance=path,
                headers={**headers, "Connection": "close"},
            )
            await response(scope, receive, send)

        client = scope["client"][0] if scope.get("client") else "unknown"
        token = _bearer(scope)
        cached, key = self.keys.cached(token) if token else (True, None)
        if key is None:
            wait = self.budget.retry_after(client)
            if wait is not None:
                detail = _(
                    "too many failed authentications from this address; try again in {n} s"
                ).format(n=wait)
                await refuse(429, "too-many-failures", detail, {"Retry-After": str(wait)})
                return
            if token and not cached:
                if self._waiting >= MAX_WAITING:
                    detail = _("too many authentications in progress; try again in a moment")
                    await refuse(429, "too-many-requests", detail, {"Retry-After": "1"})
                    return
                key = await self._authenticate(token)
            if key is None:
                self.budget.fail(client)
                detail = (
                    _("the API key is unknown or revoked") if token else _("an API key is required")
                )
                await refuse(401, "unauthenticated", detail, CHALLENGE)
                return
        scope[SCOPE_KEY] = key
        kind = self.work_routes.get((scope["method"], path))
        if kind is None:
            await self.app(scope, receive, send)
            return
        if not self.work.acquire(kind, key.id):
            detail = _(
                "this API key already runs {n} such requests at once; try again when one ends"
            ).format(n=self.work.limits[kind])
            await refuse(429, "too-many-requests", detail, {"Retry-After": "1"})
            return
        slot = scope[SLOT_KEY] = Slot(lambda: self.work.release(kind, key.id))
        try:
            await self.app(scope, receive, send)
        finally:
            if not slot.held_by_thread:
                slot.release()

    async def _authenticate(self, token: str) -> ApiKey | None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.auth_slots)
        self._waiting += 1
        try:
            async with self._slots:
                return await run_in_threadpool(self.keys.authenticate, token)
        finally:
            self._waiting -= 1
