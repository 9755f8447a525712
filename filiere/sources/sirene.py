"""INSEE SIRENE: active establishments become suppliers with capabilities from their NAF code.

Reads the establishment stock CSV (``StockEtablissement_utf8.csv``, real column names:
``siren``, ``siret``, ``etatAdministratifEtablissement``, ``codeCommuneEtablissement``,
``activitePrincipaleEtablissement``, ``denominationUsuelleEtablissement``,
``enseigne1Etablissement``...), optionally joined with the legal-unit stock
(``StockUniteLegale_utf8.csv``) for ``denominationUniteLegale``.

The file is streamed twice in constant memory: a first pass checks every kept row and
reports every problem as ``FILE:LINE`` (nothing is written if there is one); a second
pass writes the suppliers in chunks (each chunk one atomic write, through the same
validation and build as ``ingest``). Filters (region, département, NAF prefix) apply
while reading.

- Only active establishments (``etatAdministratifEtablissement`` = ``A``) are kept.
- Each becomes the supplier ``siret:<siret>`` in France, in its commune's region
  (``filiere/data/geo/communes.csv``), with ``naf``, ``siren``, ``siret``, ``city``.
- Its capabilities (``MASTERS`` processes) come from its NAF code through the NAF ->
  process table (``filiere/data/naf_processes.csv``, editable, or ``naf_table``); an
  establishment whose NAF code has no process is left out unless ``all_activities``.

>>> normalize_naf("2562b"), normalize_naf("25.62B"), normalize_naf("25.6")
('25.62B', '25.62B', '25.6')
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from filiere.errors import DatasetIssue
from filiere.graph.records import WriteSummary
from filiere.graph.store import GraphStore
from filiere.ingest import LoadReport, RawTable, load_tables
from filiere.ingest.build import process_id
from filiere.sources.common import Bars, ImportReport, SourceError, new_table, raise_issues
from filiere.sources.geo import Commune, communes

SOURCE = "INSEE SIRENE (stock établissements)"
ID_PREFIX = "siret:"
REQUIRED = (
    "siret",
    "etatAdministratifEtablissement",
    "codeCommuneEtablissement",
    "activitePrincipaleEtablissement",
)
OPTIONAL = (
    "siren",
    "denominationUsuelleEtablissement",
    "enseigne1Etablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "libelleCommuneEtablissement",
    "trancheEffectifsEtablissement",
    "etablissementSiege",
)
UNIT_COLUMNS = ("siren", "denominationUniteLegale", "nomUniteLegale", "prenomUsuelUniteLegale")
#: Most problems listed before the rest are only counted.
MAX_ISSUES = 1000
DEFAULT_CHUNK = 50_000
_NAF = re.compile(r"^\d{2}\.\d{2}[A-Z]$")
_NAF_PREFIX = re.compile(r"^\d{2}(\.\d{0,2}[A-Z]?)?$")
_SIRET = re.compile(r"^\d{14}$")
_NOT_DISCLOSED = "[ND]"


def normalize_naf(code: str) -> str:
    """A NAF code or prefix in INSEE's dotted form (``2562B`` is ``25.62B``)."""
    t = code.strip().upper().replace(" ", "")
    if "." not in t and len(t) > 2 and t[:2].isdigit():
        t = f"{t[:2]}.{t[2:]}"
    return t


# -- the NAF -> process table -----------------------------------------------------------------


@dataclass(frozen=True)
class NafTable:
    """NAF codes or prefixes -> process names, from a CSV (``naf,process``, others ignored)."""

    entries: tuple[tuple[str, str], ...]
    file: str
    _cache: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def processes(self, naf: str) -> tuple[str, ...]:
        """The processes of a NAF code: those of every entry that is a prefix of it."""
        found = self._cache.get(naf)
        if found is None:
            found = tuple(sorted({p for prefix, p in self.entries if naf.startswith(prefix)}))
            self._cache[naf] = found
        return found


def default_naf_table_path() -> Path:
    """The NAF -> process table shipped with filiere."""
    return Path(str(files("filiere") / "data" / "naf_processes.csv"))


