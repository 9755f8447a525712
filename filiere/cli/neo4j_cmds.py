"""``filiere neo4j start|stop|status``: a local Neo4j without Docker."""

from __future__ import annotations

from pathlib import Path

import click

from filiere.i18n import _
from filiere.neo4j_local import default_home

home_option = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_home,
    show_default="$FILIERE_NEO4J_HOME or ~/.local/share/filiere/neo4j",
    help="Folder of the server's data, logs and state.",
)


@click.group()
def neo4j() -> None:
    """Run the real Neo4j Community engine locally (Java 17, jars from Maven Central).

    The first start resolves the engine with Maven into a cache (a minute or two).
    Then point filiere at it with the URI it prints:

        export FILIERE_STORE=bolt://127.0.0.1:7687 NEO4J_PASSWORD=filiere-dev
    """


@neo4j.command()
@home_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7687,
    show_default=True,
    help="Bolt port on 127.0.0.1 (0: any free port).",
)
@click.option("--heap", default="1g", show_default=True, help="JVM maximum heap.")
@click.option("--pagecache", default="512m", show_default=True, help="Neo4j page cache size.")
@click.option(
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


COMMANDS = [neo4j]
