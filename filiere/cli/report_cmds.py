"""``filiere report`` (HTML page + Excel workbook) and ``filiere demo`` (the main job).

``filiere demo`` needs no server and no network: it loads the bundled demo dataset
into a fresh embedded store, runs the analyses, prints the headline findings and
writes a report folder.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Callable, Iterator
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from filiere import wording
from filiere.cli.analysis_cmds import settings_options
from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import argument, command, option
from filiere.cli.output import console
from filiere.errors import ConfigError
from filiere.graph.store import GraphStore
from filiere.graph.uri import open_store
from filiere.i18n import _, ngettext, pgettext
from filiere.ingest import load
from filiere.names import country_name
from filiere.queries import normalize_countries, normalize_region
from filiere.queries.models import AnalysisSettings
from filiere.report import ReportPaths, build_report, compute_findings
from filiere.report.findings import Findings
from filiere.report.opps import print_section as print_opps
from filiere.report.opps import recoveries
from filiere.report.xlsx import path_text
from filiere.viz import DEFAULT_MAX_NODES

DEMO_REGION = "FR-BFC"


@contextlib.contextmanager
def demo_dataset() -> Iterator[Path]:
    """The folder of the bundled demo dataset (``filiere/data/demo``)."""
    with as_file(files("filiere") / "data" / "demo") as path:
        if not (path / "items.csv").is_file():
            raise ConfigError(
                _("the demo dataset is missing from the installation ({path})").format(path=path)
            )
        yield path


def _status(text: str) -> contextlib.AbstractContextManager[object]:
    return Console(stderr=True).status(text)


def next_commands(store_uri: str, f: Findings) -> list[str]:
    """The commands that dig further into the findings, for this store."""
    base = f"filiere --store {shlex.quote(store_uri)}"
    product = f.at_risk[0].products[0] if f.at_risk else (f.products[0] if f.products else "P")
    cmds = [f"{base} deps {shlex.quote(product)}"]
    region = f" --region {f.region}" if f.region else ""
    for item in f.route_items[:1]:
        cmds.append(f"{base} routes {shlex.quote(item)}{region}")
    if f.shock_countries:
        countries = " ".join(f"--country {c}" for c in f.shock_countries)
        cmds.append(f"{base} shock {countries}")
    cmds.append(f"{base} critical --top 10")
    cmds.append(f"{base} viz deps {shlex.quote(product)} -o deps.html --hierarchical")
    cmds.append(f"{base} report -o my-report")
    cmds.append(f"{base} ui")
    cmds.append(f"{base} serve")
    return cmds


def print_findings(f: Findings, paths: ReportPaths, commands: list[str]) -> None:
    """The headline findings in words, with where to look next."""
    out = console()
    out.print()
    out.print(f"[bold]{escape(headline(f))}[/bold]")
    out.print(", ".join(wording.named(f.name(p), p) for p in f.products), markup=False)
    out.print(
        _("(home country {home}, HHI >= {hhi}, upstream share >= {share})").format(
            home=country_name(f.settings.home),
            hhi=wording.decimal(f.settings.hhi),
            share=wording.pct(f.settings.upstream_share),
        ),
        markup=False,
    )
    print_opps(out, f)  # opportunities and matches lead (filiere.report.opps)
    if f.at_risk:
        table = Table(title=_("At-risk dependencies"), title_justify="left")
        table.expand = True
        for header, ratio in (
            (_("item"), 2),
            (_("why"), 3),
            (_("in products"), 2),
            (pgettext("short", "BOM path"), 3),
        ):
            table.add_column(header, overflow="fold", ratio=ratio)
        for a in f.at_risk:
            bom_paths = a.dependency.paths
            more = len(bom_paths) - 1
            cells: tuple[str, ...] = (
                wording.named(a.name, a.item),
                f.why(a.dependency),
                ", ".join(a.products),
                (path_text(bom_paths[0]) if bom_paths else "")
                + (
                    " " + ngettext("(+{n} more)", "(+{n} more)", more).format(n=more)
                    if more > 0
                    else ""
                ),
            )
            table.add_row(*(escape(c) for c in cells))
        out.print(table)
    for item in f.route_items:
        r = f.routes[item]
        title = _("Best local routes for {item}").format(item=wording.named(f.name(item), item))
        out.print(f"\n[bold]{escape(title)}[/bold] " + escape(wording.tiers_text(r)))
        table = Table()
        for header in (_("tier"), _("supplier"), _("place"), _("route"), _("km")):
            table.add_column(header, overflow="fold")
        for x in r.routes[:3]:
            km = f"{x.distance_km:.0f}" if x.distance_km is not None else ""
            cells = (
                str(x.tier),
                wording.named(x.supplier_name, x.supplier),
                wording.route_place(x),
                wording.route_via(x, item),
                km,
            )
            table.add_row(*(escape(c) for c in cells))
        out.print(table)
        if len(r.routes) > 3:
            more = len(r.routes) - 3
            out.print(
                ngettext(
                    "  ... and {n} more route in the report",
                    "  ... and {n} more routes in the report",
                    more,
                ).format(n=more),
                markup=False,
            )
    if f.no_route:
        out.print()
        out.print(
            _("No local route for {items}: {what}.").format(
                items=", ".join(wording.named(f.name(i), i) for i in f.no_route),
                what=wording.looked_for(f.routes[f.no_route[0]]),
            ),
            markup=False,
        )
    if f.shock is not None:
        out.print()
        for line in shock_sentences(f):
            out.print(line, markup=False)
    out.print("\n[bold]" + escape(_("Where to look next")) + "[/bold]")
    out.print("  " + _("report: {path}").format(path=paths.html.resolve()), markup=False)
    out.print("  " + _("workbook: {path}").format(path=paths.xlsx.resolve()), markup=False)
    out.print(
        "  "
        + ngettext(
            "views: {n} interactive page in {folder}",
            "views: {n} interactive pages in {folder}",
            len(paths.views),
        ).format(n=len(paths.views), folder=paths.dir.resolve())
        + " (deps-*.html, routes-*.html, shock-*.html)",
        markup=False,
    )
    out.print("  " + _("dig further:"), markup=False)
    for c in commands:
        out.print(f"    {c}", markup=False)


def headline(f: Findings) -> str:
    """``7 produits analysés : 9 dépendances à risque``."""
    n, k = len(f.products), len(f.at_risk)
    return (
        ngettext("{n} product analysed", "{n} products analysed", n).format(n=n)
        + _(": ")
        + ngettext("{n} at-risk dependency", "{n} at-risk dependencies", k).format(n=k)
    )


def shock_sentences(f: Findings) -> list[str]:
    """The shock in sentences: what it cuts and dents, and what could replace the cut items."""
    assert f.shock is not None
    cut = [wording.named(p.product_name, p.product) for p in f.shock.impacted_products if p.cut]
    dented = [
        wording.named(p.product_name, p.product) for p in f.shock.impacted_products if not p.cut
    ]
    countries = wording.countries_text(f.shock.countries)
    lines = [
        _(
            "Supply stop in {countries} (the country supplying the most at-risk items): "
            "{cut}; {dented}."
        ).format(
            countries=countries,
            cut=(
                ngettext("cuts {n} product: {names}", "cuts {n} products: {names}", len(cut))
                if cut
                else ngettext("cuts {n} product", "cuts {n} products", 0)
            ).format(n=len(cut), names=", ".join(cut)),
            dented=(
                ngettext("dents {n}: {names}", "dents {n}: {names}", len(dented))
                if dented
                else ngettext("dents {n}", "dents {n}", 0)
            ).format(n=len(dented), names=", ".join(dented)),
        )
    ]
    for c in f.shock.cut_items:
        text = "  " + _("cut at the source: {item}").format(item=wording.named(c.name, c.item))
        if c.recoverable_via:
            # Each substitute with its warning when the shock hits it or it is at risk.
            text += " " + _("(substitutes not cut: {subs})").format(subs=recoveries(f, c))
        lines.append(text)
    return lines


def _report(
    store: GraphStore,
    products: list[str] | None,
    out_dir: Path,
    settings: AnalysisSettings,
    region: str | None,
    countries: list[str] | None,
    max_nodes: int,
) -> tuple[ReportPaths, list[str]]:
    with _status(_("running the analyses")):
        f = compute_findings(store, products, settings, region=region, shock_countries=countries)
    commands = next_commands(store.uri, f)
    with _status(_("writing the report, the workbook and the views")):
        paths = build_report(
            store,
            f.products,
            out_dir,
            settings,
            region=region,
            findings=f,
            max_nodes=max_nodes,
            commands=commands,
        )
    return paths, commands


_region_option = option(
    "--region", default=None, help="Region of the routes' first tier (ISO 3166-2, e.g. FR-BFC)."
)


def _output_option(default: Path) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-o/--output``: the report folder."""
    return option(
        "-o",
        "--output",
        type=click.Path(file_okay=False, path_type=Path),
        default=default,
        show_default=True,
        help="Report folder.",
    )


