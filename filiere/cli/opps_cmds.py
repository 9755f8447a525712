"""``filiere opportunities`` and ``filiere matches``: what the accelerator decides with.

``--format json`` prints the documented result model exactly; ``csv`` one flat row per
line with the model's field names; the table is for reading, with names beside ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from filiere import queries, wording
from filiere.cli.analysis_cmds import settings_options
from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import command, option
from filiere.cli.output import cell, console, format_option, print_json, print_rows
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _, ngettext
from filiere.queries.models import (
    AnalysisSettings,
    MatchesResult,
    OpportunitiesResult,
    Opportunity,
    Route,
)
from filiere.report.opps import named_opps, risk_text

Names = Callable[[str], str]


def _same(key: str) -> str:
    return key


def route_text(r: Route | None, firm: Names = _same, item: Names = _same) -> str:
    """``S-FR1 (tier 1, 154 km)``, the supplier and a substitute as ``firm``/``item`` say
    them (names)."""
    if r is None:
        return _("no route")
    return f"{firm(r.supplier)} ({route_details(r, item)})"


def route_details(r: Route, item: Names = _same) -> str:
    """``tier 1, 154 km``; a substitute route names the substitute and its risk."""
    parts = [_("tier {tier}").format(tier=r.tier)]
    if r.distance_km is not None:
        parts.append(f"{r.distance_km:.0f} km")
    if r.kind == "substitute":
        parts.append(_("via substitute {via}").format(via=item(r.via)))
        if r.substitute_at_risk:
            parts.append(_("warning: the substitute is itself at risk"))
    elif r.kind == "capability":
        parts.append(_("has the processes"))
    return ", ".join(parts)


def exact(value: float | None) -> str | None:
    """A number as CSV keeps it: every digit the result has (``340987.5``)."""
    from filiere.ingest.values import format_number

    return None if value is None else format_number(value)


def money(value: float | None) -> str:
    """``25 000 €`` (French thousands), or empty when unknown."""
    if value is None:
        return ""
    return f"{value:,.0f} €".replace(",", "\u202f")


def supplier_names(store: GraphStore, ids: set[str]) -> dict[str, str]:
    """``Name (Town)`` by supplier id, for the ids the store knows."""
    out = {}
    for key, props in store.get_nodes(Label.SUPPLIER, ids).items():
        name = str(props.get("name") or key)
        out[key] = f"{name} ({props['city']})" if props.get("city") else name
    return out


def print_table(rows: list[list[str]], columns: list[str], wrapping: set[int]) -> None:
    """A rich table: the columns at the ``wrapping`` positions wrap, the others never do."""
    from rich.table import Table

    table = Table(show_lines=False)
    for i, c in enumerate(columns):
        wraps = i in wrapping
        table.add_column(c, no_wrap=not wraps, overflow="fold", min_width=14 if wraps else None)
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    console().print(table)


def buyers_text(o: Opportunity, region: str | None, firm: Names = _same) -> str:
    """The buyers in the region (all of them without a region), and how many others."""
    if not region:
        return ", ".join(firm(b) for b in o.buyers)
    others = len(o.buyers) - len(o.buyers_in_region)
    text = ", ".join(firm(b) for b in o.buyers_in_region)
    if others:
        more = _("+{n} elsewhere").format(n=others)
        text = f"{text} ({more})" if text else more
    return text


# -- opportunities ---------------------------------------------------------------------------

OPPORTUNITIES_CSV = [
    "item", "kind", "crma", "single_country", "country", "upstream_country", "upstream_share",
    "products", "buyers", "buyers_in_region", "annual_value_eur", "tier1", "tier2", "tier3",
    "best_supplier", "best_kind", "best_via", "best_tier", "best_distance_km",
]  # fmt: skip


def opportunities_csv_rows(result: OpportunitiesResult) -> list[dict[str, Any]]:
    rows = []
    for o in result.opportunities:
        r = o.best_route
        rows.append(
            {
                **o.model_dump(exclude={"products", "buyers", "buyers_in_region", "routes"}),
                "products": " ".join(o.products),
                "buyers": " ".join(o.buyers),
                "buyers_in_region": " ".join(o.buyers_in_region),
                "annual_value_eur": exact(o.annual_value_eur),
                **o.routes.model_dump(),
                "best_supplier": r.supplier if r else None,
                "best_kind": r.kind if r else None,
                "best_via": r.via if r else None,
                "best_tier": r.tier if r else None,
                "best_distance_km": exact(r.distance_km) if r else None,
            }
        )
    return rows


@command()
@option("--region", default=None, help="Target region (ISO 3166-2, e.g. FR-BFC).")
@option("--with-route", is_flag=True, help="Only the items with a sourcing route.")
@option("--top", type=click.IntRange(min=1), default=None, help="Only the first N opportunities.")
@settings_options
@format_option
@pass_app
def opportunities(
    app: AppContext,
    region: str | None,
    with_route: bool,
    top: int | None,
    settings: AnalysisSettings,
    fmt: str,
) -> None:
    """At-risk purchases worth relocating: products and firms that need them, annual value,
    and the nearest sourcing routes."""
    result = queries.opportunities(app.store, region, settings, with_route=with_route, top=top)
    if fmt == "json":
        print_json(result)
        return
    if fmt == "csv":
        print_rows(opportunities_csv_rows(result), OPPORTUNITIES_CSV, fmt)
        return
    click.echo(
        ngettext(
            "{n} relocation opportunity", "{n} relocation opportunities", len(result.opportunities)
        ).format(n=len(result.opportunities))
        + (_(" (region {region})").format(region=result.region) if result.region else "")
    )
    cols = [_("item"), _("CRMA"), _("why"), _("products")]
    cols += [_("buyers in the region") if result.region else _("buyers")]
    cols += [_("value / year"), _("best route")]
    named = named_opps(app.store, result, None)
    rows = [
        [
            wording.named(named.item(o.item), o.item),
            wording.crma(o.crma),
            risk_text(o),
            ", ".join(named.item(p) for p in o.products),
            buyers_text(o, result.region, named.firm),
            money(o.annual_value_eur),
            route_text(o.best_route, named.firm, named.item),
        ]
        for o in result.opportunities
    ]
    if rows:
        print_table(rows, cols, {0, 2, 3, 4, 6})


# -- matches ---------------------------------------------------------------------------------

MATCHES_CSV = [
    "section", "buyer", "product", "item", "supplier", "kind", "via", "tier", "distance_km",
    "substitute_at_risk",
]  # fmt: skip


def matches_csv_rows(result: MatchesResult) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"section": "match", **m.model_dump(), "distance_km": exact(m.distance_km)}
        for m in result.matches
    ]
    rows += [{"section": "unmatched", **u.model_dump()} for u in result.unmatched]
    return rows


@command()
@option("--region", required=True, help="Region of the buyers (ISO 3166-2, e.g. FR-BFC).")
@option(
    "--routes-per-item",
    type=click.IntRange(min=1),
    default=queries.ROUTES_PER_ITEM,
    show_default=True,
    help="How many routes to list per at-risk item (its first ones).",
)
@settings_options
@format_option
@pass_app
def matches(
    app: AppContext, region: str, routes_per_item: int, settings: AnalysisSettings, fmt: str
) -> None:
    """Buyer-supplier introductions: for each firm of the region and product it makes, the
    suppliers that could source its at-risk items."""
    result = queries.matches(app.store, region, settings, routes_per_item=routes_per_item)
    if fmt == "json":
        print_json(result)
        return
    if fmt == "csv":
        print_rows(matches_csv_rows(result), MATCHES_CSV, fmt)
        return
    ids = {m.buyer for m in result.matches} | {m.supplier for m in result.matches}
    ids |= {u.buyer for u in result.unmatched}
    names = supplier_names(app.store, ids)
    items = {m.product for m in result.matches} | {m.item for m in result.matches}
    items |= {m.via for m in result.matches} | {u.product for u in result.unmatched}
    items |= {u.item for u in result.unmatched}
    item_names = app.store.names(Label.ITEM, items)

    def firm(key: str) -> str:
        return names.get(key, key)

    def item(key: str) -> str:
        return item_names.get(key, key)

    click.echo(
        ngettext(
            "{n} introduction in {region}", "{n} introductions in {region}", len(result.matches)
        ).format(n=len(result.matches), region=result.region)
        + ", "
        + ngettext(
            "{n} at-risk item without a route",
            "{n} at-risk items without a route",
            len(result.unmatched),
        ).format(n=len(result.unmatched))
    )
    cols = [_("buyer"), _("product"), _("item"), _("supplier"), _("route")]
    rows: list[list[str]] = []
    for m in result.matches:
        route = Route(
            supplier=m.supplier,
            kind=m.kind,
            via=m.via,
            tier=m.tier,
            country="",
            region=None,
            compatibility=1.0,
            substitute_at_risk=m.substitute_at_risk,
            distance_km=m.distance_km,
        )
        rows.append(
            [
                firm(m.buyer),
                item(m.product),
                wording.named(item(m.item), m.item),
                firm(m.supplier),
                route_details(route, item),
            ]
        )
    if rows:
        print_table(rows, cols, {0, 1, 2, 3, 4})
    if result.unmatched:
        cols = [_("buyer"), _("product"), _("item without a route")]
        rows = [
            [firm(u.buyer), item(u.product), wording.named(item(u.item), u.item)]
            for u in result.unmatched
        ]
        print_table(rows, cols, {0})
    if result.more_routes:
        click.echo(
            ngettext(
                "{n} item has more routes than the first {shown} listed (--routes-per-item).",
                "{n} items have more routes than the first {shown} listed (--routes-per-item).",
                len(result.more_routes),
            ).format(n=len(result.more_routes), shown=result.routes_per_item)
        )


COMMANDS = [opportunities, matches]
