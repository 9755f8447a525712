"""Layered views with Cytoscape.js and ELK (elkjs ``layered``), as self-contained pages.

The libraries are vendored in ``filiere/viz/vendor`` at pinned versions (see its
``manifest.json``; ``scripts/vendor-js`` refreshes and checks them) and inlined into the
page, so the page opens offline and its Content-Security-Policy forbids any fetch.

The page reads left to right: edges go from a node to what lies behind it (a product to its
parts, an item to its suppliers, a supplier to its country). Nodes come in the order of the
:class:`ViewGraph` (ELK keeps it), so a view lists what matters first. A node whose
``collapsed`` flag is set starts folded: what only it leads to is hidden until it is clicked.
The first view is fitted; when that would make labels smaller than :data:`MIN_LABEL_PX`
the view zooms to readable labels on the top-left (the first branches) instead.

Each page exposes ``cy`` (the Cytoscape instance) and ``filiere`` (``toggle(id)``,
``expandAll()``, ``fitAll()``, ``visible()``), marks ``<body data-ready="1">`` once laid
out, and keeps pictures of the drawing in ``<div id="figure">``, shown instead of the canvas
when the page is printed (a canvas prints blank): the drawing at :data:`PRINT_LABEL_PX`
labels, cut into page-sized tiles (:data:`FIGURE_JS`). Inside a report's ``<iframe>`` the
page also posts the tiles to the report, which prints them in its own flow.

>>> from filiere.viz.style import ViewGraph, VNode
>>> g = ViewGraph(); g.add_node(VNode("a", "A </script>"))
>>> html = render_cy_page(g, title="T & co", subtitle="", legend=[], notes=[])
>>> "</script><" in html.split("<body>")[1], "T &amp; co" in html
(False, True)
"""

from __future__ import annotations

import html as _html
import json
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from filiere.i18n import _, get_language
from filiere.viz.style import LegendEntry, ViewGraph

#: Font size of node labels (model units); the page zooms so that they render at least
#: :data:`MIN_LABEL_PX` pixels high.
LABEL_FONT = 13
MIN_LABEL_PX = 11

#: Label height in the printed pictures (CSS px: 10 px is 7.5 pt on paper).
PRINT_LABEL_PX = 10

#: Vendored scripts, in load order.
SCRIPTS = ("cytoscape.min.js", "elk.bundled.js", "cytoscape-elk.js")

#: vis-network shape names (the views' vocabulary) -> Cytoscape shapes.
SHAPES = {
    "star": "star",
    "box": "round-rectangle",
    "diamond": "diamond",
    "dot": "ellipse",
    "triangle": "triangle",
    "rhomboid": "rhomboid",
    "hexagon": "hexagon",
    "ellipse": "ellipse",
}


@cache
def vendored(name: str) -> str:
    """The text of a vendored file (``filiere/viz/vendor/NAME``)."""
    return (files("filiere.viz") / "vendor" / name).read_text(encoding="utf-8")


@cache
def versions() -> dict[str, str]:
    """The pinned version of each vendored package."""
    manifest = json.loads(vendored("manifest.json"))
    return {p["name"]: p["version"] for p in manifest["packages"]}


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``).

    >>> script_json({"a": "</script>&"})
    '{"a": "\\\\u003c/script>\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("&", "\\u0026").replace("\u2028", "\\u2028")


def elements(graph: ViewGraph) -> list[dict[str, Any]]:
    """The Cytoscape elements of ``graph``: nodes in the graph's order, then edges."""
    out: list[dict[str, Any]] = []
    for n in graph.nodes.values():
        data: dict[str, Any] = {
            "id": n.id,
            "label": n.label,
            "tip": n.title,
            "color": n.color,
            "border": n.border or _darker(n.color),
            "bw": 3 if n.border else 1,
            "shape": SHAPES.get(n.shape, "round-rectangle"),
            "text": "#ffffff" if _dark(n.color) else "#111111",
        }
        if n.collapsed:
            data["collapsed"] = True
        out.append({"group": "nodes", "data": data})
    for i, e in enumerate(graph.edges.values()):
        out.append(
            {
                "group": "edges",
                "data": {
                    "id": f"e{i}",
                    "source": e.source,
                    "target": e.target,
                    "tip": e.title,
                    "label": e.label,
                    "color": e.color,
                    "width": e.width,
                    "style": "dashed" if e.dashes else "solid",
                    "arrow": e.arrow,
                },
            }
        )
    return out


