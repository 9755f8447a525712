"""``filiere viz routes``: an item, its current suppliers and its candidate local routes.

The item in the middle; its current suppliers (the sourcing a route would replace) in
grey with their share, dotted; every candidate supplier coloured by tier. Suppliers of
the item itself (``supplier`` and ``capability`` routes) link straight to it; suppliers
of a substitute link to the substitute, which links to the item. A substitute that is
itself at risk is red, marked ⚠ on the drawing, and a warning above the graph says why.
"""

from __future__ import annotations

from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import N_, _, ngettext
from filiere.names import country_name, place, region_name
from filiere.queries import deps as run_deps
from filiere.queries import routes as run_routes
from filiere.queries.models import AnalysisSettings, Dependency, RoutesResult
from filiere.viz.data import supply_tree
from filiere.viz.deps import item_id, provenance, short, supplier_id
from filiere.viz.page import View
from filiere.viz.style import (
    AT_RISK,
    DEFAULT_MAX_NODES,
    OUTSIDE,
    SHAPES,
    SUBSTITUTE,
    TIER_COLOURS,
    LegendEntry,
    VEdge,
    ViewGraph,
    VNode,
    fmt_number,
    fmt_share,
    kind_name,
    prune,
    tier_name,
)

KIND_TEXT = {
    "supplier": N_("already offers the item"),
    "substitute": N_("supplies a substitute"),
    "capability": N_("masters every process the item needs"),
}

ITEM_COLOUR = "#1f4e79"
#: Routes are drawn in one colour (solid, or dashed for capability); the tier is the
#: supplier's colour.
ROUTE_EDGE = "#4a5563"
CURRENT = OUTSIDE
WARN = "⚠"


def current_id(supplier: str) -> str:
    return f"current:{supplier}"


def why_at_risk(dep: Dependency) -> str:
    """One at-risk dependency in words, e.g. ``M-SM: upstream China 85%``."""
    if dep.single_country and dep.country:
        why = _("single country {country}").format(country=country_name(dep.country))
    elif dep.upstream_concentrated and dep.upstream_country:
        why = _("upstream {country} {share}").format(
            country=country_name(dep.upstream_country), share=fmt_share(dep.upstream_share)
        )
    elif dep.single_source:
        why = _("single source")
    else:
        why = _("concentration (HHI) {hhi}").format(hhi=fmt_number(dep.hhi or 0.0, 2))
    return _("{item}: {why}").format(item=dep.item, why=why)


