"""USGS Mineral Commodity Summaries: world production by country, as shares of the world total.

Reads the world production tables in the CSV layout of ``docs/data-sources.md``
(``commodity, table, unit, country, production_<year>[e], ..., reserves, source_pdf``):
one row per country, plus ``Other countries`` and ``World total`` rows per commodity.

- share = the country's production / the commodity's ``World total`` row for the year
  (the sum of the listed rows, ``Other countries`` included, when the total is missing,
  withheld, or smaller than that sum because of rounding).
- The stage comes from the table: *mine* production is extraction; *primary*,
  *refinery*, *smelter* or *low-purity* production is processing.
- USGS codes: ``W`` (withheld) and ``NA`` (not available) rows are left out and
  reported; ``—`` and ``0`` (no production) are left out; ``>1000`` (a lower bound) is
  read as 1000 and reported (``lower_bound`` on the relationship); ``e`` columns are
  estimates (``estimated``).
- Materials are matched to the store's by name (``graphite`` is ``Natural graphite``,
  ``rare-earths`` is ``Rare earths``), else created as ``usgs:<commodity>``.

>>> parse_amount("1,270,000"), parse_amount(">1000"), parse_amount("W"), parse_amount("—")
((1270000.0, ''), (1000.0, 'lower bound'), (None, 'W'), (0.0, ''))
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from filiere.errors import DatasetIssue
from filiere.graph import reference as ref
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.ingest.validate import SHARE_TOLERANCE
from filiere.sources.common import (
    ImportReport,
    MaterialIndex,
    SourceError,
    SourceTables,
    missing_columns,
    new_table,
    number_text,
    open_csv,
    raise_issues,
    slug,
    source_country,
)

SOURCE = "USGS Mineral Commodity Summaries"
ID_PREFIX = "usgs:"
REQUIRED = ("commodity", "table", "unit", "country")
_YEAR_COLUMN = re.compile(r"^production_(\d{4})(e?)$")

#: Material names for USGS commodity names, the first one used when creating an item.
NAMES: dict[str, tuple[str, ...]] = {
    "graphite": ("Natural graphite", "Graphite"),
    "rare-earths": ("Rare earths", "Rare earth elements", "Rare earth oxides"),
    "magnesium": ("Magnesium", "Magnesium metal"),
    "platinum-group-metals": ("Platinum group metals",),
}
_PROCESSING = ("primary", "refinery", "smelter", "low-purity", "refined", "plant")


def parse_amount(text: str) -> tuple[float | None, str]:
    """A production figure and what is special about it (``''``, ``'lower bound'``, or
    the USGS code ``W``/``NA`` when there is no number); ``(None, 'malformed')`` else."""
    t = text.strip()
    if t.upper() in ("W", "NA", "XX", ""):
        return None, t.upper() or "NA"
    if t in ("—", "–", "-", "--"):
        return 0.0, ""
    note = ""
    if t.startswith(">"):
        t, note = t[1:].strip(), "lower bound"
    t = t.replace(",", "").replace(" ", "")
    try:
        value = float(t)
    except ValueError:
        return None, "malformed"
    if not math.isfinite(value) or value < 0:
        return None, "malformed"
    return value, note


def stage_of(table: str) -> str:
    """``extraction`` for mine production, ``processing`` for primary or refinery output."""
    t = table.lower()
    return "processing" if any(w in t for w in _PROCESSING) else "extraction"


@dataclass
class _Row:
    line: int
    country: str
    value: float
    note: str


@dataclass
class _Commodity:
    name: str
    table: str
    unit: str
    first_line: int
    rows: list[_Row] = field(default_factory=list)
    others: float = 0.0
    total: float | None = None
    total_line: int | None = None


def year_columns(header: list[str]) -> dict[int, str]:
    """Production columns by year (an estimate column only when no actual one exists)."""
    found: dict[int, str] = {}
    for col in header:
        m = _YEAR_COLUMN.match(col)
        if m and (int(m.group(1)) not in found or not m.group(2)):
            found[int(m.group(1))] = col
    return found


def read_usgs(
    path: str | Path, store: GraphStore | None = None, *, year: int | None = None
) -> SourceTables:
    """Read a USGS world production file into ``items`` and ``production`` tables."""
    file_path = Path(path)
    if not file_path.is_file():
        raise SourceError(f"{file_path}: no such file")
    file = file_path.name
    header, rows = open_csv(file_path)
    issues = missing_columns(file, header, REQUIRED)
    columns = year_columns(header)
    if not columns:
        issues.append(DatasetIssue(file, 1, "no production_<year> column"))
    raise_issues(issues)
    if year is None:
        actual = [y for y, c in columns.items() if not c.endswith("e")]
        year = max(actual or columns)
    if year not in columns:
        raise SourceError(f"{file}: no production column for {year} (found {sorted(columns)})")
    column = columns[year]
    out = SourceTables(f"{SOURCE} ({column}), {file}", {})
    commodities: dict[tuple[str, str], _Commodity] = {}
    unmapped: dict[str, list[int]] = defaultdict(list)
    codes: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        v = row.values
        if row.too_many:
            issues.append(DatasetIssue(file, row.line, "more values than the header has columns"))
            continue
        name, table, country = v.get("commodity", ""), v.get("table", ""), v.get("country", "")
        if not name or not country:
            issues.append(DatasetIssue(file, row.line, "empty commodity or country"))
            continue
        c = commodities.setdefault(
            (name, table), _Commodity(name, table, v.get("unit", ""), row.line)
        )
        value, note = parse_amount(v.get(column, ""))
        if note == "malformed":
            issues.append(
                DatasetIssue(
                    file,
                    row.line,
                    f"{column} must be a number, W, NA, — or >N, got {v.get(column, '')!r}",
                )
            )
            continue
        label = ref.normalize_name(country)
        if label.startswith("world total"):
            c.total, c.total_line = value, row.line
            continue
        if label.startswith("other"):
            c.others += value or 0.0
            continue
        if value is None:
            codes[note].append(f"{name} {country} ({file}:{row.line})")
            continue
        code = source_country(country)
        if code is None:
            unmapped[country].append(row.line)
            continue
        if note:
            out.warnings.append(
                f"{file}:{row.line}: {name} {country}: {v[column]!r} is a lower bound"
            )
        if value > 0:
            c.rows.append(_Row(row.line, code, value, note))
    raise_issues(issues)
    for code, where in sorted(codes.items()):
        what = {"W": "withheld (W)", "NA": "not available (NA)"}.get(code, code)
        out.warnings.append(f"{len(where)} figure(s) {what} left out: {'; '.join(where)}")
    for country, lines in sorted(unmapped.items()):
        out.warnings.append(
            f"unknown country {country!r}: left out ({', '.join(f'{file}:{n}' for n in lines)})"
        )
    ids = _material_ids(commodities.values(), store, out)
    items = new_table("items", file, ["id", "name", "kind"])
    production = new_table(
        "production",
        file,
        [
            "material",
            "country",
            "share",
            "stage",
            "year",
            "production",
            "unit",
            "estimated",
            "lower_bound",
        ],
    )
    existing = set(store.get_nodes(Label.ITEM, set(ids.values()))) if store else set()
    for c in commodities.values():
        item = ids[c.name]
        if item not in existing and all(r[1]["id"] != item for r in items.rows):
            items.rows.append(
                (c.first_line, {"id": item, "name": _names(c.name)[0], "kind": "material"})
            )
        listed = math.fsum([r.value for r in c.rows]) + c.others
        total = c.total
        if total is None or total <= 0:
            total = listed
            out.notes.append(f"{c.name}: no world total for {year}; shares of the listed rows' sum")
        elif listed > total * (1 + SHARE_TOLERANCE):
            out.warnings.append(
                f"{c.name}: the listed rows add up to {listed:g}, more than the world total "
                f"{total:g} ({file}:{c.total_line}); shares of that sum instead"
            )
            total = listed
        for r in c.rows:
            production.rows.append(
                (
                    r.line,
                    {
                        "material": item,
                        "country": r.country,
                        "share": number_text(round(r.value / total, 10)),
                        "stage": stage_of(c.table),
                        "year": str(year),
                        "production": number_text(r.value),
                        "unit": c.unit,
                        "estimated": "yes" if column.endswith("e") else "",
                        **({"lower_bound": "yes"} if r.note else {}),
                    },
                )
            )
    out.tables = {"items": items, "production": production}
    out.notes.append(
        f"{len(production.rows)} share(s) of {len(commodities)} commodity table(s), year {year}"
    )
    return out


def _names(commodity: str) -> tuple[str, ...]:
    return NAMES.get(commodity.lower(), (commodity.replace("-", " ").capitalize(),))


def _material_ids(
    commodities: Iterable[_Commodity], store: GraphStore | None, out: SourceTables
) -> dict[str, str]:
    index = MaterialIndex.from_store(store)
    ids: dict[str, str] = {}
    for c in commodities:
        if c.name in ids:
            continue
        hit = index.find(*_names(c.name))
        ids[c.name] = hit[0] if hit else f"{ID_PREFIX}{slug(c.name)}"
        if hit:
            out.notes.append(f"{c.name}: matched to item {hit[0]!r}")
    return ids


def import_usgs(
    path: str | Path,
    store: GraphStore,
    *,
    year: int | None = None,
    check_only: bool = False,
    progress: bool = True,
) -> ImportReport:
    """Read a USGS world production file and merge it into ``store`` (all or nothing)."""
    tables = read_usgs(path, store, year=year)
    return tables.load_into(store, check_only=check_only, progress=progress)
