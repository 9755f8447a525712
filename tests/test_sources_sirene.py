"""``filiere import sirene``: active establishments become suppliers with capabilities."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from filiere import queries as q
from filiere.cli import cli
from filiere.errors import DatasetError
from filiere.graph.model import Dataset, Item, ProcessNeed
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.sources.common import SourceError
from filiere.sources.geo import communes
from filiere.sources.sirene import import_sirene, read_naf_table

DATA = Path(__file__).parent / "data" / "sources"
STOCK = DATA / "sirene" / "StockEtablissement_utf8.csv"
UNITS = DATA / "sirene" / "StockUniteLegale_utf8.csv"
BELFORT = DATA / "sirene_belfort" / "StockEtablissement_utf8.csv"
NAME = STOCK.name


def _name(store: GraphStore, supplier: str) -> object:
    node = store.get_node(Label.SUPPLIER, supplier)
    assert node is not None, supplier
    return node["name"]


def _masters(store: GraphStore) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in store.relationships(Rel.MASTERS):
        out.setdefault(r.start, set()).add(r.end)
    return out


def test_active_establishments_become_located_suppliers(embedded_store: GraphStore) -> None:
    report = import_sirene(STOCK, embedded_store, units=UNITS, progress=False)
    meca = embedded_store.get_node(Label.SUPPLIER, "siret:55210055400017")
    assert meca is not None
    assert (meca["name"], meca["country"], meca["region"], meca["city"]) == (
        "MECANIQUE DU DOUBS",
        "FR",
        "FR-BFC",
        "Montbéliard",
    )
    assert (meca["naf"], meca["siren"], meca["departement"]) == ("25.62B", "552100554", "25")
    assert meca["source"] == f"INSEE SIRENE (stock établissements), {NAME}"
    # closed (F), NAF rev.1 and no-process (70.10Z holding) establishments are left out
    assert embedded_store.get_node(Label.SUPPLIER, "siret:55210055400025") is None
    assert embedded_store.get_node(Label.SUPPLIER, "siret:31822012300031") is None
    assert embedded_store.get_node(Label.SUPPLIER, "siret:54206547900013") is None
    # names: usual name, else sign (enseigne), else the legal unit's name
    assert _name(embedded_store, "siret:38012986600046") == "FONDERIE COMTOISE"
    assert _name(embedded_store, "siret:30194021900029") == "INSTRUMENTS DE BOURGOGNE SAS"
    # capabilities are canonical process ids (the NAF table's process column)
    masters = _masters(embedded_store)
    assert masters["siret:55210055400017"] == {
        "machining",
        "turning",
        "milling",
        "5-axis machining",
        "grinding",
        "welding",
    }
    assert masters["siret:38012986600046"] == {
        "casting",
        "iron casting",
        "ductile iron casting",
        "sand casting",
        "heat treatment",
        "machining",
    }
    assert masters["siret:43276694700011"] == {
        "electric motors",
        "winding",
        "impregnation",
        "magnetisation",
    }
    assert masters["siret:41020123400018"] == {"heat treatment", "surface treatment", "coating"}
    assert masters["siret:30194021900029"] == {"measuring instruments", "sensors"}
    usinage = embedded_store.get_node(Label.PROCESS, "machining")
    assert usinage is not None and (usinage["name"], usinage["name_fr"]) == ("machining", "usinage")
    located = {(r.start, r.end) for r in embedded_store.relationships(Rel.LOCATED_IN)}
    assert ("siret:77568476400012", "FR-ARA") in located
    assert report.counts == {"rows": 9, "kept": 6}
    assert any("closed" in n for n in report.notes)


def test_filters_apply_while_reading(embedded_store: GraphStore) -> None:
    report = import_sirene(STOCK, embedded_store, regions=["fr-bfc"], naf=["25.6"], progress=False)
    kept = {r.start for r in embedded_store.relationships(Rel.MASTERS)}
    assert kept == {"siret:55210055400017", "siret:41020123400018"}  # not Lyon's 25.62B
    assert report.counts["kept"] == 2
    dep = import_sirene(STOCK, embedded_store, departements=["90"], check_only=True, progress=False)
    assert dep.counts["kept"] == 1 and dep.checked_only


def test_all_activities_and_custom_naf_table(tmp_path: Path, embedded_store: GraphStore) -> None:
    table = tmp_path / "naf.csv"
    table.write_text("naf,process\n70.1,gestion\n")
    import_sirene(STOCK, embedded_store, naf_table=table, progress=False)
    assert _masters(embedded_store) == {"siret:54206547900013": {"gestion"}}  # free vocabulary
    import_sirene(STOCK, embedded_store, naf_table=table, all_activities=True, progress=False)
    assert embedded_store.get_node(Label.SUPPLIER, "siret:43276694700011") is not None


def test_malformed_rows_are_reported_and_nothing_written(embedded_store: GraphStore) -> None:
    bad = DATA / "sirene_bad" / NAME
    with pytest.raises(DatasetError) as e:
        import_sirene(bad, embedded_store, progress=False)
    assert [str(i) for i in e.value.issues] == [
        f"{NAME}:3: siret must be 14 digits, got '5521005500017'",
        f"{NAME}:4: etatAdministratifEtablissement must be A or F, got 'X'",
        f"{NAME}:5: activitePrincipaleEtablissement must be a NAF code such as 25.62B, got '27.1'",
    ]
    assert embedded_store.counts() == {}


def test_missing_columns_and_bad_options(tmp_path: Path, embedded_store: GraphStore) -> None:
    f = tmp_path / "stock.csv"
    f.write_text("siren,siret,etat\n552100554,55210055400017,A\n")
    with pytest.raises(DatasetError) as e:
        import_sirene(f, embedded_store, progress=False)
    assert (
        "stock.csv:1: missing column 'etatAdministratifEtablissement' (not a SIRENE stock file?)"
    ) in [str(i) for i in e.value.issues]
    with pytest.raises(SourceError, match="unknown region"):
        import_sirene(STOCK, embedded_store, regions=["FR-XYZ"], progress=False)
    bad_table = tmp_path / "naf.csv"
    bad_table.write_text("naf,process\nfoo,usinage\n25.62B,\n")
    with pytest.raises(DatasetError) as e:
        read_naf_table(bad_table)
    assert [str(i) for i in e.value.issues] == [
        "naf.csv:2: not a NAF code or prefix: 'foo'",
        "naf.csv:3: empty process",
    ]


def test_chunked_writes_give_the_same_graph(tmp_path: Path) -> None:
    from filiere.graph.embedded import EmbeddedStore

    one, many = EmbeddedStore(tmp_path / "a.json"), EmbeddedStore(tmp_path / "b.json")
    import_sirene(STOCK, one, progress=False)
    import_sirene(STOCK, many, chunk_size=2, progress=False)
    assert one.export().canonical() == many.export().canonical()
    counts = many.counts()
    import_sirene(STOCK, many, chunk_size=2, progress=False)
    assert many.counts() == counts  # idempotent


def test_suppliers_show_up_as_capability_routes(store: GraphStore) -> None:
    store.write(
        build_batch(
            Dataset(
                items=[Item(id="BOIT", name="Boîtier usiné", kind="component")],
                processes=[ProcessNeed(item="BOIT", process="usinage")],
            )
        )
    )
    import_sirene(STOCK, store, progress=False)
    routes = q.routes(store, "BOIT", region="FR-BFC").routes
    found = {(r.supplier, r.kind, r.tier, r.region) for r in routes}
    assert ("siret:55210055400017", "capability", 1, "FR-BFC") in found  # Montbéliard
    assert ("siret:77568476400012", "capability", 2, "FR-ARA") in found  # Lyon
    assert ("siret:38012986600046", "capability", 1, "FR-BFC") in found  # a foundry machines
    assert {r.supplier for r in routes} == {
        "siret:55210055400017",
        "siret:77568476400012",
        "siret:38012986600046",
    }


def test_custom_naf_table_in_french_gives_canonical_ids(tmp_path: Path) -> None:
    table = tmp_path / "naf.csv"
    table.write_text("naf,process\n25.62B,Usinage\n25.62B,Fonderie d'acier\n24.5,FONDERIE\n")
    assert read_naf_table(table).processes("25.62B") == ("machining", "steel casting")
    assert read_naf_table(table).processes("24.51Z") == ("casting",)


def test_the_shipped_naf_table_holds_canonical_ids_and_their_french_labels() -> None:
    import csv

    from filiere.graph.processes import default_vocabulary_path, read_vocabulary
    from filiere.sources.sirene import default_naf_table_path

    vocab = read_vocabulary(default_vocabulary_path())
    with default_naf_table_path().open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) > 50
    for r in rows:
        assert r["process"] in vocab.processes, r
        assert r["process_fr"] == vocab.processes[r["process"]].name_fr, r
    assert read_naf_table().processes("25.62B") == (
        "5-axis machining",
        "grinding",
        "machining",
        "milling",
        "turning",
        "welding",
    )


def test_sirene_firms_are_capability_routes_for_demo_items(store: GraphStore) -> None:
    """The demo (English process ids) and a SIRENE import (NAF table) meet on one process id."""
    from importlib.resources import as_file, files

    from filiere.ingest import load

    with as_file(files("filiere") / "data" / "demo") as demo:
        load(demo, store, progress=False)
    import_sirene(STOCK, store, progress=False)
    # C-SPINDLE-HOUSING requires machining + grinding; 25.62B (mécanique industrielle) masters both
    routes = q.routes(store, "C-SPINDLE-HOUSING", region="FR-BFC").routes
    found = {(r.supplier, r.kind, r.tier, r.region) for r in routes}
    assert ("siret:55210055400017", "capability", 1, "FR-BFC") in found  # Montbéliard
    assert ("siret:77568476400012", "capability", 2, "FR-ARA") in found  # Lyon
    # C-VALVE-BODY also requires heat treatment, which 25.62B does not give
    body = {r.supplier for r in q.routes(store, "C-VALVE-BODY", region="FR-BFC").routes}
    assert "siret:55210055400017" not in body
    # one Process node per process: the demo's "machining" is the SIRENE firms' "usinage"
    required = {r.end for r in store.relationships(Rel.REQUIRES)}
    mastered = {r.end for r in store.relationships(Rel.MASTERS) if r.start.startswith("siret:")}
    assert {"machining", "grinding", "welding"} <= required & mastered
    assert store.get_node(Label.PROCESS, "usinage") is None


def test_shipped_naf_table_is_documented_and_covers_the_demo() -> None:
    """Each row says why the NAF activity implies the process; no row is repeated."""
    import csv
    from importlib.resources import files

    from filiere.sources.sirene import default_naf_table_path

    with default_naf_table_path().open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["naf", "process", "process_fr", "naf_label", "note"]
        rows = list(reader)
    assert all(r["note"].strip() and r["naf_label"].strip() for r in rows)
    pairs = [(r["naf"], r["process"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    # every process a demo item requires comes from some NAF code, except the magnet-making
    # steps that no NAF activity implies (magnet makers sit in catch-all classes)
    with (files("filiere") / "data" / "demo" / "processes.csv").open(encoding="utf-8") as f:
        required = {r["process"] for r in csv.DictReader(f)}
    mapped = {r["process"] for r in rows}
    assert required - mapped == {"strip casting", "jet milling", "field pressing"}


def test_specialised_processes_come_from_the_naf_code() -> None:
    table = read_naf_table()
    assert {"ductile iron casting", "heat treatment", "machining"} <= set(table.processes("24.51Z"))
    assert {"steel casting", "centrifugal casting"} <= set(table.processes("24.52Z"))
    assert "die casting" in table.processes("24.53Z")
    assert "bar turning" in table.processes("25.62A")
    assert {"winding", "impregnation", "magnetisation"} <= set(table.processes("27.11Z"))
    assert "non-destructive testing" in table.processes("71.20B")
    assert table.processes("70.10Z") == ()  # a holding implies no process


def test_a_belfort_iron_foundry_is_a_local_route_for_the_demo_bearing_housing(
    store: GraphStore,
) -> None:
    """An active 24.51Z foundry in Belfort (90010) can cast the demo's ductile-iron housing."""
    from importlib.resources import as_file, files

    from filiere.ingest import load

    with as_file(files("filiere") / "data" / "demo") as demo:
        load(demo, store, progress=False)
    before = {r.supplier for r in q.routes(store, "C-BEARING-HOUSING", region="FR-BFC").routes}
    import_sirene(BELFORT, store, progress=False)
    routes = q.routes(store, "C-BEARING-HOUSING", region="FR-BFC").routes
    found = {(r.supplier, r.kind, r.via, r.tier, r.region) for r in routes}
    foundry = ("siret:52345678100014", "capability", "C-BEARING-HOUSING", 1, "FR-BFC")
    assert foundry in found
    new = {r.supplier for r in routes} - before
    # not its closed site, nor a machine shop that cannot cast
    assert new == {"siret:52345678100014"}
    node = store.get_node(Label.SUPPLIER, "siret:52345678100014")
    assert node is not None and (node["name"], node["city"]) == ("FONDERIE DU LION", "Belfort")


def test_cli(tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "g.json")]
    out = CliRunner().invoke(
        cli, [*store, "import", "sirene", str(STOCK), "--region", "FR-BFC", "--no-progress"]
    )
    assert out.exit_code == 0, out.output
    assert "5 establishment(s) kept" in out.output and "MASTERS" in out.output
    bad = CliRunner().invoke(
        cli, [*store, "import", "sirene", str(DATA / "sirene_bad" / NAME), "--no-progress"]
    )
    assert bad.exit_code == 1 and f"{NAME}:3: siret must be 14 digits" in bad.output


def test_geography_table() -> None:
    geo = communes()
    assert geo["25056"].region == "FR-BFC" and geo["75108"].region == "FR-IDF"
    assert geo["2A004"].departement == "2A" and geo["2A004"].region == "FR-20R"
    assert geo["97105"].region == "FR-971"


@pytest.mark.shared_data
def test_geography_matches_the_official_files(shared_data: Path) -> None:
    import json

    records = json.loads((shared_data / "geo_fr" / "communes.json").read_text(encoding="utf-8"))
    current = [r for r in records if r["type"] == "commune-actuelle"]
    geo = communes()
    assert all(r["code"] in geo and geo[r["code"]].departement == r["departement"] for r in current)