def read_naf_table(path: str | Path | None = None) -> NafTable:
    """Read a NAF -> process table; problems are raised as ``FILE:LINE`` errors."""
    p = Path(path) if path else default_naf_table_path()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"{p}: cannot read the NAF table: {e}") from None
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    issues = [
        DatasetIssue(p.name, 1, f"missing column {c!r}")
        for c in ("naf", "process")
        if c not in header
    ]
    raise_issues(issues)
    i_naf, i_proc = header.index("naf"), header.index("process")
    entries: list[tuple[str, str]] = []
    for n, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        naf = normalize_naf(cells[i_naf]) if len(cells) > i_naf else ""
        proc = cells[i_proc].strip() if len(cells) > i_proc else ""
        if not _NAF_PREFIX.match(naf):
            raw = cells[i_naf].strip() if len(cells) > i_naf else ""
            issues.append(DatasetIssue(p.name, n, f"not a NAF code or prefix: {raw!r}"))
        elif not proc:
            issues.append(DatasetIssue(p.name, n, "empty process"))
        else:
            entries.append((naf, process_id(proc)))
    raise_issues(issues)
    return NafTable(tuple(entries), str(p))


# -- reading the stock ------------------------------------------------------------------------


@dataclass(frozen=True)
class SireneFilter:
    """What to keep: regions (ISO 3166-2), départements, NAF prefixes (any if empty)."""

    regions: frozenset[str] = frozenset()
    departements: frozenset[str] = frozenset()
    naf: tuple[str, ...] = ()

    def keeps(self, commune: Commune | None) -> bool:
        """Whether an establishment in ``commune`` passes the geographic filters."""
        if not self.regions and not self.departements:
            return True
        if commune is None:
            return False
        if self.regions and commune.region not in self.regions:
            return False
        return not self.departements or commune.departement in self.departements

    @classmethod
    def make(
        cls, regions: Iterable[str] = (), departements: Iterable[str] = (), naf: Iterable[str] = ()
    ) -> SireneFilter:
        known_regions = {c.region for c in communes().values()}
        known_deps = {c.departement for c in communes().values()}
        regs = frozenset(r.strip().upper() for r in regions)
        deps = frozenset(d.strip().upper().zfill(2) for d in departements)
        nafs = tuple(normalize_naf(n) for n in naf)
        bad = sorted(regs - known_regions)
        if bad:
            raise SourceError(f"unknown region(s) {', '.join(bad)} (use ISO 3166-2 codes: FR-BFC)")
        bad = sorted(deps - known_deps)
        if bad:
            raise SourceError(f"unknown département(s) {', '.join(bad)} (use INSEE codes: 25, 2A)")
        bad = [n for n in nafs if not _NAF_PREFIX.match(n)]
        if bad:
            raise SourceError(f"not a NAF code or prefix: {', '.join(bad)} (e.g. 25.62B or 25.6)")
        return cls(regs, deps, nafs)


@dataclass(frozen=True, slots=True)
class Establishment:
    """One kept establishment, ready to become a supplier."""

    line: int
    siret: str
    siren: str
    name: str
    naf: str
    commune: Commune | None
    city: str
    headcount: str
    processes: tuple[str, ...]


@dataclass
class ScanStats:
    """Counts of one pass over the stock, and the first problems found."""

    rows: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    issues: list[DatasetIssue] = field(default_factory=list)
    more_issues: int = 0
    unknown_communes: Counter[str] = field(default_factory=Counter)
    unnamed: int = 0

    def issue(self, file: str, line: int, message: str) -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(DatasetIssue(file, line, message))
        else:
            self.more_issues += 1


