"""What the real-source adapters share: country names, material matching, tables, reports.

Every adapter reads a published file and produces :class:`~filiere.ingest.RawTable`
objects named after the dataset tables (``items``, ``production``, ``suppliers``,
``capabilities``), whose ``file`` and line numbers are those of the published file, so
that an error reads ``fact_GlobalSupplyShares_t.csv:123: unknown country 'Xyz'``.

>>> [source_country(n) for n in ("Congo, D.R.", "New Caledonia (France)", "Atlantis")]
['CD', 'NC', None]
>>> slug("Natural Graphite"), slug("Phosphate Rock"), slug("Titanium metal")
('natural-graphite', 'phosphate-rock', 'titanium-metal')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from filiere.errors import DatasetError, DatasetIssue, FiliereError
from filiere.graph import reference as ref
from filiere.graph.schema import Kind
from filiere.graph.store import GraphStore
from filiere.ingest import LoadReport, RawTable, load_tables
from filiere.ingest.values import format_number


class SourceError(FiliereError):
    """A source file cannot be used at all (missing, unreadable, wrong format)."""


#: Country names of the published sources that neither ISO nor the built-in aliases know.
SOURCE_COUNTRY_ALIASES: dict[str, str] = {
    "brasilia": "BR",  # EU CRM study (a typo for Brazil)
    "congo, d.r.": "CD",
    "congo (kinshasa)": "CD",
    "congo (brazzaville)": "CG",
    "congo": "CG",
    "korea, north": "KP",
    "korea, south": "KR",
    "korea, republic of": "KR",
    "turkyie": "TR",  # EU CRM study (a typo for Türkiye)
    "turkiye": "TR",
    "cape verde": "CV",
    "burma": "MM",
    "swaziland": "SZ",
    "macedonia": "MK",
    "russian federation": "RU",
}


def source_country(name: str) -> str | None:
    """ISO alpha-2 code of a country as a source writes it, or ``None`` when unknown."""
    alias = SOURCE_COUNTRY_ALIASES.get(ref.normalize_name(name))
    code = alias or ref.country_code(name)
    if code is None and "(" in name:  # "New Caledonia (France)"
        code = ref.country_code(name[: name.index("(")])
    return code


def slug(name: str) -> str:
    """A stable, readable id fragment: accents and case removed, words joined by ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", ref.normalize_name(name)).strip("-")


def number_text(value: float) -> str:
    """A number as a table cell (shortest form that reads back as the same float)."""
    return format_number(value)


def new_table(name: str, file: str, columns: list[str]) -> RawTable:
    """An empty table of a dataset, as read from ``file``."""
    return RawTable(name, file, header_line=1, columns=list(columns))


@dataclass
class SourceTables:
    """What an adapter read: dataset tables plus what it must tell the user.

    ``warnings`` are problems that did not stop the import (an unknown country name,
    a withheld value); ``notes`` are counts and facts worth showing in the summary.
    """

    source: str
    tables: dict[str, RawTable]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def issues(self) -> list[DatasetIssue]:
        return [i for t in self.tables.values() for i in t.issues]

    def load_into(self, store: GraphStore, *, check_only: bool, progress: bool) -> ImportReport:
        """Merge the tables into ``store`` (all or nothing); the counts give production rows."""
        report = load_tables(
            self.tables, store, source=self.source, check_only=check_only, progress=progress
        )
        counts = {"production": report.rows.get("production", 0)}
        return ImportReport(self.source, report, self.warnings, self.notes, counts)


@dataclass
class ImportReport:
    """The outcome of ``filiere import``: the load report plus the source's warnings."""

    source: str
    load: LoadReport | None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def checked_only(self) -> bool:
        return self.load is None or self.load.checked_only

    def as_dict(self) -> dict[str, Any]:
        summary = None
        if self.load is not None and self.load.summary is not None:
            summary = [
                {"name": str(n), "created": c, "updated": u} for n, c, u in self.load.summary.rows()
            ]
        return {
            "source": self.source,
            "checked_only": self.checked_only,
            "rows": dict(self.load.rows) if self.load is not None else {},
            "counts": self.counts,
            "written": summary,
            "warnings": self.warnings,
            "notes": self.notes,
        }


