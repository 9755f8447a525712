"""Exporting the store back to the dataset format: one UTF-8 CSV file per non-empty table,
or one JSON file holding them all.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return, plain numbers aside) is written after a text marker
``'`` (see :mod:`filiere.spreadsheet`); ingestion drops the marker, so the values read
back exactly.

The files read back to the same rows: items keep their kind, production rows their
stage, year and source, extra columns their values. Reference data (countries,
regions, HS codes) is built in and not exported.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from filiere.graph.records import GraphBatch
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest.values import cell_text
from filiere.spreadsheet import csv_text

#: Known columns of each table, in the order they are written.
COLUMNS: dict[str, tuple[str, ...]] = {
    "items": (
        "id",
        "name",
        "kind",
        "hs_code",
        "unit",
        "unit_value_eur",
        "annual_volume",
        "crma",
        "description",
    ),
    "bom": ("parent", "child", "quantity"),
    "suppliers": ("id", "name", "country", "region", "city", "lat", "lon", "siren", "naf"),
    "supplies": ("supplier", "item", "share"),
    "offers": ("supplier", "item"),
    "makes": ("supplier", "item"),
    "substitutes": ("item", "substitute", "compatibility"),
    "processes": ("item", "process"),
    "capabilities": ("supplier", "process"),
    "production": ("material", "country", "share", "stage", "year", "source"),
}

#: Relationship type -> (table, column of the start node, column of the end node).
REL_TABLES: dict[Rel, tuple[str, str, str]] = {
    Rel.CONTAINS: ("bom", "parent", "child"),
    Rel.SUPPLIES: ("supplies", "supplier", "item"),
    Rel.OFFERS: ("offers", "supplier", "item"),
    Rel.MAKES: ("makes", "supplier", "item"),
    Rel.SUBSTITUTES: ("substitutes", "substitute", "item"),
    Rel.REQUIRES: ("processes", "item", "process"),
    Rel.MASTERS: ("capabilities", "supplier", "process"),
    Rel.PRODUCES: ("production", "country", "material"),
}

_NODE_TABLES = {Label.ITEM: "items", Label.SUPPLIER: "suppliers"}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(_text(v) for v in value)
    return cell_text(value)


def _props(props: Mapping[str, Any], table: str) -> dict[str, Any]:
    keep_source = table == "production"
    return {
        k: v
        for k, v in props.items()
        if k != "loaded_at" and (k != "source" or keep_source) and v is not None
    }


def _json_value(value: Any) -> Any:
    """A JSON cell: numbers and booleans as they are, text (lists joined) with the marker."""
    if isinstance(value, bool | int | float):
        return value
    return csv_text(_text(value))


def dataset_rows(
    batch: GraphBatch, value: Callable[[Any], Any] = _text
) -> dict[str, list[dict[str, Any]]]:
    """The dataset tables that ``batch`` holds, as rows of ``value(cell)`` (text by default)."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in batch.nodes:
        table = _NODE_TABLES.get(n.label)
        if table is None:
            continue
        props = _props(n.props, table)
        if table == "items" and "kind" not in props:
            props["kind"] = next((x.value.lower() for x in n.extra_labels), "")
        rows[table].append({k: value(v) for k, v in props.items()})
    for r in batch.rels:
        spec = REL_TABLES.get(r.type)
        if spec is None:
            continue
        table, start_col, end_col = spec
        row = {start_col: r.start, end_col: r.end}
        row.update({k: value(v) for k, v in _props(r.props, table).items()})
        rows[table].append(row)
    return dict(rows)


def _columns(table: str, rows: list[dict[str, Any]]) -> list[str]:
    known = COLUMNS[table]
    present = {k for row in rows for k in row}
    return [c for c in known if c in present or c in known[:2]] + sorted(present - set(known))


def export_dataset(store: GraphStore, directory: str | Path) -> list[Path]:
    """Write the store's dataset tables as CSV files in ``directory``; return the files."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tables = dataset_rows(store.export())
    written: list[Path] = []
    for table in COLUMNS:
        rows = tables.get(table)
        if not rows:
            continue
        columns = _columns(table, rows)
        path = out / f"{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([csv_text(row.get(c, "")) for c in columns])
        written.append(path)
    return written


def export_dataset_json(store: GraphStore, path: str | Path) -> list[str]:
    """Write the store's dataset as one JSON file (``{"items": [...], ...}``, one row per
    line, numbers as numbers); return the tables written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tables = dataset_rows(store.export(), _json_value)
    names = [t for t in COLUMNS if tables.get(t)]
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    with out.open("w", encoding="utf-8", newline="\n") as f:
        f.write("{")
        for i, table in enumerate(names):
            columns = _columns(table, tables[table])
            f.write(("," if i else "") + "\n" + dumps(table) + ": [")
            for j, row in enumerate(tables[table]):
                cells = {c: row[c] for c in columns if c in row}
                f.write(("," if j else "") + "\n  " + dumps(cells))
            f.write("\n]")
        f.write("\n}\n")
    return names
