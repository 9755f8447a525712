"""The report's Excel workbook: one sheet per analysis, one row per fact, what analysts filter.

Each sheet is written by its own function from a list of :class:`Column` (key, header in
the language in force, cell kind) and rows of values; :func:`write_cell` is the one place
that writes a value into a cell, with its type: booleans are real booleans, dates are
dates, shares are percentages. Names stand beside the ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from filiere import wording
from filiere.i18n import N_, _
from filiere.names import country_name, region_name
from filiere.queries.models import AnalysisSettings
from filiere.report.findings import Findings
from filiere.spreadsheet import save_workbook

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
RISK_FONT = Font(bold=True, color="C00000")

CellKind = Literal["text", "int", "number", "bool", "pct", "date"]
_FORMATS = {"pct": "0%", "date": "yyyy-mm-dd", "number": "0.000", "int": "0"}

#: Sheet keys in workbook order, with their titles (translated when written).
SHEET_TITLES: dict[str, str] = {
    "summary": N_("Summary"),
    "dependencies": N_("Dependencies"),
    "routes": N_("Routes"),
    "shock": N_("Shock"),
    "critical": N_("Critical items"),
    "bom": N_("BOM"),
    "suppliers": N_("Suppliers"),
    "sources": N_("Sources"),
}
SHEETS = tuple(SHEET_TITLES)


def sheet_title(key: str) -> str:
    """The title of a sheet in the language in force (``Dépendances``)."""
    return _(SHEET_TITLES[key])


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header and the kind of its cells."""

    header: str
    kind: CellKind = "text"


def path_text(path: Sequence[str]) -> str:
    """A BOM path as text.

    >>> path_text(["P", "A", "ND"])
    'P > A > ND'
    """
    return " > ".join(path)


