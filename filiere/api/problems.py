"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error response, whatever raised it, is a :class:`Problem`. Unexpected errors
become a bare 500 that names an incident id (logged with the traceback server-side)
and nothing else: no stack trace, no internal path, no store URI reaches a client.
"""

from __future__ import annotations

import logging
import re
import secrets
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from filiere.errors import (
    ConfigError,
    CypherError,
    CypherMemoryLimit,
    CypherRefused,
    CypherTooLarge,
    DatasetError,
    FiliereError,
    NotFoundError,
    StoreError,
)
from filiere.i18n import N_, _, ngettext

log = logging.getLogger("filiere.api")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:filiere:problem:"


class ProblemItem(BaseModel):
    """One precise error: a dataset line (``file``, ``line``) or a request field (``location``)."""

    message: str
    file: str | None = None
    line: int | None = None
    location: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(None, description="What went wrong in this occurrence.")
    instance: str | None = Field(None, description="The request path.")
    errors: list[ProblemItem] | None = Field(None, description="Every error found, if several.")


class ApiProblem(FiliereError):
    """Raise to answer with a problem of a given ``slug`` (``urn:filiere:problem:<slug>``)."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        errors: list[ProblemItem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.errors = errors
        self.headers = headers


def problem_response(
    status: int,
    *,
    detail: str | None = None,
    type_: str = "about:blank",
    title: str | None = None,
    instance: str | None = None,
    errors: list[ProblemItem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem details response."""
    body = Problem(
        type=type_,
        title=title or _phrase(status),
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


#: The HTTP reason phrases the API answers with, marked for the catalogs.
_PHRASES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    406: N_("Not Acceptable"),
    408: N_("Request Timeout"),
    409: N_("Conflict"),
    411: N_("Length Required"),
    413: N_("Content Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Content"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
    504: N_("Gateway Timeout"),
}


def _phrase(status: int) -> str:
    """The reason phrase of ``status`` in the request's language."""
    if status in _PHRASES:
        return _(_PHRASES[status])
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("Error")


def _slug_type(slug: str) -> str:
    return TYPE_PREFIX + slug


#: How each filiere error maps to a status and a problem type (most specific first).
_FILIERE: list[tuple[type[FiliereError], int, str]] = [
    (NotFoundError, 404, "not-found"),
    (DatasetError, 422, "dataset-invalid"),
    (CypherMemoryLimit, 400, "cypher-memory-limit"),
    (CypherTooLarge, 400, "cypher-too-large"),
    (CypherRefused, 403, "cypher-refused"),
    (CypherError, 400, "cypher-error"),
]


def filiere_problem(exc: FiliereError, instance: str | None) -> JSONResponse:
    """The problem answering a filiere error; store and config errors are not detailed."""
    if isinstance(exc, StoreError):
        log.error("store error on %s: %s", instance, exc)
        return problem_response(
            503,
            type_=_slug_type("store-unavailable"),
            detail=_("the graph store did not answer; try again later"),
            instance=instance,
        )
    if isinstance(exc, ConfigError):
        log.error("configuration error on %s: %s", instance, exc)
        return problem_response(
            500,
            type_=_slug_type("configuration"),
            detail=_("server misconfigured"),
            instance=instance,
        )
    for cls, status, slug in _FILIERE:
        if isinstance(exc, cls):
            errors = None
            if isinstance(exc, DatasetError):
                errors = [
                    ProblemItem(file=i.file, line=i.line, message=i.message) for i in exc.issues
                ]
                n = len(exc.issues)
                detail = ngettext(
                    "dataset refused: {n} error; nothing was written",
                    "dataset refused: {n} errors; nothing was written",
                    n,
                ).format(n=n)
            else:
                detail = str(exc)
            return problem_response(
                status, type_=_slug_type(slug), detail=detail, instance=instance, errors=errors
            )
    return problem_response(
        422, type_=_slug_type("invalid-request"), detail=str(exc), instance=instance
    )


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(x) for x in loc)


def unexpected_response(path: str, exc: BaseException) -> JSONResponse:
    """A bare 500 naming an incident id; the traceback goes to the server log only."""
    incident = secrets.token_hex(6)
    log.error("incident %s on %s", incident, path, exc_info=exc)
    return problem_response(
        500,
        detail=_("unexpected error (incident {incident}); the server log has the details").format(
            incident=incident
        ),
        instance=path,
    )


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method documented at the request's path (Starlette names only one route's)."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the problem handlers on ``app``."""

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        if detail in _PHRASES.values():  # Starlette's default detail is the reason phrase
            detail = _(detail)
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return problem_response(
            exc.status_code, detail=detail, instance=request.url.path, headers=headers or None
        )

    async def api_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(
            exc.status,
            type_=_slug_type(exc.slug),
            detail=exc.detail,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # Only where and what: the offending input is not echoed back.
        items = [
            ProblemItem(location=_location(e.get("loc", ())), message=str(e.get("msg", "invalid")))
            for e in exc.errors()
        ]
        return problem_response(
            422,
            type_=_slug_type("validation"),
            detail=ngettext(
                "{n} invalid field in the request", "{n} invalid fields in the request", len(items)
            ).format(n=len(items)),
            instance=request.url.path,
            errors=items,
        )

    async def filiere_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FiliereError)
        return filiere_problem(exc, request.url.path)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_response(request.url.path, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(FiliereError, filiere_error)
    app.add_exception_handler(Exception, unexpected)
