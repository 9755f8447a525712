"""``POST /cypher``: one read-only Cypher query, for analysts on the Neo4j store.

The query runs in a READ transaction with a server-side timeout, a row limit and a
limit on the bytes of its rows (checked as records arrive), under Neo4j's transaction
memory limits (a query that passes one is a 400 naming it),
after ``EXPLAIN`` showed no write, schema or admin operation; values travel only as
``$parameters``. The embedded store has no Cypher: 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from filiere.api.deps import AnalystKey, ApiSettingsDep, StoreDep
from filiere.api.guard import run_held
from filiere.api.problems import ApiProblem, Problem
from filiere.errors import CypherError, StoreError
from filiere.i18n import _
from filiere.queries.cypher_runner import CypherResult, run_readonly

router = APIRouter(tags=["cypher"])


class CypherRequest(BaseModel):
    """A query and its parameters (``$name`` in the query, ``{"name": value}`` here)."""

    query: str = Field(min_length=1, max_length=20_000, description="One Cypher statement.")
    params: dict[str, Any] = Field(default_factory=dict, description="Query parameters.")
    limit: Annotated[int | None, Field(ge=1, description="Most rows wanted.")] = None


@router.post(
    "/cypher",
    summary="Read-only Cypher",
    responses={
        400: {
            "model": Problem,
            "description": "Syntax error, the query failed, or passed a memory or size limit.",
        },
        403: {"model": Problem, "description": "A write, schema or admin query, or role too low."},
        409: {"model": Problem, "description": "The store is the embedded one: no Cypher."},
    },
)
async def run_cypher(
    request: Request,
    store: StoreDep,
    settings: ApiSettingsDep,
    _key: AnalystKey,
    body: CypherRequest,
) -> CypherResult:
    """Run a read-only query; at most the server's row and byte limits come back.

    `truncated` says when rows were left out; a single row larger than the byte limit,
    or a query that passes Neo4j's transaction memory limit, is a 400 problem.
    """
    if not store.runs_cypher:
        raise ApiProblem(
            409,
            "cypher-unavailable",
            _("Cypher needs the Neo4j store; this server has the embedded one"),
        )
    if not body.query.strip():
        raise ApiProblem(400, "cypher-error", _("the query is empty"))
    limit = min(body.limit or settings.cypher_row_limit, settings.cypher_row_limit)
    try:
        return await run_held(
            request.scope,
            run_readonly,
            store,
            body.query,
            body.params,
            timeout_s=settings.cypher_timeout_s,
            limit=limit,
            max_bytes=settings.cypher_max_bytes,
        )
    except CypherError as e:
        if store.uri in str(e):  # the store is unreachable: say so without its address
            raise StoreError(str(e)) from None
        raise
