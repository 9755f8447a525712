"""``filiere import eu-crm``: the EU CRM study 2023's world supply shares."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere import queries as q
from filiere.cli import cli
from filiere.errors import DatasetError
from filiere.graph.model import BomLine, Dataset, Item
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.sources.eu_crm import import_eu_crm, read_eu_crm

DATA = Path(__file__).parent / "data" / "sources"
FIXTURE = DATA / "eu_crm"
SHARES = "fact_GlobalSupplyShares_t.csv"


def _produces(store: GraphStore, material: str) -> dict[tuple[str, str], dict[str, object]]:
    return {
        (r.start, str(r.props["stage"])): dict(r.props)
        for r in store.relationships(Rel.PRODUCES)
        if r.end == material
    }


def test_shares_countries_and_lists_are_read(embedded_store: GraphStore) -> None:
    report = import_eu_crm(FIXTURE, embedded_store, progress=False)
    gallium = _produces(embedded_store, "crm:gallium")
    assert gallium[("CN", "processing")]["share"] == pytest.approx(0.938)
    assert gallium[("JP", "processing")]["share"] == pytest.approx(0.01)
    assert gallium[("CN", "processing")]["year"] == 2023
    assert gallium[("CN", "processing")]["source"] == f"EU CRM study 2023 (JRC), {SHARES}"
    # '<0.1%' is read as 0.001 and kept as published
    mg = _produces(embedded_store, "crm:magnesium")
    assert mg[("MY", "processing")]["share"] == pytest.approx(0.001)
    assert mg[("MY", "processing")]["share_published"] == "<0.1%"
    # two spellings of Türkiye are added up; 0.0% rows are left out
    assert mg[("TR", "processing")]["share"] == pytest.approx(0.004)
    assert ("AM", "processing") not in mg
    # Brasilia (sic) is Brazil
    assert ("BR", "extraction") in _produces(embedded_store, "crm:natural-graphite")
    # Kosovo has no ISO code: reported with its line, its row left out
    assert any("'Kosovo'" in w and f"{SHARES}:5" in w for w in report.warnings)
    assert ("XK", "processing") not in gallium
    # shares that add up to more than 100% are scaled down, and said so
    iron = _produces(embedded_store, "crm:iron-ore")
    assert iron[("CN", "processing")]["share"] == pytest.approx(0.6 / 1.05)
    assert any("Iron ore" in w and "105.0%" in w for w in report.warnings)
    # CRM Act lists as properties; heavy rare earths through the study's groups
    ga = embedded_store.get_node(Label.ITEM, "crm:gallium")
    dy = embedded_store.get_node(Label.ITEM, "crm:dysprosium")
    iron_item = embedded_store.get_node(Label.ITEM, "crm:iron-ore")
    assert ga is not None and dy is not None and iron_item is not None
    assert (ga["kind"], ga["crma_strategic"], ga["crma_critical"]) == ("material", "yes", "yes")
    assert (dy["crm_group"], dy["crma_strategic"]) == ("HREE", "yes")
    assert iron_item["crma_critical"] == "no"


def test_strict_makes_unknown_countries_errors(embedded_store: GraphStore) -> None:
    with pytest.raises(DatasetError) as e:
        import_eu_crm(FIXTURE, embedded_store, strict=True, progress=False)
    assert [str(i) for i in e.value.issues] == [f"{SHARES}:5: unknown country 'Kosovo'"]
    assert embedded_store.counts() == {}


def test_malformed_rows_are_all_reported_and_nothing_written(embedded_store: GraphStore) -> None:
    with pytest.raises(DatasetError) as e:
        import_eu_crm(DATA / "eu_crm_bad", embedded_store, progress=False)
    assert [str(i) for i in e.value.issues] == [
        f"{SHARES}:3: unknown stage 'X' (expected E or P)",
        f"{SHARES}:4: share must be a percentage such as 97% or <0.1%, got 'abc'",
        f"{SHARES}:5: empty Material",
        f"{SHARES}:6: share must be a percentage such as 97% or <0.1%, got '120%'",
    ]
    assert embedded_store.counts() == {}


def test_missing_column_is_reported(tmp_path: Path, embedded_store: GraphStore) -> None:
    (tmp_path / SHARES).write_text("Material,Stage,Pays,Share\nGallium,P,Chine,90%\n")
    with pytest.raises(DatasetError) as e:
        import_eu_crm(tmp_path, embedded_store, progress=False)
    assert str(e.value.issues[0]).startswith(f"{SHARES}:1: missing column 'Country'")


def test_existing_materials_are_matched_by_name_or_mapping(store: GraphStore) -> None:
    store.write(
        build_batch(
            Dataset(
                items=[
                    Item(id="GA", name="GALLIUM", kind="material"),
                    Item(id="MAG", name="Magnesium", kind="component"),
                    Item(id="GRAPH", name="Graphite naturel", kind="material"),
                ]
            )
        )
    )
    report = import_eu_crm(FIXTURE, store, mapping=["Natural Graphite=GRAPH"], progress=False)
    assert _produces(store, "GA")[("CN", "processing")]["share"] == pytest.approx(0.938)
    assert ("CN", "extraction") in _produces(store, "GRAPH")
    assert store.get_node(Label.ITEM, "crm:gallium") is None
    # a component named Magnesium is not a material: a material is created beside it
    assert store.get_node(Label.ITEM, "crm:magnesium") is not None
    assert any("'MAG'" in w and "component" in w for w in report.warnings)
    ga = store.get_node(Label.ITEM, "GA")
    assert ga is not None and ga["name"] == "GALLIUM" and ga["crma_strategic"] == "yes"


def test_import_is_idempotent_and_check_writes_nothing(embedded_store: GraphStore) -> None:
    checked = import_eu_crm(FIXTURE, embedded_store, check_only=True, progress=False)
    assert checked.checked_only and embedded_store.counts() == {}
    first = import_eu_crm(FIXTURE, embedded_store, progress=False)
    counts = embedded_store.counts()
    second = import_eu_crm(FIXTURE, embedded_store, progress=False)
    assert embedded_store.counts() == counts
    assert first.load is not None and first.load.summary is not None
    assert second.load is not None and second.load.summary is not None
    assert sum(second.load.summary.created.values()) == 0
    assert second.load.summary.updated == first.load.summary.created


def test_cli_import_and_errors(tmp_path: Path) -> None:
    store = str(tmp_path / "g.json")
    ok = CliRunner().invoke(
        cli, ["--store", store, "import", "eu-crm", str(FIXTURE), "--no-progress"]
    )
    assert ok.exit_code == 0, ok.output
    assert "unknown country 'Kosovo'" in ok.output and "PRODUCES" in ok.output
    bad = CliRunner().invoke(
        cli, ["--store", store, "import", "eu-crm", str(DATA / "eu_crm_bad"), "--no-progress"]
    )
    assert bad.exit_code == 1
    assert f"{SHARES}:3: unknown stage 'X' (expected E or P)" in bad.output


@pytest.mark.shared_data
def test_real_study_file(shared_data: Path) -> None:
    tables = read_eu_crm(shared_data / "eu_crm")
    items = {row["id"]: row for _, row in tables.tables["items"].rows}
    assert {"crm:gallium", "crm:magnesium", "crm:dysprosium", "crm:terbium"} <= set(items)
    assert items["crm:terbium"]["crm_group"] == "HREE"
    assert items["crm:terbium"]["crma_strategic"] == "yes"
    assert [w for w in tables.warnings if w.startswith("unknown country")] == [
        w for w in tables.warnings if "'Kosovo'" in w
    ]
    lines = {
        (r["material"], r["country"], r["stage"]): (ln, r["share"])
        for ln, r in tables.tables["production"].rows
    }
    line, share = lines[("crm:gallium", "CN", "processing")]
    text = (shared_data / "eu_crm" / SHARES).read_text(encoding="utf-8").splitlines()[line - 1]
    assert text == "Gallium,P,China,93.8%,1.0" and float(share) == pytest.approx(0.938)


@pytest.mark.shared_data
def test_deps_reports_the_studys_upstream_country_and_share(
    shared_data: Path, store: GraphStore
) -> None:
    """A LED module with gallium, magnesium and dysprosium (a heavy rare earth)."""
    store.write(
        build_batch(
            Dataset(
                items=[
                    Item(id="LED", name="Module LED", kind="product"),
                    Item(id="GA", name="Gallium", kind="material"),
                    Item(id="MG", name="Magnésium", kind="material"),
                    Item(id="DY", name="dysprosium", kind="material"),
                ],
                bom=[BomLine(parent="LED", child=c) for c in ("GA", "MG", "DY")],
            )
        )
    )
    import_eu_crm(shared_data / "eu_crm", store, progress=False)
    found = {d.item: d for d in q.deps(store, "LED").dependencies}
    # fact_GlobalSupplyShares_t.csv: Gallium,P,China,93.8% / Magnesium,P,China,90.6% /
    # Dysprosium,P,China,100.0%
    assert (found["GA"].upstream_country, found["GA"].upstream_share) == ("CN", 0.938)
    assert (found["MG"].upstream_country, found["MG"].upstream_share) == ("CN", 0.906)
    assert (found["DY"].upstream_country, found["DY"].upstream_share) == ("CN", 1.0)
    assert all(d.upstream_concentrated and d.at_risk for d in found.values())


def test_crma_comes_from_the_shipped_lists(embedded_store: GraphStore, tmp_path: Path) -> None:
    """Without a lists file beside the shares, the CRM Act lists shipped with filiere set crma."""
    (tmp_path / SHARES).write_bytes((FIXTURE / SHARES).read_bytes())
    import_eu_crm(tmp_path, embedded_store, progress=False)
    crma = {
        i: (embedded_store.get_node(Label.ITEM, i) or {}).get("crma")
        for i in ("crm:gallium", "crm:dysprosium", "crm:iron-ore", "crm:natural-graphite")
    }
    assert crma == {
        "crm:gallium": "strategic",
        "crm:dysprosium": "strategic",  # a heavy rare earth: the group is listed
        "crm:iron-ore": None,  # not in the CRM Act
        "crm:natural-graphite": "strategic",  # battery grade in Annex I: strategic wins
    }


def test_shipped_lists_give_critical_when_only_in_annex_ii() -> None:
    from filiere.sources.eu_crm import BUILTIN_LISTS, _read_lists

    listing = _read_lists(BUILTIN_LISTS, {"Antimony", "Tungsten", "Iron ore"}, {}, None)
    assert (listing["antimony"].strategic, listing["antimony"].critical) == (False, True)
    assert listing["tungsten"].strategic and "iron ore" not in listing