def raise_issues(issues: list[DatasetIssue]) -> None:
    """Raise every issue at once (sorted by file and line), or do nothing."""
    if issues:
        raise DatasetError(sorted(issues, key=lambda i: (i.file, i.line or 0, i.message)))


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: where it starts, its values by column, whether it had extra cells."""

    line: int
    values: dict[str, str]
    too_many: bool = False


def open_csv(
    path: Path, *, delimiter: str = ",", small: bool = False
) -> tuple[list[str], Iterator[CsvRow]]:
    """The header and the rows of a UTF-8 CSV file; rows are streamed (constant memory).

    ``line`` is the physical line where a row starts (quoted values may span lines).
    Column names are kept as written (sources are case-sensitive); blank lines are
    skipped. Undecodable text raises :class:`SourceError` at its line. A ``small``
    file (a code table) is read at once, and may also be in Windows-1252.
    """
    f: TextIO
    try:
        if small:
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
            f = io.StringIO(text, newline="")
        else:
            f = path.open(encoding="utf-8-sig", newline="")
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror}") from None
    reader = csv.reader(f, delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        f.close()
        raise SourceError(f"{path.name}:1: the file is empty (no header line)") from None
    except (csv.Error, UnicodeDecodeError) as e:
        f.close()
        raise SourceError(f"{path.name}:1: unreadable CSV header ({e})") from None

    def rows() -> Iterator[CsvRow]:
        width = len(header)
        start = reader.line_num + 1
        with f:
            try:
                for cells in reader:
                    line, start = start, reader.line_num + 1
                    if not any(c.strip() for c in cells):
                        continue
                    values = {h: cells[i].strip() for i, h in enumerate(header) if i < len(cells)}
                    yield CsvRow(line, values, len(cells) > width and any(cells[width:]))
            except UnicodeDecodeError as e:
                raise SourceError(
                    f"{path.name}:{start}: not UTF-8 text ({e.reason}); re-encode it in UTF-8"
                ) from None
            except csv.Error as e:
                raise SourceError(f"{path.name}:{start}: unreadable CSV ({e})") from None

    return header, rows()


def missing_columns(file: str, header: list[str], required: tuple[str, ...]) -> list[DatasetIssue]:
    """An issue at line 1 for each required column that ``header`` lacks."""
    return [
        DatasetIssue(file, 1, f"missing column {c!r} (found: {', '.join(header)})")
        for c in required
        if c not in header
    ]


@dataclass
class Bars:
    """Rich progress bars on stderr (over bytes or rows), or nothing when disabled."""

    enabled: bool

    def __post_init__(self) -> None:
        self.progress = None
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> Bars:
        if self.progress is not None:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)

    def task(self, description: str, total: int) -> Callable[[int], None] | None:
        if self.progress is None:
            return None
        progress = self.progress
        tid = progress.add_task(description, total=total)
        return lambda pos: progress.update(tid, completed=pos)


# -- materials --------------------------------------------------------------------------------


@dataclass
class MaterialIndex:
    """Items of the store by normalised name, to match a source's material names.

    Only items of kind ``material`` are matched; a name held by an item of another
    kind is remembered so that the adapter can say why it did not match.
    """

    materials: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    others: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: GraphStore | None) -> MaterialIndex:
        index = cls()
        if store is None:
            return index
        for key, props in _all_items(store):
            name = props.get("name")
            if not isinstance(name, str):
                continue
            norm = ref.normalize_name(name)
            if props.get("kind") == Kind.MATERIAL:
                index.materials.setdefault(norm, (key, props))
            else:
                index.others.setdefault(norm, (key, str(props.get("kind"))))
        return index

    def find(self, *names: str) -> tuple[str, dict[str, Any]] | None:
        """The first store material whose name matches one of ``names``."""
        for n in names:
            hit = self.materials.get(ref.normalize_name(n))
            if hit is not None:
                return hit
        return None


def _all_items(store: GraphStore) -> Iterable[tuple[str, dict[str, Any]]]:
    return store.reader.item_names()


def parse_mapping(pairs: Mapping[str, str] | list[str]) -> dict[str, str]:
    """``NAME=ITEM_ID`` options as a dict keyed by normalised name.

    >>> parse_mapping(["Natural Graphite=GRAPH-01"])
    {'natural graphite': 'GRAPH-01'}
    """
    out: dict[str, str] = {}
    items = pairs.items() if isinstance(pairs, Mapping) else (_split_pair(p) for p in pairs)
    for name, item in items:
        out[ref.normalize_name(name)] = item.strip()
    return out


def _split_pair(text: str) -> tuple[str, str]:
    name, sep, item = text.partition("=")
    if not sep or not name.strip() or not item.strip():
        raise SourceError(f"material mapping must read NAME=ITEM_ID, got {text!r}")
    return name, item
