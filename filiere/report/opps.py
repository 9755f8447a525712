"""The report's opportunities and matches: what the accelerator decides with.

Kept apart from the rest of the report: :func:`compute_opps` runs the analyses once
(:class:`OppsFindings`, attached to the findings), and the report page, the workbook and
the terminal each call one function of this module. The shock's recoveries are worded
here too, so that a recovery the same shock hits is never shown as a plain one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from filiere import queries, wording
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _, ngettext
from filiere.names import country_name, region_name
from filiere.queries.models import (
    CutItem,
    Match,
    MatchesResult,
    OpportunitiesResult,
    Opportunity,
)
from filiere.queries.recovery import recovery_text, substitutes_at_risk

if TYPE_CHECKING:
    from openpyxl import Workbook
    from rich.console import Console

    from filiere.report.findings import Findings

#: How many opportunities the page and the terminal show (the workbook has them all).
SHOWN = 10
TERMINAL = 5


@dataclass
class OppsFindings:
    """Opportunities (and, with a region, matches) for the products of a run."""

    opportunities: OpportunitiesResult
    matches: MatchesResult | None
    firms: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, town)
    items: dict[str, str] = field(default_factory=dict)  # id -> name
    risky_substitutes: set[str] = field(default_factory=set)

    def firm(self, sid: str) -> str:
        """``Name (Town)`` of a firm, or its id."""
        name, town = self.firms.get(sid, (sid, ""))
        return f"{name} ({town})" if town else name

    def item(self, iid: str) -> str:
        return self.items.get(iid, iid)


def compute_opps(store: GraphStore, f: Findings) -> OppsFindings:
    """Opportunities for the run's products, matches in its region, names of the firms."""
    wanted = set(f.products)
    found = queries.opportunities(store, f.region, f.settings)
    kept = [o for o in found.opportunities if wanted & set(o.products)]
    opps = found.model_copy(update={"opportunities": kept})
    matches = None
    if f.region:
        m = queries.matches(store, f.region, f.settings)
        kept_matches = [x for x in m.matches if x.product in wanted]
        listed = {x.item for x in kept_matches}
        matches = m.model_copy(
            update={
                "matches": kept_matches,
                "unmatched": [x for x in m.unmatched if x.product in wanted],
                "more_routes": [x for x in m.more_routes if x.item in listed],
            }
        )
    risky = substitutes_at_risk(store, f.shock, f.settings) if f.shock is not None else set()
    return named_opps(store, opps, matches, risky)


def named_opps(
    store: GraphStore,
    opps: OpportunitiesResult,
    matches: MatchesResult | None,
    risky: set[str] | None = None,
) -> OppsFindings:
    """``opps`` and ``matches`` with the names and towns of their firms and items' names."""
    firms: set[str] = set()
    items: set[str] = set()
    for o in opps.opportunities:
        firms |= set(o.buyers)
        items |= {o.item, *o.products}
        if o.best_route is not None:
            firms.add(o.best_route.supplier)
            items.add(o.best_route.via)
    for x in matches.matches if matches else []:
        firms |= {x.buyer, x.supplier}
        items |= {x.product, x.item, x.via}
    for u in matches.unmatched if matches else []:
        firms.add(u.buyer)
        items |= {u.product, u.item}
    names = {
        k: (str(p.get("name") or k), str(p.get("city") or ""))
        for k, p in store.get_nodes(Label.SUPPLIER, firms).items()
    }
    item_names = {k: str(p.get("name") or k) for k, p in store.get_nodes(Label.ITEM, items).items()}
    return OppsFindings(opps, matches, names, item_names, risky or set())


def recoveries(f: Findings, cut: CutItem) -> str:
    """The substitutes that would recover ``cut``, each with its warning when exposed."""
    risky = f.opps.risky_substitutes if f.opps is not None else set()
    return ", ".join(
        recovery_text(r, r.item in risky, wording.named(f.names.get(r.item), r.item))
        for r in cut.recoverable_exposure
    )


def risk_text(o: Opportunity) -> str:
    """Why the item is at risk, in words."""
    reasons = []
    if o.single_country and o.country:
        reasons.append(_("single country {country}").format(country=country_name(o.country)))
    if o.upstream_country and o.upstream_share is not None:
        reasons.append(
            _("upstream {country} {share}").format(
                country=country_name(o.upstream_country), share=wording.pct(o.upstream_share)
            )
        )
    return "; ".join(reasons)


_why = risk_text


def _route(o: Opportunity, opps: OppsFindings) -> str:
    r = o.best_route
    if r is None:
        return _("no route")
    return _route_words(opps.firm(r.supplier), r.kind, opps.item(r.via), r.tier, r.distance_km) + (
        _(" (warning: the substitute is itself at risk)") if r.substitute_at_risk else ""
    )


