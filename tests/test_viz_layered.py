"""The views of the demo as a person sees them, in a real Chromium.

On the demo's P-KAPLAN (about 180 nodes): after layout, the labels shown do not overlap
(boxes from Cytoscape's API), render at least 10 px high, the at-risk items are shown,
folded sub-trees unfold on a click, and the page neither logs an error nor fetches
anything. The routes of the NdFeB magnet in FR-BFC show the current suppliers and warn
that the SmCo substitute is itself at risk; the shock on China fits one readable screen;
legends sit beside the drawing. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from viz_support import Browser, artifact, chromium, load_demo

from filiere.graph.store import GraphStore
from filiere.i18n import language
from filiere.queries import deps as run_deps
from filiere.queries.models import AnalysisSettings
from filiere.report import build_report
from filiere.viz import deps_view, routes_view, shock_view

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def test_kaplan_supply_tree_is_readable(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_demo(embedded_store)
    result = run_deps(embedded_store, "P-KAPLAN", AnalysisSettings())
    at_risk = {f"item:{d.item}" for d in result.dependencies if d.at_risk}
    assert len(at_risk) >= 5
    view = deps_view(embedded_store, "P-KAPLAN", result=result)
    assert view.node_count >= 150
    path = view.write(tmp_path / "kaplan.html")
    browser.requests.clear()
    browser.errors.clear()
    page = browser.open(path.as_uri())
    seen = browser.wait_layered(page)
    page.screenshot(path=artifact("viz-layered-kaplan.png"))

    assert seen["total"] == view.node_count
    assert seen["overlaps"] == []
    assert seen["min_px"] >= 10  # every label shown renders at least 10 px high
    # The first screen shows the product and a good part of the tree, not an empty canvas.
    assert "item:P-KAPLAN" in seen["in_view"]
    assert len(seen["in_view"]) >= 15
    assert any("[+" in label for label in seen["labels"])  # folded sub-trees say so
    # Every at-risk item is shown (its branch open), the rest folded.
    assert at_risk <= set(seen["shown"])
    assert len(seen["shown"]) < view.node_count

    # A click on a folded node unfolds what lies behind it.
    folded = page.evaluate(
        "(() => { const e = cy.extent(); const n = cy.nodes('.folded').filter(n => n.visible()"
        " && n.position('x') > e.x1 + 40 && n.position('x') < e.x2 - 40"
        " && n.position('y') > e.y1 + 20 && n.position('y') < e.y2 - 20)[0];"
        " const r = n.renderedPosition(), c = cy.container().getBoundingClientRect();"
        " return {id: n.id(), x: r.x + c.left, y: r.y + c.top,"
        " hidden: n.outgoers('node').filter(m => !m.visible()).map(m => m.id())}; })()"
    )
    assert folded["hidden"]
    page.mouse.click(folded["x"], folded["y"])
    after = browser.wait_layered(page)
    assert set(folded["hidden"]) <= set(after["shown"])
    assert after["overlaps"] == []

    # Everything unfolded: still no overlap (the overview is for panning and zooming).
    page.evaluate("filiere.expandAll()")
    everything = browser.wait_layered(page)
    assert len(everything["shown"]) == view.node_count
    assert everything["overlaps"] == []
    assert everything["min_px"] >= 10
    page.evaluate("filiere.fitAll()")
    page.screenshot(path=artifact("viz-layered-kaplan-unfolded.png"))

    # The print picture is ready (a canvas alone prints blank).
    tiles = page.evaluate("[...document.querySelectorAll('#figure img')].map(i => i.src)")
    assert tiles and all(t.startswith("data:image/png") for t in tiles)
    assert seen["violations"] == 0
    assert browser.errors == []
    assert browser.requests and all(u.startswith("file:") for u in browser.requests)
    page.close()


def test_tooltip_tells_the_facts(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_demo(embedded_store)
    path = deps_view(embedded_store, "P-KAPLAN").write(tmp_path / "kaplan.html")
    page = browser.open(path.as_uri())
    browser.wait_layered(page)
    assert "(P-KAPLAN)" in browser.hover_node(page, "item:P-KAPLAN").inner_text()
    page.screenshot(path=artifact("viz-layered-tooltip.png"))
    page.close()


def _legend_beside(page: Any, canvas: str) -> None:
    """The legend is a side panel: visible, and its box never overlaps the drawing's."""
    legend = page.locator("#legend").bounding_box()
    drawing = page.locator(canvas).bounding_box()
    assert legend and drawing and page.locator("#legend").is_visible()
    assert legend["x"] >= drawing["x"] + drawing["width"] - 0.5


