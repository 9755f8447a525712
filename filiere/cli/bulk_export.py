"""``filiere export --neo4j-admin``: import tool files for a Neo4j server one does not run."""

from __future__ import annotations

from pathlib import Path

import click

from filiere.cli.context import AppContext
from filiere.errors import ConfigError
from filiere.i18n import _
from filiere.ingest.neo4j_admin import (
    README_FILE,
    count_text,
    dataset_records,
    write_admin_csv,
    write_instructions,
)


def export_neo4j_admin(app: AppContext, directory: Path, dataset: Path | None) -> None:
    """Write the store (or ``dataset``, validated first) as import files in ``directory``."""
    if directory.exists() and not directory.is_dir():
        raise ConfigError(_("{path} is not a folder").format(path=directory))
    if dataset is not None:
        records = dataset_records(dataset)  # streamed: only the checked rows are held
        origin = str(dataset)
        files = write_admin_csv(records, directory)
    else:
        origin = app.store.uri
        with app.store.streamed() as stored:  # one snapshot, read row by row where it can
            files = write_admin_csv(stored, directory)
    write_instructions(files)
    for name in (*files.node_files, *files.rel_files):
        click.echo(str(directory / name))
    click.echo(
        _("wrote {counts} from {origin} to {directory}").format(
            counts=count_text(files.nodes, files.relationships),
            origin=origin,
            directory=directory,
        )
    )
    click.echo(
        _("the command to run on the Neo4j server is in {readme}").format(
            readme=directory / README_FILE
        )
    )
