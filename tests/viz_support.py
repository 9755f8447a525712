"""Helpers of the view and report tests: a small dataset with known views, a real Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from filiere.graph.model import (
    BomLine,
    Dataset,
    Item,
    Offer,
    Production,
    Substitute,
    Supplier,
    Supply,
)
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
#: The guide's screenshots (docs/guide-analyste.md, docs/workspace.md).
DOC_IMAGES = ROOT / "docs" / "images"
#: Set to ``1`` to rewrite :data:`DOC_IMAGES` from a browser test run.
UPDATE_IMAGES = "FILIERE_UPDATE_IMAGES"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def mini_dataset() -> Dataset:
    """A heat pump: a magnet from China (neodymium upstream in China), a board from FR/DE.

    deps view of P: items P, C1, C2, M1; suppliers S-CN, S-FR, S-DE; countries CN, FR,
    DE, AU -> 11 nodes; 3 BOM + 3 supplies + 3 located-in + 2 production -> 11 links.
    routes view of C1 in FR-BFC: C1, S-BFC (offers it), C3 (substitute), S-DE (offers
    C3) -> 4 nodes, 3 links. shock view of CN: CN, C1 (cut), P (cut), C3 -> 4 nodes, 3 links.
    """
    return Dataset(
        name="mini",
        items=[
            Item(id="P", name="Pompe à chaleur", kind="product"),
            Item(id="C1", name="Aimant </script><b>NdFeB</b>", kind="component"),
            Item(id="C2", name="Carte électronique", kind="component"),
            Item(id="C3", name="Aimant ferrite", kind="component"),
            Item(id="M1", name="Néodyme", kind="material"),
        ],
        bom=[
            BomLine(parent="P", child="C1", quantity=2),
            BomLine(parent="P", child="C2", quantity=1),
            BomLine(parent="C1", child="M1", quantity=0.3),
        ],
        suppliers=[
            Supplier(id="S-CN", name="Ningbo Magnets", country="CN", city="Ningbo"),
            Supplier(
                id="S-FR",
                name="Électronique Bisontine",
                country="FR",
                region="FR-BFC",
                lat=47.24,
                lon=6.02,
            ),
            Supplier(id="S-DE", name="Magnetwerk Hessen", country="DE", region="DE-HE"),
            Supplier(
                id="S-BFC",
                name="Aimants de Belfort",
                country="FR",
                region="FR-BFC",
                lat=47.64,
                lon=6.86,
            ),
        ],
        supplies=[
            Supply(supplier="S-CN", item="C1", share=1.0),
            Supply(supplier="S-FR", item="C2", share=0.5),
            Supply(supplier="S-DE", item="C2", share=0.5),
        ],
        offers=[Offer(supplier="S-BFC", item="C1"), Offer(supplier="S-DE", item="C3")],
        substitutes=[Substitute(item="C1", substitute="C3", compatibility=0.6)],
        production=[
            Production(material="M1", country="CN", share=0.9, year=2022, source="EU CRM 2023"),
            Production(material="M1", country="AU", share=0.05, year=2022),
            Production(material="M1", country="US", share=0.2, year=2019),
        ],
    )


def load_mini(store: GraphStore) -> None:
    store.write(build_batch(mini_dataset(), source="mini"))


def load_demo(store: GraphStore) -> None:
    """The bundled demo dataset (``filiere/data/demo``), as ``filiere demo`` loads it."""
    from filiere.cli.report_cmds import demo_dataset
    from filiere.ingest import load

    with demo_dataset() as path:
        load(path, store, replace=True, progress=False, source="demo")


def local_url(url: str) -> bool:
    """Whether a request stays on the machine: file:, data:, about:, blob: or loopback."""
    parsed = urlparse(url)
    if parsed.scheme in ("file", "data", "about", "blob", "chrome-error"):
        return True
    return parsed.scheme in ("http", "https") and parsed.hostname in ("127.0.0.1", "localhost")


@dataclass
class Browser:
    """A headless Chromium (fresh profile) that records every request and CSP violation."""

    context: Any
    requests: list[str] = field(default_factory=list)
    #: Console errors and uncaught exceptions of every page opened.
    errors: list[str] = field(default_factory=list)

    def open(self, url: str, *, headers: dict[str, str] | None = None) -> Any:
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        if headers:
            page.set_extra_http_headers(headers)
        page.goto(url)
        return page

    def wait_ready(self, frame: Any) -> dict[str, int]:
        """Wait until the vis network is drawn; return its node and edge counts."""
        frame.wait_for_selector("body[data-ready='1']", state="attached", timeout=30_000)
        counts: dict[str, int] = frame.evaluate(
            "({nodes: nodes.length, edges: edges.length,"
            " drawn: Object.keys(network.body.nodes).length,"
            " violations: window.__csp ? window.__csp.length : 0})"
        )
        return counts

    def wait_layered(self, frame: Any) -> dict[str, Any]:
        """Wait until a Cytoscape view is laid out; return what a person sees of its labels."""
        frame.wait_for_selector("body[data-ready='1']", state="attached", timeout=60_000)
        seen: dict[str, Any] = frame.evaluate(LABELS)
        return seen

    def hover_node(self, page: Any, node: str) -> Any:
        """Move the mouse onto the Cytoscape node ``node``; return the tooltip it shows."""
        pos = page.evaluate(
            "(id) => { const r = cy.getElementById(id).renderedPosition();"
            " const c = cy.container().getBoundingClientRect();"
            " return {x: r.x + c.left, y: r.y + c.top}; }",
            node,
        )
        page.mouse.move(pos["x"], pos["y"])
        return page.wait_for_selector("#tip", state="visible", timeout=10_000)

    def leaks(self) -> list[str]:
        return [u for u in self.requests if not local_url(u)]


#: What a person sees of a Cytoscape view's node labels, from Cytoscape's own API: the
#: shown nodes, those inside the viewport, the smallest rendered label height (font size
#: times zoom, in CSS pixels) and every pair of shown nodes whose boxes (labels included)
#: overlap.
LABELS = """() => {
  const z = cy.zoom(), ext = cy.extent();
  const shown = cy.nodes().filter(n => n.visible());
  const boxes = shown.map(n => ({id: n.id(), label: n.data("label"),
    b: n.boundingBox({includeLabels: true, includeOverlays: false}),
    px: parseFloat(n.style("font-size")) * z}));
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].b, b = boxes[j].b;
      if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) {
        overlaps.push([boxes[i].id, boxes[j].id]);
      }
    }
  }
  const inView = boxes.filter(x => x.b.x1 >= ext.x1 && x.b.x2 <= ext.x2
    && x.b.y1 >= ext.y1 && x.b.y2 <= ext.y2);
  return {total: cy.nodes().length, shown: boxes.map(x => x.id),
    in_view: inView.map(x => x.id), labels: inView.map(x => x.label),
    min_px: Math.min(...boxes.map(x => x.px)), overlaps: overlaps,
    edges: cy.edges().filter(e => e.visible()).length,
    violations: window.__csp ? window.__csp.length : 0};
}"""


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="filiere-chromium-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1280, "height": 860},
            )
            # Record CSP violations: a blocked fetch is an attempt to leave the machine.
            context.add_init_script(
                "window.__csp = [];"
                "document.addEventListener('securitypolicyviolation',"
                " e => window.__csp.push(e.blockedURI));"
            )
            browser = Browser(context)
            context.on("request", lambda r: browser.requests.append(r.url))
            try:
                yield browser
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def artifact(name: str) -> Path:
    """A path under ``test-artifacts/`` (gitignored) for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def doc_image(name: str, tmp: Path) -> Path:
    """Where the guide's screenshot ``name`` goes: ``docs/images/`` when
    ``FILIERE_UPDATE_IMAGES=1`` (to refresh the guide), else ``tmp`` (a test's own
    directory), so that an ordinary test run leaves the working tree clean."""
    where = DOC_IMAGES if os.environ.get(UPDATE_IMAGES) == "1" else tmp
    where.mkdir(parents=True, exist_ok=True)
    return where / name