def _route_words(firm: str | None, kind: str, via: str, tier: int, km: float | None) -> str:
    """How a route serves the item, in words; ``via``: the substitute's name."""
    where = _("tier {tier}").format(tier=tier)
    if km is not None:
        where += f", {km:.0f} km"
    if kind == "substitute":
        how = _("through the substitute {via}").format(via=via)
    elif kind == "capability":
        how = _("has the processes to make it")
    else:
        how = _("offers it")
    how = f"{how} ({where})"
    return _("{firm}: {how}").format(firm=firm, how=how) if firm else how


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f} €".replace(",", "\u202f")


def _buyers(o: Opportunity, opps: OppsFindings) -> str:
    local = [opps.firm(b) for b in o.buyers_in_region]
    others = len(o.buyers) - len(o.buyers_in_region)
    text = ", ".join(local) if local else ", ".join(opps.firm(b) for b in o.buyers)
    if local and others:
        text += " " + _("(+{n} elsewhere)").format(n=others)
    return text


# -- report page -------------------------------------------------------------------------------


def html_section(f: Findings) -> str:
    """The page's lead: opportunities in the region, then the matches."""
    from filiere.report.html import esc, table

    opps = f.opps
    if opps is None:
        return ""
    where = region_name(f.region) if f.region else country_name(f.settings.home)
    title = _("Relocation opportunities in {region}").format(region=where)
    out = [f'<h2 id="opportunities">{esc(title)}</h2>']
    rows = opps.opportunities.opportunities
    if not rows:
        none = _("No at-risk item in these products.")
        out.append(f"<p>{esc(none)}</p>")
    else:
        out.append(
            table(
                [
                    _("item"),
                    _("name"),
                    _("CRMA"),
                    _("why"),
                    _("buyers"),
                    _("value / year"),
                    _("best route"),
                ],
                [
                    [
                        o.item,
                        opps.item(o.item),
                        wording.crma(o.crma),
                        _why(o),
                        _buyers(o, opps),
                        _money(o.annual_value_eur),
                        _route(o, opps),
                    ]
                    for o in rows[:SHOWN]
                ],
            )
        )
        if len(rows) > SHOWN:
            more = _("{n} more in the workbook (sheet Opportunities).").format(n=len(rows) - SHOWN)
            out.append(f"<p>{esc(more)}</p>")
    if opps.matches is not None:
        m = opps.matches
        title = _("Buyer-supplier matches in {region}").format(region=region_name(m.region))
        out.append(f'<h2 id="matches">{esc(title)}</h2>')
        if m.matches:
            out.append(
                table(
                    [_("buyer"), _("product"), _("item"), _("supplier"), _("route")],
                    [_match_cells(x, opps) for x in m.matches],
                )
            )
        if m.more_routes:
            text = ngettext(
                "{n} item has more routes than the first {shown} listed (--routes-per-item).",
                "{n} items have more routes than the first {shown} listed (--routes-per-item).",
                len(m.more_routes),
            ).format(n=len(m.more_routes), shown=m.routes_per_item)
            out.append(f"<p>{esc(text)}</p>")
        if m.unmatched:
            items = ", ".join(f"{opps.firm(u.buyer)} / {u.product} / {u.item}" for u in m.unmatched)
            text = _("No route yet for: {items}.").format(items=items)
            out.append(f"<p>{esc(text)}</p>")
        if not m.matches and not m.unmatched:
            text = _("No firm of the region makes these products.")
            out.append(f"<p>{esc(text)}</p>")
    return "\n".join(out)


def _match_cells(x: Match, opps: OppsFindings) -> list[str]:
    route = _route_words(None, x.kind, opps.item(x.via), x.tier, x.distance_km)
    if x.substitute_at_risk:
        route += _(" (warning: the substitute is itself at risk)")
    return [
        opps.firm(x.buyer),
        opps.item(x.product),
        opps.item(x.item),
        opps.firm(x.supplier),
        route,
    ]


# -- workbook ----------------------------------------------------------------------------------


def write_sheets(wb: Workbook, f: Findings) -> None:
    """The "Opportunities" and "Matches" sheets, with names and towns beside the ids."""
    if f.opps is not None:
        write_opps_sheets(wb, f.opps)


