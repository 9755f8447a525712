"""Sign in with an API key (``filiere serve``), sign out; ``filiere ui`` signs in by link."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from filiere.i18n import _
from filiere.web.auth import (
    MAX_TOKEN,
    MaybeViewer,
    check_csrf,
    clear_session_cookie,
    set_session_cookie,
    web_state,
)
from filiere.web.render import page_router, render

router = page_router()

PATH = "/connexion"
#: The sign-in form's own CSRF token (no session yet): a cookie the form must repeat.
SIGNIN_COOKIE = "filiere_signin"
MAX_NEXT = 2000


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another site).

    >>> safe_next("/produits/P-KAPLAN?x=1"), safe_next("//evil.example/"), safe_next(None)
    ('/produits/P-KAPLAN?x=1', '/', '/')
    >>> safe_next("https://evil.example/"), safe_next("/\\\\evil.example")
    ('/', '/')
    """
    if (
        not target
        or len(target) > MAX_NEXT
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(c in target for c in "\r\n\t\\")
    ):
        return "/"
    return target


def _form(request: Request, *, next_: str, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "signin.html",
        {"next": safe_next(next_), "error": error, "signin_csrf": token},
        status=status,
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=web_state(request).settings.secure_cookies,
        path=PATH,
    )
    return response


@router.get(PATH)
async def signin_page(request: Request, viewer: MaybeViewer, next: str | None = None) -> Response:
    """The sign-in form (straight on when already signed in)."""
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, next_=next or "/")


@router.post(PATH)
async def signin(
    request: Request,
    key: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    csrf: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    next: Annotated[str, Form(max_length=MAX_NEXT)] = "/",
) -> Response:
    """Open a session with the role of the pasted API key."""
    state = web_state(request)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not csrf or not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        return _form(
            request,
            next_=next,
            error=_("This form expired; please paste your key again."),
            status=403,
        )
    client = request.client.host if request.client else "unknown"
    wait = state.signin_budget.retry_after(client)
    if wait is not None:
        message = _("Too many failed sign-ins from this address; try again in {n} s.").format(
            n=wait
        )
        return _form(request, next_=next, error=message, status=429)
    record = await run_in_threadpool(state.keys.authenticate, key.strip()) if key else None
    if record is None:
        state.signin_budget.fail(client)
        return _form(
            request, next_=next, error=_("This API key is unknown or revoked."), status=401
        )
    session = state.sessions.open(record.role, key_id=record.id, name=record.name or record.id)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, state, session)
    response.delete_cookie(SIGNIN_COOKIE, path=PATH)
    return response


@router.post("/deconnexion")
async def signout(
    request: Request,
    viewer: MaybeViewer,
    csrf: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
) -> Response:
    """Close the session and go back to the sign-in page."""
    state = web_state(request)
    if viewer is not None:
        check_csrf(viewer.csrf, csrf)
        state.sessions.close(viewer.id)
    response = RedirectResponse(PATH, status_code=303)
    clear_session_cookie(response, state)
    return response
