"""``/health`` (the process answers) and ``/ready`` (the store answers too)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from filiere.api.deps import StoreDep
from filiere.api.problems import Problem

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    store: str


@router.get("/health", summary="Liveness")
async def health() -> Health:
    """The process is up."""
    return Health()


@router.get(
    "/ready",
    summary="Readiness",
    responses={503: {"model": Problem, "description": "The store did not answer."}},
)
def ready(store: StoreDep) -> Ready:
    """The store answers (``store`` is its kind: ``embedded`` or ``neo4j``)."""
    store.ping()
    return Ready(store=store.kind)