def write_opps_sheets(wb: Workbook, opps: OppsFindings) -> None:
    """The "Opportunities" sheet, and "Matches" when ``opps`` has matches."""
    from filiere.report.xlsx import _sheet

    rows: list[list[Any]] = []
    for rank, o in enumerate(opps.opportunities.opportunities, 1):
        r = o.best_route
        name, town = opps.firms.get(r.supplier, (r.supplier, "")) if r else ("", "")
        rows.append(
            [
                rank, o.item, opps.item(o.item), o.kind, o.crma or "", _why(o),
                ", ".join(o.products), ", ".join(opps.item(p) for p in o.products),
                ", ".join(opps.firm(b) for b in o.buyers_in_region),
                ", ".join(opps.firm(b) for b in o.buyers if b not in o.buyers_in_region),
                o.annual_value_eur, o.routes.tier1, o.routes.tier2, o.routes.tier3,
                r.supplier if r else "", name, town, r.kind if r else "", r.via if r else "",
                r.tier if r else None, r.distance_km if r else None,
                _("the substitute is itself at risk") if r and r.substitute_at_risk else "",
            ]
        )  # fmt: skip
    ws = _sheet(
        wb,
        _("Opportunities"),
        [
            _("rank"), _("item"), _("name"), _("kind"), _("CRMA"), _("why"), _("products"),
            _("product names"), _("buyers in the region"), _("other buyers"),
            _("annual value (EUR)"), _("tier 1 routes"), _("tier 2 routes"), _("tier 3 routes"),
            _("best supplier"), _("supplier name"), _("town"), _("route kind"), _("via"),
            _("tier"), _("distance km"), _("warning"),
        ],
        rows,
    )  # fmt: skip
    for row in ws.iter_rows(min_row=2):
        row[10].number_format = "#,##0"
    if opps.matches is None:
        return
    mrows: list[list[Any]] = []
    for x in opps.matches.matches:
        bname, btown = opps.firms.get(x.buyer, (x.buyer, ""))
        sname, stown = opps.firms.get(x.supplier, (x.supplier, ""))
        mrows.append(
            [
                x.buyer, bname, btown, x.product, opps.item(x.product), x.item, opps.item(x.item),
                x.supplier, sname, stown, x.kind, x.via, x.tier, x.distance_km,
                _("the substitute is itself at risk") if x.substitute_at_risk else "",
            ]
        )  # fmt: skip
    for u in opps.matches.unmatched:
        bname, btown = opps.firms.get(u.buyer, (u.buyer, ""))
        mrows.append(
            [
                u.buyer, bname, btown, u.product, opps.item(u.product), u.item, opps.item(u.item),
                "", _("no route"), "", "", "", None, None, "",
            ]
        )  # fmt: skip
    _sheet(
        wb,
        _("Matches"),
        [
            _("buyer"), _("buyer name"), _("buyer town"), _("product"), _("product name"),
            _("item"), _("item name"), _("supplier"), _("supplier name"), _("supplier town"),
            _("route kind"), _("via"), _("tier"), _("distance km"), _("warning"),
        ],
        mrows,
    )  # fmt: skip


# -- terminal ----------------------------------------------------------------------------------


def print_section(out: Console, f: Findings) -> None:
    """The demo's lead: the top opportunities in the region, then the matches."""
    from rich.markup import escape
    from rich.table import Table

    opps = f.opps
    if opps is None:
        return
    rows = opps.opportunities.opportunities
    where = region_name(f.region) if f.region else country_name(f.settings.home)
    title = _("Relocation opportunities in {region}").format(region=where)
    out.print(f"\n[bold]{escape(title)}[/bold]")
    if rows:
        table = Table()
        for col in (_("item"), _("why"), _("buyers"), _("value / year"), _("best route")):
            table.add_column(col, overflow="fold")
        for o in rows[:TERMINAL]:
            cells = (
                f"{o.item} {opps.item(o.item)}", _why(o), _buyers(o, opps),
                _money(o.annual_value_eur), _route(o, opps),
            )  # fmt: skip
            table.add_row(*(escape(c) for c in cells))
        out.print(table)
        if len(rows) > TERMINAL:
            out.print(
                _("... and {n} more in the report").format(n=len(rows) - TERMINAL), markup=False
            )
    if opps.matches is not None:
        m = opps.matches
        head = ngettext(
            "Buyer-supplier matches in {region}: {n} introduction",
            "Buyer-supplier matches in {region}: {n} introductions",
            len(m.matches),
        ).format(region=region_name(m.region), n=len(m.matches))
        out.print(f"\n[bold]{escape(head)}[/bold]")
        if m.matches:
            table = Table()
            for col in (_("buyer"), _("product"), _("item"), _("supplier"), _("route")):
                table.add_column(col, overflow="fold")
            for x in m.matches:
                table.add_row(*(escape(c) for c in _match_cells(x, opps)))
            out.print(table)
        if m.unmatched:
            out.print(
                ngettext(
                    "{n} at-risk item of these products has no route yet (see the workbook).",
                    "{n} at-risk items of these products have no route yet (see the workbook).",
                    len(m.unmatched),
                ).format(n=len(m.unmatched)),
                markup=False,
            )


def shock_line(f: Findings, cut: CutItem) -> str:
    """``cut at the source: X name (recoverable via ...)`` with the recovery's warnings."""
    rec = recoveries(f, cut)
    text = _("cut at the source: {item} {name}").format(item=cut.item, name=f.name(cut.item))
    if rec:
        text += " " + _("(recoverable via {via})").format(via=rec)
    return text
