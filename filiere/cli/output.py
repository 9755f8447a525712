"""Printing results as a table (rich), JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import click
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from filiere.cli.localized import option
from filiere.graph.records import WriteSummary
from filiere.i18n import _
from filiere.spreadsheet import csv_text

FORMATS = ("table", "json", "csv")

format_option = option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def console() -> Console:
    """A console on stdout that keeps UTF-8 and never wraps JSON."""
    return Console(soft_wrap=False, highlight=False)


def cell(value: Any, *, words: bool = True) -> str:
    """A value as one table or CSV cell (lists joined, floats trimmed).

    Booleans are words of the language in a table; in CSV (``words=False``), which
    tools read, they stay ``yes``/``no`` whatever the language.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        if not words:
            return "yes" if value else "no"
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v, words=words) for v in value)
    return str(value)


def print_json(data: BaseModel | Any) -> None:
    """Write ``data`` (a pydantic model or plain data) as indented UTF-8 JSON."""
    if isinstance(data, BaseModel):
        text = data.model_dump_json(indent=2)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    click.echo(text)


def print_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Print rows as a table or CSV (for JSON, call :func:`print_json` on the model).

    ``headers`` gives a table's column headers in words (CSV keeps the keys: tools read it);
    ``out`` receives the CSV instead of stdout (the workspace's downloads).
    """
    if fmt == "csv":
        writer = csv.writer(out or sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_text(cell(row.get(c), words=False)) for c in columns])
        return
    if fmt == "json":
        print_json([{c: row.get(c) for c in columns} for row in rows])
        return
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column((headers or {}).get(c, c), overflow="fold")
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    console().print(table)


def summary_table(summary: WriteSummary, title: str) -> Table:
    """What a write created and updated, per label or relationship type."""
    table = Table(title=title)
    table.add_column(_("label or type"))
    table.add_column(_("created"), justify="right")
    table.add_column(_("updated"), justify="right")
    for name, created, updated in summary.rows():
        table.add_row(str(name), str(created), str(updated))
    return table
