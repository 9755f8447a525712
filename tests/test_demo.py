"""``filiere demo``: offline, and its findings are those FINDINGS.md says the dataset shows.

The expectations are read from ``filiere/data/demo/FINDINGS.md`` (the per-product headings,
the shock bullets, the tier-1 column of the routes table, the gaps), so the statement and
the test cannot drift apart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from filiere.cli.report_cmds import demo_dataset

ROOT = Path(__file__).resolve().parents[1]


def _findings_md() -> str:
    with demo_dataset() as path:
        return (path / "FINDINGS.md").read_text(encoding="utf-8")


def _ids(text: str) -> list[str]:
    return re.findall(r"`([A-Z][A-Z0-9-]+)`", text)


def _group(pattern: str, text: str, flags: int = 0) -> str:
    """The first group of ``pattern`` in ``text`` (fails the test when FINDINGS.md lacks it)."""
    m = re.search(pattern, text, flags)
    assert m is not None, f"FINDINGS.md has nothing matching {pattern!r}"
    return m.group(1)


@dataclass(frozen=True)
class Expected:
    """What FINDINGS.md states: per-product dependency counts, the CN shock, tier 1, a gap."""

    deps: dict[str, tuple[int, int]]
    cut: list[str]
    dented: list[str]
    untouched: list[str]
    tier1: dict[str, list[str]]
    gap: str


def expected() -> Expected:
    md = _findings_md()
    deps = {
        p: (int(n), int(k))
        for p, n, k in re.findall(r"### `deps (P-[A-Z]+)` \((\d+) items, (\d+) at risk\)", md)
    }
    shock = md.split("## 5. Shock", 1)[1].split("Other shocks", 1)[0]
    cut = _ids(_group(r"\*\*Cut\*\*: (.*?)\(", shock))
    dented = [
        p
        for p in _ids(_group(r"\*\*Dented\*\*(.*?)- \*\*Untouched", shock, re.S))
        if p.startswith("P-")
    ]
    untouched = [
        p for p in _ids(_group(r"\*\*Untouched\*\*: (.*?)\(", shock)) if p.startswith("P-")
    ]
    tier1 = {}
    routes = md.split("## 4. Routes", 1)[1].split("## 5.", 1)[0]
    for line in routes.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith(("`C-", "`M-")):
            item = _ids(cells[0])[0]
            tier1[item] = _ids(cells[1])
    gaps = md.split("## 7. Gaps", 1)[1]
    return Expected(deps, cut, dented, untouched, tier1, _ids(gaps)[0])


def test_findings_md_parses() -> None:
    """The parser itself: FINDINGS.md holds what the demo test relies on."""
    e = expected()
    assert len(e.deps) == 7
    assert e.cut and e.dented and e.untouched
    assert e.tier1["C-BEARING-HOUSING"] == ["SUP-FCH"]
    assert e.tier1["C-MAG-NDFEB-S"] == []


@pytest.mark.slow
def test_demo_runs_offline_and_shows_the_findings(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "filiere"  # the console script of this install
    cmd = [str(exe), "demo", "--no-progress"]
    # Without any network at all when the kernel lets us (a user+net namespace).
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"]).returncode == 0:
        cmd = ["unshare", "-rn", *cmd]
    env = {**os.environ, "COLUMNS": "200", "FILIERE_STORE": str(tmp_path / "not-used.json")}
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr + run.stdout
    out = run.stdout
    e = expected()
    folder = tmp_path / "filiere-demo"
    # It says where to look next, and it did not touch the default store.
    assert str(folder / "report.html") in out and str(folder / "findings.xlsx") in out
    assert "filiere --store filiere-demo/graph.db deps" in out
    assert "serve" in out
    assert (folder / "graph.db").is_file()
    assert not (tmp_path / "not-used.json").exists()

    wb = load_workbook(folder / "findings.xlsx")
    deps = rows_of(wb["Dependencies"])
    for product, (n_items, n_risk) in e.deps.items():
        rows = [r for r in deps if r["product"] == product]
        assert len(rows) == n_items, product
        assert sum(1 for r in rows if r["at risk"] is True) == n_risk, product
    at_risk = {str(r["item"]) for r in deps if r["at risk"] is True}
    # Every at-risk item is printed at the terminal with a BOM path.
    for item in at_risk:
        assert item in out
    assert "C-MAG-NDFEB-S" in at_risk and "M-NB" in at_risk

    # The shock on the top supplying country of at-risk items: CN, as FINDINGS.md says.
    assert "Supply stop in China" in out
    shock: dict[str, bool] = {}
    for r in rows_of(wb["Shock"]):
        shock[str(r["product"])] = bool(r["product cut"])
    assert sorted(p for p, cut in shock.items() if cut) == sorted(e.cut)
    assert sorted(p for p, cut in shock.items() if not cut) == sorted(e.dented)
    for p in e.untouched:
        assert p not in shock

    # The local routes in FR-BFC of the at-risk items: tier 1 as the routes table says.
    routes = rows_of(wb["Routes"])
    checked = 0
    for item, suppliers in e.tier1.items():
        if item in at_risk:
            got = sorted(str(r["supplier"]) for r in routes if r["item"] == item and r["tier"] == 1)
            assert got == sorted(suppliers), item
            checked += 1
    assert checked >= 3
    printed = re.findall(r"Best local routes for .*?\((C-[A-Z0-9-]+)\)", out)
    assert printed and "C-BEARING-HOUSING" in printed
    assert "SUP-FCH" in out and "SUP-MICRO-BFC" in out

    # The routes of the NdFeB magnet through the SmCo substitute carry its at-risk warning
    # in every surface: terminal, workbook, report.
    warning = "(WARNING: the substitute is itself at risk)"
    smco = [r for r in routes if r["item"] == "C-MAG-NDFEB-S" and r["via"] == "C-MAG-SMCO"]
    assert smco and all(r["substitute at risk"] is True and r["warning"] for r in smco)
    block = out.split("Best local routes for", 2)[1]
    assert "C-MAG-NDFEB-S" in block.splitlines()[0]
    assert "WARNING: the substitute is itself at risk" in " ".join(block.split())
    page = (folder / "report.html").read_text(encoding="utf-8")
    section = page.split("(C-MAG-NDFEB-S)</h3>", 1)[1].split("<h3>", 1)[0]
    assert "C-MAG-SMCO" in section and warning in section

    # The gap is reported.
    assert e.gap in page


def rows_of(ws: Any) -> list[dict[str, Any]]:
    """A sheet's rows as dicts keyed by its header."""
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
