"""The upload page's gate: who may upload is checked before a byte of the body is read.

FastAPI reads a form before the page's dependencies run, so without this gate anyone
could make the server read a 64 MB body only to be refused. For ``POST /import`` the
gate reads the session cookie: no session goes to the sign-in page, a role below editor
gets a 403 page, and one session runs at most ``FILIERE_API_UPLOADS_PER_KEY`` uploads at
once (429 beyond), its slot held until the ingestion thread ends (as the API does).
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from filiere.api.guard import SLOT_KEY, Slot
from filiere.api.security import Role
from filiere.i18n import _, language
from filiere.web.auth import SESSION_COOKIE, WebState
from filiere.web.render import PageError, SignInRequired, error_page, page_language

UPLOAD = "upload"


def _session_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            morsel = jar.get(SESSION_COOKIE)
            return morsel.value if morsel is not None else None
    return None


class UploadGate:
    """Check the session of a ``POST`` to ``path`` before the application reads its body."""

    def __init__(self, app: ASGIApp, *, state: WebState, path: str) -> None:
        self.app = app
        self.state = state
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.state.sessions.get(_session_id(scope))
        if session is not None and session.key_id and not self.state.key_alive(session.key_id):
            self.state.sessions.close(session.id)
            session = None
        request.state.viewer = session
        refusal: Exception | None = None
        if session is None:
            refusal = SignInRequired()
        elif not session.role.allows(Role.EDITOR):
            refusal = PageError(
                403,
                _("This page needs the {role} role; yours is {yours}.").format(
                    role=Role.EDITOR.value, yours=session.role.value
                ),
            )
        elif not self.state.uploads.acquire(UPLOAD, session.id):
            refusal = PageError(
                429,
                _("You already run {n} imports at once; try again when one ends.").format(
                    n=self.state.uploads.limits[UPLOAD]
                ),
            )
        if refusal is not None:
            lang = page_language(request)
            request.state.lang = lang
            with language(lang):
                response = error_page(request, refusal)
            response.headers["Connection"] = "close"  # the body is never read
            await response(scope, receive, send)
            return
        assert session is not None
        sid = session.id
        slot = scope[SLOT_KEY] = Slot(lambda: self.state.uploads.release(UPLOAD, sid))
        try:
            await self.app(scope, receive, send)
        finally:
            if not slot.held_by_thread:
                slot.release()
