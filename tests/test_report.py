"""``filiere report``: the workbook and the HTML page, and the demo dataset on both stores."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook
from viz_support import load_mini

from filiere.cli import cli
from filiere.cli.report_cmds import demo_dataset
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.i18n import _, language
from filiere.ingest import load
from filiere.queries.models import AnalysisSettings
from filiere.report import build_report, compute_findings
from filiere.report.findings import Findings
from filiere.report.xlsx import SHEETS, sheet_title


def test_report_writes_page_workbook_and_views(embedded_store: GraphStore, tmp_path: Path) -> None:
    load_mini(embedded_store)
    paths = build_report(embedded_store, None, tmp_path / "r", AnalysisSettings(), region="FR-BFC")
    assert paths.html == tmp_path / "r" / "report.html"
    assert sorted(p.name for p in paths.views.values()) == [
        "deps-P.html",
        "routes-C1.html",
        "shock-CN.html",
    ]
    page = paths.html.read_text(encoding="utf-8")
    for section in ("summary", "at-risk", "deps-P", "routes", "shock", "critical"):
        assert f'id="{section}"' in page
    for section in ("provenance", "thresholds"):
        assert f'id="{section}"' in page
    assert "<b>NdFeB</b>" not in page  # the hostile item name is escaped
    assert "Aimant &lt;/script&gt;&lt;b&gt;NdFeB&lt;/b&gt;" in page
    assert "P &gt; C1 &gt; M1" in page  # BOM path as text
    assert "EU CRM 2023" in page or "mini" in page  # provenance
    assert 'src="deps-P.html"' in page

    wb = load_workbook(paths.xlsx)
    titles = [sheet_title(k) for k in SHEETS]
    assert wb.sheetnames == [titles[0], _("Opportunities"), _("Matches"), *titles[1:]]
    deps = rows_of(wb["Dependencies"])
    assert wb["Dependencies"].freeze_panes == "A2"
    assert wb["Dependencies"]["A1"].font.bold
    by_item = {r["item"]: r for r in deps}
    assert set(by_item) == {"C1", "C2", "M1"}
    assert by_item["M1"]["BOM paths"] == "P > C1 > M1"
    # Real booleans, names beside ids, shares as percentages, reasons in words.
    assert by_item["C1"]["at risk"] is True and by_item["C2"]["at risk"] is False
    assert by_item["M1"]["upstream country"] == "China"
    assert "single country: China" in by_item["C1"]["why"]
    assert by_item["C1"]["name"] == "Aimant </script><b>NdFeB</b>"
    routes = rows_of(wb["Routes"])
    assert [(r["item"], r["supplier"], r["tier"]) for r in routes] == [
        ("C1", "S-BFC", 1),
        ("C1", "S-DE", 3),
    ]
    assert all(r["supplier name"] for r in routes)
    # One row per fact: each item a shock hits is a row of its own.
    shock = rows_of(wb["Shock"])
    assert [(r["product"], r["product cut"], r["item"], r["cut at the source"]) for r in shock] == [
        ("P", True, "C1", True)
    ]
    assert wb["Shock"].cell(row=2, column=8).number_format == "0%"
    assert wb["Critical items"]["A1"].value == "item"
    sources = wb["Sources"]
    assert {r["source"] for r in rows_of(sources)} >= {"mini"}
    assert isinstance(sources.cell(row=2, column=3).value, datetime)
    suppliers = {r["supplier"]: r for r in rows_of(wb["Suppliers"])}
    assert suppliers["S-BFC"]["country"] == "France" and suppliers["S-BFC"]["name"]


def rows_of(ws: Any) -> list[dict[str, Any]]:
    """A sheet's rows as dicts keyed by its header."""
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_workbook_headers_follow_the_language(embedded_store: GraphStore, tmp_path: Path) -> None:
    load_mini(embedded_store)
    with language("fr"):
        paths = build_report(embedded_store, None, tmp_path / "fr", AnalysisSettings())
    wb = load_workbook(paths.xlsx)
    # No firm of the mini dataset's region makes its product: no "Mises en relation" sheet.
    assert wb.sheetnames[:4] == ["Synthèse", "Opportunités", "Dépendances", "Voies"]
    header = [c.value for c in wb["Dépendances"][1]]
    assert "article" in header and "à risque" in header and "pourquoi" in header
    page = paths.html.read_text(encoding="utf-8")
    assert "<h1>Dépendances et voies de relocalisation\u00a0: 1 produit</h1>" in page
    assert '<html lang="fr">' in page and 'href="#at-risk"' in page  # a table of contents


def test_report_command(embedded_store: GraphStore, tmp_path: Path) -> None:
    load_mini(embedded_store)
    out = tmp_path / "rep"
    result = CliRunner().invoke(
        cli,
        ["--store", embedded_store.uri, "report", "P", "-o", str(out), "--country", "DE"],
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and (out / "findings.xlsx").is_file()
    assert (out / "shock-DE.html").is_file()
    assert str((out / "report.html").resolve()) in result.output.replace("\n", "")
    bad = CliRunner().invoke(cli, ["--store", embedded_store.uri, "report", "NOPE", "-o", str(out)])
    assert bad.exit_code == 1 and "NOPE" in bad.output and "Traceback" not in bad.output


def _summary(f: Findings) -> dict[str, object]:
    return {
        "deps": {p: r.model_dump() for p, r in f.deps.items()},
        "boms": {p: r.model_dump() for p, r in f.boms.items()},
        "critical": f.critical.model_dump(),
        "at_risk": [(a.item, a.products, a.supplier_countries) for a in f.at_risk],
        "routes": {i: r.model_dump() for i, r in f.routes.items()},
        "route_items": f.route_items,
        "shock": f.shock.model_dump() if f.shock else None,
        "trees": {p: (sorted(t.items), t.children, len(t.supplies)) for p, t in f.trees.items()},
    }


def test_demo_dataset_checks_and_gives_the_same_findings_on_both_stores(
    store: GraphStore, tmp_path: Path
) -> None:
    settings = AnalysisSettings()
    with demo_dataset() as path:
        check = load(path, store, check_only=True, progress=False)
        assert check.checked_only and check.rows["items"] > 0
        assert store.counts() == {}  # a check writes nothing
        load(path, store, progress=False, source="demo")
        reference = EmbeddedStore(tmp_path / "reference.json")
        load(path, reference, progress=False, source="demo")
    got = compute_findings(store, None, settings, region="FR-BFC")
    want = compute_findings(reference, None, settings, region="FR-BFC")
    assert _summary(got) == _summary(want)
    assert [s.source for s in got.sources] == [s.source for s in want.sources]
    assert got.shock_countries == ["CN"]
