"""``filiere ingest`` and ``filiere export``: load a dataset, write it back as CSV files."""

from __future__ import annotations

from pathlib import Path

import click

from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import argument, command, option
from filiere.cli.output import console, summary_table
from filiere.i18n import _, ngettext
from filiere.ingest import LoadReport, export_dataset, export_dataset_json, load
from filiere.ingest.limits import IngestLimits


def table_words(table: str, n: int) -> str:
    """``104 articles (produits, composants, matières)`` for the ``items`` table."""
    words = {
        "items": lambda: ngettext(
            "{n} item (product, component or material)",
            "{n} items (products, components, materials)",
            n,
        ),
        "bom": lambda: ngettext("{n} bill-of-materials link", "{n} bill-of-materials links", n),
        "suppliers": lambda: ngettext("{n} supplier", "{n} suppliers", n),
        "supplies": lambda: ngettext("{n} current supply", "{n} current supplies", n),
        "offers": lambda: ngettext(
            "{n} offer (who can deliver an item)", "{n} offers (who can deliver an item)", n
        ),
        "substitutes": lambda: ngettext("{n} substitute", "{n} substitutes", n),
        "processes": lambda: ngettext(
            "{n} process needed by an item", "{n} processes needed by items", n
        ),
        "capabilities": lambda: ngettext("{n} supplier capability", "{n} supplier capabilities", n),
        "production": lambda: ngettext(
            "{n} world production figure", "{n} world production figures", n
        ),
    }
    text = words[table]() if table in words else "{n} " + table
    return text.format(n=n)


def _print_report(report: LoadReport, verbose: bool = False) -> None:
    out = console()
    lines = [table_words(name, n) for name, n in report.rows.items() if n]
    if report.summary is None:
        out.print(
            _("Dataset {source} is valid, nothing written (checked against {store}):").format(
                source=repr(report.source), store=report.store
            ),
            markup=False,
        )
    elif report.replaced:
        out.print(
            _("Dataset {source} replaced the content of {store}:").format(
                source=repr(report.source), store=report.store
            ),
            markup=False,
        )
    else:
        out.print(
            _("Dataset {source} loaded into {store}:").format(
                source=repr(report.source), store=report.store
            ),
            markup=False,
        )
    for line in lines:
        out.print("  " + line, markup=False)
    if verbose and report.summary is not None:
        out.print(summary_table(report.summary, _("graph nodes and relationships written")))


@command()
@argument("path", type=click.Path(exists=True, path_type=Path))
@option("--check", is_flag=True, help="Validate only; write nothing.")
@option("--replace", is_flag=True, help="Empty the store first (in the same write).")
@option("--source", metavar="NAME", help="Provenance name (default: folder or file name).")
@option("--no-progress", is_flag=True, help="Do not show progress bars.")
@option("-v", "--verbose", is_flag=True, help="Also show the graph's node and relationship counts.")
@option(
    "--batched",
    is_flag=True,
    help="Neo4j: commit the write in journalled batches even when it would fit in one "
    "transaction (larger writes always are). Still all or nothing: a failure undoes "
    "the batches already committed.",
)
@pass_app
def ingest(
    app: AppContext,
    path: Path,
    check: bool,
    replace: bool,
    source: str | None,
    no_progress: bool,
    verbose: bool,
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
        limits=IngestLimits.from_settings(app.settings),
    )
    _print_report(report, verbose)


@command()
@argument("target", metavar="PATH", type=click.Path(path_type=Path))
@option(
    "--neo4j-admin",
    "neo4j_admin",
    is_flag=True,
    help="Write the CSV files of `neo4j-admin database import full` instead, with the "
    "command to run and the constraints to create (for a Neo4j server you do not launch).",
)
@option(
    "--dataset",
    type=click.Path(exists=True, path_type=Path),
    help="With --neo4j-admin: convert this dataset (validated as by ingest) instead of the store.",
)
@pass_app
def export(app: AppContext, target: Path, neo4j_admin: bool, dataset: Path | None) -> None:
    """Write the store's dataset back in the ingest format: CSV files in the folder PATH,
    or one JSON file when PATH ends in .json.

    Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or
    carriage return; plain numbers aside) is written after a ' text marker, so opening
    a file in Excel or LibreOffice runs nothing. filiere ingest reads the marker off:
    the values come back exactly.
    """
    if dataset is not None and not neo4j_admin:
        raise click.UsageError(_("--dataset goes with --neo4j-admin"))
    as_json = target.suffix.lower() == ".json"
    if target.exists() and target.is_dir() == as_json:
        raise click.UsageError(
            _("{path} is a folder: a JSON export needs a file name").format(path=target)
            if as_json
            else _("{path} is a file: give a folder (CSV files) or a name ending in .json").format(
                path=target
            )
        )
    if neo4j_admin:
        if as_json:
            raise click.UsageError(_("--neo4j-admin writes CSV files into a folder"))
        from filiere.cli.bulk_export import export_neo4j_admin

        export_neo4j_admin(app, target, dataset)
        return
    if as_json:
        tables = export_dataset_json(app.store, target)
        click.echo(
            ngettext(
                "exported {n} table from {store} to {file}",
                "exported {n} tables from {store} to {file}",
                len(tables),
            ).format(n=len(tables), store=app.store.uri, file=target)
        )
        return
    directory = target
    files = export_dataset(app.store, directory)
    for f in files:
        click.echo(str(f))
    click.echo(
        ngettext(
            "exported {n} table from {store} to {folder}",
            "exported {n} tables from {store} to {folder}",
            len(files),
        ).format(n=len(files), store=app.store.uri, folder=directory)
    )


COMMANDS = [ingest, export]
