"""The fast path of the import files: written from a checked dataset's rows.

``filiere neo4j import`` writes its files from the checked rows
(:mod:`filiere.ingest.admin_rows`) instead of records; these tests check that the files
hold what the records of the same dataset hold (``dataset_batch``, the reference), on
the cases the rows decide: French text with quotes, ``;`` and line breaks, extra
columns, defaults of empty fields, empty tables, and a
column whose values have two types (the records path then writes it).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress
from test_neo4j_admin_csv import read_back

from filiere.ingest import admin_rows
from filiere.ingest.neo4j_admin import dataset_batch, dataset_records, write_admin_csv
from filiere.neo4j_local import bulk_import

ITEMS = """\
id,name,kind,hs_code,unit_value_eur,note
P1,"Turbine ""Kaplan"" ; 5 MW",product,841012,2800000,"à l'étude ; lot n°2"
C1,"Roue
moulée, inox",component,,,
M1,Néodyme,material,280530,,
"""
BOM = """\
parent,child,quantity,remarque
P1,C1,2,fiche BOM ; v2
C1,M1,,
"""
SUPPLIERS = '''\
id,name,country,region
S1,"Fonderies ""Creusotines""",FR,FR-BFC
S2,Hitachi,JP,
'''
SUPPLIES = """\
supplier,item,share
S1,C1,0.7
S2,C1,
"""
PRODUCTION = """\
material,country,share,stage,year,source
M1,CN,0.68,extraction,2023,"CE, étude 2023"
M1,AU,0.1,extraction,,
"""
SUBSTITUTES = """\
item,substitute,compatibility
C1,P1,
"""
PROCESSES = """\
item,process
C1,Usinage
C1,fonderie acier
"""


def _dataset(tmp_path: Path, **tables: str) -> Path:
    folder = tmp_path / "jeu"
    folder.mkdir()
    files = {
        "items": ITEMS,
        "bom": BOM,
        "suppliers": SUPPLIERS,
        "supplies": SUPPLIES,
        "production": PRODUCTION,
        "substitutes": SUBSTITUTES,
        "processes": PROCESSES,
        **tables,
    }
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def _same_as_records(folder: Path, out: Path) -> None:
    """The files written from the rows hold the records' graph, in the same files."""
    records = dataset_records(folder)
    assert admin_rows.plan(records) is not None  # the fast path, not the fallback
    fast = write_admin_csv(records, out / "rows")
    batch = dataset_batch(folder, source=records.source)
    built = write_admin_csv(batch, out / "records")
    assert (fast.node_files, fast.rel_files) == (built.node_files, built.rel_files)
    assert (fast.nodes, fast.relationships, fast.counts) == (
        built.nodes,
        built.relationships,
        built.counts,
    )
    assert fast.multiline == built.multiline
    back = read_back(out / "rows", fast.node_files, fast.rel_files)
    assert back.canonical() == batch.canonical()
    assert {n.props["loaded_at"] for n in back.nodes} == {records.loaded_at}


def test_rows_write_the_records_graph(tmp_path: Path) -> None:
    folder = _dataset(tmp_path)
    _same_as_records(folder, tmp_path)
    records = dataset_records(folder)
    files = write_admin_csv(records, tmp_path / "again")
    assert files.multiline and "--multiline-fields=true" in files.arguments()
    back = read_back(tmp_path / "again", files.node_files, files.rel_files)
    items = {n.key: n for n in back.nodes if n.label.value == "Item"}
    assert items["P1"].props["name"] == 'Turbine "Kaplan" ; 5 MW'
    assert items["P1"].props["note"] == "à l'étude ; lot n°2"
    assert items["C1"].props["name"] == "Roue\nmoulée, inox"
    contains = {(r.start, r.end): r.props for r in back.rels if r.type.value == "CONTAINS"}
    assert contains[("P1", "C1")]["remarque"] == "fiche BOM ; v2"
    assert contains[("C1", "M1")] == {
        "quantity": 1.0,  # the field's default for an empty cell
        "source": records.source,
        "loaded_at": records.loaded_at,
    }
    produces = {r.start: r.props for r in back.rels if r.type.value == "PRODUCES"}
    assert produces["CN"]["source"] == "CE, étude 2023" and produces["CN"]["year"] == 2023
    assert produces["AU"]["source"] == records.source and "year" not in produces["AU"]


def test_empty_tables_and_columns_write_no_file(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path,
        offers="supplier,item\n",
        suppliers="id,name,country,region\nS1,Fonderie,FR,\nS2,Hitachi,JP,\n",
    )
    _same_as_records(folder, tmp_path)
    names = {p.name for p in (tmp_path / "rows").iterdir()}
    assert "rels-LOCATED_IN-Supplier-Country.csv" in names
    assert not {"rels-OFFERS-Supplier-Item.csv", "rels-LOCATED_IN-Supplier-Region.csv"} & names


def test_a_column_with_two_types_goes_through_the_records(tmp_path: Path) -> None:
    records = dataset_records(_dataset(tmp_path))
    items = records.dataset.tables["items"]
    at = items.index["note"]
    row = items.rows[1]  # C1, no note
    assert row.model is not None and row.model[at] is None
    row.model = (*row.model[:at], 7, *row.model[at + 1 :])  # a number among texts
    assert admin_rows.plan(records) is None
    files = write_admin_csv(records, tmp_path / "out")
    assert [f for f in files.node_files if f.startswith("nodes-Item")] == [
        "nodes-Item-1.csv",
        "nodes-Item-2.csv",
    ]
    back = read_back(tmp_path / "out", files.node_files, files.rel_files)
    assert back.canonical() == records.batch().canonical()
    notes = {n.key: n.props.get("note") for n in back.nodes if n.label.value == "Item"}
    assert notes == {"P1": "à l'étude ; lot n°2", "C1": 7, "M1": None}


def test_progress_adds_up_to_its_total(tmp_path: Path) -> None:
    """The progress bar of ``filiere neo4j import`` ends full, on either path."""
    folder = _dataset(tmp_path)
    records = dataset_records(folder)
    for name, source in (("rows", records), ("records", dataset_batch(folder))):
        done: list[int] = []
        totals: list[int] = []
        write_admin_csv(source, tmp_path / name, progress=done.append, total=totals.append)
        assert len(totals) == 1 and totals[0] > 0
        assert sum(done) == totals[0], name


def test_the_import_step_bar_fills_as_the_files_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``filiere neo4j import``'s "writing the import files" bar: its total, then full."""
    bars: list[Progress] = []

    def bar(**_kw: Any) -> Progress:
        bars.append(Progress(console=Console(file=io.StringIO())))
        return bars[-1]

    monkeypatch.setattr(bulk_import, "progress_bar", bar)
    records = dataset_records(_dataset(tmp_path))
    with bulk_import._steps(True) as step, step("files") as task:
        write_admin_csv(records, tmp_path / "out", progress=task, total=task.set_total)
        (shown,) = bars[0].tasks
        assert shown.total is not None and shown.total > 0
        assert shown.completed == shown.total
