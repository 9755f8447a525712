"""The analyst's workspace: French-first HTML pages served by the same app as the API.

``install(app)`` (called by :func:`filiere.api.app.create_app`) adds the sign-in pages,
every page module of :mod:`filiere.web.pages`, and the static files under ``/static``.
Pages are thin: they call the library functions the CLI and the API call
(:mod:`filiere.queries`, :mod:`filiere.queries.lookups`, :mod:`filiere.viz`) and hand the
results to a Jinja2 template; no analysis happens in a template or in JavaScript.

How to add a page
-----------------
1. Create ``filiere/web/pages/<name>.py`` with ``router = page_router()`` (from
   :mod:`filiere.web.render`): it is found and mounted automatically, out of the OpenAPI
   schema. Give it a French URL (``/articles/{id}``) that keeps its state in the query
   (``?pays=CN``), so that it can be bookmarked and shared.
2. Take the reader with ``viewer: Viewer`` (or ``Editor``/``Admin``, from
   :mod:`filiere.web.auth`): no session redirects to the sign-in page, a role too low
   gets a 403 page. Take the store with ``store: StoreDep`` (:mod:`filiere.api.deps`).
3. Return ``render(request, "<name>.html", {...})``. The template extends ``base.html``
   and fills ``{% block title %}`` and ``{% block main %}``; every text goes through
   ``_()``/``ngettext()`` with ``.format()`` placeholders, and its French goes in the
   branch's fragment (``filiere/locale/fragments/<branch>.po``).
4. A form that changes something posts a hidden ``csrf`` field (``{{ csrf }}``) and its
   handler calls :func:`filiere.web.auth.check_csrf` first.
5. Scripts and styles live in ``filiere/web/static`` (libraries vendored from npm by
   ``scripts/vendor-js`` with ``"into": "filiere/web/static/vendor"``); no inline script
   (the Content-Security-Policy forbids it), no request outside the origin.
6. Add the page to :data:`filiere.web.nav.NAV` if it belongs in the navigation bar, and
   to the browser tests (``tests/test_web_browser.py``: loads, axe-core, screenshot).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from filiere.api.guard import AuthBudget, WorkLimits
from filiere.api.security import KeyStore
from filiere.web.auth import WebState
from filiere.web.sessions import SessionTable
from filiere.web.settings import WebSettings

STATIC = Path(__file__).resolve().parent / "static"
#: The upload page: the API's limits give it the upload body size and time limit.
IMPORT_PATH = "/import"


def sessions_path(settings: WebSettings, keys: KeyStore) -> Path | None:
    """Where the sessions live: ``FILIERE_WEB_SESSIONS_FILE``, else ``sessions.sqlite3``
    beside the API key file; ``None`` (memory) with ``private_sessions``."""
    if settings.private_sessions:
        return None
    return settings.sessions_file or keys.path.with_name("sessions.sqlite3")


def install(
    app: FastAPI,
    keys: KeyStore,
    settings: WebSettings | None = None,
    *,
    uploads_per_session: int = 2,
) -> WebState:
    """Add the workspace's pages and static files to ``app``; its state is ``app.state.web``."""
    from filiere.web import pages
    from filiere.web.gate import UPLOAD, UploadGate

    web = settings or WebSettings()
    state = WebState(
        settings=web,
        sessions=SessionTable(
            sessions_path(web, keys),
            idle_s=web.session_idle_s,
            max_s=web.session_max_s,
            max_sessions=web.max_sessions,
        ),
        keys=keys,
        signin_budget=AuthBudget(web.signin_failures, web.signin_window_s),
        uploads=WorkLimits({UPLOAD: uploads_per_session}),
    )
    app.state.web = state
    for info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pages.__name__}.{info.name}")
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(UploadGate, state=state, path=IMPORT_PATH)
    return state
