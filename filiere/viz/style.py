"""What every view shares: colours, shapes, the legend, and the node budget.

A view first builds a :class:`ViewGraph` (plain nodes and edges with a keep-priority),
then :func:`prune` keeps it under the node budget, then :func:`to_network` turns it
into a pyvis ``Network``.

>>> g = ViewGraph()
>>> g.add_node(VNode("a", "A", priority=0))
>>> g.add_node(VNode("b", "B", priority=5))
>>> g.add_edge(VEdge("a", "b"))
>>> kept, note = prune(g, 1)
>>> sorted(kept.nodes), note is not None
(['a'], True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent
from pyvis.network import Network

from filiere.graph.schema import EU27
from filiere.i18n import N_, _, get_language

#: Default number of nodes a view draws before it prunes (a browser stays responsive).
DEFAULT_MAX_NODES = 250

# -- colours -----------------------------------------------------------------------------------

AT_RISK = "#d62728"
CONCENTRATED = "#ff9f1c"
HOME = "#2ca02c"
EU = "#1f77b4"
OUTSIDE = "#8c8c8c"
NEUTRAL = "#c9d6e8"
DENTED = "#ff9f1c"
SUBSTITUTE = "#17becf"
HIGHLIGHT_EDGE = "#d62728"
PLAIN_EDGE = "#9aa5b1"

#: Routes: colour of each tier (1 in the region, 2 in the home country, 3 elsewhere in the EU).
TIER_COLOURS = {1: "#0b6e2e", 2: "#62b76a", 3: "#1f77b4"}
TIER_NAMES = {
    1: N_("tier 1: in the region"),
    2: N_("tier 2: in the home country"),
    3: N_("tier 3: in the EU"),
}


def tier_name(tier: int) -> str:
    """A route tier in words, in the language in force."""
    return _(TIER_NAMES[tier]) if tier in TIER_NAMES else str(tier)


#: What each kind of item is called (translated when shown).
KIND_NAMES = {
    "product": N_("product"),
    "component": N_("component"),
    "material": N_("raw material"),
}


def kind_name(kind: str) -> str:
    """The name of an item kind in the language in force."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


#: Shape of each kind of node.
SHAPES = {
    "product": "star",
    "component": "box",
    "material": "diamond",
    "supplier": "dot",
    "country": "triangle",
    "scenario": "hexagon",
}


def location_colour(country: str | None, home: str) -> str:
    """Green at home, blue in the EU, grey elsewhere (or unknown).

    >>> location_colour("FR", "FR"), location_colour("DE", "FR"), location_colour("CN", "FR")
    ('#2ca02c', '#1f77b4', '#8c8c8c')
    """
    if country == home:
        return HOME
    if country in EU27:
        return EU
    return OUTSIDE


def fmt_share(share: float | None) -> str:
    """A share as a percentage to three significant digits, in the language in force
    (``0.855`` -> ``85.5%`` in English, ``85,5 %`` in French).

    >>> fmt_share(0.855), fmt_share(1.0), fmt_share(None)
    ('85.5%', '100%', 'n/a')
    """
    if share is None:
        return _("n/a")
    rounded = Decimal(f"{share * 100:.3g}") / 100  # exact: no 84.90000000000001
    return format_percent(rounded, locale=get_language(), decimal_quantization=False)


def fmt_number(x: float, digits: int | None = None) -> str:
    """A number with the language's decimal sign: ``digits`` decimals, or (``None``) up
    to six significant digits as written.

    >>> fmt_number(0.6), fmt_number(2.0), fmt_number(0.123456, 2), fmt_number(1234.4, 0)
    ('0.6', '2', '0.12', '1,234')
    """
    lang = get_language()
    if digits is None:
        return format_decimal(Decimal(f"{x:.6g}"), locale=lang, decimal_quantization=False)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(x, format=pattern, locale=lang)


# -- the view graph ----------------------------------------------------------------------------


@dataclass
class VNode:
    """One node of a view; ``priority`` decides what a pruned view keeps (lowest first)."""

    id: str
    label: str
    title: str = ""
    color: str = NEUTRAL
    shape: str = "dot"
    priority: int = 100
    level: int | None = None
    border: str | None = None
    size: int | None = None
    collapsed: bool = False

    def options(self) -> dict[str, Any]:
        colour: dict[str, Any] = {"background": self.color, "border": self.border or self.color}
        colour["highlight"] = {"background": self.color, "border": "#000000"}
        opts: dict[str, Any] = {"title": self.title, "shape": self.shape, "color": colour}
        opts["borderWidth"] = 3 if self.border else 1
        if self.level is not None:
            opts["level"] = self.level
        if self.size is not None:
            opts["size"] = self.size
        if self.shape in ("box", "ellipse"):
            opts["font"] = {"color": "#ffffff" if _dark(self.color) else "#000000"}
        return opts