def as_date(value: Any) -> date | datetime | None:
    """An ISO timestamp as a date (time zone dropped: Excel has none)."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return stamp.replace(tzinfo=None)


def write_cell(cell: Cell | MergedCell, value: Any, kind: CellKind) -> None:
    """Write one value with its type and number format: the only place cells are written."""
    if kind == "date":
        value = as_date(value)
    elif kind == "bool":
        value = None if value is None else bool(value)
    elif isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    cell.value = value
    if kind in _FORMATS and value is not None:
        cell.number_format = _FORMATS[kind]


def write_sheet(
    wb: Workbook, key: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]
) -> Worksheet:
    """The sheet ``key`` of :data:`SHEET_TITLES` (see :func:`write_titled_sheet`)."""
    return write_titled_sheet(wb, sheet_title(key), columns, rows)


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: list[list[Any]]) -> Worksheet:
    """A sheet of plain cells (numbers stay numbers) under translated ``header`` titles."""
    return write_titled_sheet(wb, title, [Column(h) for h in header], rows)


def write_titled_sheet(
    wb: Workbook, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]
) -> Worksheet:
    """A sheet with a styled, frozen header row, an auto-filter and fitting column widths."""
    ws: Worksheet = wb.create_sheet(title)
    for i, col in enumerate(columns, 1):
        cell = ws.cell(row=1, column=i)
        write_cell(cell, col.header, "text")
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for r, row in enumerate(rows, 2):
        for i, (col, value) in enumerate(zip(columns, row, strict=True), 1):
            write_cell(ws.cell(row=r, column=i), value, col.kind)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    for i, col in enumerate(columns, 1):
        longest = max(
            [len(col.header)] + [len(str(r[i - 1])) for r in rows if r[i - 1] is not None]
        )
        width = 12 if col.kind in ("date", "bool", "pct") else min(max(10, longest + 2), 60)
        ws.column_dimensions[get_column_letter(i)].width = width
    return ws


def _settings_rows(settings: AnalysisSettings, region: str | None) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [_("Threshold: {name}").format(name=name), str(getattr(settings, name)), ""]
        for name in AnalysisSettings.model_fields
    ]
    rows.append(
        [
            _("Threshold: {name}").format(name="region"),
            region_name(region) or "",
            _("Region of the routes' first tier (ISO 3166-2)."),
        ]
    )
    return rows


def summary_sheet(wb: Workbook, f: Findings) -> None:
    rows: list[list[Any]] = [
        [_("Products analysed"), len(f.products), ", ".join(f.name(p) for p in f.products)],
        [
            _("At-risk items"),
            len(f.at_risk),
            ", ".join(wording.named(a.name, a.item) for a in f.at_risk),
        ],
        [
            _("Shock scenario"),
            ", ".join(country_name(c) or c for c in f.shock_countries),
            _("the country supplying the most at-risk items"),
        ],
        *_settings_rows(f.settings, f.region),
    ]
    write_sheet(wb, "summary", [Column(_("what")), Column(_("value")), Column(_("notes"))], rows)


def dependencies_sheet(wb: Workbook, f: Findings) -> None:
    columns = [
        Column(_("product")),
        Column(_("product name")),
        Column(_("item")),
        Column(_("name")),
        Column(_("kind")),
        Column(_("depth"), "int"),
        Column(_("at risk"), "bool"),
        Column(_("why")),
        Column(_("single country"), "bool"),
        Column(_("country")),
        Column(_("single source"), "bool"),
        Column(_("HHI"), "number"),
        Column(_("upstream country")),
        Column(_("upstream share"), "pct"),
        Column(_("upstream stage")),
        Column(_("suppliers")),
        Column(_("BOM paths")),
    ]
    rows = [
        [
            p,
            f.name(p),
            d.item,
            d.name or f.name(d.item),
            wording.kind(d.kind),
            d.depth,
            d.at_risk,
            f.why(d),
            d.single_country,
            country_name(d.country),
            d.single_source,
            d.hhi,
            country_name(d.upstream_country),
            d.upstream_share,
            wording.stage(d.upstream_stage),
            wording.suppliers_text(d),
            "\n".join(path_text(x) for x in d.paths),
        ]
        for p in f.products
        for d in f.deps[p].dependencies
    ]
    ws = write_sheet(wb, "dependencies", columns, rows)
    for row in ws.iter_rows(min_row=2):
        if row[6].value is True:
            row[6].font = RISK_FONT


def routes_sheet(wb: Workbook, f: Findings) -> None:
    columns = [
        Column(_("item")),
        Column(_("name")),
        Column(_("rank"), "int"),
        Column(_("supplier")),
        Column(_("supplier name")),
        Column(_("town")),
        Column(_("region")),
        Column(_("country")),
        Column(_("kind")),
        Column(_("via")),
        Column(_("via name")),
        Column(_("substitute at risk"), "bool"),
        Column(_("warning")),
        Column(_("tier"), "int"),
        Column(_("compatibility"), "pct"),
        Column(_("distance km"), "number"),
    ]
    rows = [
        [
            item,
            f.name(item),
            i + 1,
            r.supplier,
            r.supplier_name,
            r.city,
            r.region_name or region_name(r.region),
            country_name(r.country),
            wording.route_kind(r.kind),
            r.via if r.kind == "substitute" else None,
            r.via_name if r.kind == "substitute" else None,
            r.substitute_at_risk,
            wording.substitute_warning() if r.substitute_at_risk else None,
            r.tier,
            r.compatibility,
            r.distance_km,
        ]
        for item, res in f.routes.items()
        for i, r in enumerate(res.routes)
    ]
    write_sheet(wb, "routes", columns, rows)


def shock_sheet(wb: Workbook, f: Findings) -> None:
    """One row per (product, item hit): cut items and dented items alike."""
    columns = [
        Column(_("countries")),
        Column(_("product")),
        Column(_("product name")),
        Column(_("product cut"), "bool"),
        Column(_("item")),
        Column(_("name")),
        Column(_("cut at the source"), "bool"),
        Column(_("lost share"), "pct"),
    ]
    rows: list[list[Any]] = []
    if f.shock is not None:
        countries = wording.countries_text(f.shock.countries)
        for hit in f.shock.impacted_products:
            for item in hit.cut_items:
                rows.append(
                    [countries, hit.product, hit.product_name, hit.cut, item, f.name(item), True, 1]
                )
            for x in hit.partial:
                row = [countries, hit.product, hit.product_name, hit.cut, x.item, x.name]
                rows.append([*row, False, x.lost_share])
    write_sheet(wb, "shock", columns, rows)


def critical_sheet(wb: Workbook, f: Findings) -> None:
    write_sheet(
        wb,
        "critical",
        [Column(_("item")), Column(_("name")), Column(_("dependent products"), "int")],
        [[c.item, c.name or f.name(c.item), c.dependent_products] for c in f.critical.items],
    )


def bom_sheet(wb: Workbook, f: Findings) -> None:
    write_sheet(
        wb,
        "bom",
        [
            Column(_("product")),
            Column(_("item")),
            Column(_("name")),
            Column(_("kind")),
            Column(_("depth"), "int"),
            Column(_("quantity per product"), "number"),
        ],
        [
            [p, x.item, x.name or f.name(x.item), wording.kind(x.kind), x.depth, x.quantity]
            for p in f.products
            for x in f.boms[p].lines
        ],
    )


def suppliers_sheet(wb: Workbook, f: Findings) -> None:
    write_sheet(
        wb,
        "suppliers",
        [
            Column(_("supplier")),
            Column(_("name")),
            Column(_("town")),
            Column(_("region")),
            Column(_("country")),
            Column(_("SIREN")),
            Column(_("NAF")),
            Column(_("processes")),
        ],
        [
            [
                s.id,
                s.name,
                s.city,
                region_name(s.region),
                country_name(s.country),
                s.siren,
                s.naf,
                ", ".join(p.name or p.id for p in s.processes),
            ]
            for s in f.suppliers.values()
        ],
    )


def sources_sheet(wb: Workbook, f: Findings) -> None:
    write_sheet(
        wb,
        "sources",
        [
            Column(_("source")),
            Column(_("nodes and links"), "int"),
            Column(_("first loaded"), "date"),
            Column(_("last loaded"), "date"),
        ],
        [[s.source, s.count, s.first_loaded, s.last_loaded] for s in f.sources],
    )


def opps_sheets(wb: Workbook, f: Findings) -> None:
    """The Opportunities and Matches sheets (:mod:`filiere.report.opps`)."""
    from filiere.report.opps import write_sheets

    write_sheets(wb, f)


#: The sheet writers, in workbook order.
WRITERS: dict[str, Callable[[Workbook, Findings], None]] = {
    "summary": summary_sheet,
    "opportunities": opps_sheets,
    "dependencies": dependencies_sheet,
    "routes": routes_sheet,
    "shock": shock_sheet,
    "critical": critical_sheet,
    "bom": bom_sheet,
    "suppliers": suppliers_sheet,
    "sources": sources_sheet,
}


def write_workbook(findings: Findings, path: str | Path) -> Path:
    """Write the findings to an ``.xlsx`` workbook at ``path``."""
    wb = Workbook()
    for default in list(wb.worksheets):
        wb.remove(default)
    for writer in WRITERS.values():
        writer(wb, findings)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    return save_workbook(wb, out)
