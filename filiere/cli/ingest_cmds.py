"""``filiere ingest`` and ``filiere export``: load a dataset, write it back as CSV files."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from filiere.cli.context import AppContext, pass_app
from filiere.cli.output import console, summary_table
from filiere.i18n import _
from filiere.ingest import LoadReport, export_dataset, load


def _print_report(report: LoadReport) -> None:
    out = console()
    rows = Table(title=f"dataset {report.source!r}")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for name, n in report.rows.items():
        rows.add_row(name, str(n))
    out.print(rows)
    if report.summary is None:
        out.print(f"dataset OK, nothing written (checked against {report.store})")
        return
    out.print(summary_table(report.summary, "written"))
    how = "replaced the content of" if report.replaced else "loaded into"
    out.print(f"{how} {report.store} ({report.store_kind} store)")


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Validate only; write nothing.")
@click.option("--replace", is_flag=True, help="Empty the store first (in the same write).")
@click.option("--source", metavar="NAME", help="Provenance name (default: folder or file name).")
@click.option("--no-progress", is_flag=True, help="Do not show progress bars.")
@click.option(
    "--batched",
    is_flag=True,
    help="Neo4j: commit the validated write in batches (for datasets too large for one "
    "transaction on the server). A failure mid-write leaves the batches already "
    "committed; ingesting again completes it.",
)
@pass_app
def ingest(
    app: AppContext,
    path: Path,
    check: bool,
    replace: bool,
    source: str | None,
    no_progress: bool,
    batched: bool,
) -> None:
    """Load the dataset at PATH: a folder of CSV files, an .xlsx workbook or a JSON file.

    Every problem is reported as FILE:LINE: message and nothing is written unless the
    whole dataset is valid. See docs/dataset-format.md.
    """
    report = load(
        path,
        app.store,
        replace=replace,
        check_only=check,
        progress=not no_progress,
        source=source,
        atomic=not batched,
    )
    _print_report(report)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--neo4j-admin",
    "neo4j_admin",
    is_flag=True,
    help="Write the CSV files of `neo4j-admin database import full` instead, with the "
    "command to run and the constraints to create (for a Neo4j server you do not launch).",
)
@click.option(
    "--dataset",
    type=click.Path(exists=True, path_type=Path),
    help="With --neo4j-admin: convert this dataset (validated as by ingest) instead of the store.",
)
@pass_app
def export(app: AppContext, directory: Path, neo4j_admin: bool, dataset: Path | None) -> None:
    """Write the store's dataset back as CSV files in DIRECTORY (the ingest format)."""
    if dataset is not None and not neo4j_admin:
        raise click.UsageError(_("--dataset goes with --neo4j-admin"))
    if neo4j_admin:
        from filiere.cli.bulk_export import export_neo4j_admin

        export_neo4j_admin(app, directory, dataset)
        return
    files = export_dataset(app.store, directory)
    for f in files:
        click.echo(str(f))
    click.echo(f"exported {len(files)} table(s) from {app.store.uri} to {directory}")


COMMANDS = [ingest, export]
