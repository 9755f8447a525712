"""The report's HTML page: summary, tables, embedded views, provenance and thresholds.

The page itself has no script; each view is a self-contained page in the same folder,
embedded with an ``<iframe>`` and linked for full-screen use. Every text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from filiere.queries.models import AnalysisSettings
from filiere.report.findings import Findings
from filiere.report.opps import html_section as opps_section
from filiere.report.opps import recoveries
from filiere.report.xlsx import path_text

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2733;
  margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; line-height: 1.4; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 32px;
  border-bottom: 2px solid #1f4e79; padding-bottom: 4px; } h3 { font-size: 16px; }
.meta { color: #4a5563; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #d4dbe3; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #1f4e79; color: #fff; }
tr:nth-child(even) td { background: #f5f7fa; }
.risk { color: #c00000; font-weight: bold; }
.path { font-family: ui-monospace, monospace; font-size: 12px; }
iframe { width: 100%; height: 620px; border: 1px solid #d4dbe3; border-radius: 4px; }
.headline { background: #fff4d6; border: 1px solid #f0c36d; border-radius: 4px;
  padding: 8px 14px; } .headline li { margin: 4px 0; }
code { background: #eef2f6; padding: 1px 4px; border-radius: 3px; }
"""


def esc(value: Any) -> str:
    """A value as escaped HTML text (``None`` as empty)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return html.escape(f"{value:.4g}")
    return html.escape(str(value))


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: Sequence[int] = ()) -> str:
    """An HTML table; cells are escaped except the columns in ``raw`` (already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f"<td>{v if i in raw else esc(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    if not body:
        return "<p><em>Nothing to show.</em></p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _paths(paths: Sequence[Sequence[str]]) -> str:
    return "<br>".join(f'<span class="path">{esc(path_text(p))}</span>' for p in paths)


def _frame(file: str, title: str) -> str:
    return (
        f'<p><a href="{esc(file)}">Open “{esc(title)}” full screen</a></p>'
        f'<iframe src="{esc(file)}" title="{esc(title)}" loading="eager"></iframe>'
    )


def _settings_table(settings: AnalysisSettings, region: str | None) -> str:
    rows: list[list[Any]] = [
        [name, getattr(settings, name), info.description or ""]
        for name, info in AnalysisSettings.model_fields.items()
    ]
    rows.append(["region", region or "(none)", "Region of the routes' first tier (ISO 3166-2)."])
    return table(["threshold", "value", "meaning"], rows)


def render_report(
    f: Findings,
    views: dict[str, str],
    *,
    store_uri: str,
    workbook: str,
    commands: Sequence[str] = (),
) -> str:
    """The report page. ``views`` maps a view key (``deps:P``, ``routes:X``, ``shock``) to
    its file name in the report folder."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    s = f.settings
    out: list[str] = []
    out.append(f"<h1>Supply-chain findings: {esc(', '.join(f.products))}</h1>")
    out.append(
        f'<p class="meta">Generated {esc(now)} by filiere from the store <code>{esc(store_uri)}'
        f"</code>. Home country {esc(s.home)}. Workbook: "
        f'<a href="{esc(workbook)}">{esc(workbook)}</a> (one sheet per analysis). '
        "The interactive views are separate pages in this folder: forward the whole "
        "folder (or a zip of it), not this page alone.</p>"
    )

    out.append(opps_section(f))  # opportunities and matches lead (filiere.report.opps)

    # -- summary
    heads = []
    if f.at_risk:
        heads.append(
            f"<li><b>{len(f.at_risk)} at-risk dependenc{'y' if len(f.at_risk) == 1 else 'ies'}"
            "</b>: "
            + "; ".join(
                f'<span class="risk">{esc(a.name)}</span> ({esc(a.item)}, '
                f"{esc(', '.join(a.countries))})"
                for a in f.at_risk
            )
            + ".</li>"
        )
    else:
        heads.append("<li>No at-risk dependency under these thresholds.</li>")
    for item in f.route_items:
        r = f.routes[item]
        best = r.routes[0]
        heads.append(
            f"<li>Best route for {esc(f.name(item))}: {esc(best.supplier)} "
            f"({esc(best.kind)} via {esc(best.via)}, tier {best.tier}, "
            f"{esc(best.region or best.country)}); {len(r.routes)} route(s) in all.</li>"
        )
    if f.no_route:
        heads.append(
            "<li>No local route (no other supplier, substitute or capable firm in "
            f"{esc(f.region or f.settings.home)}, {esc(f.settings.home)} or the EU) for: "
            f"{esc(', '.join(f.no_route))}.</li>"
        )
    if f.shock is not None:
        cut = [p.product for p in f.shock.impacted_products if p.cut]
        dented = [p.product for p in f.shock.impacted_products if not p.cut]
        heads.append(
            f"<li>A supply stop in {esc(', '.join(f.shock.countries))} cuts "
            f"{len(cut)} product(s) ({esc(', '.join(cut) or 'none')}) and dents "
            f"{len(dented)} ({esc(', '.join(dented) or 'none')}).</li>"
        )
    out.append('<h2 id="summary">Summary</h2>')
    out.append(f'<ul class="headline">{"".join(heads)}</ul>')

    # -- at-risk dependencies across products
    out.append('<h2 id="at-risk">At-risk dependencies</h2>')
    out.append(
        table(
            ["item", "name", "kind", "countries", "supplier countries", "products", "BOM paths"],
            [
                [
                    a.item,
                    a.name,
                    a.kind,
                    ", ".join(a.countries),
                    ", ".join(a.supplier_countries),
                    ", ".join(a.products),
                    _paths(a.dependency.paths),
                ]
                for a in f.at_risk
            ],
            raw=(6,),
        )
    )

    # -- per product
    for p in f.products:
        d = f.deps[p]
        out.append(f'<h2 id="deps-{esc(p)}">Dependencies of {esc(f.name(p))} ({esc(p)})</h2>')
        out.append(
            table(
                ["risk", "item", "name", "kind", "depth", "country / HHI", "upstream", "paths"],
                [
                    [
                        '<span class="risk">AT RISK</span>' if x.at_risk else "concentrated",
                        x.item,
                        f.name(x.item),
                        x.kind,
                        x.depth,
                        x.country if x.single_country else x.hhi,
                        f"{x.upstream_country} {x.upstream_share:.0%}"
                        if x.upstream_country and x.upstream_share is not None
                        else "",
                        _paths(x.paths),
                    ]
                    for x in d.dependencies
                ],
                raw=(0, 7),
            )
        )
        if d.gaps:
            out.append(
                "<p>Mapping gaps (no supplier, no component, no production data): "
                f"{esc(', '.join(d.gaps))}.</p>"
            )
        if f"deps:{p}" in views:
            out.append(_frame(views[f"deps:{p}"], f"Supply tree of {p}"))

    # -- routes
    out.append('<h2 id="routes">Local routes for the at-risk items</h2>')
    if not f.routes:
        out.append("<p>No at-risk item, so no route was searched.</p>")
    if f.no_route:
        out.append(f"<p>No local route for: {esc(', '.join(f.no_route))}.</p>")
    others = [i for i, r in f.routes.items() if r.routes and i not in f.route_items]
    for item in [*f.route_items, *others]:
        r = f.routes[item]
        where = f" (region {r.region})" if r.region else ""
        out.append(f"<h3>{esc(f.name(item))} ({esc(item)}){esc(where)}</h3>")
        out.append(
            table(
                ["#", "supplier", "kind", "via", "tier", "country", "region", "compat.", "km"],
                [
                    [
                        i + 1,
                        x.supplier,
                        x.kind,
                        x.via,
                        x.tier,
                        x.country,
                        x.region,
                        x.compatibility,
                        x.distance_km,
                    ]
                    for i, x in enumerate(r.routes)
                ],
            )
        )
        if f"routes:{item}" in views:
            out.append(_frame(views[f"routes:{item}"], f"Routes for {item}"))

    # -- shock
    out.append('<h2 id="shock">Shock scenario</h2>')
    if f.shock is None:
        out.append("<p>No foreign country supplies an at-risk item: no shock was run.</p>")
    else:
        out.append(
            f"<p>Every supplier in {esc(', '.join(f.shock.countries))} stops delivering.</p>"
        )
        out.append(
            table(
                ["product", "name", "effect", "cut items", "dented items (lost share)"],
                [
                    [
                        x.product,
                        f.name(x.product),
                        "CUT" if x.cut else "dented",
                        ", ".join(x.cut_items),
                        ", ".join(f"{y.item} ({y.lost_share:.0%})" for y in x.partial),
                    ]
                    for x in f.shock.impacted_products
                ],
            )
        )
        out.append(
            table(
                ["cut item", "name", "recoverable via"],
                [[c.item, f.name(c.item), recoveries(f, c)] for c in f.shock.cut_items],
            )
        )
        if "shock" in views:
            out.append(_frame(views["shock"], "Shock scenario"))

    # -- critical
    out.append('<h2 id="critical">Critical items (most shared across products)</h2>')
    out.append(
        table(
            ["item", "name", "dependent products"],
            [[c.item, f.name(c.item), c.dependent_products] for c in f.critical.items[:30]],
        )
    )
    if len(f.critical.items) > 30:
        out.append(f"<p>{len(f.critical.items) - 30} more in the workbook.</p>")

    # -- provenance and thresholds
    out.append('<h2 id="provenance">Data provenance</h2>')
    out.append(
        table(
            ["source", "nodes and links used", "first loaded", "last loaded"],
            [[x.source, x.count, x.first_loaded, x.last_loaded] for x in f.sources],
        )
    )
    out.append(
        "<p>Store content: "
        + esc(", ".join(f"{k} {v}" for k, v in sorted(f.counts.items())))
        + ".</p>"
    )
    out.append('<h2 id="thresholds">Thresholds used</h2>')
    out.append(_settings_table(s, f.region))
    if commands:
        out.append('<h2 id="next">Dig further</h2><ul>')
        out.extend(f"<li><code>{esc(c)}</code></li>" for c in commands)
        out.append("</ul>")
    body = "\n".join(out)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>filiere report: {esc(', '.join(f.products))}</title>"
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )
