"""Clés API (``/cles``, admin role): list, create and revoke the API keys.

The page calls the key file's own functions (:class:`filiere.api.security.KeyStore`, as
``filiere apikey`` and ``/apikeys`` do). It shows each key's id, label, role and dates
and the start of the key (``fil_<id>_``, not secret), never a secret or its hash. A new
key is shown once, on the page that answers its creation; revoking asks for a
confirmation, and the sessions opened with the key end at their next request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from filiere.api.security import PREFIX, ApiKey, Role
from filiere.i18n import _
from filiere.web.auth import MAX_TOKEN, Admin, check_csrf, web_state
from filiere.web.render import PageError, page_router, render

router = page_router()

PATH = "/cles"
#: Longest label of a key (as ``POST /apikeys``).
MAX_LABEL = 200


def key_prefix(record: ApiKey) -> str:
    """The start every key of this record has: its id, not its secret.

    >>> key_prefix(ApiKey("0a1b2c3d4e", Role.ANALYST, "", "", None, "", ""))
    'fil_0a1b2c3d4e_…'
    """
    return f"{PREFIX}_{record.id}_…"


def _listing(request: Request, **context: object) -> Response:
    keys = web_state(request).keys.list()
    base: dict[str, object] = {
        "keys": keys,
        "prefix": key_prefix,
        "roles": list(Role),
        "created": None,
        "token": None,
        "revoked": None,
    }
    return render(request, "keys.html", {**base, **context})


@router.get(PATH)
async def keys_page(request: Request, viewer: Admin) -> Response:
    """The keys, the creation form and a revoke button per live key."""
    return await run_in_threadpool(_listing, request)


@router.post(PATH)
async def create_key(
    request: Request,
    viewer: Admin,
    role: Annotated[Role, Form()],
    csrf: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    label: Annotated[str, Form(max_length=MAX_LABEL)] = "",
) -> Response:
    """Create a key; the answer is the only page that shows it."""
    check_csrf(viewer.csrf, csrf)
    keys = web_state(request).keys
    record, token = await run_in_threadpool(keys.create, role, name=label.strip())
    return await run_in_threadpool(_listing, request, created=record, token=token)


@router.post(PATH + "/{key_id}/revocation")
async def revoke_key(
    request: Request,
    viewer: Admin,
    key_id: Annotated[str, Path(min_length=1, max_length=64)],
    csrf: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """First the confirmation page, then (``confirm=yes``) the revocation."""
    check_csrf(viewer.csrf, csrf)
    keys = web_state(request).keys
    record = next((k for k in keys.list() if k.id == key_id), None)
    if record is None:
        raise PageError(404, _("There is no API key {id}.").format(id=key_id))
    if confirm != "yes":
        return render(request, "key_revoke.html", {"key": record, "prefix": key_prefix})
    record = await run_in_threadpool(keys.revoke, key_id)
    web_state(request).sessions.close_key(key_id)  # also refused at their next request
    return await run_in_threadpool(_listing, request, revoked=record)
