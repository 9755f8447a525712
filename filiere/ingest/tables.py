"""The raw form of a dataset table: text cells with their line numbers, before validation.

Every reader (CSV folder, xlsx workbook, JSON file, an uploaded zip, or a real-source
adapter) produces :class:`RawTable` objects; :func:`filiere.ingest.validate.validate`
turns them into a :class:`~filiere.graph.model.Dataset`.

>>> t = table_from_cells("items", "items.csv", [(1, ["ID", " Name "]), (2, ["A", "Acier"])])
>>> t.columns, t.rows
(['id', 'name'], [(2, {'id': 'A', 'name': 'Acier'})])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from filiere.errors import DatasetIssue
from filiere.i18n import _
from filiere.spreadsheet import TEXT_MARKER, read_text


@dataclass
class RawTable:
    """One table as read: lower-cased column names and trimmed text values.

    ``rows`` holds ``(line, {column: value})`` where ``line`` is what error messages
    show (the CSV line, the sheet row, the JSON line). ``issues`` are problems found
    while reading; ``complete`` is false when part of the table could not be read, so
    that validation does not report references to the rows it never saw.
    """

    name: str
    file: str
    header_line: int = 1
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    issues: list[DatasetIssue] = field(default_factory=list)
    complete: bool = True

    def issue(self, line: int | None, message: str) -> None:
        """Record a problem found while reading."""
        self.issues.append(DatasetIssue(self.file, line, message))


def normalize_column(name: str) -> str:
    """Column names are compared without case or surrounding spaces."""
    return name.strip().lower()


def table_from_cells(name: str, file: str, lines: Iterable[tuple[int, Sequence[str]]]) -> RawTable:
    """Build a table from ``(line, cells)``: the first non-blank line is the header.

    Blank lines are skipped; values are trimmed and lose the text marker ``'`` that
    protects text starting like a formula (:func:`filiere.spreadsheet.read_text`); a row
    with more non-empty values than the header has columns is reported.
    """
    table = RawTable(name, file)
    it = iter(lines)
    header: list[str] | None = None
    for line, cells in it:
        if any(c.strip() for c in cells):
            header = [normalize_column(c) for c in cells]
            table.header_line = line
            break
    if header is None:
        table.issue(1, _("the table is empty (no header line)"))
        table.complete = False
        return table
    width = len(header)
    while width and not header[width - 1]:
        width -= 1  # trailing empty header cells (Excel's trailing separators)
    header = header[:width]
    seen: set[str] = set()
    for i, col in enumerate(header):
        if not col:
            table.issue(table.header_line, _("column {n} has no name").format(n=i + 1))
        elif col in seen:
            table.issue(table.header_line, _("duplicate column {col!r}").format(col=col))
        seen.add(col)
    table.columns = [c for c in dict.fromkeys(header) if c]
    named = all(header)
    for line, cells in it:
        values = [read_text(v) if v[:1] == TEXT_MARKER else v for v in map(str.strip, cells)]
        if not any(values):
            continue
        if len(values) > width and any(values[width:]):
            table.issue(
                line,
                _("{n} values but the header has {width} columns").format(
                    n=len(values), width=width
                ),
            )
            continue
        if named:  # zip stops at the shorter: a short row has no key for missing values
            row = dict(zip(header, values, strict=False))
        else:
            row = {col: values[i] for i, col in enumerate(header) if col and i < len(values)}
        table.rows.append((line, row))
    return table
