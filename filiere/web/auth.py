"""Who is looking: the session cookie, the role a page needs, and CSRF checks.

A page declares its reader with an ``Annotated`` alias (``viewer: Viewer``, ``Editor``,
``Admin``): no session sends the person to the sign-in page, a role too low gets a 403
page. Every form that changes something carries the session's CSRF token (``csrf``)
and its handler calls :func:`check_csrf` before doing anything.

A session opened with an API key ends as soon as that key is revoked, like the key's
own access to the API.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response, params

from filiere.api.guard import AuthBudget, WorkLimits
from filiere.api.security import KeyStore, Role
from filiere.i18n import _
from filiere.web.render import PageError, SignInRequired
from filiere.web.sessions import Session, SessionTable
from filiere.web.settings import WebSettings

SESSION_COOKIE = "filiere_session"
#: Longest CSRF token or API key read from a form.
MAX_TOKEN = 200


@dataclass
class WebState:
    """What the workspace keeps for the app's lifetime (``app.state.web``)."""

    settings: WebSettings
    sessions: SessionTable
    keys: KeyStore
    signin_budget: AuthBudget
    #: Uploads each session may run at once (``upload``: FILIERE_API_UPLOADS_PER_KEY).
    uploads: WorkLimits

    def key_alive(self, key_id: str) -> bool:
        """Whether the API key ``key_id`` exists and is not revoked."""
        return any(k.id == key_id and not k.revoked for k in self.keys.list())


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def set_session_cookie(response: Response, state: WebState, session: Session) -> None:
    """Hand ``session`` to the browser: HttpOnly, SameSite=Strict, for the whole site."""
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        max_age=int(state.settings.session_max_s),
        httponly=True,
        samesite="strict",
        secure=state.settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, state: WebState) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", secure=state.settings.secure_cookies
    )


async def current_viewer(request: Request) -> Session | None:
    """The live session of the request, or ``None`` (also kept in ``request.state.viewer``)."""
    state = web_state(request)
    session = state.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is not None and session.key_id is not None and not state.key_alive(session.key_id):
        state.sessions.close(session.id)
        session = None
    request.state.viewer = session
    return session


def page_role(role: Role) -> params.Depends:
    """A dependency that lets through sessions of ``role`` or higher."""

    async def check(viewer: Annotated[Session | None, Depends(current_viewer)]) -> Session:
        if viewer is None:
            raise SignInRequired
        if not viewer.role.allows(role):
            raise PageError(
                403,
                _("This page needs the {role} role; yours is {yours}.").format(
                    role=role.value, yours=viewer.role.value
                ),
            )
        return viewer

    dependency: params.Depends = Depends(check)
    return dependency


Viewer = Annotated[Session, page_role(Role.ANALYST)]
Editor = Annotated[Session, page_role(Role.EDITOR)]
Admin = Annotated[Session, page_role(Role.ADMIN)]
MaybeViewer = Annotated[Session | None, Depends(current_viewer)]


def check_csrf(expected: str, given: str | None) -> None:
    """Refuse a form whose CSRF token is missing or not the session's (403 page)."""
    if not given or not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise PageError(
            403,
            _("This form expired or did not come from this workspace; reload the page and retry."),
        )
