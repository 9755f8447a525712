"""Bounds on what a dataset may expand to: bytes once decompressed, rows, columns, cells.

A file is judged by what it expands to, not by what it weighs: a 500 KB zip can hold
500 MiB of text and a 5 KB workbook can declare a million rows. Every reader counts
as it streams (zip members through a running byte counter, sheet rows as they are
parsed) and stops at the first limit crossed, with a ``FILE:LINE: message`` error.

The limits are settings (``FILIERE_INGEST_MAX_*``, see ``docs/reliability.md``).

>>> budget = Budget(IngestLimits(max_rows=2))
>>> budget.row("items.csv", 1, 3); budget.row("items.csv", 2, 3)
>>> try:
...     budget.row("items.csv", 3, 3)
... except DatasetError as e:
...     print(e.issues[0])
items.csv:3: more than 2 rows in the dataset (limit FILIERE_INGEST_MAX_ROWS)
"""

from __future__ import annotations

from dataclasses import dataclass

from filiere.errors import DatasetError, DatasetIssue
from filiere.i18n import _, ngettext
from filiere.settings import Settings, get_settings

MiB = 1024 * 1024

#: Deepest JSON nesting read (the format needs 3: object, list, row object).
MAX_JSON_DEPTH = 32
#: Most digits of a number in a JSON file (a float has 17 significant digits).
MAX_NUMBER_DIGITS = 100


@dataclass(frozen=True)
class IngestLimits:
    """What one dataset may expand to; the defaults fit 10^6-row datasets."""

    max_bytes: int = 256 * MiB
    max_rows: int = 2_000_000
    max_columns: int = 256
    max_cells: int = 20_000_000
    max_files: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> IngestLimits:
        """The limits of ``settings`` (default: the process settings, from the environment)."""
        s = settings or get_settings()
        return cls(
            max_bytes=s.ingest_max_bytes,
            max_rows=s.ingest_max_rows,
            max_columns=s.ingest_max_columns,
            max_cells=s.ingest_max_cells,
        )


def _size(n: int) -> str:
    if n >= MiB:
        return _("{n} MiB").format(n=f"{n / MiB:g}")
    return ngettext("{n} byte", "{n} bytes", n).format(n=n)


def refuse(file: str, line: int | None, message: str) -> DatasetError:
    """A one-issue :class:`DatasetError`."""
    return DatasetError([DatasetIssue(file, line, message)])


class Budget:
    """Running counters of one dataset read, checked against its :class:`IngestLimits`."""

    def __init__(self, limits: IngestLimits | None = None) -> None:
        self.limits = limits or IngestLimits.from_settings()
        self.bytes = 0
        self.rows = 0
        self.cells = 0
        self.files = 0

    def take_bytes(self, n: int, file: str) -> None:
        """Count ``n`` more expanded bytes of ``file``."""
        self.bytes += n
        if self.bytes > self.limits.max_bytes:
            raise refuse(
                file,
                None,
                _(
                    "the dataset expands to more than {size} once decompressed "
                    "(limit FILIERE_INGEST_MAX_BYTES)"
                ).format(size=_size(self.limits.max_bytes)),
            )

    def take_file(self, file: str) -> None:
        """Count one more file (zip member, sheet)."""
        self.files += 1
        if self.files > self.limits.max_files:
            raise refuse(
                file,
                None,
                _("more than {n} files in the dataset").format(n=self.limits.max_files),
            )

    def expect(self, file: str, rows: int, cells: int) -> None:
        """Refuse up front a file that holds at least ``rows`` rows and ``cells`` cells.

        For formats parsed whole (JSON), so that the limits bound memory too.
        """
        if self.rows + rows > self.limits.max_rows:
            raise refuse(
                file,
                None,
                _("more than {n} rows in the dataset (limit FILIERE_INGEST_MAX_ROWS)").format(
                    n=self.limits.max_rows
                ),
            )
        if self.cells + cells > self.limits.max_cells:
            raise refuse(
                file,
                None,
                _("more than {n} cells in the dataset (limit FILIERE_INGEST_MAX_CELLS)").format(
                    n=self.limits.max_cells
                ),
            )

    def row(self, file: str, line: int, width: int) -> None:
        """Count one row of ``width`` cells (blank rows count: they cost reading too)."""
        self.rows += 1
        self.cells += width
        if self.rows > self.limits.max_rows:
            raise refuse(
                file,
                line,
                _("more than {n} rows in the dataset (limit FILIERE_INGEST_MAX_ROWS)").format(
                    n=self.limits.max_rows
                ),
            )
        if self.cells > self.limits.max_cells:
            raise refuse(
                file,
                line,
                _("more than {n} cells in the dataset (limit FILIERE_INGEST_MAX_CELLS)").format(
                    n=self.limits.max_cells
                ),
            )

    def columns(self, file: str, line: int, cells: list[str]) -> list[str]:
        """``cells`` without trailing blanks; refused when more than the column limit remain."""
        if len(cells) <= self.limits.max_columns:
            return cells
        width = len(cells)
        while width and not cells[width - 1].strip():
            width -= 1
        if width > self.limits.max_columns:
            raise refuse(
                file,
                line,
                _(
                    "{n} columns, more than the limit of {limit} (FILIERE_INGEST_MAX_COLUMNS)"
                ).format(n=width, limit=self.limits.max_columns),
            )
        return cells[:width]
