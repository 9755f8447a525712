"""The FastAPI application: ``create_app()`` builds it, ``filiere serve`` runs it.

The store is opened in the app's lifespan (for Neo4j, one driver and its connection
pool for the whole process) and closed when the server stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from filiere.api import heap, logs, problems, warm
from filiere.api.guard import AuthBudget, AuthGate, WorkLimits
from filiere.api.language import LanguageMiddleware
from filiere.api.limits import LimitsMiddleware
from filiere.api.problems import MEDIA_TYPE, Problem
from filiere.api.routers import (
    analyses,
    apikeys,
    cypher,
    datasets,
    health,
    items,
    regions,
    search,
    suppliers,
    trade,
    views,
)
from filiere.api.security import KeyStore
from filiere.api.settings import ApiSettings
from filiere.graph.store import GraphStore
from filiere.graph.uri import open_store
from filiere.settings import Settings
from filiere.web import IMPORT_PATH
from filiere.web import install as install_workspace
from filiere.web.settings import WebSettings

DESCRIPTION = """\
The supply-chain knowledge graph of the CCI relocation accelerator: look up items,
suppliers and regions, run the four analyses (dependencies, routes, shock scenario,
criticality), query Neo4j in read-only Cypher and upload datasets.

Every route but `/health` and `/ready` needs an API key (`Authorization: Bearer fil_...`,
made with `filiere apikey create`). Errors are RFC 9457 problem details.
"""

TAGS = [
    {"name": "health", "description": "Liveness and readiness (no key needed)."},
    {"name": "lookups", "description": "Items, suppliers, regions and search."},
    {"name": "analyses", "description": "The four analyses, as `filiere ... --format json`."},
    {"name": "views", "description": "The analyses as interactive HTML pages (`filiere viz`)."},
    {"name": "cypher", "description": "Read-only Cypher on the Neo4j store."},
    {"name": "datasets", "description": "Upload a dataset for ingestion (editor role)."},
    {"name": "apikeys", "description": "Manage API keys (admin role)."},
]

#: Every route may answer with these problems.
COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "Malformed request (a body that cannot be parsed)."},
    401: {"model": Problem, "description": "No API key, or an unknown or revoked one."},
    403: {"model": Problem, "description": "The key's role is too low."},
    422: {"model": Problem, "description": "Invalid request."},
    503: {"model": Problem, "description": "The graph store did not answer."},
}


#: Answers every route may give, whatever it does.
LIMIT_RESPONSES: dict[str, dict[str, Any]] = {
    "413": {"description": "The request body is too large."},
    "429": {
        "description": "Too many failed authentications from this address, or too many "
        "requests of this key at once: try again after `Retry-After` seconds."
    },
    "504": {"description": "The request took longer than the time limit."},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema, with errors documented as ``application/problem+json``."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for path, methods in schema["paths"].items():
        for operation in methods.values():
            responses = operation["responses"]
            if path not in ("/health", "/ready"):
                for code, what in LIMIT_RESPONSES.items():
                    responses.setdefault(code, dict(what))
            for code, response in responses.items():
                if int(code) >= 400:
                    response["content"] = {MEDIA_TYPE: problem}
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(unused, None)
    app.openapi_schema = schema
    return schema


def _operation_id(route: APIRoute) -> str:
    """``<tag>_<function>``: unique, and stable across refactorings of the URL."""
    return f"{route.tags[0]}_{route.name}" if route.tags else route.name


def create_app(
    settings: ApiSettings | None = None,
    *,
    store_settings: Settings | None = None,
    store: GraphStore | None = None,
    web_settings: WebSettings | None = None,
) -> FastAPI:
    """The API over ``store`` (else the store named by ``store_settings``, opened at startup),
    with the analyst's workspace (:mod:`filiere.web`: HTML pages, out of the OpenAPI schema)."""
    api_settings = settings or ApiSettings()
    base = store_settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = store if store is not None else open_store(settings=base)
        freezer = None
        if app.state.store.in_process:
            if api_settings.gc_freeze:
                app.state.store.ping()  # the store answers before the first request
                freezer = asyncio.create_task(heap.Freezer().run())
            warm.start(app.state.store)  # the analysis index, off the event loop
        try:
            yield
        finally:
            if freezer is not None:
                freezer.cancel()
            await warm.settle(app.state.store)
            if own:
                app.state.store.close()

    # Swagger UI and ReDoc served from the package, not a CDN: CCI networks may be closed.
    app = FastAPIOffline(
        title="filiere",
        version="1",
        summary="Industrial supply-chain knowledge graph",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.api_settings = api_settings
    logs.install()  # no credential in the access log, however the app is served
    app.state.settings = base
    app.state.keys = KeyStore(api_settings.keys_file)
    problems.install(app)
    app.include_router(health.router)
    routers = (items, suppliers, regions, search, analyses, trade, views, cypher, datasets, apikeys)
    for router in routers:
        app.include_router(router.router, responses=COMMON_RESPONSES)
    install_workspace(
        app, app.state.keys, web_settings, uploads_per_session=api_settings.uploads_per_key
    )
    app.add_middleware(
        AuthGate,
        api=app,
        keys=app.state.keys,
        budget=AuthBudget(api_settings.auth_failures, api_settings.auth_failure_window_s),
        auth_slots=api_settings.auth_concurrency,
        work=WorkLimits(
            {"cypher": api_settings.cypher_per_key, "upload": api_settings.uploads_per_key}
        ),
        work_routes={("POST", "/cypher"): "cypher", ("POST", datasets.PATH): "upload"},
    )
    app.add_middleware(
        LimitsMiddleware,
        max_body=api_settings.max_json_bytes,
        timeout_s=api_settings.request_timeout_s,
        max_upload_body=api_settings.max_body_bytes,
        upload_timeout_s=api_settings.upload_timeout_s,
        upload_paths=(datasets.PATH, IMPORT_PATH),
    )
    app.add_middleware(LanguageMiddleware)  # outside the limits: their problems are translated
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    if api_settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api_settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    return app
