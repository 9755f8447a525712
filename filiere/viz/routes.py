"""``filiere viz routes``: an item and its candidate local routes, coloured by tier.

Suppliers of the item itself (``supplier`` and ``capability`` routes) link straight to
it; suppliers of a substitute link to the substitute, which links to the item.
"""

from __future__ import annotations

from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.queries import routes as run_routes
from filiere.queries.models import AnalysisSettings, RoutesResult
from filiere.viz.deps import item_id, provenance, short, supplier_id
from filiere.viz.page import View
from filiere.viz.style import (
    AT_RISK,
    DEFAULT_MAX_NODES,
    PLAIN_EDGE,
    SHAPES,
    SUBSTITUTE,
    TIER_COLOURS,
    TIER_NAMES,
    LegendEntry,
    VEdge,
    ViewGraph,
    VNode,
    prune,
)

KIND_TEXT = {
    "supplier": "already offers the item",
    "substitute": "supplies a substitute",
    "capability": "masters every process the item needs",
}


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

    g = ViewGraph()
    props = items.get(item, {})
    name = str(props.get("name", item))
    kind = str(props.get("kind", "component"))
    g.add_node(
        VNode(
            item_id(item),
            short(name),
            f"{name} ({item})\nkind: {kind}\n{len(result.routes)} route(s)\n{provenance(props)}",
            "#1f4e79",
            SHAPES.get(kind, "box"),
            priority=0,
            level=0,
            size=30,
        )
    )
    for via in vias:
        vp = items.get(via, {})
        compat = max(r.compatibility for r in result.routes if r.via == via)
        risky = any(r.substitute_at_risk for r in result.routes if r.via == via)
        lines = [f"{vp.get('name', via)} ({via})", f"substitute, compatibility {compat:.2f}"]
        if risky:
            lines.append("AT RISK itself: the substitute has an at-risk dependency")
        lines.append(provenance(vp))
        g.add_node(
            VNode(
                item_id(via),
                short(str(vp.get("name", via))),
                "\n".join(lines),
                AT_RISK if risky else SUBSTITUTE,
                SHAPES.get(str(vp.get("kind", "material")), "diamond"),
                priority=1,
                level=1,
            )
        )
        g.add_edge(
            VEdge(
                item_id(via),
                item_id(item),
                f"{via} can replace {item} (compatibility {compat:.2f})",
                f"subst. {compat:.2f}",
                AT_RISK if risky else SUBSTITUTE,
                2.0,
                dashes=True,
            )
        )
    for rank, r in enumerate(result.routes):
        sp = suppliers.get(r.supplier, {})
        sname = str(sp.get("name", r.supplier))
        place = ", ".join(str(x) for x in (sp.get("city"), r.region, r.country) if x)
        dist = f"{r.distance_km:.0f} km" if r.distance_km is not None else "distance unknown"
        target = f" from {region}" if region and r.distance_km is not None else ""
        g.add_node(
            VNode(
                supplier_id(r.supplier),
                short(sname, 22),
                f"{sname} ({r.supplier})\n{place}\n{TIER_NAMES[r.tier]}\n{dist}{target}\n"
                f"{provenance(sp)}",
                TIER_COLOURS[r.tier],
                SHAPES["supplier"],
                priority=2 + rank,
                level=2,
            )
        )
        g.add_edge(
            VEdge(
                supplier_id(r.supplier),
                item_id(r.via),
                f"route #{rank + 1}: {r.kind} ({KIND_TEXT[r.kind]})\n{TIER_NAMES[r.tier]}, "
                f"{dist}\ncompatibility {r.compatibility:.2f}",
                f"#{rank + 1} {r.kind}",
                TIER_COLOURS[r.tier],
                3.0 if r.tier == 1 else 1.5,
                dashes=r.kind == "capability",
            )
        )
    g, note = prune(g, max_nodes)
    notes = [note] if note else []
    where = f"the region {region}, " if region else ""
    if not result.routes:
        notes.append(
            f"No route found for {item} in {where}{settings.home} or the EU: no other "
            "supplier offers it, no substitute is supplied there, no local firm has the processes."
        )
    subtitle = (
        f"{len(result.routes)} candidate route(s) in {where}{settings.home} and the EU, "
        "best first. Hover a supplier for its place and distance."
    )
    return View(f"Local routes for {name} ({item})", subtitle, g, LEGEND, notes, hierarchical)


LEGEND = [
    LegendEntry("#1f4e79", "box", "the item"),
    LegendEntry(TIER_COLOURS[1], "dot", TIER_NAMES[1]),
    LegendEntry(TIER_COLOURS[2], "dot", TIER_NAMES[2]),
    LegendEntry(TIER_COLOURS[3], "dot", TIER_NAMES[3]),
    LegendEntry(SUBSTITUTE, "box", "substitute"),
    LegendEntry(AT_RISK, "box", "substitute with an at-risk dependency"),
    LegendEntry(TIER_COLOURS[1], "line", "route to the supplier (colour of its tier)"),
    LegendEntry(PLAIN_EDGE, "dashed", "capability route (masters the processes)"),
]
