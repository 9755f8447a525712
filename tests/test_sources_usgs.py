"""``filiere import usgs``: world production by country, as shares of the world total."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from filiere.errors import DatasetError
from filiere.graph.model import Dataset, Item
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.sources.usgs import import_usgs, read_usgs

DATA = Path(__file__).parent / "data" / "sources"
FILE = DATA / "usgs" / "world_production_sample.csv"
NAME = FILE.name


def _shares(store: GraphStore, material: str) -> dict[str, dict[str, object]]:
    return {r.start: dict(r.props) for r in store.relationships(Rel.PRODUCES) if r.end == material}


def test_shares_against_the_world_total(embedded_store: GraphStore) -> None:
    embedded_store.write(
        build_batch(Dataset(items=[Item(id="GA", name="Gallium", kind="material")]))
    )
    report = import_usgs(FILE, embedded_store, progress=False)
    ga = _shares(embedded_store, "GA")  # matched by name
    assert ga["CN"]["share"] == pytest.approx(839000 / 848000)
    assert ga["JP"]["share"] == pytest.approx(3000 / 848000)
    assert (ga["CN"]["stage"], ga["CN"]["year"]) == ("processing", 2024)  # low-purity = refined
    # '>6000' is a lower bound: used and reported
    assert ga["RU"]["share"] == pytest.approx(6000 / 848000) and ga["RU"]["lower_bound"] == "yes"
    assert any(f"{NAME}:5" in w and "lower bound" in w for w in report.warnings)
    # zeros are not shares; 'Other countries' is not a country
    assert set(ga) == {"CN", "JP", "RU"}
    li = _shares(embedded_store, "usgs:lithium")
    assert li["AU"]["share"] == pytest.approx(82700 / 150000)
    assert li["AU"]["stage"] == "extraction"
    assert set(li) == {"AU", "CL"}  # W, NA, — and an unknown country left out
    warnings = "\n".join(report.warnings)
    assert f"withheld (W) left out: lithium United States ({NAME}:8)" in warnings
    assert f"not available (NA) left out: lithium Zimbabwe ({NAME}:13)" in warnings
    assert f"unknown country 'Atlantis': left out ({NAME}:12)" in warnings
    item = embedded_store.get_node(Label.ITEM, "usgs:lithium")
    assert item is not None and (item["name"], item["kind"]) == ("Lithium", "material")
    assert li["AU"]["source"] == f"USGS Mineral Commodity Summaries (production_2024), {NAME}"


def test_estimated_year_column(embedded_store: GraphStore) -> None:
    import_usgs(FILE, embedded_store, year=2025, progress=False)
    li = _shares(embedded_store, "usgs:lithium")
    assert li["CA"]["year"] == 2025 and li["CA"]["estimated"] == "yes"


def test_malformed_figures_are_reported(embedded_store: GraphStore) -> None:
    with pytest.raises(DatasetError) as e:
        import_usgs(DATA / "usgs_bad" / NAME, embedded_store, progress=False)
    assert [str(i) for i in e.value.issues] == [
        f"{NAME}:3: production_2024 must be a number, W, NA, — or >N, got 'about 3000'",
        f"{NAME}:4: empty commodity or country",
    ]
    assert embedded_store.counts() == {}


def test_idempotent(store: GraphStore) -> None:
    import_usgs(FILE, store, progress=False)
    counts = store.counts()
    again = import_usgs(FILE, store, progress=False)
    assert store.counts() == counts
    assert again.load is not None and again.load.summary is not None
    assert sum(again.load.summary.created.values()) == 0


@pytest.mark.shared_data
def test_real_mcs2026_sample(shared_data: Path) -> None:
    path = shared_data / "usgs_mcs2026" / "world_production_mcs2026_subset.csv"
    tables = read_usgs(path)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    total = next(
        float(r["production_2024"])
        for r in rows
        if r["commodity"] == "magnesium" and r["country"].startswith("World total")
    )
    china = next(
        float(r["production_2024"])
        for r in rows
        if r["commodity"] == "magnesium" and r["country"] == "China"
    )
    shares = {
        (r["material"], r["country"]): float(r["share"])
        for _, r in tables.tables["production"].rows
    }
    assert shares[("usgs:magnesium", "CN")] == pytest.approx(china / total)
    assert any("withheld (W)" in w and "lithium United States" in w for w in tables.warnings)
    assert {m for m, _ in shares} == {
        f"usgs:{c}"
        for c in (
            "cobalt",
            "lithium",
            "nickel",
            "rare-earths",
            "gallium",
            "graphite",
            "magnesium",
            "tungsten",
        )
    }
