"""``filiere neo4j start|stop|status|import|recover``: a local Neo4j without Docker, and
the settling of loads a crash interrupted."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import argument, group, option
from filiere.i18n import _, ngettext
from filiere.neo4j_local import default_home

home_option = option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_home,
    show_default="$FILIERE_NEO4J_HOME or ~/.local/share/filiere/neo4j",
    help="Folder of the server's data, logs and state.",
)


@group()
def neo4j() -> None:
    """Run the real Neo4j Community engine locally (Java 17, jars from Maven Central).

    The first start resolves the engine with Maven into a cache (a minute or two).
    Then point filiere at it with the URI it prints:

        export FILIERE_STORE=bolt://127.0.0.1:7687 NEO4J_PASSWORD=filiere-dev
    """


@neo4j.command()
@home_option
@option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7687,
    show_default=True,
    help="Bolt port on 127.0.0.1 (0: any free port).",
)
@option("--heap", default="1g", show_default=True, help="JVM maximum heap.")
@option("--pagecache", default="512m", show_default=True, help="Neo4j page cache size.")
@option(
    "--password",
    envvar="NEO4J_PASSWORD",
    default="filiere-dev",
    show_default=True,
    help="Password of user neo4j. Env: NEO4J_PASSWORD.",
)
def start(home: Path, port: int, heap: str, pagecache: str, password: str) -> None:
    """Start the server in the background and wait until it answers."""
    from filiere.neo4j_local import start as start_server

    server = start_server(
        home, port=port or None, heap=heap, pagecache=pagecache, password=password
    )
    click.echo(
        _("Neo4j is ready at {uri} (user {user}, pid {pid})").format(
            uri=server.uri, user=server.user, pid=server.pid
        )
    )
    click.echo(_("logs: {path}").format(path=home / "neo4j.log"))
    click.echo(
        _("use it: {command}").format(
            command=f"export FILIERE_STORE={server.uri} NEO4J_PASSWORD=<password>"
        )
    )


@neo4j.command()
@home_option
def stop(home: Path) -> None:
    """Stop the server cleanly."""
    from filiere.neo4j_local import stop as stop_server

    click.echo(_("stopped") if stop_server(home) else _("not running"))


@neo4j.command()
@home_option
def status(home: Path) -> None:
    """Say whether the server runs, and where."""
    from filiere.neo4j_local import status as server_status

    server = server_status(home)
    if server is None:
        click.echo(_("not running"))
        raise SystemExit(3)
    click.echo(_("running at {uri} (pid {pid})").format(uri=server.uri, pid=server.pid))


@neo4j.command("import")
@argument("dataset", type=click.Path(exists=True, path_type=Path))
@home_option
@option(
    "--overwrite",
    is_flag=True,
    help="Replace the database the server home already holds (all of it).",
)
@option("--source", metavar="NAME", help="Provenance name (default: folder or file name).")
@option("--heap", default="1g", show_default=True, help="JVM maximum heap of the tool.")
@option(
    "--memory",
    default="1g",
    show_default=True,
    help="Off-heap memory of the import tool (e.g. 2g, or 50%).",
)
@option("--no-progress", is_flag=True, help="Do not show progress.")
def import_(
    dataset: Path,
    home: Path,
    overwrite: bool,
    source: str | None,
    heap: str,
    memory: str,
    no_progress: bool,
) -> None:
    """Bulk-load DATASET into the local server's database, stopped (neo4j-admin import).

    For a fresh database and large datasets: the dataset is validated as by `filiere
    ingest` (a refused dataset changes nothing), written as import CSV files and loaded
    by Neo4j's import tool, much faster than transactions. The database is replaced
    whole. The next `filiere neo4j start` creates the constraints. For a server you do
    not launch, see `filiere export --neo4j-admin`.
    """
    from filiere.cli.output import console
    from filiere.ingest.neo4j_admin import count_text
    from filiere.neo4j_local.bulk_import import import_dataset

    report = import_dataset(
        dataset,
        home,
        source=source,
        overwrite=overwrite,
        heap=heap,
        memory=memory,
        progress=not no_progress,
    )
    out = console()
    table = Table(title=_("imported {source!r}").format(source=report.source))
    table.add_column(_("label or type"))
    table.add_column(_("count"), justify="right")
    for name, n in report.counts.items():
        table.add_row(name, str(n))
    out.print(table)
    out.print(
        _("{counts} imported into {home}").format(
            counts=count_text(report.nodes, report.relationships), home=report.home
        )
    )
    out.print(
        _("start the server to use it (it creates the constraints): {command}").format(
            command=f"filiere neo4j start --home {report.home}"
        )
    )


@neo4j.command()
@pass_app
def recover(app: AppContext) -> None:
    """Settle the loads that a killed process or server left half-done in the store.

    A large load commits in batches under a load journal: one interrupted before its
    end is undone (nothing of it remains), one interrupted after its commit point is
    finished. The next write does the same by itself; this command does it now.
    """
    settled = app.store.recover()
    if not settled:
        click.echo(_("no interrupted load in {store}").format(store=app.store.uri))
        return
    kept = sum(1 for _load, stays in settled if stays)
    undone = len(settled) - kept
    if undone:
        click.echo(
            ngettext(
                "{n} interrupted load undone: nothing of it remains",
                "{n} interrupted loads undone: nothing of them remains",
                undone,
            ).format(n=undone)
        )
    if kept:
        click.echo(
            ngettext(
                "{n} committed load finished",
                "{n} committed loads finished",
                kept,
            ).format(n=kept)
        )


COMMANDS = [neo4j]
