"""``filiere report``: the workbook and the HTML page, and the demo dataset on both stores."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from viz_support import load_mini

from filiere.cli import cli
from filiere.cli.report_cmds import demo_dataset
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.ingest import load
from filiere.queries.models import AnalysisSettings
from filiere.report import build_report, compute_findings
from filiere.report.findings import Findings
from filiere.report.xlsx import SHEETS


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
    assert wb.sheetnames == [SHEETS[0], _("Opportunities"), _("Matches"), *SHEETS[1:]]
    deps = wb["Dependencies"]
    assert deps.freeze_panes == "A2"
    assert deps["A1"].font.bold
    header = [c.value for c in deps[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in deps.iter_rows(min_row=2)]
    by_item = {r["item"]: r for r in rows}
    assert set(by_item) == {"C1", "C2", "M1"}
    assert by_item["M1"]["BOM paths"] == "P > C1 > M1"
    assert by_item["C1"]["at risk"] == "yes" and by_item["C2"]["at risk"] == "no"
    assert by_item["M1"]["upstream country"] == "CN"
    routes = list(wb["Routes"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[6]) for r in routes] == [("C1", "S-BFC", 1), ("C1", "S-DE", 3)]
    shock = list(wb["Shock"].iter_rows(min_row=2, values_only=True))
    assert shock == [("CN", "P", "Pompe à chaleur", "cut", "C1", None)]  # empty cell
    assert wb["Critical items"]["A1"].value == "item"
    assert {r[0] for r in wb["Sources"].iter_rows(min_row=2, values_only=True)} >= {"mini"}


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