class _Stock:
    """The establishment stock as a stream of rows, with the byte position for progress."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: no such file")
        self.path = path
        self.file = path.name
        self.size = path.stat().st_size
        with path.open("rb") as f:
            first = f.readline().decode("utf-8-sig", errors="replace")
        self.delimiter = ";" if first.count(";") > first.count(",") else ","
        self.header = [h.strip() for h in next(csv.reader([first], delimiter=self.delimiter), [])]
        missing = [c for c in REQUIRED if c not in self.header]
        if missing:
            raise_issues(
                [
                    DatasetIssue(self.file, 1, f"missing column {c!r} (not a SIRENE stock file?)")
                    for c in missing
                ]
            )
        self.index = {c: self.header.index(c) for c in (*REQUIRED, *OPTIONAL) if c in self.header}

    def rows(
        self, position: Callable[[int], None] | None = None
    ) -> Iterator[tuple[int, list[str]]]:
        raw = self.path.open("rb")
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=self.delimiter)
        with text:
            try:
                next(reader)
                start = reader.line_num + 1
                for n, cells in enumerate(reader):
                    line, start = start, reader.line_num + 1
                    if position is not None and n % 4096 == 0:
                        position(raw.tell())
                    yield line, cells
            except UnicodeDecodeError as e:
                raise SourceError(f"{self.file}:{start}: not UTF-8 text ({e.reason})") from None
            except csv.Error as e:
                raise SourceError(f"{self.file}:{start}: unreadable CSV ({e})") from None
        if position is not None:
            position(self.size)


def _value(cells: list[str], index: dict[str, int], col: str) -> str:
    i = index.get(col)
    if i is None or i >= len(cells):
        return ""
    v = cells[i].strip()
    return "" if v == _NOT_DISCLOSED else v


def scan(
    stock: _Stock,
    filters: SireneFilter,
    naf_table: NafTable,
    stats: ScanStats,
    *,
    all_activities: bool = False,
    unit_names: dict[str, str] | None = None,
    position: Callable[[int], None] | None = None,
) -> Iterator[Establishment]:
    """The kept establishments; problems and skip reasons go to ``stats``."""
    geo = communes()
    ix = stock.index
    width = len(stock.header)
    file = stock.file
    for line, cells in stock.rows(position):
        if not any(c.strip() for c in cells):
            continue
        stats.rows += 1
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            stats.issue(file, line, f"{len(cells)} values but the header has {width} columns")
            continue
        state = _value(cells, ix, "etatAdministratifEtablissement")
        if state != "A":
            if state != "F":
                stats.issue(
                    file,
                    line,
                    f"etatAdministratifEtablissement must be A or F, got {state!r}",
                )
            else:
                stats.skipped["closed"] += 1
            continue
        naf = normalize_naf(_value(cells, ix, "activitePrincipaleEtablissement"))
        nomenclature = _value(cells, ix, "nomenclatureActivitePrincipaleEtablissement")
        if nomenclature and nomenclature != "NAFRev2":
            stats.skipped[f"NAF code in {nomenclature}"] += 1
            continue
        if not naf:
            stats.skipped["no NAF code"] += 1
            continue
        if filters.naf and not naf.startswith(filters.naf):
            stats.skipped["other NAF code"] += 1
            continue
        if not _NAF.match(naf):
            stats.issue(
                file,
                line,
                f"activitePrincipaleEtablissement must be a NAF code such as 25.62B, got {naf!r}",
            )
            continue
        code = _value(cells, ix, "codeCommuneEtablissement")
        commune = geo.get(code) if code else None
        if not filters.keeps(commune):
            stats.skipped["outside the region/département filter"] += 1
            continue
        processes = naf_table.processes(naf)
        if not processes and not all_activities:
            stats.skipped["NAF code without a process"] += 1
            continue
        # A kept row: check it fully.
        siret = _value(cells, ix, "siret")
        siren = _value(cells, ix, "siren") or siret[:9]
        problems = []
        if not _SIRET.match(siret):
            problems.append(f"siret must be 14 digits, got {siret!r}")
        elif siren != siret[:9]:
            problems.append(f"siren {siren!r} is not the start of siret {siret!r}")
        if not code:
            stats.skipped["no commune (abroad?)"] += 1
            continue
        if problems:
            for p in problems:
                stats.issue(file, line, p)
            continue
        if commune is None:
            stats.unknown_communes[code] += 1
        name = (
            _value(cells, ix, "denominationUsuelleEtablissement")
            or _value(cells, ix, "enseigne1Etablissement")
            or (unit_names or {}).get(siren, "")
        )
        if not name:
            stats.unnamed += 1
            name = f"SIRET {siret}"
        stats.kept += 1
        yield Establishment(
            line,
            siret,
            siren,
            name,
            naf,
            commune,
            commune.name if commune else _value(cells, ix, "libelleCommuneEtablissement"),
            _value(cells, ix, "trancheEffectifsEtablissement"),
            processes,
        )


def read_unit_names(path: Path, wanted: set[str]) -> dict[str, str]:
    """``denominationUniteLegale`` (or first name + name) of the legal units in ``wanted``."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        if "siren" not in header or "denominationUniteLegale" not in header:
            raise_issues(
                [
                    DatasetIssue(path.name, 1, f"missing column {c!r} (not a legal-unit stock?)")
                    for c in ("siren", "denominationUniteLegale")
                    if c not in header
                ]
            )
        ix = {c: header.index(c) for c in UNIT_COLUMNS if c in header}
        names: dict[str, str] = {}
        try:
            for cells in reader:
                siren = _value(cells, ix, "siren")
                if siren not in wanted:
                    continue
                name = _value(cells, ix, "denominationUniteLegale") or " ".join(
                    x
                    for x in (
                        _value(cells, ix, "prenomUsuelUniteLegale"),
                        _value(cells, ix, "nomUniteLegale"),
                    )
                    if x
                )
                if name:
                    names[siren] = name
        except (csv.Error, UnicodeDecodeError) as e:
            raise SourceError(f"{path.name}:{reader.line_num}: unreadable ({e})") from None
    return names


