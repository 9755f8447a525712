"""The demo's opportunities, matches and upstream shock are those FINDINGS.md (section 8) states.

The expectations are read from the section's text and table, so the statement and the
analyses cannot drift apart; both stores are checked.
"""

from __future__ import annotations

import re

import pytest

from filiere.cli.report_cmds import demo_dataset
from filiere.graph.store import GraphStore
from filiere.ingest import load
from filiere.queries import matches, opportunities, shock
from filiere.queries.recovery import recovery_text


def _section() -> str:
    with demo_dataset() as path:
        md = (path / "FINDINGS.md").read_text(encoding="utf-8")
    return md.split("## 8. Opportunities", 1)[1]


def _ids(text: str) -> list[str]:
    return re.findall(r"`([A-Z][A-Z0-9-]+)`", text)


def _number(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m is not None, f"FINDINGS.md section 8 has nothing matching {pattern!r}"
    return float(m.group(1))


@pytest.fixture
def demo(store: GraphStore) -> GraphStore:
    with demo_dataset() as path:
        load(path, store, replace=True, progress=False)
    return store


def test_findings_section_8_parses() -> None:
    md = _section()
    assert "P-FRANCIS" in md and "M-W" in md and "C-MAG-SMCO" in md
    assert _number(r"(\d+) at-risk items are needed", md) == 12


def test_top_opportunities_and_matches(demo: GraphStore) -> None:
    md = _section()
    result = opportunities(demo, "FR-BFC").opportunities
    assert len(result) == _number(r"(\d+) at-risk items are needed", md)
    table = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in md.split("### Top opportunities", 1)[1]
        .split("Then the nine", 1)[0]
        .splitlines()
        if re.match(r"\| \d", line)
    ]
    assert len(table) == 3
    for (rank, item, value, _, route), got in zip(table, result, strict=False):
        assert got.item == _ids(item)[0], rank
        assert got.annual_value_eur == float(value), item
        assert got.best_route is not None and got.best_route.supplier == _ids(route)[0]
        assert f"tier {got.best_route.tier}" in route
    rest = md.split("Then the nine", 1)[1].split("All are on", 1)[0]
    materials = [o for o in result[3:]]
    assert [o.item for o in materials] == _ids(rest)
    assert all(o.annual_value_eur is None and o.best_route is None for o in materials)
    assert {o.item: o.crma for o in materials}["M-NB"] == "critical"
    assert {o.crma for o in materials if o.item != "M-NB"} == {"strategic"}
    magnet = next(o for o in result if o.item == "C-MAG-NDFEB-S")
    assert magnet.buyers_in_region == [
        "MAK-BROCHE-BFC",
        "MAK-COBOT-BFC",
        "MAK-HYDRO-BFC",
        "MAK-VANNE-BFC",
    ]
    assert sorted(set(magnet.buyers) - set(magnet.buyers_in_region)) == ["MAK-VANNE-ARA"]

    found = matches(demo, "FR-BFC")
    text = md.split("### Matches in the region", 1)[1].split("### What the upstream", 1)[0]
    assert len(found.matches) == _number(r"(\d+) introductions", text)
    assert len(found.unmatched) == _number(r"(\d+) \(buyer, product, material\)", text)
    cobot = [(m.item, m.supplier) for m in found.matches if m.buyer == "MAK-COBOT-BFC"]
    assert [s for i, s in cobot if i == "C-HARMONIC"] == [
        "SUP-MICRO-BFC",
        "SUP-DE-HD",
        "SUP-SK-CYC",
    ]
    assert [s for i, s in cobot if i == "C-MAG-NDFEB-S"] == [
        "SUP-MAG-ARA",
        "SUP-EE-MAG",
        "SUP-DE-MAG",
    ]
    kaplan = {m.supplier for m in found.matches if m.item == "C-BEARING-HOUSING"}
    assert kaplan == {"SUP-FCH", "SUP-PAM-GES", "SUP-IT-FDY"}
    matched = {(m.buyer, m.product) for m in found.matches}
    for pair in (
        "MAK-CAPT-BFC` / `P-SENSOR",
        "MAK-SIC-BFC` / `P-SICMOD",
        "MAK-HYDRO-BFC` / `P-FRANCIS",
    ):
        assert pair in text
        assert tuple(pair.split("` / `")) not in matched


def test_upstream_shock_on_china(demo: GraphStore) -> None:
    plain = {p.product: p for p in shock(demo, ["CN"]).impacted_products}
    result = shock(demo, ["CN"], upstream=True)
    up = {p.product: p for p in result.impacted_products}
    assert "P-FRANCIS" not in plain
    francis = up["P-FRANCIS"]
    assert not francis.cut and francis.exposure == 0.817
    assert max(francis.partial, key=lambda x: x.lost_share).item == "M-W"
    assert sorted(p for p, x in up.items() if x.cut) == sorted(p for p, x in plain.items() if x.cut)
    assert (plain["P-SENSOR"].exposure, up["P-SENSOR"].exposure) == (0.7, 0.849)
    assert (plain["P-SICMOD"].exposure, up["P-SICMOD"].exposure) == (0.5, 0.989)
    cut = {c.item: c for c in result.cut_items}
    assert {"M-DY", "M-TB"} <= set(cut) and cut["M-DY"].recoverable_via == []
    # The recovery of the cut magnet through SmCo is exposed, and never shown as plain.
    (magnet,) = [c for c in shock(demo, ["CN"]).cut_items if c.item == "C-MAG-NDFEB-S"]
    (smco,) = magnet.recoverable_exposure
    assert (smco.item, smco.exposure) == ("C-MAG-SMCO", 0.5)
    assert recovery_text(smco, True) != "C-MAG-SMCO"
    assert cut["C-MAG-NDFEB-S"].recoverable_exposure[0].exposure == 0.849
