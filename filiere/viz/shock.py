"""``filiere viz shock``: what a supply stop in some countries cuts and dents.

The shocked countries at the top; the items they supply (red when every supplier is
there: cut; orange when only part of the supply is lost: dented); the products whose
BOM holds them (red when cut, orange when dented); substitutes that could recover a
cut item, in cyan.
"""

from __future__ import annotations

from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _, ngettext
from filiere.names import country_name
from filiere.queries import deps as run_deps
from filiere.queries import shock as run_shock
from filiere.queries.models import AnalysisSettings, ShockResult
from filiere.queries.recovery import recovery_text, substitutes_at_risk
from filiere.viz.deps import country_id, item_id, short
from filiere.viz.page import View
from filiere.viz.routes import WARN, why_at_risk
from filiere.viz.style import (
    AT_RISK,
    DEFAULT_MAX_NODES,
    DENTED,
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
    # A substitute with an at-risk dependency of its own is no plain recovery: say so.
    risky_subs: dict[str, str] = {}
    for sub in sorted({s for vs in cut_at_source.values() for s in vs}):
        bad = [d for d in run_deps(store, sub, settings).dependencies if d.at_risk]
        if bad:
            risky_subs[sub] = "; ".join(why_at_risk(d) for d in bad)
    stored = store.get_nodes(Label.COUNTRY, codes)
    country_names = {c: country_name(c) or str(stored.get(c, {}).get("name", c)) for c in codes}
    in_words = ", ".join(country_names[c] for c in codes)

    def name(item: str) -> str:
        return str(names.get(item, {}).get("name", item))

    g = ViewGraph()
    if len(codes) == 1:
        hub = country_id(codes[0])
        cname = country_names[codes[0]]
        label = f"{short(str(cname), 24)} ({codes[0]})" if cname != codes[0] else codes[0]
        tip = _("Supply stop: {country} ({code})").format(country=cname, code=codes[0])
        shape = "hexagon"
    else:
        hub = SCENARIO
        label = _("Stop: {countries}").format(countries=" + ".join(country_names[c] for c in codes))
        tip = _("Supply stop in: {countries}").format(
            countries=", ".join(f"{country_names[c]} ({c})" for c in codes)
        )
        shape = "hexagon"
    g.add_node(VNode(hub, label, tip, AT_RISK, shape, priority=0, level=0, size=30))
    for item in hit:
        cut = item in cut_at_source
        tip = f"{name(item)} ({item})\n" + (
            _("CUT: every supplier is in the shocked countries")
            if cut
            else _("DENTED: loses {share} of its supply").format(share=fmt_share(lost[item]))
        )
        if cut and cut_at_source[item]:
            tip += "\n" + _("recoverable via: {items}").format(items=recovery[item])
        g.add_node(
            VNode(
                item_id(item),
                short(name(item)),
                tip,
                AT_RISK if cut else DENTED,
                "box",
                priority=1 if cut else 3,
                level=1,
            )
        )
        g.add_edge(
            VEdge(
                hub,
                item_id(item),
                _("supplies all of it")
                if cut
                else _("supplies {share} of it").format(share=fmt_share(lost[item])),
                fmt_share(1.0) if cut else fmt_share(lost[item]),
                AT_RISK if cut else DENTED,
                3.0 if cut else 1.5,
            )
        )
    for product, p in products.items():
        tip = f"{name(product)} ({product})\n" + (
            _("CUT: a part of its BOM has no supplier left")
            if p.cut
            else _("DENTED: parts of its BOM lose some supply")
        )
        if p.cut_items:
            tip += "\n" + _("cut parts: {items}").format(items=", ".join(p.cut_items))
        if p.partial:
            tip += "\n" + _("dented parts: {items}").format(
                items=", ".join(f"{x.item} (-{fmt_share(x.lost_share)})" for x in p.partial)
            )
        g.add_node(
            VNode(
                item_id(product),
                short(name(product)),
                tip,
                AT_RISK if p.cut else DENTED,
                "dot",
                priority=2 if p.cut else 4,
                level=2,
                size=26,
            )
        )
        for item in p.cut_items:
            if item != product:
                g.add_edge(VEdge(item_id(item), item_id(product), _("cut part"), "", AT_RISK, 2.0))
        for x in p.partial:
            if x.item != product:
                g.add_edge(VEdge(item_id(x.item), item_id(product), _("dented part"), "", DENTED))
    warnings: list[str] = []
    for sub in subs:
        lines = [f"{name(sub)} ({sub})", _("substitute not cut by this shock")]
        if sub in risky_subs:
            text = _(
                "{name} ({id}) can replace a cut item but is itself at risk ({reasons}): "
                "not a plain recovery."
            ).format(name=name(sub), id=sub, reasons=risky_subs[sub])
            warnings.append(f"{WARN} {text}")
            lines.append(f"{WARN} {text}")
        g.add_node(
            VNode(
                item_id(sub),
                (f"{WARN} " if sub in risky_subs else "") + short(name(sub)),
                "\n".join(lines),
                AT_RISK if sub in risky_subs else SUBSTITUTE,
                "rhomboid",
                priority=5,
                level=0,
            )
        )
    for item, vias in cut_at_source.items():
        for sub in vias:
            if item_id(sub) in g.nodes:
                sub_risky = sub in risky_subs
                g.add_edge(
                    VEdge(
                        item_id(sub),
                        item_id(item),
                        _("{via} can replace {item}").format(via=sub, item=item),
                        _("can replace") + (f" {WARN}" if sub_risky else ""),
                        AT_RISK if sub_risky else SUBSTITUTE,
                        2.0 if sub_risky else 1.0,
                        dashes=True,
                    )
                )
    g, note = prune(g, max_nodes)
    notes = [note] if note else []
    n_cut = sum(1 for p in result.impacted_products if p.cut)
    n_dented = len(result.impacted_products) - n_cut
    if not result.impacted_products and not hit:
        notes.append(
            _("No item of the graph is supplied from {countries}.").format(countries=in_words)
        )
    subtitle = " ".join(
        [
            ngettext(
                "{n} item cut at the source,", "{n} items cut at the source,", len(cut_at_source)
            ).format(n=len(cut_at_source)),
            ngettext("{n} dented;", "{n} dented;", len(lost)).format(n=len(lost)),
            ngettext("{n} product cut,", "{n} products cut,", n_cut).format(n=n_cut),
            ngettext("{n} dented.", "{n} dented.", n_dented).format(n=n_dented),
        ]
    )
    return View(
        _("Supply stop in {countries}").format(countries=in_words),
        subtitle,
        g,
        legend(len(codes) > 1),
        notes,
        hierarchical,
        layered=True,
        warnings=warnings,
        help_text=_(
            "Read from left to right: the shocked countries, the items they supply (cut or "
            "dented), the products hit; on the left, the substitutes that could replace a cut "
            "item. Hover for lost shares; scroll to zoom, drag to move."
        ),
    )


def legend(several: bool = False) -> list[LegendEntry]:
    """The legend of the shock view, in the language in force (matches the drawing)."""
    hub = _("the shocked countries") if several else _("the shocked country")
    return [
        LegendEntry(AT_RISK, "hexagon", hub),
        LegendEntry(AT_RISK, "box", _("cut item: no supplier left")),
        LegendEntry(DENTED, "box", _("dented item: part of its supply lost")),
        LegendEntry(AT_RISK, "dot", _("product cut")),
        LegendEntry(DENTED, "dot", _("product dented")),
        LegendEntry(SUBSTITUTE, "rhomboid", _("substitute not cut by the shock")),
        LegendEntry(AT_RISK, "rhomboid", _("⚠ substitute that is itself at risk")),
        LegendEntry(AT_RISK, "line", _("cut: supplies all of it / cut part")),
        LegendEntry(DENTED, "line", _("dented: supplies part of it / dented part")),
        LegendEntry(SUBSTITUTE, "dashed", _("can replace a cut item")),
        LegendEntry(AT_RISK, "dashed", _("⚠ replacement by an at-risk substitute")),
    ]
