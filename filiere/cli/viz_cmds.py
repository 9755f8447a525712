"""``filiere viz deps|routes|shock``: the analyses as interactive HTML pages (pyvis).

Each page is self-contained (vis-network inlined): it opens offline, in any browser,
and can be sent as one file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from filiere.cli.analysis_cmds import settings_options, shocked_countries_option
from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import argument, group, option
from filiere.cli.output import console
from filiere.i18n import _
from filiere.queries.models import AnalysisSettings
from filiere.report.run import safe_name
from filiere.viz import DEFAULT_MAX_NODES, View, deps_view, routes_view, shock_view

F = TypeVar("F", bound=Callable[..., Any])


def view_options(fn: F) -> F:
    """``-o/--output``, ``--hierarchical`` and ``--max-nodes``."""
    options = [
        option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="HTML file to write (default: a name from the view, in the current folder).",
        ),
        option(
            "--hierarchical",
            is_flag=True,
            help="Routes view only: top-down levels instead of physics (the supply tree and "
            "the shock are always layered, left to right).",
        ),
        option(
            "--max-nodes",
            type=click.IntRange(10, 5000),
            default=DEFAULT_MAX_NODES,
            show_default=True,
            help="Node budget: bigger views keep the most relevant nodes, with a note.",
        ),
    ]
    for add_option in reversed(options):
        fn = add_option(fn)
    return fn


def _written(view: View, path: Path) -> None:
    view.write(path)
    out = console()
    out.print(
        _("wrote {path} ({nodes} nodes, {links} links)").format(
            path=path, nodes=view.node_count, links=view.edge_count
        ),
        markup=False,
    )
    for note in view.notes:
        out.print(_("note: {note}").format(note=note), markup=False)
    out.print(_("open it in a browser: {url}").format(url=path.resolve().as_uri()), markup=False)


@group()
def viz() -> None:
    """Interactive HTML views of the analyses (open offline in any browser)."""


@viz.command(name="deps")
@argument("product")
@view_options
@settings_options
@pass_app
def viz_deps(
    app: AppContext,
    product: str,
    output: Path | None,
    hierarchical: bool,
    max_nodes: int,
    settings: AnalysisSettings,
) -> None:
    """The supply tree of PRODUCT: components, materials, suppliers and countries, coloured
    by kind and risk, at-risk paths in red."""
    view = deps_view(app.store, product, settings, hierarchical=hierarchical, max_nodes=max_nodes)
    _written(view, output or Path(f"deps-{safe_name(product)}.html"))


@viz.command(name="routes")
@argument("item")
@option("--region", default=None, help="Target region (ISO 3166-2, e.g. FR-BFC): tier 1.")
@view_options
@settings_options
@pass_app
def viz_routes(
    app: AppContext,
    item: str,
    region: str | None,
    output: Path | None,
    hierarchical: bool,
    max_nodes: int,
    settings: AnalysisSettings,
) -> None:
    """ITEM and its candidate local routes, coloured by tier (region, home country, EU)."""
    view = routes_view(
        app.store, item, region, settings, hierarchical=hierarchical, max_nodes=max_nodes
    )
    _written(view, output or Path(f"routes-{safe_name(item)}.html"))


@viz.command(name="shock")
@shocked_countries_option
@view_options
@pass_app
def viz_shock(
    app: AppContext,
    countries: tuple[str, ...],
    output: Path | None,
    hierarchical: bool,
    max_nodes: int,
) -> None:
    """What a supply stop in some countries cuts (red) and dents (orange)."""
    view = shock_view(app.store, list(countries), hierarchical=hierarchical, max_nodes=max_nodes)
    name = "-".join(sorted(safe_name(c.upper()) for c in countries))
    _written(view, output or Path(f"shock-{name}.html"))


COMMANDS = [viz]
