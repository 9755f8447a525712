"""``filiere viz shock``: what a supply stop in some countries cuts and dents.

The shocked countries at the top; the items they supply (red when every supplier is
there: cut; orange when only part of the supply is lost: dented); the products whose
BOM holds them (red when cut, orange when dented); substitutes that could recover a
cut item, in cyan.
"""

from __future__ import annotations

from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.queries import shock as run_shock
from filiere.queries.models import AnalysisSettings, ShockResult
from filiere.queries.recovery import recovery_text, substitutes_at_risk
from filiere.viz.deps import country_id, item_id, short
from filiere.viz.page import View
from filiere.viz.style import (
    AT_RISK,
    DEFAULT_MAX_NODES,
    DENTED,
    SHAPES,
    SUBSTITUTE,
    LegendEntry,
    VEdge,
    ViewGraph,
    VNode,
    fmt_share,
    prune,
)

SCENARIO = "scenario:stop"


def shock_view(
    store: GraphStore,
    countries: list[str],
    settings: AnalysisSettings | None = None,
    *,
    result: ShockResult | None = None,
    hierarchical: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> View:
    """The shock view of a supply stop in ``countries``."""
    settings = settings or AnalysisSettings()
    result = result or run_shock(store, countries, settings)
    codes = result.countries
    cut_at_source = {c.item: c.recoverable_via for c in result.cut_items}
    risky = substitutes_at_risk(store, result, settings)  # a hit recovery is never plain
    recovery = {
        c.item: ", ".join(recovery_text(r, r.item in risky) for r in c.recoverable_exposure)
        for c in result.cut_items
    }
    lost: dict[str, float] = {}
    for p in result.impacted_products:
        for part in p.partial:
            lost[part.item] = part.lost_share
    hit = sorted(set(cut_at_source) | set(lost))
    products = {p.product: p for p in result.impacted_products}
    subs = sorted({s for vs in cut_at_source.values() for s in vs} - set(hit) - set(products))
    names = store.get_nodes(Label.ITEM, sorted({*hit, *products, *subs}))
    country_names = store.get_nodes(Label.COUNTRY, codes)

    def name(item: str) -> str:
        return str(names.get(item, {}).get("name", item))

    g = ViewGraph()
    if len(codes) == 1:
        hub = country_id(codes[0])
        cname = country_names.get(codes[0], {}).get("name", codes[0])
        label, tip = codes[0], f"Supply stop: {cname} ({codes[0]})"
        shape = SHAPES["country"]
    else:
        hub = SCENARIO
        label = "Stop: " + " + ".join(codes)
        tip = "Supply stop in: " + ", ".join(
            f"{country_names.get(c, {}).get('name', c)} ({c})" for c in codes
        )
        shape = SHAPES["scenario"]
    g.add_node(VNode(hub, label, tip, AT_RISK, shape, priority=0, level=0, size=30))
    for item in hit:
        cut = item in cut_at_source
        kind = str(names.get(item, {}).get("kind", "component"))
        tip = f"{name(item)} ({item})\n" + (
            "CUT: every supplier is in the shocked countries"
            if cut
            else f"DENTED: loses {fmt_share(lost[item])} of its supply"
        )
        if cut and cut_at_source[item]:
            tip += "\nrecoverable via: " + recovery[item]
        g.add_node(
            VNode(
                item_id(item),
                short(name(item)),
                tip,
                AT_RISK if cut else DENTED,
                SHAPES.get(kind, "box"),
                priority=1 if cut else 3,
                level=1,
            )
        )
        g.add_edge(
            VEdge(
                hub,
                item_id(item),
                "supplies all of it" if cut else f"supplies {fmt_share(lost[item])} of it",
                "100%" if cut else fmt_share(lost[item]),
                AT_RISK if cut else DENTED,
                3.0 if cut else 1.5,
            )
        )
    for product, p in products.items():
        tip = f"{name(product)} ({product})\n" + (
            "CUT: a part of its BOM has no supplier left"
            if p.cut
            else "DENTED: parts of its BOM lose some supply"
        )
        if p.cut_items:
            tip += "\ncut parts: " + ", ".join(p.cut_items)
        if p.partial:
            tip += "\ndented parts: " + ", ".join(
                f"{x.item} (-{fmt_share(x.lost_share)})" for x in p.partial
            )
        g.add_node(
            VNode(
                item_id(product),
                short(name(product)),
                tip,
                AT_RISK if p.cut else DENTED,
                SHAPES["product"],
                priority=2 if p.cut else 4,
                level=2,
                size=26,
            )
        )
        for item in p.cut_items:
            if item != product:
                g.add_edge(VEdge(item_id(item), item_id(product), "cut part", "", AT_RISK, 2.0))
        for x in p.partial:
            if x.item != product:
                g.add_edge(VEdge(item_id(x.item), item_id(product), "dented part", "", DENTED))
    for sub in subs:
        g.add_node(
            VNode(
                item_id(sub),
                short(name(sub)),
                f"{name(sub)} ({sub})\nsubstitute not cut by this shock",
                SUBSTITUTE,
                SHAPES.get(str(names.get(sub, {}).get("kind", "material")), "diamond"),
                priority=5,
                level=1,
            )
        )
    for item, vias in cut_at_source.items():
        for sub in vias:
            if item_id(sub) in g.nodes:
                g.add_edge(
                    VEdge(
                        item_id(sub),
                        item_id(item),
                        f"{sub} can replace {item}",
                        "can replace",
                        SUBSTITUTE,
                        dashes=True,
                    )
                )
    g, note = prune(g, max_nodes)
    notes = [note] if note else []
    n_cut = sum(1 for p in result.impacted_products if p.cut)
    n_dented = len(result.impacted_products) - n_cut
    if not result.impacted_products and not hit:
        notes.append(f"No item of the graph is supplied from {', '.join(codes)}.")
    subtitle = (
        f"{len(cut_at_source)} item(s) cut at the source, {len(lost)} dented; "
        f"{n_cut} product(s) cut, {n_dented} dented. Hover for lost shares."
    )
    return View(f"Supply stop in {', '.join(codes)}", subtitle, g, LEGEND, notes, hierarchical)


LEGEND = [
    LegendEntry(AT_RISK, "triangle", "shocked country"),
    LegendEntry(AT_RISK, "box", "cut: no supplier left"),
    LegendEntry(DENTED, "box", "dented: part of the supply lost"),
    LegendEntry(AT_RISK, "star", "product cut"),
    LegendEntry(DENTED, "star", "product dented"),
    LegendEntry(SUBSTITUTE, "dashed", "substitute that could replace a cut item"),
]
