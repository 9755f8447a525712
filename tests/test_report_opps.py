"""The report, workbook and terminal lead with the opportunities and the matches (demo data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from filiere.cli import cli
from filiere.cli.report_cmds import demo_dataset
from filiere.graph.embedded import EmbeddedStore
from filiere.i18n import _, language
from filiere.ingest import load
from filiere.queries.models import AnalysisSettings
from filiere.report import build_report


@pytest.fixture
def demo_store(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "graph.json")
    with demo_dataset() as path:
        load(path, store, progress=False)
    return store


def test_page_and_workbook_lead_with_opportunities(
    demo_store: EmbeddedStore, tmp_path: Path
) -> None:
    with language("en"):
        paths = build_report(demo_store, None, tmp_path / "r", AnalysisSettings(), region="FR-BFC")
    page = paths.html.read_text(encoding="utf-8")
    assert (
        page.index('id="opportunities"') < page.index('id="matches"') < page.index('id="summary"')
    )
    lead = page.split('id="opportunities"', 1)[1].split('id="matches"', 1)[0]
    assert lead.index("C-HARMONIC") < lead.index("C-MAG-NDFEB-S") < lead.index("C-BEARING-HOUSING")
    assert "Robotique Collaborative de Montbéliard (Montbéliard)" in lead
    assert "Microtechniques Bisontines (Besançon)" in lead
    # The shock on CN: the magnet's only substitute is hit too, never a plain recovery.
    shock = page.split('id="shock"', 1)[1]
    assert (
        "Aimant SmCo fritté (Sm2Co17) (C-MAG-SMCO) (warning: this shock hits it too (up to 50%"
        " lost)" in shock
    )
    assert "<td>C-MAG-SMCO</td>" not in shock
    view = (tmp_path / "r" / "shock-CN.html").read_text(encoding="utf-8")
    assert "recoverable via: C-MAG-SMCO (warning: this shock hits it too" in view

    with language("en"):
        sheet_opps, sheet_matches = _("Opportunities"), _("Matches")
    wb = load_workbook(paths.xlsx)
    assert wb.sheetnames[:3] == ["Summary", sheet_opps, sheet_matches]
    opps = list(wb[sheet_opps].iter_rows(values_only=True))
    header, first = opps[0], dict(zip(opps[0], opps[1], strict=True))
    assert "name" in header and "town" in header
    assert (first["item"], first["annual value (EUR)"], first["best supplier"]) == (
        "C-HARMONIC",
        1404000,
        "SUP-MICRO-BFC",
    )
    assert (first["supplier name"], first["town"]) == ("Microtechniques Bisontines", "Besançon")
    assert first["buyers in the region"] == "Robotique Collaborative de Montbéliard (Montbéliard)"
    matches = list(wb[sheet_matches].iter_rows(values_only=True))
    rows = [dict(zip(matches[0], r, strict=True)) for r in matches[1:]]
    harmonic = [r for r in rows if r["item"] == "C-HARMONIC"]
    assert harmonic[0]["buyer name"] == "Robotique Collaborative de Montbéliard"
    assert harmonic[0]["buyer town"] == "Montbéliard"
    assert (harmonic[0]["supplier"], harmonic[0]["supplier town"]) == ("SUP-MICRO-BFC", "Besançon")
    assert sum(1 for r in rows if r["supplier"]) == 18
    assert any(r["supplier name"] == "no route" and r["item"] == "M-W" for r in rows)


def test_terminal_leads_with_opportunities(demo_store: EmbeddedStore, tmp_path: Path) -> None:
    out = CliRunner().invoke(
        cli,
        [
            "--store",
            str(demo_store.path),
            "report",
            "-o",
            str(tmp_path / "r"),
            "--region",
            "FR-BFC",
        ],
        env={"COLUMNS": "200", "FILIERE_LANG": "en"},
    )
    assert out.exit_code == 0, out.output
    text = out.output
    lead = text.index("Relocation opportunities in Bourgogne-Franche-Comté")
    assert lead < text.index("At-risk dependencies")
    assert "Buyer-supplier matches in Bourgogne-Franche-Comté: 18 introductions" in text
    assert "Aimant SmCo fritté (Sm2Co17) (C-MAG-SMCO) (warning:" in text


def test_french_page_says_its_words_in_french(demo_store: EmbeddedStore, tmp_path: Path) -> None:
    """The CRMA class, a substitute route and the firm's colon, as a French adviser reads them."""
    with language("fr"):
        paths = build_report(demo_store, None, tmp_path / "r", AnalysisSettings(), region="FR-BFC")
    lead = paths.html.read_text(encoding="utf-8").split('id="opportunities"', 1)[1]
    lead = lead.split('id="matches"', 1)[0]
    assert "<td>stratégique</td>" in lead and "<td>strategic</td>" not in lead
    assert "Microtechniques Bisontines (Besançon)\u00a0: a les procédés pour le fabriquer" in lead
    page = paths.html.read_text(encoding="utf-8")
    assert "par le substitut Aimant SmCo fritté (Sm2Co17) (niveau 3" in page
