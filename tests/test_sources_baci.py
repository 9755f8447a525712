"""``filiere import baci`` and ``filiere trade-deps``: the Commission's three criteria."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import DatasetError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.sources.baci import TradeSettings, compute, import_baci
from filiere.sources.trade import trade_deps

DATA = Path(__file__).parent / "data" / "sources"
FLOWS = DATA / "baci" / "BACI_HS17_Y2021_V202301.csv"


def test_three_criteria_worked_by_hand() -> None:
    """The fixture's flows (v in thousand USD; 156 CN, 251 FR, 276 DE, 699 IN, 842 US).

    Importer FR, exports = FR's extra-EU exports:

    - 850511 (magnets): CN→FR 80, US→FR 10, DE→FR 30; FR→US 20, FR→DE 50.
      X = 90, T = 120, share = 0.75 > 0.5; HHI = (80/90)² + (10/90)² = 0.802469 > 0.4;
      E = 20 (FR→DE is intra-EU), ratio = 4.5 > 1 -> dependent.
    - 280530 (rare-earth metals): CN 50, US 50; FR→CN 100. HHI = 0.5, share = 1,
      ratio = 100/100 = 1, not > 1 -> not dependent (criterion 3 fails).
    - 720449 (scrap): US 10, IN 10, CN 10, DE 70. X = 30, T = 100: share = 0.3 and
      HHI = 3 × (1/3)² = 0.333333 both fail -> not dependent.
    - 381800 (wafers): CN 40 only, no FR exports: HHI = 1, share = 1, ratio undefined
      (no exports) and criterion 3 holds -> dependent.

    Importer EU27, for 850511: add CN→DE 100. X = 80 + 10 + 100 = 190 (CN 180, US 10),
    HHI = (180/190)² + (10/190)² = 0.900277; T = X + intra-EU (DE→FR 30, FR→DE 50) = 270,
    share = 0.703704; E = FR→US 20, ratio = 9.5 -> dependent.
    With exports = world for FR: E = 20 + 50 = 70, ratio = 90/70 = 1.285714.
    """
    fr = compute(FLOWS, "FR")
    assert fr.year == 2021 and fr.rows == 14
    m = fr.products["850511"]
    assert (m.extra_eu_imports, m.total_imports, m.exports) == (90, 120, 20)
    assert m.hhi == pytest.approx(0.802469, abs=1e-6)
    assert m.extra_eu_share == pytest.approx(0.75)
    assert m.ratio == pytest.approx(4.5)
    assert m.criteria(TradeSettings()) == (True, True, True) and m.dependent(TradeSettings())
    assert [c for c, _ in m.suppliers] == ["CN", "US"]
    ree = fr.products["280530"]
    assert (ree.hhi, ree.extra_eu_share, ree.ratio) == (0.5, 1.0, 1.0)
    assert ree.criteria(TradeSettings()) == (True, True, False)
    scrap = fr.products["720449"]
    assert scrap.hhi == pytest.approx(1 / 3) and scrap.extra_eu_share == pytest.approx(0.3)
    assert scrap.criteria(TradeSettings()) == (False, False, True)
    wafer = fr.products["381800"]
    assert (wafer.hhi, wafer.extra_eu_share, wafer.ratio) == (1.0, 1.0, None)
    assert wafer.dependent(TradeSettings())
    # thresholds are settings
    assert not m.dependent(TradeSettings(hhi=0.9))
    assert ree.dependent(TradeSettings(ratio=0.5))

    eu = compute(FLOWS, "EU27").products["850511"]
    assert (eu.extra_eu_imports, eu.total_imports, eu.exports) == (190, 270, 20)
    assert eu.hhi == pytest.approx(0.900277, abs=1e-6)
    assert eu.extra_eu_share == pytest.approx(0.703704, abs=1e-6)
    assert eu.ratio == pytest.approx(9.5)

    world = compute(FLOWS, "FR", settings=TradeSettings(exports="world")).products["850511"]
    assert world.ratio == pytest.approx(90 / 70)


def test_stored_on_hs_codes_and_ranked(store: GraphStore) -> None:
    report = import_baci(FLOWS, store, progress=False)
    assert report.counts == {"flows": 14, "products": 4, "dependent": 2}
    node = store.get_node(Label.HSCODE, "850511")
    assert node is not None
    assert node["trade_importer"] == "FR" and node["trade_year"] == 2021
    assert node["trade_dependent"] is True and node["trade_top_supplier"] == "CN"
    assert node["trade_suppliers"] == ["CN", "US"]
    assert node["source"] == f"CEPII BACI 2021, {FLOWS.name}"
    assert store.get_node(Label.HSCODE, "8505") is not None  # its heading too
    result = trade_deps(store, "FR")
    assert [p.hs_code for p in result.products] == ["850511", "381800"]  # by import value
    assert result.products[1].import_export_ratio is None
    every = trade_deps(store, "FR", dependent_only=False)
    assert [p.hs_code for p in every.products] == ["850511", "381800", "280530", "720449"]
    assert [
        p.hs_code for p in trade_deps(store, "FR", settings=TradeSettings(ratio=0.5)).products
    ] == [
        "280530",
        "850511",
        "381800",
    ]
    # another importer replaces the stored one; codes it does not cover are reset
    import_baci(FLOWS, store, importer="DE", progress=False)
    assert [p.hs_code for p in trade_deps(store, "DE", dependent_only=False).products] == ["850511"]
    stale = store.get_node(Label.HSCODE, "381800")
    assert stale is not None
    assert (stale["trade_importer"], stale["trade_extra_eu_imports"]) == ("DE", 0.0)
    assert stale["trade_dependent"] is False
    with pytest.raises(Exception, match="no trade facts for importer FR"):
        trade_deps(store, "FR")


def test_malformed_flows_are_reported(embedded_store: GraphStore) -> None:
    name = "BACI_HS17_Y2021_V202301.csv"
    with pytest.raises(DatasetError) as e:
        import_baci(DATA / "baci_bad" / name, embedded_store, progress=False)
    assert [str(i) for i in e.value.issues] == [
        f"{name}:3: k must be an HS6 product code, got '85051X'",
        f"{name}:4: v must be a value in thousand USD, got 'ten'",
        f"{name}:5: t must be a year, got '20x1'",
    ]
    assert embedded_store.counts() == {}


def test_cli_trade_deps(tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "g.json")]
    runner = CliRunner()
    ok = runner.invoke(cli, [*store, "import", "baci", str(FLOWS), "--no-progress"])
    assert ok.exit_code == 0, ok.output
    out = runner.invoke(cli, [*store, "trade-deps", "--importer", "FR", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["importer"] == "FR" and [p["hs_code"] for p in data["products"]] == [
        "850511",
        "381800",
    ]
    csv_out = runner.invoke(cli, [*store, "trade-deps", "--all", "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("hs_code,dependent,hhi")
    assert len(csv_out.output.splitlines()) == 5
    missing = runner.invoke(cli, [*store, "trade-deps", "--importer", "EU27"])
    assert missing.exit_code == 1 and "no trade facts for importer EU27" in missing.output
    us = runner.invoke(cli, [*store, "import", "baci", str(FLOWS), "--importer", "US"])
    assert us.exit_code == 1 and "importer must be an EU member state" in us.output


@pytest.mark.shared_data
def test_real_baci_sample(shared_data: Path) -> None:
    flows = shared_data / "baci_sample" / "BACI_HS17_Y2021_AFG_ZAF_exporters.csv"
    result = compute(flows, "FR")
    assert result.year == 2021 and result.rows == 71192
    # the sample holds exporters Afghanistan and South Africa only
    assert {c for p in result.products.values() for c, _ in p.suppliers} <= {"AF", "ZA"}
    # France exports nothing in the sample: criterion 3 holds wherever FR imports
    assert all(p.exports == 0 and p.ratio is None for p in result.products.values())
    # Italy is coded 380 in the flows but 381 in the V202201 table: read as ISO numeric
    assert any("380" in w and "IT" in w for w in result.warnings)
    iron = result.products["260112"]
    assert iron.suppliers[0][0] == "ZA"


def test_deps_shows_the_trade_dependency_of_an_items_hs_code(store: GraphStore) -> None:
    from filiere import queries as q
    from filiere.graph.model import BomLine, Dataset, Item, Supplier, Supply
    from filiere.ingest.build import build_batch

    store.write(
        build_batch(
            Dataset(
                items=[
                    Item(id="MOT", name="Moteur", kind="product"),
                    Item(id="AIM", name="Aimant NdFeB", kind="component", hs_code="850511"),
                    Item(id="VIS", name="Vis", kind="component", hs_code="731815"),
                ],
                bom=[BomLine(parent="MOT", child="AIM"), BomLine(parent="MOT", child="VIS")],
                suppliers=[Supplier(id="S-CN", name="Ningbo Magnets", country="CN")],
                supplies=[
                    Supply(supplier="S-CN", item="AIM"),
                    Supply(supplier="S-CN", item="VIS"),
                ],
            )
        )
    )
    before = {d.item: d for d in q.deps(store, "MOT").dependencies}
    assert before["AIM"].trade is None
    import_baci(FLOWS, store, progress=False)
    after = {d.item: d for d in q.deps(store, "MOT").dependencies}
    trade = after["AIM"].trade
    assert trade is not None
    assert (trade.hs_code, trade.importer, trade.year) == ("850511", "FR", 2021)
    assert trade.dependent and trade.top_supplier == "CN"
    assert trade.hhi == pytest.approx(0.802469, abs=1e-6)
    assert after["VIS"].trade is None  # no BACI flows for 731815
    # the existing fields keep their meaning
    assert after["AIM"].model_copy(update={"trade": None}) == before["AIM"]
    if isinstance(store, EmbeddedStore):  # a cold deps reads the codes, not the whole store
        cold = EmbeddedStore(store.path)
        assert q.deps(cold, "MOT") == q.deps(store, "MOT") and cold.cached_graph() is None
        assert store.graph.number_of_nodes() > 0  # warm: the whole graph's index
        assert q.deps(store, "MOT").dependencies == list(after.values())


def test_api_trade_deps(
    embedded_store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from api_support import start_api

    import_baci(FLOWS, embedded_store, progress=False)
    with start_api(embedded_store, tmp_path, request, load=False) as api:
        with api.client("analyst") as c:
            ok = c.get("/trade-deps", params={"importer": "FR"})
            assert ok.status_code == 200, ok.text
            assert [p["hs_code"] for p in ok.json()["products"]] == ["850511", "381800"]
            every = c.get("/trade-deps", params={"importer": "FR", "all": "true", "ratio": 0.5})
            assert [p["hs_code"] for p in every.json()["products"]][:2] == ["280530", "850511"]
            assert c.get("/trade-deps", params={"importer": "EU27"}).status_code == 404
            assert c.get("/trade-deps", params={"importer": "US"}).status_code == 422
        with api.client() as anonymous:
            assert anonymous.get("/trade-deps").status_code == 401
