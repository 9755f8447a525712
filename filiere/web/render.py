"""Templates, page responses and error pages of the workspace.

Pages are rendered by Jinja2 with autoescaping on: data and translations are escaped
wherever they land. The templates call the language layer as Python does
(``{{ _("Search") }}``, ``{{ ngettext("{n} product", "{n} products", n).format(n=n) }}``),
so Babel extracts them into the same catalogs (see :mod:`filiere.i18n_tools`).

Every page answers with a Content-Security-Policy that lets it load nothing but its own
origin: no script, style, font or image can come from elsewhere, and no inline script runs.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from filiere.errors import FiliereError, NotFoundError, StoreError
from filiere.i18n import LANGUAGES, _, get_language, language, ngettext, pgettext
from filiere.names import country_name, place, region_name
from filiere.viz.style import fmt_number, fmt_share, kind_name, tier_name
from filiere.web import nav

log = logging.getLogger("filiere.web")

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "filiere_lang"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(FiliereError):
    """The page needs a session and the request has none: off to the sign-in page."""


class PageError(FiliereError):
    """Answer with an error page of ``status`` saying ``message`` (already translated)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@cache
def environment() -> Environment:
    """The Jinja2 environment of the workspace (autoescape on, undefined names fail)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=_,
        gettext=_,
        ngettext=ngettext,
        pgettext=pgettext,
        fmt_share=fmt_share,
        fmt_number=fmt_number,
        kind_name=kind_name,
        country_name=country_name,
        region_name=region_name,
        place=place,
        tier_name=tier_name,
    )
    return env


def page_language(request: Request) -> str:
    """``?lang=``, else the language cookie, else ``FILIERE_LANG``, else French."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in LANGUAGES:
            return str(chosen)
    return get_language()


def url_with(request: Request, **changes: str | None) -> str:
    """The request's path and query with some parameters replaced (``None`` removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    query = urlencode(params)
    return request.url.path + ("?" + query if query else "")


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page ``template`` filled with ``context`` and what every page shows (nav, viewer)."""
    viewer = getattr(request.state, "viewer", None)
    lang = getattr(request.state, "lang", None) or get_language()
    base = {
        "request": request,
        "viewer": viewer,
        "lang": lang,
        "csrf": viewer.csrf if viewer is not None else "",
        "nav": nav.entries(viewer),
        "path": request.url.path,
        "lang_urls": {code: url_with(request, lang=code) for code in LANGUAGES},
    }
    html = environment().get_template(template).render({**base, **(context or {})})
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


def sign_in_redirect(request: Request) -> RedirectResponse:
    """303 to the sign-in page, which comes back here once signed in."""
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse("/connexion?" + urlencode({"next": target}), status_code=303)


def error_page(request: Request, exc: Exception) -> Response:
    """The page answering an error raised while building a page (never a traceback)."""
    if isinstance(exc, SignInRequired):
        return sign_in_redirect(request)
    status, message = 500, ""
    if isinstance(exc, PageError):
        status, message = exc.status, exc.message
    elif isinstance(exc, NotFoundError):
        status, message = 404, str(exc)
    elif isinstance(exc, RequestValidationError):
        fields = sorted({".".join(str(x) for x in e.get("loc", ())[1:]) for e in exc.errors()})
        status = 422
        message = _("invalid value of: {fields}").format(fields=", ".join(fields))
    elif isinstance(exc, StoreError):
        log.error("store error on %s: %s", request.url.path, exc)
        status, message = 503, _("the graph store did not answer; try again later")
    elif isinstance(exc, FiliereError):
        status, message = 400, str(exc)
    elif isinstance(exc, HTTPException):
        status, message = exc.status_code, str(exc.detail)
    else:
        incident = secrets.token_hex(6)
        log.error("incident %s on %s", incident, request.url.path, exc_info=exc)
        message = _(
            "unexpected error (incident {incident}); the server log has the details"
        ).format(incident=incident)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


class PageRoute(APIRoute):
    """A route answering HTML: in the reader's language, errors as pages, not problems."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            lang = page_language(request)
            request.state.lang = lang
            with language(lang):
                try:
                    response = await original(request)
                except Exception as exc:
                    response = error_page(request, exc)
            chosen = request.query_params.get("lang")
            if chosen in LANGUAGES and request.cookies.get(LANG_COOKIE) != chosen:
                response.set_cookie(
                    LANG_COOKIE, str(chosen), max_age=365 * 86400, samesite="strict", httponly=True
                )
            return response

        return handler


def page_router() -> APIRouter:
    """An ``APIRouter`` for pages: HTML routes, left out of the OpenAPI schema."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)