def test_routes_of_the_ndfeb_magnet_warn_of_the_smco_substitute(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_demo(embedded_store)
    with language("en"):
        view = routes_view(embedded_store, "C-MAG-NDFEB-S", "FR-BFC")
    path = view.write(tmp_path / "routes.html")
    browser.requests.clear()
    browser.errors.clear()
    page = browser.open(path.as_uri())
    counts = browser.wait_ready(page)
    assert counts["drawn"] == view.node_count and counts["violations"] == 0
    warning = page.locator(".note.warn")
    assert warning.is_visible()
    assert "C-MAG-SMCO" in warning.inner_text() and "itself at risk" in warning.inner_text()
    drawn = page.evaluate("nodes.get().map(n => [n.id, n.label])")
    labels = dict(drawn)
    assert labels["item:C-MAG-SMCO"].startswith("⚠")
    assert any(k.startswith("current:") and v.endswith("· China") for k, v in labels.items())
    _legend_beside(page, "#mynetwork")
    assert "current supplier" in page.inner_text("#legend")
    page.screenshot(path=artifact("viz-routes-ndfeb-fr-bfc.png"))
    assert browser.errors == [] and browser.leaks() == []
    page.close()


def test_shock_on_china_is_readable(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_demo(embedded_store)
    view = shock_view(embedded_store, ["CN"])
    path = view.write(tmp_path / "shock.html")
    browser.requests.clear()
    browser.errors.clear()
    page = browser.open(path.as_uri())
    seen = browser.wait_layered(page)
    assert seen["total"] == view.node_count
    assert seen["overlaps"] == [] and seen["min_px"] >= 10
    assert len(seen["in_view"]) == view.node_count  # the whole shock on one screen
    assert page.locator(".note.warn").is_visible()  # SmCo is no plain recovery
    _legend_beside(page, "#cy")
    page.screenshot(path=artifact("viz-shock-cn.png"))
    assert browser.errors == [] and browser.leaks() == []
    page.close()


#: For each figure of a printed report: how many pictures, how many are blank (under 0.5 %
#: of non-white pixels), how many are shrunk below their print size (labels < 10 px), and
#: whether the interactive frame is hidden.
PRINTED_FIGURES = """() => [...document.querySelectorAll('figure.view')].map(f => {
  const imgs = [...f.querySelectorAll('.print-figure img')];
  const blank = imgs.filter(img => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] < 230 || px[i + 1] < 230 || px[i + 2] < 230) ink++;
    }
    return ink < 0.005 * c.width * c.height;
  }).length;
  const shrunk = imgs.filter(img => img.getBoundingClientRect().width * 2 < img.naturalWidth - 2);
  return {title: f.querySelector('iframe').title, pictures: imgs.length, blank: blank,
    shrunk: shrunk.length, frame_shown: f.querySelector('iframe').offsetParent !== null,
    shown: f.querySelector('.print-figure').offsetParent !== null};
})"""


def test_printed_report_shows_every_figure(
    browser: Browser, embedded_store: GraphStore, tmp_path: Path
) -> None:
    load_demo(embedded_store)
    paths = build_report(
        embedded_store, ["P-KAPLAN"], tmp_path / "rep", AnalysisSettings(), region="FR-BFC"
    )
    browser.errors.clear()
    page = browser.open(paths.html.as_uri())
    n_views = len(paths.views)
    assert n_views >= 3  # the supply tree, the routes of the at-risk items, the shock
    page.wait_for_function(
        f"document.querySelectorAll('.print-figure[data-ready=\"1\"]').length === {n_views}",
        timeout=180_000,
    )
    page.emulate_media(media="print")
    figures = page.evaluate(PRINTED_FIGURES)
    assert len(figures) == n_views
    for f in figures:
        assert f["shown"] and not f["frame_shown"], f
        assert f["pictures"] >= 1 and f["blank"] == 0, f
    layered = [f for f in figures if "Supply tree" in f["title"] or "Shock" in f["title"]]
    assert layered and all(f["shrunk"] == 0 for f in layered)  # labels print at 10 px
    # Table headers print dark on light (backgrounds are off by default when printing)
    # and repeat on every page.
    head = page.evaluate(
        "(() => { const th = document.querySelector('th'), s = getComputedStyle(th);"
        " return {color: s.color, group: getComputedStyle(th.parentElement.parentElement)"
        ".display}; })()"
    )
    assert head["group"] == "table-header-group"
    r, g, b = (int(x) for x in head["color"][4:-1].split(",")[:3])
    assert 0.299 * r + 0.587 * g + 0.114 * b < 80, head
    pdf = artifact("report-print.pdf")
    page.pdf(path=str(pdf), format="A4")
    page.close()
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    pages_with_images = {line.split()[0] for line in images}
    assert len(pages_with_images) >= n_views
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-l", "12", str(pdf), str(artifact("report-print"))],
        check=True,
    )
    assert browser.errors == []