def _dark(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 150


def _darker(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) * 7 // 10 for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


def legend_html(legend: Sequence[LegendEntry], heading: str) -> str:
    """The legend as an HTML list (every text escaped); swatches drawn like the graph."""
    esc = _html.escape
    items = "".join(
        f'<li><span class="sw {esc(e.shape)}" style="--c:{esc(e.colour)};--b:{esc(e.border)}">'
        f"</span><span>{esc(e.text)}</span></li>"
        for e in legend
    )
    return f"<h2>{esc(heading)}</h2><ul>{items}</ul>"


CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:"
)

#: Shared by the Cytoscape and the pyvis pages: header, notes, the canvas and a side panel.
PAGE_CSS = """
html, body { margin: 0; height: 100%; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, sans-serif; color: #1d2733; background: #ffffff; }
body { display: flex; flex-direction: column; }
header { padding: 10px 16px 6px; border-bottom: 1px solid #dde3ea; }
header h1 { font-size: 18px; margin: 0 0 2px; }
header p { margin: 0; font-size: 13px; color: #4a5563; }
.note { margin: 6px 16px 0; padding: 6px 10px; font-size: 13px; background: #fff4d6;
  border: 1px solid #f0c36d; border-radius: 4px; }
.note.warn { background: #fde8e8; border-color: #d62728; }
#main { flex: 1; display: flex; min-height: 420px; }
#wrap { position: relative; flex: 1; min-width: 0; }
#mynetwork, #cy { position: absolute; inset: 0; }
#legend { flex: none; width: 250px; overflow-y: auto; border-left: 1px solid #dde3ea;
  padding: 8px 12px; font-size: 13px; background: #fafbfc; }
#legend h2 { font-size: 13px; margin: 4px 0 6px; }
#legend ul { list-style: none; margin: 0 0 10px; padding: 0; }
#legend li { display: flex; align-items: center; gap: 8px; margin: 4px 0; }
#legend p { font-size: 12px; color: #4a5563; margin: 6px 0; }
#legend button { font: inherit; font-size: 12px; margin: 0 4px 4px 0; padding: 3px 8px;
  border: 1px solid #9aa5b1; border-radius: 4px; background: #fff; cursor: pointer; }
.sw { display: inline-block; width: 14px; height: 14px; flex: none; background: var(--c);
  box-sizing: border-box; border: 2px solid var(--b, var(--c)); }
.sw.dot { border-radius: 50%; } .sw.box { border-radius: 3px; }
.sw.diamond { transform: rotate(45deg) scale(0.8); }
.sw.rhomboid { transform: skewX(-25deg); width: 18px; }
.sw.triangle { clip-path: polygon(50% 0, 100% 100%, 0 100%); }
.sw.star { clip-path: polygon(50% 0,61% 35%,98% 35%,68% 57%,79% 91%,50% 70%,21% 91%,32% 57%,
  2% 35%,39% 35%); }
.sw.hexagon { clip-path: polygon(25% 5%,75% 5%,100% 50%,75% 95%,25% 95%,0 50%); }
.sw.line, .sw.dashed, .sw.dotted { height: 0; background: none; border: none;
  border-top: 3px solid var(--c); width: 22px; }
.sw.dashed { border-top-style: dashed; } .sw.dotted { border-top-style: dotted; }
.sw.folded { border-style: double; border-width: 4px; }
#tip { position: absolute; display: none; pointer-events: none; z-index: 10;
  white-space: pre-line; max-width: 420px; font-size: 12px; background: #ffffff;
  border: 1px solid #9aa5b1; border-radius: 4px; padding: 6px 8px;
  box-shadow: 0 2px 6px rgba(0,0,0,.15); }
div.vis-tooltip { white-space: pre-line; max-width: 420px; font-size: 12px; }
#figure { display: none; }
#figure img { display: block; margin: 0 auto 4mm; max-width: 100%; break-inside: avoid; }
@media print {
  @page { size: A4; margin: 12mm; }
  html, body { height: auto; }
  #main { display: block; min-height: 0; }
  #wrap { display: none; }
  #figure { display: block; }
  #legend { width: auto; border: none; background: none; columns: 2; }
  #legend button, #legend .screen { display: none; }
}
"""

