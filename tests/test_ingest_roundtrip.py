"""Round trips (hypothesis): one generated dataset written as CSV, XLSX and JSON loads to
the same graph on both stores, and ``export_dataset`` gives back the same rows."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filiere.graph.model import TABLES, Dataset
from filiere.graph.store import GraphStore
from filiere.ingest import export_dataset, export_dataset_json, load, read_tables, validate
from filiere.ingest.build import build_batch, process_id
from filiere.ingest.values import format_number
from filiere.spreadsheet import read_text

Rows = dict[str, list[dict[str, Any]]]

# Letters French spreadsheets hold, plus the characters that CSV must quote. The
# Windows-1252 files leave out É and ß: followed by œ, they happen to be valid UTF-8
# and are read as such (see docs/dataset-format.md).
ALPHABET = "abcdeéèàçôœABCÉÀß0123456789 -_',;\"\n"
CP1252_ALPHABET = ALPHABET.replace("É", "").replace("ß", "")
IDS = st.text("ABCDEFGHJKXYZ0123456789-_é", min_size=1, max_size=6)
COUNTRIES = {"FR": "FR", "France": "FR", "DEU": "DE", "Chine": "CN", "united states": "US"}
REGIONS = {"FR": ["FR-BFC", "FR-ARA", "FR-90"], "DE": ["DE-BY"], "CN": [], "US": ["US-CA"]}
PRODUCERS = ["CN", "AU", "CL", "ZA"]


def _spreadsheet(x: float) -> float:
    """A workbook keeps 15 significant digits, as Excel does."""
    return float(f"{x:.15g}")


NUMBERS = st.floats(min_value=0.001, max_value=1e6).map(_spreadsheet)
UNIT = st.floats(0, 1).map(_spreadsheet)


def _text(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=1, max_size=12).map(str.strip).filter(bool)


@st.composite
def datasets(draw: st.DrawFn, french: bool = False) -> Rows:
    """A valid dataset as rows of Python values (None = empty cell)."""
    TEXT = _text(CP1252_ALPHABET if french else ALPHABET)
    ids = draw(st.lists(IDS, min_size=1, max_size=8, unique=True))
    items = [
        {
            "id": i,
            "name": draw(TEXT),
            "kind": draw(st.sampled_from(["product", "Component", "MATERIAL"])),
            "unit_value_eur": draw(st.none() | NUMBERS),
            "note": draw(st.none() | TEXT),
        }
        for i in ids
    ]
    for it in items:
        if it["kind"] == "product":
            it["annual_volume"] = draw(st.none() | NUMBERS | st.just(0.0))
        elif it["kind"] == "MATERIAL":
            it["crma"] = draw(st.sampled_from([None, "strategic", "critical"]))
    n = len(ids)
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    bom = [
        {"parent": ids[a], "child": ids[b], "quantity": draw(st.none() | NUMBERS)}
        for a, b in sorted(set(draw(st.lists(pairs, max_size=10))))
        if a < b  # edges go forward: a DAG
    ]
    sids = draw(st.lists(IDS, max_size=4, unique=True))
    suppliers = []
    for s in sids:
        country = draw(st.sampled_from(sorted(COUNTRIES)))
        regions = REGIONS[COUNTRIES[country]]
        suppliers.append(
            {
                "id": s,
                "name": draw(TEXT),
                "country": country,
                "region": draw(st.none() | st.sampled_from(regions)) if regions else None,
                "lat": draw(st.none() | st.floats(-90, 90).map(_spreadsheet)),
            }
        )
    supply_pairs = (
        sorted(set(draw(st.lists(st.tuples(st.sampled_from(sids), st.sampled_from(ids))))))
        if sids
        else []
    )
    supplies = [
        {"supplier": s, "item": i, "share": draw(st.sampled_from([None, 0.1, 0.25]))}
        for s, i in supply_pairs
    ]
    offers = [{"supplier": s, "item": i} for s, i in supply_pairs[: draw(st.integers(0, 3))]]
    products = [it["id"] for it in items if it["kind"] == "product"]
    makes = (
        [
            {"supplier": s, "item": i}
            for s, i in sorted(
                set(draw(st.lists(st.tuples(st.sampled_from(sids), st.sampled_from(products)))))
            )
        ]
        if sids and products
        else []
    )
    substitutes = [
        {"item": ids[a], "substitute": ids[b], "compatibility": draw(st.none() | UNIT)}
        for a, b in sorted(set(draw(st.lists(pairs, max_size=4))))
        if a != b
    ]
    names = ["Usinage", "soudage", "Fonderie sable"]
    processes = [
        {"item": ids[i], "process": names[p]}
        for i, p in sorted(set(draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 2))))))
    ]
    capabilities = [
        {"supplier": s, "process": names[p]}
        for s, p in sorted(set(draw(st.lists(st.tuples(st.sampled_from(sids), st.integers(0, 2))))))
    ] if sids else []  # fmt: skip
    materials = [it["id"] for it in items if str(it["kind"]).lower() == "material"]
    production = []
    for m in materials:
        for c in draw(st.lists(st.sampled_from(PRODUCERS), max_size=4, unique=True)):
            production.append(
                {
                    "material": m,
                    "country": c,
                    "share": draw(st.sampled_from([0.1, 0.2])),
                    "stage": draw(st.sampled_from([None, "extraction", "processing"])),
                    "year": draw(st.sampled_from([None, 2022])),
                    "source": draw(st.none() | TEXT),
                }
            )
    # Unique (material, country, stage, year): keep the first of each.
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in production:
        key = (p["material"], p["country"], p["stage"] or "extraction", p["year"])
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return {
        "items": items,
        "bom": bom,
        "suppliers": suppliers,
        "supplies": supplies,
        "offers": offers,
        "makes": makes,
        "substitutes": substitutes,
        "processes": processes,
        "capabilities": capabilities,
        "production": unique,
    }


def expected_dataset(rows: Rows) -> Dataset:
    """The dataset the rows mean, built directly from the models (no reader involved)."""
    tables: dict[str, list[Any]] = {}
    for name, table in rows.items():
        models = []
        for row in table:
            # Documented: a leading ' before = + - @ or ' is the text marker, read off.
            values = {
                k: read_text(v) if isinstance(v, str) else v
                for k, v in row.items()
                if v is not None
            }
            if "country" in values:
                values["country"] = COUNTRIES.get(values["country"], values["country"])
            if "process" in values:
                values["process"] = process_id(values["process"])
            models.append(TABLES[name].model_validate(values))
        tables[name] = models
    return Dataset(name="gen", **tables)


def _columns(table: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for row in table for k in row))


def _cell(v: Any, decimal_comma: bool) -> str:
    if v is None:
        return ""
    if isinstance(v, float | int):
        s = format_number(v)
        return s.replace(".", ",") if decimal_comma else s
    return str(v)


def write_csv(rows: Rows, folder: Path, french: bool) -> Path:
    """UTF-8 with ``,``, or French Excel style: ``;``, cp1252, decimal comma, CRLF."""
    folder.mkdir(parents=True)
    for name, table in rows.items():
        if not table:
            continue
        cols = _columns(table)
        enc, delim, eol = ("cp1252", ";", "\r\n") if french else ("utf-8", ",", "\n")
        with (folder / f"{name}.csv").open("w", encoding=enc, newline="") as f:
            w = csv.writer(f, delimiter=delim, lineterminator=eol)
            w.writerow([c.upper() if french else c for c in cols])
            for row in table:
                w.writerow([_cell(row.get(c), french) for c in cols])
    return folder


def write_xlsx(rows: Rows, path: Path) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for name, table in rows.items():
        if not table:
            continue
        sheet = book.create_sheet(name)
        cols = _columns(table)
        sheet.append(cols)
        for row in table:
            sheet.append([row.get(c) for c in cols])
    book.save(path)
    return path


def write_json(rows: Rows, path: Path) -> Path:
    data = {name: table for name, table in rows.items() if table or name == "items"}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _table_rows(dataset: Dataset, name: str) -> list[str]:
    """Rows as sorted JSON; -0.0 counts as 0.0 (the readers read negative zero as zero)."""

    def plain(value: object) -> object:
        return value + 0.0 if isinstance(value, float) else value

    return sorted(
        json.dumps({k: plain(v) for k, v in m.model_dump().items()}, sort_keys=True)
        for m in getattr(dataset, name)
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_format_loads_the_same_graph_and_exports_the_same_rows(
    store: GraphStore, data: st.DataObject
) -> None:
    french = data.draw(st.booleans(), label="french")
    rows = data.draw(datasets(french), label="rows")
    expected = expected_dataset(rows)
    graph = build_batch(expected, source="gen").canonical()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        paths = [
            write_csv(rows, base / "csv", french),
            write_xlsx(rows, base / "gen.xlsx"),
            write_json(rows, base / "gen.json"),
        ]
        for path in paths:
            store.clear()
            load(path, store, source="gen", progress=False)
            assert store.export().canonical() == graph, path.name
        export_dataset(store, base / "export")
        back = validate(read_tables(base / "export"), name="gen")
        export_dataset_json(store, base / "export.json")
        back_json = validate(read_tables(base / "export.json"), name="gen")
    # Documented normalisations: a production row without a source gets the dataset's.
    for p in expected.production:
        if p.source is None:
            object.__setattr__(p, "source", "gen")
    for name in TABLES:
        assert _table_rows(back, name) == _table_rows(expected, name), name
        assert _table_rows(back_json, name) == _table_rows(expected, name), name
