"""``filiere viz deps``: a product's supply tree, a layered left-to-right graph.

Items (product, components, materials), their current suppliers, the suppliers'
countries and the countries producing the materials, drawn with Cytoscape.js and ELK
(:mod:`filiere.viz.cyto`): the product on the left, its parts to the right, then the
suppliers and countries. At-risk branches come first (on top) and open; other sub-trees
start folded (a click unfolds them); a sub-assembly shared by several parents is one
node. At-risk items are red, their BOM paths thick red; suppliers and countries are green
at home, blue in the EU, grey elsewhere, with a red border when an at-risk dependency
goes through them.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise
from typing import Any

from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _, ngettext
from filiere.names import country_name, place
from filiere.queries import deps as run_deps
from filiere.queries.common import path_quantities
from filiere.queries.models import AnalysisSettings, Dependency, DepsResult
from filiere.viz.data import Production, SupplyTree, supply_tree
from filiere.viz.page import View
from filiere.viz.style import (
    AT_RISK,
    CONCENTRATED,
    DEFAULT_MAX_NODES,
    EU,
    HIGHLIGHT_EDGE,
    HOME,
    NEUTRAL,
    OUTSIDE,
    PLAIN_EDGE,
    LegendEntry,
    VEdge,
    ViewGraph,
    VNode,
    fmt_number,
    fmt_share,
    kind_name,
    location_colour,
    prune,
)

#: Producing countries drawn per material (every one is listed in the material's tooltip).
TOP_PRODUCERS = 3

KIND_COLOURS = {"product": "#1f4e79", "component": NEUTRAL, "material": "#e8dcc0"}


def item_id(item: str) -> str:
    return f"item:{item}"


def supplier_id(supplier: str) -> str:
    return f"supplier:{supplier}"


def production_id(material: str, country: str) -> str:
    return f"production:{material}:{country}"


def country_id(code: str) -> str:
    return f"country:{code}"


def short(text: str, n: int = 28) -> str:
    """``text`` cut to ``n`` characters with an ellipsis.

    >>> short("Aimant permanent néodyme-fer-bore", 16)
    'Aimant permanen…'
    """
    return text if len(text) <= n else text[: n - 1] + "…"


def provenance(props: dict[str, Any]) -> str:
    """The provenance line of a tooltip."""
    src = props.get("source") or _("unknown source")
    when = props.get("loaded_at")
    if when:
        return _("source: {source}, loaded {when}").format(source=src, when=when)
    return _("source: {source}").format(source=src)


def _depths(tree: SupplyTree) -> dict[str, int]:
    depth = {tree.product: 0}
    queue = deque([tree.product])
    while queue:
        v = queue.popleft()
        for c, _q in tree.children.get(v, ()):
            if c not in depth:
                depth[c] = depth[v] + 1
                queue.append(c)
    return depth


def _risk_lines(dep: Dependency | None, home: str) -> list[str]:
    if dep is None:
        return [_("no concentration found")]
    lines = [
        _("AT RISK")
        if dep.at_risk
        else _("concentrated (not at risk for {home})").format(home=home)
    ]
    if dep.single_country:
        lines.append(_("single country: {country}").format(country=country_name(dep.country)))
    if dep.single_source:
        lines.append(_("single source"))
    if dep.hhi is not None:
        lines.append(
            _("concentration (HHI) of supplying countries: {hhi}").format(
                hhi=fmt_number(dep.hhi, 3)
            )
        )
    if dep.upstream_concentrated:
        lines.append(
            _("upstream: {country} produces {share} of the world supply").format(
                country=country_name(dep.upstream_country), share=fmt_share(dep.upstream_share)
            )
        )
    return lines


def _item_order(tree: SupplyTree, hot: set[str]) -> list[str]:
    """The items depth first from the product, at-risk branches before the others."""
    names = {i: str(p.get("name", i)) for i, p in tree.items.items()}
    order: list[str] = []
    seen: set[str] = set()
    stack = [tree.product]
    while stack:
        item = stack.pop()
        if item in seen:
            continue
        seen.add(item)
        order.append(item)
        kids = sorted(
            {c for c, _q in tree.children.get(item, ())}, key=lambda c: (c not in hot, names[c], c)
        )
        stack.extend(reversed(kids))
    return order


def deps_view(
    store: GraphStore,
    product: str,
    settings: AnalysisSettings | None = None,
    *,
    result: DepsResult | None = None,
    hierarchical: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> View:
    """The supply-tree view of ``product`` (``result``: its ``deps`` result, if already run).

    Always layered left to right; ``hierarchical`` is accepted for compatibility.
    """
    settings = settings or AnalysisSettings()
    result = result or run_deps(store, product, settings)
    tree = supply_tree(store, product)
    home = settings.home
    risks = {d.item: d for d in result.dependencies}
    at_risk = {d.item for d in result.dependencies if d.at_risk}
    depth = _depths(tree)
    qty = path_quantities(product, tree.children)

    # Edges and nodes on the at-risk paths, and the countries behind at-risk items.
    hot_edges: set[tuple[str, str]] = set()
    hot_items: set[str] = set()
    for d in result.dependencies:
        if not d.at_risk:
            continue
        for path in d.paths:
            hot_items.update(path)
            hot_edges.update(pairwise(path))
    risk_countries = {d.country for d in result.dependencies if d.at_risk and d.country}
    risk_countries |= {
        d.upstream_country for d in result.dependencies if d.at_risk and d.upstream_country
    }
    risk_countries.discard(home)
    order = _item_order(tree, hot_items)
    rank = {item: i for i, item in enumerate(order)}
    supplied = {s.item for s in tree.supplies}
    produced = {p.material for p in tree.latest_production()}

    g = ViewGraph()
    for item in order:
        props = tree.items[item]
        kind = str(props.get("kind", "component"))
        dep = risks.get(item)
        if item in at_risk:
            colour = AT_RISK
        elif dep is not None:
            colour = CONCENTRATED
        else:
            colour = KIND_COLOURS.get(kind, NEUTRAL)
        unit = props.get("unit") or _("unit(s)")
        lines = [
            f"{props.get('name', item)} ({item})",
            _("kind: {kind}").format(kind=kind_name(kind)),
        ]
        if item != product:
            lines.append(
                _("quantity per {product}: {qty} {unit}").format(
                    product=product, qty=fmt_number(qty.get(item, 0)), unit=unit
                )
            )
            lines.append(_("BOM depth: {depth}").format(depth=depth.get(item)))
        lines += _risk_lines(dep, home)
        made = sorted(
            (p for p in tree.latest_production() if p.material == item),
            key=lambda p: (-p.share, p.country),
        )
        if made:
            lines.append(
                _("world production: {shares}").format(
                    shares=", ".join(
                        f"{country_name(p.country)} {fmt_share(p.share)} ({p.stage})"
                        for p in made[:8]
                    )
                    + (" ..." if len(made) > 8 else "")
                )
            )
        if item in result.gaps:
            lines.append(_("mapping gap: no supplier, no component, no production data"))
        lines.append(provenance(props))
        behind = bool(tree.children.get(item)) or item in supplied or item in produced
        g.add_node(
            VNode(
                item_id(item),
                short(str(props.get("name", item))),
                "\n".join(lines),
                colour,
                "box",
                priority=0 if item == product else (1 if item in hot_items else 10 + depth[item]),
                level=depth[item],
                border=AT_RISK if item in hot_items and item not in at_risk else None,
                collapsed=behind and item != product and item not in hot_items,
            )
        )
    for parent in order:
        for child, q in tree.children.get(parent, ()):
            hot = (parent, child) in hot_edges
            g.add_edge(
                VEdge(
                    item_id(parent),
                    item_id(child),
                    _("{parent} contains {qty} × {child}").format(
                        parent=parent, qty=fmt_number(q), child=child
                    ),
                    "×" + fmt_number(q),
                    HIGHLIGHT_EDGE if hot else PLAIN_EDGE,
                    4.0 if hot else 1.5,
                )
            )

    codes = {str(p.get("country")) for p in tree.suppliers.values() if p.get("country")}
    codes |= {p.country for p in _top_producers(tree, TOP_PRODUCERS)}
    countries = store.get_nodes(Label.COUNTRY, sorted(codes))

    def country_text(code: str) -> str:
        props = countries.get(code, {})
        name = country_name(code) or str(props.get("name") or code)
        eu = _("EU member") if props.get("eu") else _("outside the EU")
        risky = "\n" + _("country of an at-risk dependency") if code in risk_countries else ""
        return f"{name} ({code}), {eu}{risky}"

    for s in sorted(tree.supplies, key=lambda s: (rank[s.item], s.supplier)):
        props = tree.suppliers[s.supplier]
        country = props.get("country")
        hot = s.item in at_risk and country in risk_countries
        where = place(None, props.get("region"), props.get("city"))
        lines = [f"{props.get('name', s.supplier)} ({s.supplier})"]
        lines += [where] if where else []
        lines += [country_text(str(country))] if country else []
        g.add_node(
            VNode(
                supplier_id(s.supplier),
                short(str(props.get("name", s.supplier)), 24)
                + (f" · {country_name(str(country))}" if country else ""),
                "\n".join([*lines, provenance(props)]),
                location_colour(country, home),
                "dot",
                priority=2 if s.item in at_risk else 30,
                border=AT_RISK if hot else None,
            )
        )
        # Drawn from the item to its supplier (left to right), the arrow shows the delivery.
        g.add_edge(
            VEdge(
                item_id(s.item),
                supplier_id(s.supplier),
                _("{supplier} supplies {share} of {item}").format(
                    supplier=s.supplier, share=fmt_share(s.share), item=s.item
                )
                + f"\n{provenance(s.props)}",
                fmt_share(s.share) if s.share is not None else "",
                HIGHLIGHT_EDGE if hot else PLAIN_EDGE,
                3.0 if hot else 1.0,
                arrow="source",
            )
        )

    # Each material's biggest producing countries, one leaf per (material, country).
    for p in sorted(
        _top_producers(tree, TOP_PRODUCERS), key=lambda p: (rank[p.material], -p.share)
    ):
        dep = risks.get(p.material)
        hot = p.material in at_risk and dep is not None and dep.upstream_country == p.country
        hot = hot and p.country != home
        year = f" {p.year}" if p.year else ""
        text = _("{country} produces {share} of the world's {material} ({stage}{year})").format(
            country=country_name(p.country),
            share=fmt_share(p.share),
            material=p.material,
            stage=p.stage,
            year=year,
        )
        cname = country_name(p.country) or p.country
        nid = production_id(p.material, p.country)
        g.add_node(
            VNode(
                nid,
                f"{short(cname, 18)} {fmt_share(p.share)}",
                "\n".join([country_text(p.country), text, provenance(p.props)]),
                location_colour(p.country, home),
                "hexagon",
                priority=3 if hot else 32,
                border=AT_RISK if hot else None,
            )
        )
        g.add_edge(
            VEdge(
                item_id(p.material),
                nid,
                f"{text}\n{provenance(p.props)}",
                "",
                HIGHLIGHT_EDGE if hot else PRODUCTION_EDGE,
                3.0 if hot else 1.0,
                dashes=True,
                arrow="source",
            )
        )

    full = len(g.nodes)
    g, note = prune(g, max_nodes)
    notes = [note] if note else []
    if any(
        len({p.country for p in tree.latest_production() if p.material == m}) > TOP_PRODUCERS
        for m in tree.items
    ):
        notes.append(
            _(
                "World production: the {n} biggest producing countries of each material are "
                "drawn; hover a material for the others."
            ).format(n=TOP_PRODUCERS)
        )
    if result.gaps:
        notes.append(
            _("Mapping gaps (no supplier, no component, no production data): {items}.").format(
                items=", ".join(result.gaps)
            )
        )
    name = tree.items[product].get("name", product)
    n_risk = len(at_risk)
    subtitle = (
        ngettext(
            "{n} at-risk dependency for home country {home}",
            "{n} at-risk dependencies for home country {home}",
            n_risk,
        ).format(n=n_risk, home=home)
        + " "
        + _("(HHI ≥ {hhi}, upstream share ≥ {share}); {nodes} nodes.").format(
            hhi=fmt_number(settings.hhi), share=fmt_share(settings.upstream_share), nodes=full
        )
    )
    help_text = _(
        "Read from left to right: the product, its parts, their suppliers and countries. "
        "At-risk branches are open, on top; a node with a double border is folded: click it "
        "to unfold what lies behind it (click again to fold). Hover a node or a link for "
        "shares, quantities and sources; scroll to zoom, drag to move."
    )
    return View(
        _("Supply tree of {name} ({product})").format(name=name, product=product),
        subtitle,
        g,
        legend(),
        notes,
        hierarchical,
        layered=True,
        help_text=help_text,
    )


def _top_producers(tree: SupplyTree, n: int) -> list[Production]:
    """The latest production rows of the ``n`` biggest producing countries of each material."""
    by_material: dict[str, dict[str, float]] = {}
    for p in tree.latest_production():
        best = by_material.setdefault(p.material, {})
        best[p.country] = max(best.get(p.country, 0.0), p.share)
    keep = {
        (m, c)
        for m, best in by_material.items()
        for c in sorted(best, key=lambda c: (-best[c], c))[:n]
    }
    return [p for p in tree.latest_production() if (p.material, p.country) in keep]


PRODUCTION_EDGE = "#b59a4c"


def legend() -> list[LegendEntry]:
    """The legend of the supply tree, in the language in force (matches the drawing)."""
    return [
        LegendEntry(KIND_COLOURS["product"], "box", _("the product")),
        LegendEntry(NEUTRAL, "box", _("component")),
        LegendEntry(KIND_COLOURS["material"], "box", _("raw material")),
        LegendEntry(AT_RISK, "box", _("at-risk item (single foreign country / upstream)")),
        LegendEntry(CONCENTRATED, "box", _("concentrated, not at risk")),
        LegendEntry(NEUTRAL, "box", _("on an at-risk path (red border)"), AT_RISK),
        LegendEntry(NEUTRAL, "folded", _("folded: click to unfold what lies behind"), "#7a8794"),
        LegendEntry(HOME, "dot", _("supplier at home")),
        LegendEntry(EU, "dot", _("supplier in the EU")),
        LegendEntry(OUTSIDE, "dot", _("supplier outside the EU")),
        LegendEntry(OUTSIDE, "dot", _("red border: the supplier of an at-risk item"), AT_RISK),
        LegendEntry(OUTSIDE, "hexagon", _("producing country, share of world production")),
        LegendEntry(HIGHLIGHT_EDGE, "line", _("at-risk path")),
        LegendEntry(PLAIN_EDGE, "line", _("contains (×quantity) / is supplied by (share)")),
        LegendEntry(PRODUCTION_EDGE, "dashed", _("world production share")),
        LegendEntry(HIGHLIGHT_EDGE, "dashed", _("world production share behind a risk")),
    ]