def _dark(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140


@dataclass
class VEdge:
    """One edge of a view."""

    source: str
    target: str
    title: str = ""
    label: str = ""
    color: str = PLAIN_EDGE
    width: float = 1.0
    dashes: bool = False
    arrow: str = "target"

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"title": self.title, "color": self.color, "width": self.width}
        if self.label:
            opts["label"] = self.label
        if self.dashes:
            opts["dashes"] = True
        if self.arrow == "none":
            opts["arrows"] = {"to": {"enabled": False}}
        return opts


@dataclass
class ViewGraph:
    """Nodes (by id, in insertion order) and edges (one per ordered pair)."""

    nodes: dict[str, VNode] = field(default_factory=dict)
    edges: dict[tuple[str, str], VEdge] = field(default_factory=dict)

    def add_node(self, node: VNode) -> None:
        """Add ``node``; an existing node keeps its data but takes the better priority."""
        old = self.nodes.get(node.id)
        if old is None:
            self.nodes[node.id] = node
        else:
            old.priority = min(old.priority, node.priority)

    def add_edge(self, edge: VEdge) -> None:
        """Add ``edge`` (the first edge between two nodes wins)."""
        self.edges.setdefault((edge.source, edge.target), edge)


def prune(graph: ViewGraph, max_nodes: int) -> tuple[ViewGraph, str | None]:
    """Keep the ``max_nodes`` nodes of lowest priority, and a note saying what was left out.

    Ties keep insertion order; edges whose ends were dropped go too, and nodes left
    without any edge are dropped unless they were kept for their own priority 0.
    """
    if len(graph.nodes) <= max_nodes:
        return graph, None
    order = sorted(enumerate(graph.nodes.values()), key=lambda x: (x[1].priority, x[0]))
    keep = {n.id for _, n in order[:max_nodes]}
    edges = {k: e for k, e in graph.edges.items() if e.source in keep and e.target in keep}
    linked = {e.source for e in edges.values()} | {e.target for e in edges.values()}
    nodes = {k: n for k, n in graph.nodes.items() if k in keep and (k in linked or n.priority == 0)}
    hidden = len(graph.nodes) - len(nodes)
    note = _(
        "Large graph: showing {shown} of {total} nodes ({hidden} hidden, the least relevant "
        "first; at-risk paths are kept). Raise the budget with --max-nodes, or look at the "
        "tables for everything."
    ).format(shown=len(nodes), total=len(graph.nodes), hidden=hidden)
    return ViewGraph(nodes, edges), note


def to_network(graph: ViewGraph, *, hierarchical: bool = False) -> Network:
    """A pyvis ``Network`` of ``graph`` with filiere's interaction and layout options."""
    net = Network(directed=True, cdn_resources="in_line", height="100%", width="100%")
    for n in graph.nodes.values():
        net.add_node(n.id, label=n.label, **n.options())
    for e in graph.edges.values():
        net.add_edge(e.source, e.target, **e.options())
    net.set_options(_options_json(hierarchical, len(graph.nodes)))
    return net


def _options_json(hierarchical: bool, n_nodes: int) -> str:
    import json

    options: dict[str, Any] = {
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "font": {"size": 10, "align": "middle"},
            "smooth": {"enabled": True, "type": "continuous"},
        },
        "nodes": {"font": {"size": 13}},
        "physics": {
            "enabled": True,
            "stabilization": {"enabled": True, "iterations": 300 if n_nodes < 150 else 150},
            "barnesHut": {
                "gravitationalConstant": -8000,
                "springLength": 170,
                "avoidOverlap": 1,
            },
        },
    }
    if n_nodes > 100:  # the improved layout is slow and gives up on big graphs
        options["layout"] = {"improvedLayout": False}
    if hierarchical:
        options["layout"] = {
            "hierarchical": {
                "enabled": True,
                "direction": "UD",
                "sortMethod": "directed",
                "levelSeparation": 130,
                "nodeSpacing": 140,
            }
        }
        options["physics"] = {"enabled": False}
        options["edges"]["smooth"] = {"enabled": True, "type": "cubicBezier"}
    return json.dumps(options)


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a colour, a shape (or an edge style) and what it means;
    ``border`` when the drawing gives that kind of node a border of another colour."""

    colour: str
    shape: str
    text: str
    border: str = ""