#: ``filiereFigure(src, density, done, fit)``: cut the picture ``src`` (``density`` pixels
#: per CSS px) into tiles that fit an A4 page at that size (or, with ``fit``, scale it to
#: one page width), show them in ``#figure`` (printed instead of the canvas) and post them
#: to the parent page when inside a report's frame.
FIGURE_JS = """
var FIGURE_TILE_W = 680, FIGURE_TILE_H = 940;
function inked(g, w, h) {
  var px = g.getImageData(0, 0, w, h).data;
  for (var i = 0; i < px.length; i += 4) {
    if (px[i] < 230 || px[i + 1] < 230 || px[i + 2] < 230) { return true; }
  }
  return false;
}
function filiereFigure(src, density, done, fit) {
  var img = new Image();
  img.onload = function () {
    var box = document.getElementById("figure"), tiles = [];
    var tw = fit ? img.width : FIGURE_TILE_W * density;
    var th = fit ? img.height : FIGURE_TILE_H * density;
    var nx = Math.max(1, Math.ceil(img.width / tw)), w = Math.ceil(img.width / nx);
    box.textContent = "";
    for (var i = 0; i < nx; i++) {
      for (var y = 0; y < img.height; y += th) {
        var c = document.createElement("canvas");
        c.width = Math.min(w, img.width - i * w);
        c.height = Math.min(th, img.height - y);
        var g = c.getContext("2d");
        g.fillStyle = "#ffffff";
        g.fillRect(0, 0, c.width, c.height);
        g.drawImage(img, -i * w, -y);
        if (!inked(g, c.width, c.height)) { continue; }  // no blank page
        var tile = {src: c.toDataURL("image/png"),
                    w: Math.min(FIGURE_TILE_W, Math.round(c.width / density))};
        tiles.push(tile);
        var t = document.createElement("img");
        t.src = tile.src;
        t.style.width = tile.w + "px";
        t.alt = document.title;
        box.appendChild(t);
      }
    }
    if (window.parent !== window) {
      window.parent.postMessage({filiere: "figure", tiles: tiles}, "*");
    }
    if (done) { done(); }
  };
  img.src = src;
}
"""

