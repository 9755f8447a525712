"""``filiere info`` and ``filiere clear``: look at and empty the store."""

from __future__ import annotations

import click

from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import command, option
from filiere.cli.output import format_option, print_json, print_rows
from filiere.i18n import _


@command()
@format_option
@pass_app
def info(app: AppContext, fmt: str) -> None:
    """Show which store is in use and what it holds."""
    store = app.store
    counts = store.counts()
    if fmt == "json":
        print_json({"store": store.uri, "kind": store.kind, "counts": counts})
        return
    click.echo(_("store: {uri} ({kind})").format(uri=store.uri, kind=store.kind))
    rows = [{"label or type": k, "count": v} for k, v in sorted(counts.items())]  # CSV keys
    if fmt == "csv":
        print_rows(rows, ["label or type", "count"], fmt)
        return
    header = [_("label or type"), _("count")]
    print_rows([dict(zip(header, r.values(), strict=True)) for r in rows], header, fmt)


@command()
@option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def clear(app: AppContext, yes: bool) -> None:
    """Remove every node and relationship from the store."""
    if not yes:
        click.confirm(_("Empty {uri}?").format(uri=app.store.uri), abort=True)
    app.store.clear()
    click.echo(_("emptied {uri}").format(uri=app.store.uri))


COMMANDS = [info, clear]
