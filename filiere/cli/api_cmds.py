"""``filiere serve`` (the HTTP API and the workspace), ``filiere ui`` (the workspace, signed
in) and ``filiere apikey create|list|revoke``."""

from __future__ import annotations

import os
import sys

import click

from filiere.api.logs import log_config
from filiere.api.security import KeyStore, Role
from filiere.api.settings import ApiSettings
from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import argument, command, group, option
from filiere.cli.output import format_option, print_json, print_rows
from filiere.i18n import _, pgettext


@command()
@option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (each opens the store; the embedded one reloads its file on change).",
)
@option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@pass_app
def serve(app: AppContext, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) over the configured store.

    Settings: FILIERE_API_* environment variables or .env (see docs/api.md); keys are
    made with `filiere apikey create`.
    """
    import uvicorn

    settings = ApiSettings()
    # Workers build their own app from the environment: hand them the --store option.
    os.environ["FILIERE_STORE"] = app.settings.store
    click.echo(
        _("filiere API on http://{host}:{port} (docs: /docs), store {store}, keys {keys}").format(
            host=host, port=port, store=app.settings.store, keys=settings.keys_file
        ),
        err=True,
    )
    uvicorn.run(
        "filiere.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=log_config(),  # the access log masks credentials in URLs
        server_header=False,
    )


@command()
@option(
    "--port",
    default=0,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (default: a free one).",
)
@option("--no-browser", is_flag=True, help="Print the link only; open no browser.")
@option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@pass_app
def ui(app: AppContext, port: int, no_browser: bool, log_level: str) -> None:
    """Open the analyst's workspace in the browser, already signed in.

    Serves the workspace and the API on 127.0.0.1 only and prints a one-time link
    (http://127.0.0.1:PORT/?token=...) that signs the local user in (admin role) once;
    the browser then keeps a session cookie. Stop with Ctrl-C.
    """
    import socket
    import webbrowser

    import uvicorn

    from filiere.api.app import create_app
    from filiere.web.settings import WebSettings

    # One process: its sessions stay in its memory, apart from any `filiere serve`.
    served = create_app(
        store_settings=app.settings, web_settings=WebSettings(private_sessions=True)
    )
    state = served.state.web
    token = state.sessions.grant(Role.ADMIN, name=_("local user"), ttl_s=state.settings.token_ttl_s)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/?token={token}"
    click.echo(
        _("filiere workspace on {url} (store {store}); Ctrl-C stops it").format(
            url=url, store=app.settings.store
        )
    )
    sys.stdout.flush()
    if not no_browser:
        webbrowser.open(url)
    config = uvicorn.Config(
        served, log_level=log_level, log_config=log_config(), server_header=False
    )
    uvicorn.Server(config).run(sockets=[sock])


@group()
def apikey() -> None:
    """Create, list and revoke API keys (stored hashed in FILIERE_API_KEYS_FILE)."""


def _keys() -> KeyStore:
    return KeyStore(ApiSettings().keys_file)


@apikey.command("create")
@option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="analyst: read, analyses, read-only Cypher; editor: also upload; admin: also keys.",
)
@option("--name", default="", help="What or who the key is for.")
def apikey_create(role: str, name: str) -> None:
    """Create a key and print it once (only its hash is kept)."""
    keys = _keys()
    record, token = keys.create(Role(role), name=name)
    click.echo(
        _("created key {id} ({role}) in {path}").format(
            id=record.id, role=record.role.value, path=keys.path
        ),
        err=True,
    )
    click.echo(_("store it now, it cannot be shown again:"), err=True)
    click.echo(token)


@apikey.command("list")
@format_option
def apikey_list(fmt: str) -> None:
    """List keys (id, role, name, dates), revoked ones included."""
    keys = _keys()
    rows = [keys.public(k) for k in keys.list()]
    if fmt == "json":
        print_json(rows)
        return
    headers = {
        "id": _("id"),
        "role": _("role"),
        "name": _("name"),
        "created_at": pgettext("api key", "created"),
        "revoked_at": pgettext("api key", "revoked"),
    }
    print_rows(rows, ["id", "role", "name", "created_at", "revoked_at"], fmt, headers=headers)


@apikey.command("revoke")
@argument("key_id")
def apikey_revoke(key_id: str) -> None:
    """Revoke a key at once (running servers see it on their next request)."""
    record = _keys().revoke(key_id)
    click.echo(
        _("revoked key {id} ({role}) at {when}").format(
            id=record.id, role=record.role.value, when=record.revoked_at
        )
    )


COMMANDS = [serve, ui, apikey]
