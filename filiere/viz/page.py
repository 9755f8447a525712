"""A view as one self-contained HTML page: vis-network inlined, no request leaves the page.

pyvis's own template links Bootstrap from a CDN, so filiere renders the pyvis
``Network`` with its own page: the vis-network script and stylesheet shipped with pyvis
are inlined, a Content-Security-Policy forbids any fetch, and the page exposes the
``network``, ``nodes`` and ``edges`` globals (as pyvis pages do).

>>> from filiere.viz.style import ViewGraph, VNode, to_network
>>> g = ViewGraph(); g.add_node(VNode("a", "A <b>"))
>>> html = render_page(to_network(g), title="T & co", legend=[], notes=[])
>>> "http://" in html.split("<body>")[1], "A \\\\u003cb>" in html, "T &amp; co" in html
(False, True, True)
"""

from __future__ import annotations

import html as _html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from pyvis.network import Network

from filiere.i18n import _, get_language
from filiere.viz.cyto import (
    CSP,
    FIGURE_JS,
    PAGE_CSS,
    legend_html,
    render_cy_page,
    script_json,
)
from filiere.viz.style import LegendEntry, ViewGraph, to_network

VIS_VERSION = "9.1.2"

_SCRIPT = """
var nodes = new vis.DataSet(%(nodes)s);
var edges = new vis.DataSet(%(edges)s);
var options = %(options)s;
var container = document.getElementById("mynetwork");
var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
function filiereReady() {
  // Keep a picture of the drawing for printing (a canvas prints blank), then say ready.
  network.once("afterDrawing", function () {
    var canvas = container.querySelector("canvas");
    filiereFigure(canvas.toDataURL("image/png"), canvas.width / canvas.clientWidth,
      function () { document.body.setAttribute("data-ready", "1"); }, true);
  });
  network.redraw();
}
if (options.physics && options.physics.enabled) {
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({physics: {enabled: false}});
    network.fit();
    filiereReady();
  });
} else {
  network.once("afterDrawing", function () { network.fit(); filiereReady(); });
}
"""


@cache
def _vis_asset(name: str) -> str:
    base = files("pyvis") / "templates" / "lib" / f"vis-{VIS_VERSION}"
    return (base / name).read_text(encoding="utf-8")


def render_page(
    net: Network,
    *,
    title: str,
    subtitle: str = "",
    legend: Sequence[LegendEntry],
    notes: Sequence[str],
    warnings: Sequence[str] = (),
    help_text: str = "",
) -> str:
    """The full HTML page of ``net``: UTF-8, self-contained, every text escaped."""
    options = net.options if isinstance(net.options, dict) else json.loads(net.options.to_json())
    script = _SCRIPT % {
        "nodes": script_json(net.nodes),
        "edges": script_json(net.edges),
        "options": script_json(options),
    }
    esc = _html.escape
    notes_html = "".join(f'<div class="note warn">{esc(w)}</div>' for w in warnings)
    notes_html += "".join(f'<div class="note">{esc(n)}</div>' for n in notes)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{get_language()}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="filiere (pyvis, vis-network {VIS_VERSION})">'
        f"<title>{esc(title)}</title>\n"
        f"<style>{_vis_asset('vis-network.css')}</style>\n<style>{PAGE_CSS}</style>\n"
        f"<script>{_vis_asset('vis-network.min.js')}</script>\n"
        "</head><body>\n"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>\n{notes_html}\n"
        '<div id="main"><div id="wrap"><div id="mynetwork"></div></div>'
        f'<div id="figure" role="img" aria-label="{esc(title)}"></div>'
        f'<aside id="legend">{legend_html(legend, _("Legend"))}'
        f'<p class="screen">{esc(help_text)}</p></aside></div>\n'
        f"<script>{FIGURE_JS}</script>\n<script>{script}</script>\n</body></html>\n"
    )


def write_page(html: str, path: str | Path) -> Path:
    """Write ``html`` as UTF-8 to ``path`` (parent folders created) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


@dataclass
class View:
    """A finished view: its (pruned) graph, titles, legend and notes, ready to render."""

    title: str
    subtitle: str
    graph: ViewGraph
    legend: list[LegendEntry]
    notes: list[str] = field(default_factory=list)
    hierarchical: bool = False
    #: Drawn with Cytoscape.js + ELK layered (left to right) instead of pyvis.
    layered: bool = False
    #: Shown above the graph in red (e.g. a substitute that is itself at risk).
    warnings: list[str] = field(default_factory=list)
    help_text: str = ""

    @property
    def node_count(self) -> int:
        return len(self.graph.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.graph.edges)

    def network(self) -> Network:
        """The pyvis ``Network`` of this view."""
        return to_network(self.graph, hierarchical=self.hierarchical)

    def html(self) -> str:
        """The self-contained HTML page of this view."""
        if self.layered:
            return render_cy_page(
                self.graph,
                title=self.title,
                subtitle=self.subtitle,
                legend=self.legend,
                notes=self.notes,
                warnings=self.warnings,
                help_text=self.help_text,
            )
        return render_page(
            self.network(),
            title=self.title,
            subtitle=self.subtitle,
            legend=self.legend,
            notes=self.notes,
            warnings=self.warnings,
            help_text=self.help_text,
        )

    def write(self, path: str | Path) -> Path:
        """Write the page to ``path`` as UTF-8."""
        return write_page(self.html(), path)
