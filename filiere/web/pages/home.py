"""Accueil (``/``): what the store holds, the at-risk items that touch most products,
a search box and shock shortcuts. Also where ``filiere ui``'s one-time link lands."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from filiere import queries
from filiere.api.deps import StoreDep
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.queries.models import OpportunitiesResult
from filiere.queries.summary import StoreSummary, store_summary
from filiere.web.auth import MaybeViewer, set_session_cookie, web_state
from filiere.web.render import SignInRequired, page_router, render

router = page_router()

#: At-risk items listed on the home page.
TOP_RISKS = 10


def _facts(store: GraphStore) -> dict[str, Any]:
    summary: StoreSummary = store_summary(store)
    found: OpportunitiesResult = queries.opportunities(store)
    risks = sorted(found.opportunities, key=lambda o: (-len(o.products), o.item))[:TOP_RISKS]
    names = store.get_nodes(Label.ITEM, [o.item for o in risks])
    return {
        "summary": summary,
        "risks": risks,
        "names": {k: v.get("name") or k for k, v in names.items()},
        "home_country": found.home_country,
    }


@router.get("/")
async def home(
    request: Request,
    store: StoreDep,
    viewer: MaybeViewer,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The home page; ``?token=`` (from ``filiere ui``) opens a session once."""
    state = web_state(request)
    if token is not None:
        session = state.sessions.redeem(token)
        if session is None:
            message = _("This sign-in link was used already or has expired.")
            context = {"next": "/", "error": message, "signin_csrf": ""}
            return render(request, "signin.html", context, status=403)
        response = RedirectResponse("/", status_code=303)
        set_session_cookie(response, state, session)
        return response
    if viewer is None:
        raise SignInRequired
    return render(request, "home.html", await run_in_threadpool(_facts, store))
