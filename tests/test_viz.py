"""The views (pyvis): what they draw, on both stores, and that pages are self-contained."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner
from viz_support import ROOT, load_demo, load_mini, mini_dataset

from filiere.cli import cli
from filiere.errors import NotFoundError
from filiere.graph.model import BomLine
from filiere.graph.store import GraphStore
from filiere.i18n import language
from filiere.ingest.build import build_batch
from filiere.queries.models import AnalysisSettings
from filiere.viz import View, deps_view, routes_view, shock_view
from filiere.viz.cyto import SCRIPTS, render_cy_page, vendored
from filiere.viz.data import supply_tree
from filiere.viz.style import AT_RISK, HIGHLIGHT_EDGE, LegendEntry, ViewGraph


def _self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    assert "Content-Security-Policy" in html
    # No external script, stylesheet, font or image: nothing loads from a URL.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)


def test_deps_view_draws_the_supply_tree(store: GraphStore) -> None:
    load_mini(store)
    with language("en"):
        view = deps_view(store, "P")
    g = view.graph
    assert view.layered  # Cytoscape.js + ELK layered, left to right
    assert sorted(g.nodes) == [
        "item:C1",
        "item:C2",
        "item:M1",
        "item:P",
        "production:M1:AU",
        "production:M1:CN",
        "supplier:S-CN",
        "supplier:S-DE",
        "supplier:S-FR",
    ]
    assert len(g.edges) == 8  # 3 BOM lines, 3 supplies, 2 production shares
    # Read left to right: product -> parts -> suppliers / producing countries.
    assert ("item:P", "item:C1") in g.edges and ("item:C2", "supplier:S-FR") in g.edges
    assert g.edges[("item:C2", "supplier:S-FR")].arrow == "source"  # delivery flows back
    # At-risk items are red, their BOM path highlighted; the concentrated board is not red.
    assert g.nodes["item:C1"].color == AT_RISK
    assert g.nodes["item:M1"].color == AT_RISK
    assert g.nodes["item:C2"].color != AT_RISK
    assert g.edges[("item:P", "item:C1")].color == HIGHLIGHT_EDGE
    assert g.edges[("item:C1", "item:M1")].color == HIGHLIGHT_EDGE
    assert g.edges[("item:P", "item:C2")].color != HIGHLIGHT_EDGE
    assert g.nodes["production:M1:CN"].border == AT_RISK
    assert g.nodes["supplier:S-CN"].border == AT_RISK
    # At-risk branch first and open; the other sub-tree starts folded.
    items = [k for k in g.nodes if k.startswith("item:")]
    assert items.index("item:C1") < items.index("item:C2")
    assert not g.nodes["item:C1"].collapsed and not g.nodes["item:P"].collapsed
    assert g.nodes["item:C2"].collapsed
    # Labels carry the country's name beside the supplier's name; tooltips the facts.
    assert g.nodes["supplier:S-CN"].label == "Ningbo Magnets · China"
    assert "90%" in g.nodes["production:M1:CN"].label
    assert "quantity per P: 0.6" in g.nodes["item:M1"].title
    assert "source: mini" in g.nodes["item:C1"].title
    assert "50%" in g.edges[("item:C2", "supplier:S-FR")].title
    assert "90%" in g.edges[("item:M1", "production:M1:CN")].title
    assert "EU CRM 2023" in g.edges[("item:M1", "production:M1:CN")].title
    html = view.html()
    _self_contained(html)
    assert "Pompe à chaleur" in html  # UTF-8 kept, not escaped away
    assert "</script><b>" not in html  # a hostile name cannot close the script
    assert "cytoscape" in html and "elk" in html.lower()


def test_shared_sub_assembly_is_drawn_once(embedded_store: GraphStore) -> None:
    data = mini_dataset()
    data.bom.append(BomLine(parent="C2", child="M1", quantity=0.1))
    embedded_store.write(build_batch(data, source="mini"))
    g = deps_view(embedded_store, "P").graph
    assert [k for k in g.nodes if k == "item:M1"] == ["item:M1"]
    assert {k for k in g.edges if k[1] == "item:M1"} == {
        ("item:C1", "item:M1"),
        ("item:C2", "item:M1"),
    }


def test_vendored_scripts_match_the_manifest() -> None:
    """What is inlined is exactly the pinned npm files (scripts/vendor-js checks the same)."""
    manifest = json.loads(vendored("manifest.json"))
    names = {p["name"]: p for p in manifest["packages"]}
    assert {"cytoscape", "elkjs", "cytoscape-elk"} <= set(names)
    for pkg in names.values():
        assert pkg["version"] and pkg["license"]
        assert any("LICENSE" in f["vendored"] for f in pkg["files"])  # licence shipped
        # The workspace's and the tests' libraries live in their own folder ("into").
        folder = ROOT / pkg["into"] if pkg.get("into") else files("filiere.viz") / "vendor"
        for f in pkg["files"]:
            data = (folder / f["vendored"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"], f["vendored"]
    html = render_cy_page(ViewGraph(), title="t", subtitle="", legend=[], notes=[])
    for name in SCRIPTS:
        assert vendored(name) in html  # inlined, not linked
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "vendor-js"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_views_give_the_same_graph_on_both_stores(store: GraphStore) -> None:
    """Compared with fixed expectations, so the Neo4j run checks parity with the embedded one."""
    load_mini(store)
    tree = supply_tree(store, "P")
    assert sorted(tree.items) == ["C1", "C2", "M1", "P"]
    assert tree.children["P"] == [("C1", 2.0), ("C2", 1.0)]
    assert [(s.supplier, s.item, s.share) for s in tree.supplies] == [
        ("S-CN", "C1", 1.0),
        ("S-DE", "C2", 0.5),
        ("S-FR", "C2", 0.5),
    ]
    assert [(p.country, p.year) for p in tree.latest_production()] == [("AU", 2022), ("CN", 2022)]
    routes = routes_view(store, "C1", "FR-BFC")
    assert sorted(routes.graph.nodes) == [
        "current:S-CN",  # the sourcing a route would replace
        "item:C1",
        "item:C3",
        "supplier:S-BFC",
        "supplier:S-DE",
    ]
    assert sorted(routes.graph.edges) == [
        ("current:S-CN", "item:C1"),
        ("item:C3", "item:C1"),
        ("supplier:S-BFC", "item:C1"),
        ("supplier:S-DE", "item:C3"),
    ]
    assert routes.graph.nodes["supplier:S-BFC"].color != routes.graph.nodes["supplier:S-DE"].color
    shock = shock_view(store, ["CN"])
    assert sorted(shock.graph.nodes) == ["country:CN", "item:C1", "item:C3", "item:P"]
    assert shock.edge_count == 3
    assert shock.graph.nodes["item:P"].color == AT_RISK


def _legend_matches(view: View) -> None:
    """Every node (colour, shape) and link (colour, line style) drawn has its legend line."""
    keys = {(e.colour, e.shape) for e in view.legend}
    for n in view.graph.nodes.values():
        assert (n.color, n.shape) in keys, (view.title, n.id, n.color, n.shape)
    for e in view.graph.edges.values():
        style = "dashed" if e.dashes else "line"
        assert (e.color, style) in keys, (view.title, e.source, e.target, e.color, style)


def test_legends_match_the_drawing(embedded_store: GraphStore) -> None:
    load_demo(embedded_store)
    deps = deps_view(embedded_store, "P-KAPLAN")
    # Producing countries take the suppliers' location colours; the rest is exact.
    deps.graph.nodes = {
        k: n for k, n in deps.graph.nodes.items() if not k.startswith("production:")
    }
    _legend_matches(deps)
    with language("en"):
        routes = routes_view(embedded_store, "C-MAG-NDFEB-S", "FR-BFC")
    _legend_matches(routes)
    # The old legend said capability routes were grey while they were drawn green.
    with language("en"):
        capability = routes_view(embedded_store, "C-HARMONIC", "FR-BFC")
    _legend_matches(capability)
    drawn = capability.graph.edges[("supplier:SUP-MICRO-BFC", "item:C-HARMONIC")]
    assert drawn.dashes
    assert LegendEntry(drawn.color, "dashed", "capability route: masters the processes") in (
        capability.legend
    )
    _legend_matches(shock_view(embedded_store, ["CN"]))
    _legend_matches(shock_view(embedded_store, ["CN", "DE"]))


def test_routes_view_draws_current_suppliers_and_warns_of_an_at_risk_substitute(
    store: GraphStore,
) -> None:
    load_demo(store)
    with language("en"):
        view = routes_view(store, "C-MAG-NDFEB-S", "FR-BFC")
        shock = shock_view(store, ["CN"])
    current = [k for k in view.graph.nodes if k.startswith("current:")]
    assert current  # the Chinese suppliers being replaced, beside the candidates
    assert all(view.graph.nodes[k].label.endswith("· China") for k in current)
    assert all((k, "item:C-MAG-NDFEB-S") in view.graph.edges for k in current)
    smco = view.graph.nodes["item:C-MAG-SMCO"]
    assert smco.label.startswith("⚠") and smco.color == AT_RISK
    assert len(view.warnings) == 1 and "C-MAG-SMCO" in view.warnings[0]
    assert "M-SM: upstream China" in view.warnings[0]  # says why
    assert view.warnings[0] in view.html().replace("&#x27;", "'")
    # The shock never shows the at-risk SmCo magnet as a plain recovery.
    assert shock.graph.nodes["item:C-MAG-SMCO"].label.startswith("⚠")
    assert any("C-MAG-SMCO" in w and "not a plain recovery" in w for w in shock.warnings)
    assert "itself at risk" in shock.graph.nodes["item:C-MAG-NDFEB-S"].title


def test_big_views_are_pruned_with_a_visible_note(embedded_store: GraphStore) -> None:
    load_mini(embedded_store)
    view = deps_view(embedded_store, "P", max_nodes=5)
    assert view.node_count <= 5
    # The product and the at-risk path are kept first.
    assert {"item:P", "item:C1", "item:M1"} <= set(view.graph.nodes)
    assert view.notes and "showing" in view.notes[0]
    assert view.notes[0] in view.html()
    assert not deps_view(embedded_store, "P").notes


def test_hierarchical_layout_levels_every_node(embedded_store: GraphStore) -> None:
    load_mini(embedded_store)
    # The supply tree is always layered (ELK); the pyvis views level every node on request.
    assert deps_view(embedded_store, "P", hierarchical=True).layered
    for view in (
        routes_view(embedded_store, "C1", "FR-BFC", hierarchical=True),
        shock_view(embedded_store, ["CN", "DE"], hierarchical=True),
    ):
        net = view.network()
        assert net.options["layout"]["hierarchical"]["enabled"] is True
        # vis-network refuses a hierarchy where only some nodes have a level.
        assert all("level" in n for n in net.nodes)


def test_thresholds_change_the_view(embedded_store: GraphStore) -> None:
    load_mini(embedded_store)
    strict = deps_view(embedded_store, "P", AnalysisSettings(upstream_share=0.95))
    assert strict.graph.nodes["item:M1"].color != AT_RISK
    at_home = deps_view(embedded_store, "P", AnalysisSettings(home="CN"))
    assert at_home.graph.nodes["item:C1"].color != AT_RISK


def test_unknown_item_is_a_clear_error(embedded_store: GraphStore) -> None:
    load_mini(embedded_store)
    with pytest.raises(NotFoundError):
        deps_view(embedded_store, "NOPE")


def test_cli_writes_each_view(embedded_store: GraphStore, tmp_path: Path) -> None:
    load_mini(embedded_store)
    runner = CliRunner()
    base = ["--store", embedded_store.uri, "viz"]
    for args, name in (
        (["deps", "P", "--hierarchical"], "d.html"),
        (["routes", "C1", "--region", "FR-BFC"], "r.html"),
        (["shock", "--country", "Chine"], "s.html"),
    ):
        out = tmp_path / name
        result = runner.invoke(cli, [*base, *args, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert f"wrote {out}" in result.output.replace("\n", "")
        _self_contained(out.read_text(encoding="utf-8"))
    result = runner.invoke(cli, [*base, "deps", "NOPE", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "item 'NOPE'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()


def test_every_view_text_has_its_french_translation() -> None:
    """Each message of the views (``_``, ``N_``, ``ngettext``) is translated in the French
    catalog."""
    from babel.messages.pofile import read_po

    with (ROOT / "filiere" / "locale" / "fr" / "LC_MESSAGES" / "filiere.po").open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id): (
            m.string[0] if isinstance(m.string, tuple) else m.string
        )
        for m in catalog
        if m.id
    }
    used: set[str] = set()
    for path in sorted((ROOT / "filiere" / "viz").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_", "ngettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                used.add(node.args[0].value)
    assert len(used) > 100
    missing = sorted(m for m in used if not translated.get(m))
    assert missing == []


#: An ISO 3166-2 region code standing on its own (``EE-511``, ``FR-BFC``), not part of an id.
REGION_CODE = re.compile(r"(?<![\w-])[A-Z]{2}-[A-Z0-9]{1,3}(?![\w-])")


def _read(view: View) -> str:
    """Every text a person reads in ``view``: titles, notes, labels and tooltips."""
    texts = [view.title, view.subtitle, *view.notes, *view.warnings]
    texts += [t for n in view.graph.nodes.values() for t in (n.label, n.title)]
    texts += [t for e in view.graph.edges.values() for t in (e.label, e.title)]
    return "\n".join(texts)


def test_french_views_name_regions_and_write_french_numbers(embedded_store: GraphStore) -> None:
    """An adviser reads ``Bourgogne-Franche-Comté`` and ``74,8 %``, never ``EE-511`` or 74.8%."""
    load_demo(embedded_store)
    with language("fr"):
        views = [
            routes_view(embedded_store, "C-MAG-NDFEB-S", "FR-BFC"),
            deps_view(embedded_store, "P-KAPLAN"),
            shock_view(embedded_store, ["CN"]),
        ]
        html = views[0].html()
    routes = _read(views[0])
    assert "Bourgogne-Franche-Comté" in routes and "Bourgogne-Franche-Comté" in html
    assert views[0].graph.nodes["supplier:SUP-EE-MAG"].label.endswith("· Narva")  # EE-511
    assert "km de Bourgogne-Franche-Comté" in routes
    for view in views:
        text = _read(view)
        assert re.search(r"\d,\d\s%", text), view.title  # "74,8 %" (narrow no-break space)
        assert not re.search(r"\d%|\d\.\d", text), view.title  # no "74.8%" nor "0.85"
        for m in REGION_CODE.finditer(text):
            # A code only beside its name, as in ISO's "Västra Götalands län [SE-14]".
            assert text[m.start() - 1] in "[(", (view.title, text[m.start() - 40 : m.end()])
    assert re.search(r"\d,\d\s%", html)
    with language("en"):
        english = _read(deps_view(embedded_store, "P-KAPLAN"))
    assert "74.8%" in english and "Bourgogne" not in english.replace("Bourgogne-Franche", "")
