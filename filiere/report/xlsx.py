"""The report's Excel workbook: one sheet per analysis, what analysts forward.

Every sheet has a styled, frozen header row, an auto-filter and sensible column widths;
BOM paths are plain text ``A > B > C``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from filiere.queries.models import AnalysisSettings
from filiere.report.findings import Findings
from filiere.spreadsheet import save_workbook

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
RISK_FONT = Font(bold=True, color="C00000")

#: Sheet names, in workbook order.
SHEETS = ("Summary", "Dependencies", "Routes", "Shock", "Critical items", "BOM", "Sources")


def path_text(path: Sequence[str]) -> str:
    """A BOM path as text.

    >>> path_text(["P", "A", "ND"])
    'P > A > ND'
    """
    return " > ".join(path)


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: list[list[Any]]) -> Worksheet:
    ws: Worksheet = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center")
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    for i, name in enumerate(header, 1):
        longest = max([len(str(name))] + [len(str(r[i - 1])) for r in rows if r[i - 1] is not None])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 80)
    return ws


def _settings_rows(settings: AnalysisSettings, region: str | None) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for name, info in AnalysisSettings.model_fields.items():
        rows.append([name, getattr(settings, name), info.description or ""])
    rows.append(["region", region or "", "Region of the routes' first tier (ISO 3166-2)."])
    return rows


def write_workbook(findings: Findings, path: str | Path) -> Path:
    """Write the findings to an ``.xlsx`` workbook at ``path``."""
    f = findings
    wb = Workbook()
    for default in list(wb.worksheets):
        wb.remove(default)

    summary: list[list[Any]] = [
        ["Products analysed", ", ".join(f.products), ""],
        ["At-risk items", len(f.at_risk), ", ".join(a.item for a in f.at_risk)],
        ["Shock scenario", ", ".join(f.shock_countries), "country supplying most at-risk items"],
    ]
    summary += [["Threshold: " + r[0], r[1], r[2]] for r in _settings_rows(f.settings, f.region)]
    _sheet(wb, "Summary", ["What", "Value", "Notes"], summary)

    dep_rows = []
    for p in f.products:
        for d in f.deps[p].dependencies:
            dep_rows.append(
                [
                    p,
                    d.item,
                    f.name(d.item),
                    d.kind,
                    d.depth,
                    "yes" if d.at_risk else "no",
                    "yes" if d.single_country else "no",
                    d.country,
                    "yes" if d.single_source else "no",
                    d.hhi,
                    d.upstream_country,
                    d.upstream_share,
                    ", ".join(d.suppliers),
                    " | ".join(path_text(x) for x in d.paths),
                ]
            )
    ws = _sheet(
        wb,
        "Dependencies",
        [
            "product",
            "item",
            "name",
            "kind",
            "depth",
            "at risk",
            "single country",
            "country",
            "single source",
            "HHI",
            "upstream country",
            "upstream share",
            "suppliers",
            "BOM paths",
        ],
        dep_rows,
    )
    for row in ws.iter_rows(min_row=2):
        if row[5].value == "yes":
            row[5].font = RISK_FONT
        row[9].number_format = "0.000"
        row[11].number_format = "0%"

    route_rows = [
        [
            item,
            f.name(item),
            i + 1,
            r.supplier,
            r.kind,
            r.via,
            r.tier,
            r.country,
            r.region,
            r.compatibility,
            r.substitute_at_risk,
            r.distance_km,
        ]
        for item, res in f.routes.items()
        for i, r in enumerate(res.routes)
    ]
    _sheet(
        wb,
        "Routes",
        [
            "item",
            "name",
            "rank",
            "supplier",
            "kind",
            "via",
            "tier",
            "country",
            "region",
            "compatibility",
            "substitute at risk",
            "distance km",
        ],
        route_rows,
    )

    shock_rows: list[list[Any]] = []
    if f.shock is not None:
        countries = ", ".join(f.shock.countries)
        for hit in f.shock.impacted_products:
            shock_rows.append(
                [
                    countries,
                    hit.product,
                    f.name(hit.product),
                    "cut" if hit.cut else "dented",
                    ", ".join(hit.cut_items),
                    ", ".join(f"{x.item} ({x.lost_share:.0%})" for x in hit.partial),
                ]
            )
    _sheet(
        wb,
        "Shock",
        ["countries", "product", "name", "effect", "cut items", "dented items (lost share)"],
        shock_rows,
    )

    _sheet(
        wb,
        "Critical items",
        ["item", "name", "dependent products"],
        [[c.item, f.name(c.item), c.dependent_products] for c in f.critical.items],
    )
    _sheet(
        wb,
        "BOM",
        ["product", "item", "name", "kind", "depth", "quantity per product"],
        [
            [p, line.item, f.name(line.item), line.kind, line.depth, line.quantity]
            for p in f.products
            for line in f.boms[p].lines
        ],
    )
    _sheet(
        wb,
        "Sources",
        ["source", "nodes and links", "first loaded", "last loaded"],
        [[s.source, s.count, s.first_loaded, s.last_loaded] for s in f.sources],
    )
    return save_workbook(wb, path)