_max_nodes_option = option(
    "--max-nodes",
    type=click.IntRange(10, 5000),
    default=DEFAULT_MAX_NODES,
    show_default=True,
    help="Node budget of each view.",
)


@command()
@argument("products", nargs=-1)
@_output_option(Path("filiere-report"))
@_region_option
@option(
    "--country",
    "countries",
    multiple=True,
    help="Shock scenario country (repeatable). Default: the one supplying most at-risk items.",
)
@_max_nodes_option
@settings_options
@pass_app
def report(
    app: AppContext,
    products: tuple[str, ...],
    output: Path,
    region: str | None,
    countries: tuple[str, ...],
    max_nodes: int,
    settings: AnalysisSettings,
) -> None:
    """Write a report folder for PRODUCTS (default: every product): report.html with the
    tables and the views, findings.xlsx with one sheet per analysis."""
    region = normalize_region(region) if region else None
    shocked = normalize_countries(countries) if countries else None
    paths, commands = _report(
        app.store, list(products) or None, output, settings, region, shocked, max_nodes
    )
    print_findings(paths.findings, paths, commands)


@command()
@_output_option(Path("filiere-demo"))
@option(
    "--store",
    "store_uri",
    metavar="URI",
    default=None,
    help="Store to load the demo into (default: a fresh file OUTPUT/graph.db; "
    "never your default store).",
)
@option("--replace", is_flag=True, help="Empty a non-empty --store first.")
@option("--region", default=DEMO_REGION, show_default=True, help="Region of the local routes.")
@option("--no-progress", is_flag=True, help="Do not show progress bars.")
@_max_nodes_option
@settings_options
@pass_app
def demo(
    app: AppContext,
    output: Path,
    store_uri: str | None,
    replace: bool,
    region: str,
    no_progress: bool,
    max_nodes: int,
    settings: AnalysisSettings,
) -> None:
    """The main job, offline: load the demo dataset into a fresh embedded store, run the
    analyses, print the headline findings and write a report (HTML + Excel)."""
    start = time.monotonic()
    region = normalize_region(region)
    own = store_uri is None
    uri = store_uri or str(output / "graph.db")
    store = open_store(uri, settings=app.settings)
    try:
        if not own and not replace and store.counts():
            raise ConfigError(
                _(
                    "{uri} is not empty: pass --replace to empty it, or choose another --store"
                ).format(uri=uri)
            )
        out = console()
        out.print(
            _("filiere demo: loading the demo dataset into the store {uri}").format(uri=uri),
            markup=False,
        )
        with demo_dataset() as path:
            load(path, store, replace=True, progress=not no_progress, source="demo")
        paths, commands = _report(store, None, output, settings, region, None, max_nodes)
        print_findings(paths.findings, paths, commands)
    finally:
        store.close()
    out.print()
    out.print(_("done in {seconds} s").format(seconds=wording.decimal(time.monotonic() - start, 1)))


COMMANDS = [report, demo]
