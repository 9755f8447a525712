"""``filiere report``: run the analyses, write the views, the HTML page and the workbook."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from filiere.graph.store import GraphStore
from filiere.queries.models import AnalysisSettings
from filiere.report.findings import Findings, compute_findings
from filiere.report.html import render_report
from filiere.report.xlsx import write_workbook
from filiere.viz import DEFAULT_MAX_NODES, deps_view, routes_view, shock_view
from filiere.viz.page import write_page


@dataclass
class ReportPaths:
    """What a report wrote, and the findings it shows."""

    dir: Path
    html: Path
    xlsx: Path
    findings: Findings
    views: dict[str, Path] = field(default_factory=dict)


def safe_name(text: str) -> str:
    """A file-name-safe version of an id.

    >>> safe_name("AIM/NdFeB é 1")
    'AIM_NdFeB___1'
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def build_report(
    store: GraphStore,
    products: list[str] | None,
    out_dir: str | Path,
    settings: AnalysisSettings,
    *,
    region: str | None = None,
    shock_countries: list[str] | None = None,
    findings: Findings | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    commands: list[str] | None = None,
) -> ReportPaths:
    """Write ``report.html``, ``findings.xlsx`` and one HTML page per view into ``out_dir``.

    ``products`` defaults to every product of the store; ``findings`` (from
    :func:`~filiere.report.findings.compute_findings`) saves running the analyses again.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    f = findings or compute_findings(
        store, products, settings, region=region, shock_countries=shock_countries
    )
    views: dict[str, Path] = {}
    for p in f.products:
        view = deps_view(store, p, settings, result=f.deps[p], max_nodes=max_nodes)
        views[f"deps:{p}"] = view.write(out / f"deps-{safe_name(p)}.html")
    for item in f.route_items:
        r = f.routes[item]
        view = routes_view(store, item, r.region, settings, result=r, max_nodes=max_nodes)
        views[f"routes:{item}"] = view.write(out / f"routes-{safe_name(item)}.html")
    if f.shock is not None:
        view = shock_view(store, f.shock.countries, settings, result=f.shock, max_nodes=max_nodes)
        name = "-".join(f.shock.countries)
        views["shock"] = view.write(out / f"shock-{safe_name(name)}.html")
    xlsx = write_workbook(f, out / "findings.xlsx")
    page = render_report(
        f,
        {k: v.name for k, v in views.items()},
        store_uri=store.uri,
        workbook=xlsx.name,
        commands=commands or [],
    )
    html = write_page(page, out / "report.html")
    return ReportPaths(out, html, xlsx, f, views)
