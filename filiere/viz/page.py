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
from typing import Any

from pyvis.network import Network

from filiere.viz.style import LegendEntry, ViewGraph, to_network

VIS_VERSION = "9.1.2"

#: Forbids every fetch: the page must work offline and leak nothing.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:"
)

_CSS = """
html, body { margin: 0; height: 100%; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, sans-serif; color: #1d2733; background: #ffffff; }
body { display: flex; flex-direction: column; }
header { padding: 10px 16px 6px; border-bottom: 1px solid #dde3ea; }
header h1 { font-size: 18px; margin: 0 0 2px; }
header p { margin: 0; font-size: 13px; color: #4a5563; }
.note { margin: 6px 16px 0; padding: 6px 10px; font-size: 13px; background: #fff4d6;
  border: 1px solid #f0c36d; border-radius: 4px; }
#wrap { position: relative; flex: 1; min-height: 420px; }
#mynetwork { position: absolute; inset: 0; }
#legend { position: absolute; top: 8px; right: 8px; background: rgba(255,255,255,0.92);
  border: 1px solid #dde3ea; border-radius: 4px; padding: 6px 10px; font-size: 12px;
  max-width: 260px; }
#legend h2 { font-size: 12px; margin: 0 0 4px; }
#legend ul { list-style: none; margin: 0; padding: 0; }
#legend li { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.sw { display: inline-block; width: 12px; height: 12px; flex: none; }
.sw.dot { border-radius: 50%; } .sw.diamond { transform: rotate(45deg) scale(0.8); }
.sw.triangle { width: 0; height: 0; background: none !important; border-left: 6px solid
  transparent; border-right: 6px solid transparent; border-bottom: 12px solid var(--c); }
.sw.star { clip-path: polygon(50% 0,61% 35%,98% 35%,68% 57%,79% 91%,50% 70%,21% 91%,32% 57%,
  2% 35%,39% 35%); }
.sw.hexagon { clip-path: polygon(25% 5%,75% 5%,100% 50%,75% 95%,25% 95%,0 50%); }
.sw.line { height: 3px; } .sw.dashed { height: 0; background: none !important;
  border-top: 3px dashed var(--c); }
div.vis-tooltip { white-space: pre-line; max-width: 420px; font-size: 12px; }
"""

_SCRIPT = """
var nodes = new vis.DataSet(%(nodes)s);
var edges = new vis.DataSet(%(edges)s);
var options = %(options)s;
var container = document.getElementById("mynetwork");
var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
function filiereReady() { document.body.setAttribute("data-ready", "1"); }
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


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``).

    >>> script_json({"a": "</script>&"})
    '{"a": "\\\\u003c/script>\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("&", "\\u0026").replace("\u2028", "\\u2028")


def legend_html(legend: Sequence[LegendEntry], heading: str = "Legend") -> str:
    """The legend as an HTML list (every text escaped)."""
    items = "".join(
        f'<li><span class="sw {_html.escape(e.shape)}" style="background:{_html.escape(e.colour)};'
        f'--c:{_html.escape(e.colour)}"></span>{_html.escape(e.text)}</li>'
        for e in legend
    )
    return f"<h2>{_html.escape(heading)}</h2><ul>{items}</ul>"


def render_page(
    net: Network,
    *,
    title: str,
    subtitle: str = "",
    legend: Sequence[LegendEntry],
    notes: Sequence[str],
) -> str:
    """The full HTML page of ``net``: UTF-8, self-contained, every text escaped."""
    options = net.options if isinstance(net.options, dict) else json.loads(net.options.to_json())
    script = _SCRIPT % {
        "nodes": script_json(net.nodes),
        "edges": script_json(net.edges),
        "options": script_json(options),
    }
    notes_html = "".join(f'<div class="note">{_html.escape(n)}</div>' for n in notes)
    esc = _html.escape
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="filiere (pyvis, vis-network {VIS_VERSION})">'
        f"<title>{esc(title)}</title>\n"
        f"<style>{_vis_asset('vis-network.css')}</style>\n<style>{_CSS}</style>\n"
        f"<script>{_vis_asset('vis-network.min.js')}</script>\n"
        "</head><body>\n"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>\n{notes_html}\n"
        f'<div id="wrap"><div id="mynetwork"></div>'
        f'<aside id="legend">{legend_html(legend)}</aside></div>\n'
        f"<script>{script}</script>\n</body></html>\n"
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
        return render_page(
            self.network(),
            title=self.title,
            subtitle=self.subtitle,
            legend=self.legend,
            notes=self.notes,
        )

    def write(self, path: str | Path) -> Path:
        """Write the page to ``path`` as UTF-8."""
        return write_page(self.html(), path)
