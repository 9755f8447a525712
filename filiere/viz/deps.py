"""``filiere viz deps``: a product's supply tree, coloured by kind and by risk.

Items (product, components, materials), their current suppliers, the suppliers'
countries and the countries producing the materials. At-risk items are red, their BOM
paths thick red; suppliers and countries are green at home, blue in the EU, grey
elsewhere, with a red border when an at-risk dependency goes through them.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise
from typing import Any

from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
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
    SHAPES,
    LegendEntry,
    VEdge,
    ViewGraph,
    VNode,
    fmt_share,
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
    src = props.get("source") or "unknown source"
    when = props.get("loaded_at")
    return f"source: {src}" + (f", loaded {when}" if when else "")


def _depths(tree: SupplyTree) -> dict[str, int]:
    depth = {tree.product: 0}
    queue = deque([tree.product])
    while queue:
        v = queue.popleft()
        for c, _ in tree.children.get(v, ()):
            if c not in depth:
                depth[c] = depth[v] + 1
                queue.append(c)
    return depth


def _risk_lines(dep: Dependency | None, home: str) -> list[str]:
    if dep is None:
        return ["no concentration found"]
    lines = ["AT RISK" if dep.at_risk else f"concentrated (not at risk for {home})"]
    if dep.single_country:
        lines.append(f"single supplying country: {dep.country}")
    if dep.single_source:
        lines.append("single supplier")
    if dep.hhi is not None:
        lines.append(f"HHI of supplying countries: {dep.hhi:.3f}")
    if dep.upstream_concentrated:
        lines.append(
            f"upstream: {dep.upstream_country} produces {fmt_share(dep.upstream_share)} "
            "of the world supply"
        )
    return lines


def deps_view(
    store: GraphStore,
    product: str,
    settings: AnalysisSettings | None = None,
    *,
    result: DepsResult | None = None,
    hierarchical: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> View:
    """The supply-tree view of ``product`` (``result``: its ``deps`` result, if already run)."""
    settings = settings or AnalysisSettings()
    result = result or run_deps(store, product, settings)
    tree = supply_tree(store, product)
    home = settings.home
    risks = {d.item: d for d in result.dependencies}
    at_risk = {d.item for d in result.dependencies if d.at_risk}
    depth = _depths(tree)
    bottom = max(depth.values(), default=0)
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

    g = ViewGraph()
    for item, props in tree.items.items():
        kind = str(props.get("kind", "component"))
        dep = risks.get(item)
        if item in at_risk:
            colour = AT_RISK
        elif dep is not None:
            colour = CONCENTRATED
        else:
            colour = KIND_COLOURS.get(kind, NEUTRAL)
        unit = props.get("unit") or "unit(s)"
        lines = [f"{props.get('name', item)} ({item})", f"kind: {kind}"]
        if item != product:
            lines.append(f"quantity per {product}: {qty.get(item, 0):.6g} {unit}")
            lines.append(f"BOM depth: {depth.get(item)}")
        lines += _risk_lines(dep, home)
        made = sorted(
            (p for p in tree.latest_production() if p.material == item),
            key=lambda p: (-p.share, p.country),
        )
        if made:
            lines.append(
                "world production: "
                + ", ".join(f"{p.country} {fmt_share(p.share)} ({p.stage})" for p in made[:8])
                + (" ..." if len(made) > 8 else "")
            )
        if item in result.gaps:
            lines.append("mapping gap: no supplier, no component, no production data")
        lines.append(provenance(props))
        g.add_node(
            VNode(
                item_id(item),
                short(str(props.get("name", item))),
                "\n".join(lines),
                colour,
                SHAPES.get(kind, "box"),
                priority=0 if item == product else (1 if item in hot_items else 10 + depth[item]),
                level=depth[item],
                size=30 if item == product else None,
            )
        )
    for parent, children in tree.children.items():
        for child, q in children:
            hot = (parent, child) in hot_edges
            g.add_edge(
                VEdge(
                    item_id(parent),
                    item_id(child),
                    f"{parent} contains {q:.6g} × {child}",
                    f"×{q:.6g}",
                    HIGHLIGHT_EDGE if hot else PLAIN_EDGE,
                    4.0 if hot else 1.5,
                )
            )

    codes = {str(p.get("country")) for p in tree.suppliers.values() if p.get("country")}
    codes |= {p.country for p in _top_producers(tree, TOP_PRODUCERS)}
    countries = store.get_nodes(Label.COUNTRY, sorted(codes))
    supplier_level = bottom + 1
    for s in tree.supplies:
        props = tree.suppliers[s.supplier]
        country = props.get("country")
        hot = s.item in at_risk and country in risk_countries
        place = ", ".join(str(x) for x in (props.get("city"), props.get("region"), country) if x)
        g.add_node(
            VNode(
                supplier_id(s.supplier),
                short(str(props.get("name", s.supplier)), 22),
                "\n".join(
                    [f"{props.get('name', s.supplier)} ({s.supplier})", place, provenance(props)]
                ),
                location_colour(country, home),
                SHAPES["supplier"],
                priority=2 if s.item in at_risk else 30,
                level=supplier_level,
                border=AT_RISK if hot else None,
            )
        )
        g.add_edge(
            VEdge(
                supplier_id(s.supplier),
                item_id(s.item),
                f"{s.supplier} supplies {fmt_share(s.share)} of {s.item}\n{provenance(s.props)}",
                fmt_share(s.share) if s.share is not None else "",
                HIGHLIGHT_EDGE if hot else PLAIN_EDGE,
                3.0 if hot else 1.0,
            )
        )
        if country:
            _country_node(g, str(country), countries, home, risk_countries, 3 if hot else 31)
            g.nodes[country_id(str(country))].level = supplier_level + 1
            g.add_edge(
                VEdge(
                    supplier_id(s.supplier),
                    country_id(str(country)),
                    f"{s.supplier} is located in {country}",
                    color=HIGHLIGHT_EDGE if hot else PLAIN_EDGE,
                    width=2.0 if hot else 1.0,
                )
            )

    rows: dict[tuple[str, str], list[str]] = {}
    shares: dict[tuple[str, str], list[str]] = {}
    for p in _top_producers(tree, TOP_PRODUCERS):
        key = (p.country, p.material)
        year = f" {p.year}" if p.year else ""
        rows.setdefault(key, []).append(
            f"{p.country} produces {fmt_share(p.share)} of the world's {p.material} "
            f"({p.stage}{year})\n{provenance(p.props)}"
        )
        shares.setdefault(key, []).append(f"{fmt_share(p.share)} {p.stage[:4]}.")
    for (code, material), texts in rows.items():
        dep = risks.get(material)
        hot = material in at_risk and dep is not None and dep.upstream_country == code
        hot = hot and code != home
        _country_node(g, code, countries, home, risk_countries, 3 if hot else 32)
        g.nodes[country_id(code)].level = supplier_level + 1
        g.add_edge(
            VEdge(
                country_id(code),
                item_id(material),
                "\n".join(texts),
                ", ".join(shares[(code, material)]),
                HIGHLIGHT_EDGE if hot else "#c8b88a",
                3.0 if hot else 1.0,
                dashes=True,
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
            f"World production: the {TOP_PRODUCERS} biggest producing countries of each "
            "material are drawn; hover a material for the others."
        )
    if result.gaps:
        notes.append(
            f"Mapping gaps (no supplier, no component, no production data): "
            f"{', '.join(result.gaps)}."
        )
    name = tree.items[product].get("name", product)
    n_risk = len(at_risk)
    subtitle = (
        f"{n_risk} at-risk dependenc{'y' if n_risk == 1 else 'ies'} for home country {home} "
        f"(HHI ≥ {settings.hhi}, upstream share ≥ {settings.upstream_share}); "
        f"{full} nodes. Hover a node or a link for shares, quantities and sources."
    )
    return View(
        f"Supply tree of {name} ({product})",
        subtitle,
        g,
        LEGEND,
        notes,
        hierarchical,
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


def _country_node(
    g: ViewGraph,
    code: str,
    countries: dict[str, dict[str, Any]],
    home: str,
    risk_countries: set[str],
    priority: int,
) -> None:
    props = countries.get(code, {})
    name = str(props.get("name") or code)
    eu = "EU member" if props.get("eu") else "outside the EU"
    risky = code in risk_countries
    g.add_node(
        VNode(
            country_id(code),
            f"{code}",
            f"{name} ({code}), {eu}" + ("\ncountry of an at-risk dependency" if risky else ""),
            location_colour(code, home),
            SHAPES["country"],
            priority=priority,
            border=AT_RISK if risky else None,
        )
    )


LEGEND = [
    LegendEntry(KIND_COLOURS["product"], "star", "product"),
    LegendEntry(NEUTRAL, "box", "component"),
    LegendEntry(KIND_COLOURS["material"], "diamond", "raw material"),
    LegendEntry(AT_RISK, "box", "at-risk item (single foreign country / upstream)"),
    LegendEntry(CONCENTRATED, "box", "concentrated, not at risk"),
    LegendEntry(HOME, "dot", "supplier at home"),
    LegendEntry(EU, "dot", "supplier in the EU"),
    LegendEntry(OUTSIDE, "dot", "supplier outside the EU"),
    LegendEntry(OUTSIDE, "triangle", "country (same colours; red border: at risk)"),
    LegendEntry(HIGHLIGHT_EDGE, "line", "at-risk path"),
    LegendEntry("#c8b88a", "dashed", "world production share"),
]