_SCRIPT = """
(function () {
var T = %(texts)s;
var MIN_PX = %(min_px)s, FONT = %(font)s;
var cy = cytoscape({
  container: document.getElementById("cy"),
  elements: %(elements)s,
  wheelSensitivity: 0.3,
  minZoom: 0.05,
  maxZoom: 4,
  style: [
    {selector: "node", style: {
      "label": "data(label)", "shape": "data(shape)", "background-color": "data(color)",
      "border-color": "data(border)", "border-width": "data(bw)", "color": "data(text)",
      "font-size": FONT, "text-valign": "center", "text-halign": "center",
      "width": "data(w)", "height": "data(h)", "font-family": "system-ui, sans-serif"}},
    {selector: "node.folded", style: {"border-style": "double", "border-width": 5}},
    {selector: "edge", style: {
      "width": "data(width)", "line-color": "data(color)", "line-style": "data(style)",
      "curve-style": "taxi", "taxi-direction": "rightward", "taxi-turn": 24,
      "target-arrow-shape": "none", "source-arrow-shape": "none",
      "target-arrow-color": "data(color)", "source-arrow-color": "data(color)",
      "arrow-scale": 0.8, "target-label": "data(label)", "target-text-offset": 30,
      "target-text-margin-y": -8, "font-size": FONT - 1, "color": "#333333",
      "text-background-color": "#ffffff", "text-background-opacity": 0.9,
      "text-background-padding": 1}},
    {selector: "edge[arrow = 'target']", style: {"target-arrow-shape": "triangle"}},
    {selector: "edge[arrow = 'source']", style: {"source-arrow-shape": "triangle"}},
    {selector: ".hidden", style: {"visibility": "hidden", "events": "no"}}
  ],
  layout: {name: "preset"}
});
window.cy = cy;
// Size each node to its label (one line), so ELK spaces nodes by what is written.
var ctx = document.createElement("canvas").getContext("2d");
ctx.font = FONT + "px system-ui, sans-serif";
// Every label is written inside its node and sized here, so the layout never needs the
// renderer's label sizes (which hidden nodes lack).
var PAD = {"round-rectangle": 16, "ellipse": 30, "hexagon": 30, "rhomboid": 90, "star": 40};
function size(n) {
  var w = Math.ceil(ctx.measureText(n.data("label")).width);
  n.data({w: w + (PAD[n.data("shape")] || 30), h: FONT + 12});
}
cy.nodes().forEach(size);
var root = cy.nodes()[0];
function visible() {
  // What the roots (the first node, and every node nothing points to) lead to through
  // unfolded nodes.
  var queue = cy.nodes().filter(function (n, i) {
    return i === 0 || n.incomers("node").length === 0; }).toArray(), seen = {};
  queue.forEach(function (n) { seen[n.id()] = true; });
  while (queue.length) {
    var n = queue.shift();
    if (n.data("collapsed")) { continue; }
    n.outgoers("node").forEach(function (m) {
      if (!seen[m.id()]) { seen[m.id()] = true; queue.push(m); }
    });
  }
  return seen;
}
function folded(n) {
  return !!n.data("collapsed") && n.outgoers("node").length > 0;
}
function figure(done) {
  // The drawing at PRINT_PX labels (twice the pixels, for paper), cut into tiles.
  var z = %(print_px)s / FONT;
  // Bounded (about 140 MB of pixels at most): a bigger drawing prints smaller.
  var src = cy.png({full: true, scale: 2 * z, bg: "#ffffff", maxWidth: 4800,
                    maxHeight: 7200});
  filiereFigure(src, 2, done);
}
function shownElements() {
  return cy.elements().filter(function (e) { return !e.hasClass("hidden") &&
    (e.isNode() || (!e.source().hasClass("hidden") && !e.target().hasClass("hidden"))); });
}
function place(initial) {
  cy.fit(shownElements(), 24);
  if (cy.zoom() * FONT < MIN_PX) {
    // Fitted labels would be too small to read: zoom to readable labels on the left,
    // where the product and its first (at-risk) branches are.
    var bb = shownElements().boundingBox(), z = MIN_PX / FONT;
    // The root at mid-height, without blank space beyond what the first screen holds.
    var h = (cy.height() - 48) / z, w = (cy.width() - 48) / z;
    var near = shownElements().nodes().filter(function (n) {
      return n.position("x") < bb.x1 + w; }).boundingBox();
    var top = Math.max(near.y1, Math.min(root.position("y") - h / 2, near.y2 - h));
    cy.zoom(z);
    cy.pan({x: 24 - bb.x1 * z, y: 24 - top * z});
  }
}
function layout(initial) {
  var seen = visible();
  cy.batch(function () {
    cy.nodes().forEach(function (n) {
      n.toggleClass("hidden", !seen[n.id()]);
      n.toggleClass("folded", folded(n));
      var hidden = n.outgoers("node").filter(function (m) { return !seen[m.id()]; }).length;
      var label = n.data("base") || n.data("label");
      n.data("base", label);
      n.data("label", folded(n) && hidden ? label + "  [+" + hidden + "]" : label);
    });
  });
  cy.nodes().forEach(size);
  cy.edges().forEach(function (e) {
    e.toggleClass("hidden", !seen[e.source().id()] || !seen[e.target().id()]);
  });
  var shown = cy.nodes().filter(function (n) { return !!seen[n.id()]; });
  shown = shown.union(shown.edgesWith(shown));
  var l = shown.layout({
    name: "elk",
    nodeDimensionsIncludeLabels: false,
    fit: false,
    animate: false,
    elk: {
      "algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.edgeRouting": "POLYLINE",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.layered.crossingMinimization.forceNodeModelOrder": "true",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.layered.nodePlacement.bk.fixedAlignment": "BALANCED",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.nodeNode": "14",
      "elk.layered.spacing.edgeNodeBetweenLayers": "16",
      "elk.separateConnectedComponents": "false"
    }
  });
  l.one("layoutstop", function () {
    // Park hidden nodes on the root, inside the drawing (pictures crop to what is drawn).
    cy.nodes(".hidden").position(root.position());
    place(initial);
    figure(function () { document.body.setAttribute("data-ready", "1"); });
  });
  l.run();
}
var tip = document.getElementById("tip");
cy.on("mouseover", "node, edge", function (ev) {
  var t = ev.target.data("tip");
  if (!t) { return; }
  if (ev.target.isNode() && ev.target.outgoers("node").length) {
    t += "\\n" + (ev.target.data("collapsed") ? T.unfold : T.fold);
  }
  tip.textContent = t;
  var p = ev.renderedPosition;
  tip.style.left = (p.x + 14) + "px";
  tip.style.top = (p.y + 14) + "px";
  tip.style.display = "block";
});
cy.on("mouseout", "node, edge", function () { tip.style.display = "none"; });
cy.on("pan zoom", function () { tip.style.display = "none"; });
function toggle(id) {
  var n = cy.getElementById(id);
  if (!n.outgoers("node").length) { return; }
  n.data("collapsed", !n.data("collapsed"));
  document.body.removeAttribute("data-ready");
  layout(false);
}
cy.on("tap", "node", function (ev) { toggle(ev.target.id()); });
function expandAll() {
  cy.nodes().forEach(function (n) { n.data("collapsed", false); });
  document.body.removeAttribute("data-ready");
  layout(false);
}
function fitAll() { cy.fit(shownElements(), 24); }
window.filiere = {toggle: toggle, expandAll: expandAll, fitAll: fitAll, visible: visible};
var b = document.getElementById("fit"); if (b) { b.onclick = fitAll; }
b = document.getElementById("expand"); if (b) { b.onclick = expandAll; }
layout(true);
})();
"""