def routes_view(
    store: GraphStore,
    item: str,
    region: str | None = None,
    settings: AnalysisSettings | None = None,
    *,
    result: RoutesResult | None = None,
    hierarchical: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> View:
    """The routes view of ``item`` (``result``: its ``routes`` result, if already run)."""
    settings = settings or AnalysisSettings()
    result = result or run_routes(store, item, region, settings)
    region = result.region
    vias = sorted({r.via for r in result.routes if r.via != item})
    items = store.get_nodes(Label.ITEM, [item, *vias])
    suppliers = store.get_nodes(Label.SUPPLIER, sorted({r.supplier for r in result.routes}))
    tree = supply_tree(store, item)
    current = [s for s in tree.supplies if s.item == item]

    g = ViewGraph()
    props = items.get(item, {})
    name = str(props.get("name", item))
    kind = str(props.get("kind", "component"))
    n_routes = len(result.routes)
    g.add_node(
        VNode(
            item_id(item),
            short(name),
            "\n".join(
                [
                    f"{name} ({item})",
                    _("kind: {kind}").format(kind=kind_name(kind)),
                    ngettext("{n} route", "{n} routes", n_routes).format(n=n_routes),
                    provenance(props),
                ]
            ),
            ITEM_COLOUR,
            "box",
            priority=0,
            level=1,
            size=30,
        )
    )
    for s in current:
        sp = tree.suppliers[s.supplier]
        sname = str(sp.get("name", s.supplier))
        country = country_name(sp.get("country"))
        where = place(sp.get("country"), sp.get("region"), sp.get("city"))
        g.add_node(
            VNode(
                current_id(s.supplier),
                short(sname, 22) + (f" · {country}" if country else ""),
                "\n".join(
                    [
                        f"{sname} ({s.supplier})",
                        where,
                        _("current supplier: {share} of {item}").format(
                            share=fmt_share(s.share), item=item
                        ),
                        provenance(sp),
                    ]
                ),
                CURRENT,
                "box",
                priority=1,
                level=0,
            )
        )
        g.add_edge(
            VEdge(
                current_id(s.supplier),
                item_id(item),
                _("{supplier} supplies {share} of {item} today").format(
                    supplier=s.supplier, share=fmt_share(s.share), item=item
                ),
                fmt_share(s.share) if s.share is not None else "",
                CURRENT,
                2.0,
                dashes=True,
            )
        )

    warnings: list[str] = []
    risky_vias: set[str] = set()
    for via in vias:
        vp = items.get(via, {})
        vname = str(vp.get("name", via))
        compat = max(r.compatibility for r in result.routes if r.via == via)
        risky = any(r.substitute_at_risk for r in result.routes if r.via == via)
        lines = [
            f"{vname} ({via})",
            _("substitute, compatibility {compat}").format(compat=fmt_number(compat, 2)),
        ]
        if risky:
            risky_vias.add(via)
            deps = run_deps(store, via, settings).dependencies
            reasons = "; ".join(why_at_risk(d) for d in deps if d.at_risk)
            text = _(
                "Substitute {name} ({id}) is itself at risk ({reasons}): a route through it "
                "does not remove the dependency."
            ).format(name=vname, id=via, reasons=reasons)
            warnings.append(f"{WARN} {text}")
            lines.append(f"{WARN} {text}")
        lines.append(provenance(vp))
        g.add_node(
            VNode(
                item_id(via),
                (f"{WARN} " if risky else "") + short(vname),
                "\n".join(lines),
                AT_RISK if risky else SUBSTITUTE,
                "diamond",
                priority=1,
                level=2,
            )
        )
        g.add_edge(
            VEdge(
                item_id(via),
                item_id(item),
                _("{via} can replace {item} (compatibility {compat})").format(
                    via=via, item=item, compat=fmt_number(compat, 2)
                ),
                _("subst. {compat}").format(compat=fmt_number(compat, 2))
                + (f" {WARN} " + _("at risk") if risky else ""),
                AT_RISK if risky else SUBSTITUTE,
                2.0,
                dashes=True,
            )
        )
    for rank, r in enumerate(result.routes):
        sp = suppliers.get(r.supplier, {})
        sname = str(sp.get("name", r.supplier))
        where = place(r.country, r.region, sp.get("city"))
        if r.distance_km is None:
            dist = _("distance unknown")
        elif region:
            dist = _("{km} km from {region}").format(
                km=fmt_number(r.distance_km, 0), region=region_name(region)
            )
        else:
            dist = _("{km} km").format(km=fmt_number(r.distance_km, 0))
        lines = [
            f"{sname} ({r.supplier})",
            where,
            tier_name(r.tier),
            dist,
            _("route #{rank}: {why}").format(rank=rank + 1, why=_(KIND_TEXT[r.kind])),
        ]
        if r.via in risky_vias:
            lines.append(f"{WARN} " + _("through a substitute that is itself at risk"))
        lines.append(provenance(sp))
        g.add_node(
            VNode(
                supplier_id(r.supplier),
                short(sname, 22) + " · " + str(region_name(r.region) or country_name(r.country)),
                "\n".join(lines),
                TIER_COLOURS[r.tier],
                SHAPES["supplier"],
                priority=2 + rank,
                level=3 if r.via != item else 2,
            )
        )
        edge_label = f"#{rank + 1} " + _(ROUTE_KIND_NAMES[r.kind])
        if r.via in risky_vias:
            edge_label += f" {WARN}"
        g.add_edge(
            VEdge(
                supplier_id(r.supplier),
                item_id(r.via),
                "\n".join([*lines[4:-1], tier_name(r.tier), dist])
                + "\n"
                + _("compatibility {compat}").format(compat=fmt_number(r.compatibility, 2)),
                edge_label,
                ROUTE_EDGE,
                3.0 if r.tier == 1 else 1.5,
                dashes=r.kind == "capability",
            )
        )
    g, note = prune(g, max_nodes)
    notes = [note] if note else []
    where = (
        _("the region {region}, {home} or the EU").format(
            region=region_name(region), home=country_name(settings.home)
        )
        if region
        else _("{home} or the EU").format(home=country_name(settings.home))
    )
    if not result.routes:
        notes.append(
            _(
                "No route found for {item} in {where}: no other supplier offers it, no "
                "substitute is supplied there, no local firm masters its processes."
            ).format(item=item, where=where)
        )
    subtitle = ngettext(
        "{n} candidate route in {where}, best first.",
        "{n} candidate routes in {where}, best first.",
        n_routes,
    ).format(n=n_routes, where=where)
    return View(
        _("Local routes for {name} ({item})").format(name=name, item=item),
        subtitle,
        g,
        legend(),
        notes,
        hierarchical,
        warnings=warnings,
        help_text=_(
            "Current suppliers in grey, candidates coloured by tier; the thicker the route, the "
            "closer. Hover a node or a link for the place, the distance and why it qualifies; "
            "scroll to zoom, drag to move."
        ),
    )


ROUTE_KIND_NAMES = {
    "supplier": N_("supplier"),
    "substitute": N_("substitute"),
    "capability": N_("capability"),
}


def legend() -> list[LegendEntry]:
    """The legend of the routes view, in the language in force (matches the drawing)."""
    return [
        LegendEntry(ITEM_COLOUR, "box", _("the item")),
        LegendEntry(CURRENT, "box", _("current supplier (the sourcing to replace)")),
        LegendEntry(CURRENT, "dashed", _("current supply, with its share")),
        LegendEntry(TIER_COLOURS[1], "dot", tier_name(1)),
        LegendEntry(TIER_COLOURS[2], "dot", tier_name(2)),
        LegendEntry(TIER_COLOURS[3], "dot", tier_name(3)),
        LegendEntry(SUBSTITUTE, "diamond", _("substitute")),
        LegendEntry(AT_RISK, "diamond", _("⚠ substitute that is itself at risk")),
        LegendEntry(ROUTE_EDGE, "line", _("route: offers the item or a substitute")),
        LegendEntry(ROUTE_EDGE, "dashed", _("capability route: masters the processes")),
        LegendEntry(SUBSTITUTE, "dashed", _("can replace the item (compatibility)")),
        LegendEntry(AT_RISK, "dashed", _("⚠ replacement by an at-risk substitute")),
    ]
