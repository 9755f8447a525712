"""The bundled demo dataset (``filiere/data/demo``): well-formed, consistent, real figures.

These checks need no analysis code. The findings the dataset was built to show are listed
in ``filiere/data/demo/FINDINGS.md``; the analyses' own tests check those.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from importlib.resources import as_file, files
from pathlib import Path

import pytest

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.model import TABLES, Dataset
from filiere.graph.reference import country_code, hs_chain, region_info
from filiere.graph.schema import Label, Rel
from filiere.ingest.build import build_batch

REQUIRED = {
    "items": {"id", "name", "kind"},
    "bom": {"parent", "child"},
    "suppliers": {"id", "name", "country"},
    "supplies": {"supplier", "item"},
    "offers": {"supplier", "item"},
    "makes": {"supplier", "item"},
    "substitutes": {"item", "substitute"},
    "processes": {"item", "process"},
    "capabilities": {"supplier", "process"},
    "production": {"material", "country", "share", "stage", "year", "source"},
}
EU_CRM_CITE = "Study on the critical raw materials for the EU 2023"
USGS_CITE = "USGS Mineral Commodity Summaries 2026"
#: Country names of the EU CRM and USGS tables that ISO/pycountry lookups do not resolve.
SOURCE_COUNTRY_NAMES = {
    "Congo, D.R.": "CD",
    "Congo (Kinshasa)": "CD",
    "Korea, South": "KR",
    "Korea, Republic of": "KR",
    "Korea, North": "KP",
    "Türkiye": "TR",
    "Turkyie": "TR",
    "Turkey": "TR",
    "Burma": "MM",
    "New Caledonia (France)": "NC",
    "Brasilia": "BR",  # sic, one Roundwood row of the EU CRM table
    "Cape Verde": "CV",
    "Kosovo": "XK",  # user-assigned code, not in ISO 3166-1
}
#: INSEE region code (GeoNames admin1 code for France) of each ISO 3166-2 region used.
INSEE_REGION = {
    "FR-BFC": "27",
    "FR-ARA": "84",
    "FR-GES": "44",
    "FR-IDF": "11",
    "FR-CVL": "24",
    "FR-HDF": "32",
    "FR-NAQ": "75",
    "FR-NOR": "28",
}


@pytest.fixture(scope="module")
def demo_dir() -> Iterator[Path]:
    with as_file(files("filiere") / "data" / "demo") as path:
        yield Path(path)


@pytest.fixture(scope="module")
def tables(demo_dir: Path) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for name in TABLES:
        with (demo_dir / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            out[name] = list(csv.DictReader(f))
    return out


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in rows}


def _children(tables: dict[str, list[dict[str, str]]]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = defaultdict(list)
    for r in tables["bom"]:
        children[r["parent"]].append(r["child"])
    return children


def _closure(children: dict[str, list[str]], root: str) -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        x = stack.pop()
        if x not in seen:
            seen.add(x)
            stack.extend(children[x])
    return seen


def _share(text: str) -> float:
    """``'68.3%'`` -> 0.683 (EU CRM notation)."""
    return float(text.strip().rstrip("%")) / 100


def _code(name: str) -> str:
    code = SOURCE_COUNTRY_NAMES.get(name) or country_code(name)
    assert code, f"unknown country name in source: {name!r}"
    return code


# --- form -----------------------------------------------------------------------------


def test_every_table_parses_with_its_required_columns(demo_dir: Path) -> None:
    for name, required in REQUIRED.items():
        text = (demo_dir / f"{name}.csv").read_text(encoding="utf-8")
        rows = list(csv.reader(text.splitlines()))
        header, body = rows[0], rows[1:]
        assert required <= set(header), name
        assert body, f"{name}.csv is empty"
        assert all(len(r) == len(header) for r in body), f"{name}.csv: ragged rows"


def test_readme_says_the_firms_are_fictional(demo_dir: Path) -> None:
    readme = (demo_dir / "README.md").read_text(encoding="utf-8").lower()
    assert "fictional" in readme or "fictives" in readme
    assert (demo_dir / "FINDINGS.md").is_file()


def test_ids_are_unique(tables: dict[str, list[dict[str, str]]]) -> None:
    for name in ("items", "suppliers"):
        ids = [r["id"] for r in tables[name]]
        assert len(ids) == len(set(ids)), name
    for name, key in (
        ("bom", ("parent", "child")),
        ("supplies", ("supplier", "item")),
        ("offers", ("supplier", "item")),
        ("makes", ("supplier", "item")),
        ("substitutes", ("item", "substitute")),
        ("processes", ("item", "process")),
        ("capabilities", ("supplier", "process")),
        ("production", ("material", "country", "stage", "year")),
    ):
        keys = [tuple(r[k] for k in key) for r in tables[name]]
        assert len(keys) == len(set(keys)), name


def test_counts(tables: dict[str, list[dict[str, str]]]) -> None:
    kinds: dict[str, int] = defaultdict(int)
    for r in tables["items"]:
        kinds[r["kind"]] += 1
    assert set(kinds) == {"product", "component", "material"}
    assert kinds["product"] >= 6
    assert kinds["component"] + kinds["material"] >= 60
    assert len(tables["suppliers"]) >= 80


# --- references and structure -----------------------------------------------------------


def test_referential_integrity(tables: dict[str, list[dict[str, str]]]) -> None:
    items = _by_id(tables["items"])
    suppliers = _by_id(tables["suppliers"])
    capable = {r["supplier"] for r in tables["capabilities"]}
    for r in tables["bom"]:
        assert r["parent"] in items and r["child"] in items, r
        assert float(r["quantity"]) > 0, r
    for name in ("supplies", "offers"):
        for r in tables[name]:
            assert r["supplier"] in suppliers and r["item"] in items, (name, r)
    current = {(r["supplier"], r["item"]) for r in tables["supplies"]}
    assert not current & {(r["supplier"], r["item"]) for r in tables["offers"]}
    for r in tables["substitutes"]:
        assert r["item"] in items and r["substitute"] in items and r["item"] != r["substitute"]
        assert 0 <= float(r["compatibility"]) <= 1
    for r in tables["processes"]:
        assert r["item"] in items, r
    for r in tables["capabilities"]:
        assert r["supplier"] in suppliers, r
    needed = {r["process"] for r in tables["processes"]}
    mastered = {r["process"] for r in tables["capabilities"]}
    assert needed <= mastered, f"processes nobody masters: {needed - mastered}"
    assert capable
    for r in tables["production"]:
        assert items[r["material"]]["kind"] == "material", r


def test_bom_is_a_dag_and_products_are_3_to_6_levels_deep(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    children = _children(tables)
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def depth_of(item: str) -> int:
        if item in depth:
            return depth[item]
        assert item not in visiting, f"BOM cycle through {item}"
        visiting.add(item)
        depth[item] = 1 + max((depth_of(c) for c in children[item]), default=-1)
        visiting.discard(item)
        return depth[item]

    items = tables["items"]
    for r in items:
        depth_of(r["id"])
    products = [r["id"] for r in items if r["kind"] == "product"]
    assert all(3 <= depth[p] <= 6 for p in products), {p: depth[p] for p in products}
    assert not {r["child"] for r in tables["bom"]} & set(products), "products are roots"


def test_shared_sub_assemblies_and_every_item_used(tables: dict[str, list[dict[str, str]]]) -> None:
    children = _children(tables)
    items = _by_id(tables["items"])
    products = [i for i, r in items.items() if r["kind"] == "product"]
    closures = {p: _closure(children, p) for p in products}
    shared = [
        i
        for i, r in items.items()
        if r["kind"] == "component" and sum(i in c for c in closures.values()) >= 3
    ]
    assert len(shared) >= 10
    substitutes = {r["substitute"] for r in tables["substitutes"]}
    reachable = set().union(*closures.values())
    for s in substitutes:
        reachable |= _closure(children, s)
    assert set(items) == reachable, f"orphan items: {set(items) - reachable}"


def test_one_deliberate_gap(tables: dict[str, list[dict[str, str]]]) -> None:
    """Only the impregnation varnish has no supplier, no BOM child and no production row."""
    children = _children(tables)
    supplied = {r["item"] for r in tables["supplies"]}
    produced = {r["material"] for r in tables["production"]}
    gaps = {
        r["id"]
        for r in tables["items"]
        if r["id"] not in supplied and not children[r["id"]] and r["id"] not in produced
    }
    assert gaps == {"C-VARNISH"}


def test_materials_all_have_production_figures(tables: dict[str, list[dict[str, str]]]) -> None:
    produced = {r["material"] for r in tables["production"]}
    materials = {r["id"] for r in tables["items"] if r["kind"] == "material"}
    assert materials == produced


def test_supply_shares_sum_to_at_most_one(tables: dict[str, list[dict[str, str]]]) -> None:
    total: dict[str, float] = defaultdict(float)
    for r in tables["supplies"]:
        share = float(r["share"])
        assert 0 < share <= 1, r
        total[r["item"]] += share
    assert all(v <= 1 + 1e-9 for v in total.values()), total


def test_production_rows_are_cited_and_sum_to_at_most_one(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    total: dict[tuple[str, str, str], float] = defaultdict(float)
    for r in tables["production"]:
        assert r["stage"] in {"extraction", "processing"}, r
        assert 0 < float(r["share"]) <= 1, r
        year = int(r["year"])
        if EU_CRM_CITE in r["source"]:
            assert year == 2023, r
        else:
            assert r["source"].startswith(USGS_CITE) and year == 2024, r
            assert "production 2024" in r["source"], r
        total[(r["material"], r["stage"], r["year"])] += float(r["share"])
    assert all(v <= 1 + 1e-9 for v in total.values()), total


# --- reference codes ------------------------------------------------------------------------


def test_suppliers_regions_cities_and_codes(tables: dict[str, list[dict[str, str]]]) -> None:
    naf = re.compile(r"^\d\d\.\d\d[A-Z]$")
    for r in tables["suppliers"]:
        info = region_info(r["region"])
        assert info is not None and info.country == r["country"], r
        assert r["city"] and naf.match(r["naf"]), r
        assert -90 <= float(r["lat"]) <= 90 and -180 <= float(r["lon"]) <= 180, r
        if r["country"] == "FR":  # metropolitan France
            assert 41 < float(r["lat"]) < 51.2 and -5.2 < float(r["lon"]) < 9.6, r
    countries = {r["country"] for r in tables["suppliers"]}
    assert {"FR", "DE", "IT", "CN", "US", "JP", "KR", "TR", "IN"} <= countries
    bfc = [r for r in tables["suppliers"] if r["region"] == "FR-BFC"]
    assert len(bfc) >= 20


def test_hs_codes_are_real(tables: dict[str, list[dict[str, str]]]) -> None:
    for r in tables["items"]:
        chain = hs_chain(r["hs_code"])
        assert chain and chain[0].code == r["hs_code"], r


# --- loading -------------------------------------------------------------------------------------


def _dataset(tables: dict[str, list[dict[str, str]]]) -> Dataset:
    def clean(row: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in row.items() if v != ""}

    return Dataset.model_validate(
        {"name": "demo", **{name: [clean(r) for r in rows] for name, rows in tables.items()}}
    )


def test_loads_into_the_embedded_store(
    tables: dict[str, list[dict[str, str]]], tmp_path: Path
) -> None:
    dataset = _dataset(tables)
    batch = build_batch(dataset, source="demo")
    store = EmbeddedStore(tmp_path / "graph.json")
    store.write(batch)
    counts = store.counts()
    assert counts[Label.ITEM] == len(tables["items"])
    assert counts[Label.SUPPLIER] == len(tables["suppliers"])
    assert counts[Rel.CONTAINS] == len(tables["bom"])
    assert counts[Rel.PRODUCES] == len(tables["production"])
    assert counts[Rel.CLASSIFIED_AS] == len(tables["items"])
    magnet = store.get_node(Label.ITEM, "C-MAG-NDFEB-S")
    assert magnet is not None and magnet["hs_code"] == "850511"
    belfort = store.get_node(Label.SUPPLIER, "SUP-GEN-BFC")
    assert belfort is not None and belfort["region"] == "FR-BFC"


# --- the real figures (read again from ../shared/data) ----------------------------------------


@pytest.mark.shared_data
def test_eu_crm_figures_equal_the_published_ones(
    tables: dict[str, list[dict[str, str]]], shared_data: Path
) -> None:
    with (shared_data / "eu_crm" / "fact_GlobalSupplyShares_t.csv").open(encoding="utf-8") as f:
        published = {
            (r["Material"].strip(), r["Stage"], _code(r["Country"])): r["Share"]
            for r in csv.DictReader(f)
        }
    names = {r["id"]: r["eu_crm_name"] for r in tables["items"] if r["kind"] == "material"}
    stage = {"extraction": "E", "processing": "P"}
    rows = [r for r in tables["production"] if EU_CRM_CITE in r["source"]]
    assert len(rows) >= 200
    for r in rows:
        key = (names[r["material"]], stage[r["stage"]], r["country"])
        assert key in published, r
        assert float(r["share"]) == pytest.approx(_share(published[key]), abs=5e-5), r
        assert f"[{key[0]}, stage {key[1]}]" in r["source"], r


@pytest.mark.shared_data
def test_usgs_figures_equal_the_published_ones(
    tables: dict[str, list[dict[str, str]]], shared_data: Path
) -> None:
    path = shared_data / "usgs_mcs2026" / "world_production_mcs2026_subset.csv"
    with path.open(encoding="utf-8") as f:
        usgs = list(csv.DictReader(f))
    commodity = {r["id"]: r["usgs_commodity"] for r in tables["items"] if r["usgs_commodity"]}
    rows = [r for r in tables["production"] if r["source"].startswith(USGS_CITE)]
    assert {r["material"] for r in rows} == set(commodity)
    for r in rows:
        name = commodity[r["material"]]
        assert f", {name}:" in r["source"], r
        lines = [u for u in usgs if u["commodity"] == name]
        total = float(
            next(u for u in lines if u["country"].startswith("World total"))["production_2024"]
        )
        (line,) = [
            u
            for u in lines
            if not u["country"].startswith(("World", "Other"))
            and _code(u["country"]) == r["country"]
        ]
        assert float(r["share"]) == pytest.approx(
            float(line["production_2024"]) / total, abs=5e-4
        ), r


@pytest.mark.shared_data
def test_crm_act_status_matches_the_annexes(
    tables: dict[str, list[dict[str, str]]], shared_data: Path
) -> None:
    with (shared_data / "eu_crm" / "crma_2024_1252_annex_lists.csv").open(encoding="utf-8") as f:
        annex = {r["material"]: r for r in csv.DictReader(f)}
    status = {r["id"]: r["crma_2024"] for r in tables["items"] if r["kind"] == "material"}
    # A few materials and the annex entry that covers them.
    cover = {
        "M-ND": "Light rare earth elements",
        "M-DY": "Heavy rare earth elements",
        "M-GA": "Gallium",
        "M-MG": "Magnesium",
        "M-TA": "Tantalum",
        "M-NB": "Niobium",
    }
    for material, entry in cover.items():
        strategic = annex[entry]["strategic_annex_I"].startswith("yes")
        assert status[material].startswith("strategic" if strategic else "critical"), material
    assert status["M-CR"] == status["M-MO"] == status["M-FE"] == ""


@pytest.mark.shared_data
def test_french_suppliers_sit_in_their_commune_and_naf_codes_exist(
    tables: dict[str, list[dict[str, str]]], shared_data: Path
) -> None:
    places: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (shared_data / "geo_fr" / "geonames_cities1000_FR.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            places[r["name"]].append(r)
    naf = {
        e["id"]
        for e in json.loads(
            (shared_data / "nomenclatures" / "naf_rev2_socialgouv.json").read_text("utf-8")
        )
    }
    for s in tables["suppliers"]:
        assert s["naf"] in naf, s
        if s["country"] != "FR":
            continue
        matches = [
            p
            for p in places[s["city"]]
            if abs(float(p["latitude"]) - float(s["lat"])) < 1e-4
            and abs(float(p["longitude"]) - float(s["lon"])) < 1e-4
        ]
        assert matches, s
        assert matches[0]["admin1code"] == INSEE_REGION[s["region"]], s


def test_makers_volumes_and_crma(tables: dict[str, list[dict[str, str]]]) -> None:
    """Every product has a maker in FR-BFC and an annual volume; crma follows the annexes."""
    items = _by_id(tables["items"])
    suppliers = _by_id(tables["suppliers"])
    products = {i for i, r in items.items() if r["kind"] == "product"}
    made_in_bfc = set()
    for r in tables["makes"]:
        assert items[r["item"]]["kind"] == "product", r
        if suppliers[r["supplier"]]["region"] == "FR-BFC":
            made_in_bfc.add(r["item"])
    assert made_in_bfc == products
    for p in products:
        assert float(items[p]["annual_volume"]) > 0, p
    for r in tables["items"]:
        status = r["crma_2024"]
        expected = next((c for c in ("strategic", "critical") if status.startswith(c)), "")
        assert r["crma"] == expected, r["id"]