def render_cy_page(
    graph: ViewGraph,
    *,
    title: str,
    subtitle: str,
    legend: Sequence[LegendEntry],
    notes: Sequence[str],
    warnings: Sequence[str] = (),
    help_text: str = "",
) -> str:
    """The full HTML page of ``graph`` (layered, left to right): UTF-8, self-contained."""
    esc = _html.escape
    texts = {"fold": _("Click to fold what lies behind it."), "unfold": _("Click to unfold.")}
    script = _SCRIPT % {
        "elements": script_json(elements(graph)),
        "texts": script_json(texts),
        "min_px": MIN_LABEL_PX,
        "font": LABEL_FONT,
        "print_px": PRINT_LABEL_PX,
    }
    notes_html = "".join(f'<div class="note warn">{esc(w)}</div>' for w in warnings)
    notes_html += "".join(f'<div class="note">{esc(n)}</div>' for n in notes)
    v = versions()
    libs = f"Cytoscape.js {v['cytoscape']}, elkjs {v['elkjs']}, cytoscape-elk {v['cytoscape-elk']}"
    vendor = "\n".join(f"<script>{vendored(name)}</script>" for name in SCRIPTS)
    fit, unfold = _("Fit all"), _("Unfold all")
    panel = (
        legend_html(legend, _("Legend"))
        + f'<p class="screen">{esc(help_text)}</p>'
        + f'<p class="screen"><button id="fit" type="button">{esc(fit)}</button>'
        f'<button id="expand" type="button">{esc(unfold)}</button></p>'
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{get_language()}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="filiere ({esc(libs)})">'
        f"<title>{esc(title)}</title>\n<style>{PAGE_CSS}</style>\n{vendor}\n"
        "</head><body>\n"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>\n{notes_html}\n"
        '<div id="main"><div id="wrap"><div id="cy"></div><div id="tip"></div></div>'
        f'<div id="figure" role="img" aria-label="{esc(title)}"></div>'
        f'<aside id="legend">{panel}</aside></div>\n'
        f"<script>{FIGURE_JS}</script>\n<script>{script}</script>\n</body></html>\n"
    )
