"""The dependencies every route declares: store, settings, and the caller's API key.

Each is an ``Annotated`` alias, so a route says ``store: StoreDep`` and a test swaps
the provider with ``app.dependency_overrides[get_store] = ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request, params
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from filiere.api import warm
from filiere.api.problems import ApiProblem
from filiere.api.security import ApiKey, KeyStore, Role
from filiere.api.settings import ApiSettings
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.settings import Settings


async def get_store(request: Request) -> GraphStore:
    """The store opened by the app's lifespan."""
    store: GraphStore = request.app.state.store
    return store


async def get_api_settings(request: Request) -> ApiSettings:
    """The API's settings."""
    settings: ApiSettings = request.app.state.api_settings
    return settings


async def get_settings(request: Request) -> Settings:
    """filiere's settings (store, home country)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_keys(request: Request) -> KeyStore:
    """The API key file."""
    keys: KeyStore = request.app.state.keys
    return keys


StoreDep = Annotated[GraphStore, Depends(get_store)]
ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeysDep = Annotated[KeyStore, Depends(get_keys)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key made with `filiere apikey create`: `Authorization: Bearer fil_...`.",
)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="filiere"'}


async def current_key(
    request: Request,
    keys: KeysDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """The live API key the request carries; 401 when missing, unknown or revoked.

    :class:`filiere.api.guard.AuthGate` has checked it already, before the body was read.
    """
    gated: ApiKey | None = request.scope.get("filiere.api_key")
    if gated is not None:
        return gated
    if credentials is None:
        raise ApiProblem(401, "unauthenticated", _("an API key is required"), headers=_CHALLENGE)
    token = credentials.credentials
    hit, key = keys.cached(token)
    if not hit:
        key = await run_in_threadpool(keys.authenticate, token)
    if key is None:
        raise ApiProblem(
            401, "unauthenticated", _("the API key is unknown or revoked"), headers=_CHALLENGE
        )
    return key


def require(role: Role) -> params.Depends:
    """A dependency that lets through keys whose role is at least ``role`` (else 403)."""

    async def check(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if not key.role.allows(role):
            raise ApiProblem(
                403,
                "forbidden",
                _("this needs the {role} role or higher").format(role=role.value),
            )
        return key

    dependency: params.Depends = Depends(check)
    return dependency


AnalystKey = Annotated[ApiKey, require(Role.ANALYST)]
EditorKey = Annotated[ApiKey, require(Role.EDITOR)]
AdminKey = Annotated[ApiKey, require(Role.ADMIN)]


P = ParamSpec("P")
T = TypeVar("T")


async def per_item(
    store: GraphStore, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run an analysis of one item (deps, routes, bom), which costs about a millisecond
    once the store's analysis index is in memory.

    When the store answers from memory (the embedded store with a current index) it runs
    right in the event loop (no thread hop, no GIL contention between threads: much
    tighter tail latency). Otherwise (Neo4j, whose driver blocks on the network; an
    embedded store whose index is not loaded yet, or is stale after a write) it runs in
    the thread pool, and on the embedded store :func:`filiere.api.warm.start` has a worker
    thread load the index meanwhile: the event loop never waits for it. Look-ups and
    whole-graph work (lists, search, criticality, shocks) are plain ``def`` routes:
    FastAPI runs them in the thread pool.
    """
    if store.reader.answers_in_memory():
        return fn(*args, **kwargs)
    if store.in_process:
        warm.start(store)
    return await run_in_threadpool(fn, *args, **kwargs)
