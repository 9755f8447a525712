"""Ingestion: reading real files, loading, merging, store-aware validation, export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from filiere.cli import cli
from filiere.errors import DatasetError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest import export_dataset, load, read_tables, read_upload, validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "capteur"
EXCEL_TWIN = ROOT / "tests" / "data" / "ingest" / "capteur_excel"


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_french_excel_csv_loads_like_its_utf8_twin(store: GraphStore, tmp_path: Path) -> None:
    assert b";" in (EXCEL_TWIN / "items.csv").read_bytes()
    assert "é".encode("cp1252") in (EXCEL_TWIN / "items.csv").read_bytes()
    load(EXCEL_TWIN, store, source="capteur", progress=False)
    excel = store.export().canonical()
    twin = EmbeddedStore(tmp_path / "twin.json")
    load(EXAMPLE, twin, progress=False)
    assert excel == twin.export().canonical()
    item = store.get_node(Label.ITEM, "BOIT-INOX")
    assert item is not None
    assert item["name"] == "Boîtier en acier inoxydable"
    assert item["unit_value_eur"] == 35.5
    assert item["commentaire"] == "usiné à Belfort"
    supplier = store.get_node(Label.SUPPLIER, "S-LYO")
    assert supplier is not None
    assert supplier["city"] == "Lyon" and supplier["country"] == "FR"


def test_loading_twice_gives_the_same_graph(store: GraphStore) -> None:
    first = load(EXAMPLE, store, progress=False)
    assert first.summary is not None
    assert first.summary.created["Item"] == 10
    graph = store.export().canonical()
    second = load(EXAMPLE, store, progress=False)
    assert second.summary is not None
    assert sum(second.summary.created.values()) == 0
    assert second.summary.updated["Item"] == 10
    assert store.export().canonical() == graph


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def refused(store: GraphStore, dataset: Path) -> list[str]:
    """Load ``dataset``, which must be refused; check the store is unchanged; the errors."""
    before = store.export()
    with pytest.raises(DatasetError) as err:
        load(dataset, store, progress=False)
    assert store.export() == before
    return [str(i) for i in err.value.issues]


def test_second_dataset_merges_by_id(store: GraphStore, tmp_path: Path) -> None:
    load(EXAMPLE, store, progress=False)
    extra = _write(
        tmp_path / "ajout",
        {
            "items.csv": "id,name,kind\nCU,Cuivre électrolytique,material\nJOINT,Joint,component\n",
            # CAPT-DEB and S-BEL live in the store only: valid references.
            "bom.csv": "parent,child,quantity\nCAPT-DEB,JOINT,4\n",
            "supplies.csv": "supplier,item\nS-BEL,JOINT\n",
            "production.csv": "material,country,share\nND,Australie,0.05\n",
        },
    )
    report = load(extra, store, progress=False)
    assert report.summary is not None
    assert report.summary.created["Item"] == 1 and report.summary.updated["Item"] == 1
    cu = store.get_node(Label.ITEM, "CU")
    assert cu is not None
    assert cu["name"] == "Cuivre électrolytique"
    assert cu["hs_code"] == "740311"  # a missing column never erases a stored value
    assert cu["source"] == "ajout"
    assert store.counts()["Item"] == 11
    assert store.get_node(Label.ITEM, "CAPT-DEB") is not None
    contains = {(r.start, r.end) for r in store.relationships(Rel.CONTAINS)}
    assert ("CAPT-DEB", "JOINT") in contains and ("CAPT-DEB", "BOIT-INOX") in contains


def test_cycle_through_the_store_is_refused(store: GraphStore, tmp_path: Path) -> None:
    load(EXAMPLE, store, progress=False)
    bad = _write(
        tmp_path / "boucle",
        {
            "items.csv": "id,name,kind\nSOUS,Sous-ensemble,component\n",
            "bom.csv": "parent,child\nBOIT-INOX,SOUS\nSOUS,CAPT-DEB\n",
        },
    )
    assert refused(store, bad) == [
        "boucle/bom.csv:2: cycle in the bill of materials: "
        "BOIT-INOX -> SOUS -> CAPT-DEB -> BOIT-INOX"
    ]
    # With --replace, the store's content does not count: its items are unknown, its
    # bill of materials cannot close a cycle.
    with pytest.raises(DatasetError, match="unknown item 'CAPT-DEB'"):
        load(bad, store, replace=True, progress=False)
    (bad / "items.csv").write_text(
        "id,name,kind\nSOUS,Sous-ensemble,component\nBOIT-INOX,Boîtier,component\n"
        "CAPT-DEB,Capteur,product\n",
        encoding="utf-8",
    )
    load(bad, store, replace=True, progress=False)
    assert store.counts()["Item"] == 3


def test_production_for_a_stored_component_is_refused(store: GraphStore, tmp_path: Path) -> None:
    load(EXAMPLE, store, progress=False)
    bad = _write(
        tmp_path / "prod",
        {
            "items.csv": "id,name,kind\nX,Autre,material\n",
            "production.csv": "material,country,share\nAIM-NDFEB,CN,0.5\nINCONNU,CN,0.5\n",
        },
    )
    assert refused(store, bad) == [
        "prod/production.csv:2: production rows are for materials, "
        "and item 'AIM-NDFEB' is a component",
        "prod/production.csv:3: unknown item 'INCONNU' in column material",
    ]


UNDATED_NOTE = (
    ", more than 1, counting {undated} from rows without a year (rows without a year count"
    " as the latest year); give those rows a year or fix the shares"
)


def _production(share_of: dict[tuple[str, str, str], float]) -> str:
    """production.csv text from ``{(country, stage, year): share}`` rows for GA."""
    lines = [f"GA,{c},{v},{st},{y}" for (c, st, y), v in share_of.items()]
    return "material,country,share,stage,year\n" + "\n".join(lines) + "\n"


def _processing_shares(store: GraphStore, material: str) -> dict[tuple[str, int | None], float]:
    return {
        (r.start, r.props.get("year")): r.props["share"]
        for r in store.relationships(Rel.PRODUCES)
        if r.end == material and r.props["stage"] == "processing"
    }


def test_dated_rows_with_undated_ones_in_the_store_are_summed(
    store: GraphStore, tmp_path: Path
) -> None:
    # The example holds GA,CN,0.9,processing without a year: the analyses count it with
    # the latest year's rows, so 0.938 more for 2023 would make 184 % of world processing.
    load(EXAMPLE, store, progress=False)
    items = "id,name,kind\nGA,Gallium,material\n"
    bad = _write(
        tmp_path / "crm",
        {"items.csv": items, "production.csv": _production({("CN", "processing", "2023"): 0.938})},
    )
    assert refused(store, bad) == [
        "crm/production.csv:2: the production shares of 'GA' (processing, 2023) sum to 1.838 "
        "(line 2 and 0.9 already in the store)" + UNDATED_NOTE.format(undated=0.9)
    ]
    # Giving the stored row a new share (same country, stage and no year) replaces it:
    # 0.05 + 0.938 fits.
    fixed = _write(
        tmp_path / "crm-corrige",
        {
            "items.csv": items,
            "production.csv": _production(
                {("CN", "processing", "2023"): 0.938, ("CN", "processing", ""): 0.05}
            ),
        },
    )
    load(fixed, store, progress=False)
    assert _processing_shares(store, "GA") == {("CN", 2023): 0.938, ("CN", None): 0.05}
    # With --replace the store's rows do not count.
    load(bad, store, replace=True, progress=False)
    assert _processing_shares(store, "GA") == {("CN", 2023): 0.938}


def test_undated_rows_with_dated_ones_in_the_store_are_summed(
    store: GraphStore, tmp_path: Path
) -> None:
    # The example's neodymium extraction for 2022: CN 0.6 + US 0.15.
    load(EXAMPLE, store, progress=False)
    bad = _write(
        tmp_path / "sans-annee",
        {
            "items.csv": "id,name,kind\nX,Autre,material\n",
            "production.csv": "material,country,share\nX,CN,0.5\nND,Australie,0.3\n",
        },
    )
    assert refused(store, bad) == [
        "sans-annee/production.csv:3: the production shares of 'ND' (extraction, 2022) sum to "
        "1.05 (line 3 and 0.75 already in the store)" + UNDATED_NOTE.format(undated=0.3)
    ]


def test_a_new_year_counts_apart_from_the_previous_ones(store: GraphStore, tmp_path: Path) -> None:
    # 2022 (in the store, 0.75) and 2024 (0.9) add up to 1.65, but the analyses only ever
    # count one year: accepted.
    load(EXAMPLE, store, progress=False)
    newer = _write(
        tmp_path / "2024",
        {
            "items.csv": "id,name,kind\nND,Néodyme,material\n",
            "production.csv": "material,country,share,year\nND,CN,0.7,2024\nND,US,0.2,2024\n",
        },
    )
    load(newer, store, progress=False)
    years = {
        (r.start, r.props.get("year")): r.props["share"]
        for r in store.relationships(Rel.PRODUCES)
        if r.end == "ND" and r.props["stage"] == "extraction"
    }
    assert years == {("CN", 2022): 0.6, ("US", 2022): 0.15, ("CN", 2024): 0.7, ("US", 2024): 0.2}


def test_replace_empties_the_store_first(store: GraphStore, tmp_path: Path) -> None:
    load(EXAMPLE, store, progress=False)
    small = _write(tmp_path / "petit", {"items.csv": "id,name,kind\nZ,Zinc,material\n"})
    report = load(small, store, replace=True, progress=False)
    assert report.replaced
    assert store.counts() == {"Item": 1, "Material": 1}


def test_check_writes_nothing(store: GraphStore) -> None:
    report = load(EXAMPLE, store, check_only=True, progress=False)
    assert report.checked_only and report.rows["items"] == 10 and report.rows["bom"] == 8
    assert store.counts() == {}


def test_export_gives_back_the_loaded_rows(store: GraphStore, tmp_path: Path) -> None:
    load(EXAMPLE, store, progress=False)
    files = export_dataset(store, tmp_path / "out")
    assert sorted(p.name for p in files) == sorted(p.name for p in EXAMPLE.glob("*.csv"))
    for name in ("bom.csv", "supplies.csv", "offers.csv", "substitutes.csv"):
        key = sorted(rows_of(EXAMPLE / name), key=lambda r: sorted(r.items()))
        assert sorted(rows_of(tmp_path / "out" / name), key=lambda r: sorted(r.items())) == key
    items = {r["id"]: r for r in rows_of(tmp_path / "out" / "items.csv")}
    assert items["CAPT-DEB"]["kind"] == "product"  # written 'Product' in the example
    assert items["BOIT-INOX"]["commentaire"] == "usiné à Belfort"
    production = rows_of(tmp_path / "out" / "production.csv")
    assert {"material": "GA", "country": "CN", "share": "0.9", "stage": "processing",
            "year": "", "source": "exemple illustratif"} in production  # fmt: skip
    # Reloading the export gives the same graph.
    again = EmbeddedStore(tmp_path / "again.json")
    load(tmp_path / "out", again, source="capteur", progress=False)
    assert again.export().canonical() == store.export().canonical()


def test_upload_of_a_zip_and_of_a_workbook_reads_like_the_folder() -> None:
    folder = validate(read_tables(EXAMPLE), name="capteur")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in EXAMPLE.glob("*.csv"):
            z.write(p, f"capteur/{p.name}")
        z.writestr("__MACOSX/capteur/._items.csv", b"\x00\x01junk")
    assert validate(read_upload("capteur.zip", buf.getvalue()), name="capteur") == folder
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for p in sorted(EXAMPLE.glob("*.csv")):
        sheet = book.create_sheet(p.stem)
        for row in csv.reader(p.open(encoding="utf-8")):
            sheet.append([_typed(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    tables = read_upload("capteur.xlsx", out.getvalue())
    assert tables["items"].file == "capteur.xlsx[items]"
    assert validate(tables, name="capteur") == folder


def _typed(cell: str) -> str | float | None:
    """Numbers as Excel holds them; identifiers that look numeric (HS codes) stay numbers."""
    if cell == "":
        return None
    try:
        return float(cell) if "." in cell else int(cell)
    except ValueError:
        return cell


@pytest.mark.parametrize(
    ("data", "what"),
    [
        ("\ufeffid,name,kind\r\nA,Étain,material\r\n".encode(), "utf-8 BOM and CRLF"),
        ("id\tname\tkind\nA\tÉtain\tmaterial\n".encode(), "tab"),
        ("id;name;kind\nA;Étain;material\n".encode("utf-16"), "utf-16"),
        ('"id";"name";"kind"\n"A";" Étain ";"Material"\n'.encode("cp1252"), "quoted cp1252"),
    ],
)
def test_csv_variants_read_the_same(data: bytes, what: str) -> None:
    tables = read_upload("items.csv", data)
    dataset = validate(tables)
    assert [(i.id, i.name, i.kind.value) for i in dataset.items] == [("A", "Étain", "material")], (
        what
    )


def test_json_rows_report_their_own_line(tmp_path: Path) -> None:
    path = tmp_path / "lot.json"
    path.write_text(
        '{"items": [\n {"id": "A", "name": "Étain", "kind": "material"},\n'
        ' {"id": "B", "name": "Boîte", "kind": "product", "poids": 1.5}\n],\n'
        ' "bom": [{"parent": "B", "child": "A", "quantity": 0.25}]}\n',
        encoding="utf-8",
    )
    tables = read_tables(path)
    assert [line for line, _ in tables["items"].rows] == [2, 3]
    assert tables["bom"].rows == [(5, {"parent": "B", "child": "A", "quantity": "0.25"})]
    dataset = validate(tables)
    assert dataset.items[1].extras() == {"poids": "1.5"}
    assert dataset.bom[0].quantity == 0.25


def test_cli_ingest_and_export(tmp_path: Path) -> None:
    graph = tmp_path / "graph.json"
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(graph), "ingest", "--no-progress", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    # The analyst's words; the graph's own counts only with --verbose.
    assert "bill-of-materials links" in result.output and str(graph) in result.output
    assert "CONTAINS" not in result.output
    again = runner.invoke(
        cli, ["--store", str(graph), "ingest", "--no-progress", "--verbose", str(EXAMPLE)]
    )
    assert again.exit_code == 0 and "CONTAINS" in again.output
    fr = runner.invoke(
        cli, ["--lang", "fr", "--store", str(graph), "ingest", "--check", str(EXAMPLE)]
    )
    assert "liens de nomenclature" in fr.output and "fournisseurs" in fr.output
    check = runner.invoke(cli, ["--store", str(graph), "ingest", "--check", str(EXCEL_TWIN)])
    assert check.exit_code == 0 and "nothing written" in check.output
    out = tmp_path / "export"
    result = runner.invoke(cli, ["--store", str(graph), "export", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "items.csv").is_file() and (out / "production.csv").is_file()
    again = runner.invoke(cli, ["--store", str(tmp_path / "g2.json"), "ingest", str(out)])
    assert again.exit_code == 0, again.output


def test_batched_ingest_gives_the_same_graph(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "batch_size", 3, raising=False)  # many commits on Neo4j
    report = load(EXAMPLE, store, progress=False, atomic=False)
    assert report.summary is not None and report.summary.created["Item"] == 10
    reference = EmbeddedStore(tmp_path / "reference.json")
    load(EXAMPLE, reference, progress=False)
    assert store.export().canonical() == reference.export().canonical()