# -- tables and import ------------------------------------------------------------------------

SUPPLIER_COLUMNS = [
    "id",
    "name",
    "country",
    "region",
    "city",
    "siren",
    "siret",
    "naf",
    "departement",
    "headcount_band",
]


def chunk_tables(file: str, chunk: list[Establishment]) -> dict[str, RawTable]:
    """Dataset tables for some establishments (an empty ``items`` table: no items)."""
    suppliers = new_table("suppliers", file, SUPPLIER_COLUMNS)
    capabilities = new_table("capabilities", file, ["supplier", "process"])
    for e in chunk:
        sid = f"{ID_PREFIX}{e.siret}"
        row = {
            "id": sid,
            "name": e.name,
            "country": "FR",
            "siren": e.siren,
            "siret": e.siret,
            "naf": e.naf,
            "city": e.city,
        }
        if e.commune is not None:
            row["region"] = e.commune.region
            row["departement"] = e.commune.departement
        if e.headcount:
            row["headcount_band"] = e.headcount
        suppliers.rows.append((e.line, row))
        for p in e.processes:
            capabilities.rows.append((e.line, {"supplier": sid, "process": p}))
    return {
        "items": new_table("items", file, ["id", "name", "kind"]),
        "suppliers": suppliers,
        "capabilities": capabilities,
    }


def import_sirene(
    path: str | Path,
    store: GraphStore,
    *,
    regions: Iterable[str] = (),
    departements: Iterable[str] = (),
    naf: Iterable[str] = (),
    naf_table: str | Path | None = None,
    units: str | Path | None = None,
    all_activities: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    check_only: bool = False,
    progress: bool = True,
) -> ImportReport:
    """Stream the establishment stock at ``path`` into ``store`` (see the module doc)."""
    stock = _Stock(Path(path))
    filters = SireneFilter.make(regions, departements, naf)
    table = read_naf_table(naf_table)
    source = f"{SOURCE}, {stock.file}"
    stats = ScanStats()
    wanted: set[str] = set()
    with Bars(progress) as bars:
        for e in scan(
            stock,
            filters,
            table,
            stats,
            all_activities=all_activities,
            position=bars.task(f"checking {stock.file}", stock.size),
        ):
            if units and e.name == f"SIRET {e.siret}":
                wanted.add(e.siren)
        if stats.issues:
            extra = []
            if stats.more_issues:
                extra.append(
                    DatasetIssue(stock.file, None, f"... and {stats.more_issues} more problem(s)")
                )
            raise_issues(stats.issues + extra)
        names = read_unit_names(Path(units), wanted) if units else None
        report = ImportReport(source, None)
        report.counts = {"rows": stats.rows, "kept": stats.kept}
        rows_report = LoadReport(source, store.uri, store.kind, {"suppliers": stats.kept})
        if not check_only:
            summary = WriteSummary()
            write_stats = ScanStats()
            chunk: list[Establishment] = []
            position = bars.task(f"writing to the {store.kind} store", stock.size)

            def flush() -> None:
                if not chunk:
                    return
                done = load_tables(
                    chunk_tables(stock.file, chunk), store, source=source, progress=False
                )
                if done.summary is not None:
                    summary.created.update(done.summary.created)
                    summary.updated.update(done.summary.updated)
                rows_report.rows["capabilities"] = rows_report.rows.get(
                    "capabilities", 0
                ) + done.rows.get("capabilities", 0)
                chunk.clear()

            for e in scan(
                stock,
                filters,
                table,
                write_stats,
                all_activities=all_activities,
                unit_names=names,
                position=position,
            ):
                chunk.append(e)
                if len(chunk) >= chunk_size:
                    flush()
            flush()
            rows_report.summary = summary
            stats = write_stats
    report.load = rows_report
    report.notes = _notes(stats)
    report.warnings = _warnings(stats)
    return report


def _notes(stats: ScanStats) -> list[str]:
    notes = [f"{stats.rows} row(s) read, {stats.kept} establishment(s) kept"]
    notes += [f"{n} left out: {why}" for why, n in sorted(stats.skipped.items())]
    if stats.unnamed:
        notes.append(f"{stats.unnamed} establishment(s) without a name: named 'SIRET <siret>'")
    return notes


def _warnings(stats: ScanStats) -> list[str]:
    if not stats.unknown_communes:
        return []
    codes = ", ".join(sorted(stats.unknown_communes)[:20])
    return [
        f"{sum(stats.unknown_communes.values())} establishment(s) in commune code(s) not in the "
        f"geography table (kept without a region): {codes}"
    ]
