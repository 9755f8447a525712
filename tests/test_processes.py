"""The process vocabulary: English and French names of one process meet on one canonical id."""

from __future__ import annotations

import csv
import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from filiere.errors import DatasetError
from filiere.graph.model import Capability, Dataset, Item, ProcessNeed, Supplier
from filiere.graph.processes import (
    canonical_process,
    default_vocabulary_path,
    process_info,
    read_vocabulary,
    vocabulary,
)
from filiere.graph.records import GraphBatch
from filiere.graph.schema import Label, Rel
from filiere.ingest import read_tables, validate
from filiere.ingest.build import build_batch, process_id

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "capteur"
DEMO = Path(str(files("filiere") / "data" / "demo"))
#: The processes of the French example and their English names.
ENGLISH = {
    "usinage": "Machining",
    "soudage": "welding",
    "frittage": "Sintering",
    "report CMS": "PCB assembly",
    "bobinage": "winding",
}


def _names(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["process"] for r in csv.DictReader(f)}


def test_french_english_case_accents_and_spaces_meet() -> None:
    cases = {
        "machining": ["Usinage", "usinage CNC", " USINAGE ", "CNC machining", "machining"],
        "steel casting": ["Fonderie acier", "fonderie d'acier", "Moulage acier", "cast steel"],
        "pcb assembly": ["report CMS", "Report  cms", "assemblage de cartes", "PCBA", "SMT"],
        "bar turning": ["décolletage", "DECOLLETAGE", "Bar turning"],
        "sintering": ["frittage", "Métallurgie des poudres", "powder metallurgy"],
        "heat treatment": ["traitement thermique", "Traitements thermiques", "heat treating"],
        "ductile iron casting": ["fonderie fonte GS", "fonte ductile", "SG iron casting"],
        "5-axis machining": ["usinage 5 axes", "5 axis machining", "five-axis machining"],
        "electrical discharge machining": ["électroérosion", "Electro-érosion", "EDM"],
        "injection moulding": ["injection plastique", "injection molding", "Injection"],
    }
    for pid, names in cases.items():
        assert {canonical_process(n) for n in names} == {pid}, pid
        assert process_id(names[0]) == pid


def test_unknown_names_stay_as_themselves() -> None:
    assert canonical_process("  Gravure   Chimique ") == "gravure chimique"
    assert process_info("gravure chimique") is None
    # close to a known name is not the known name: no guessing
    assert canonical_process("usinage chimique") == "usinage chimique"
    assert canonical_process("fonderie") != canonical_process("fonderie acier")


def test_canonical_ids_are_fixed_points() -> None:
    vocab = vocabulary()
    assert len(vocab.processes) >= 80
    for pid, info in vocab.processes.items():
        assert pid == pid.lower() and pid == " ".join(pid.split())
        for name in (pid, info.name_fr, *info.aliases):
            assert canonical_process(name) == pid, name
            assert canonical_process(canonical_process(name)) == pid


def test_the_common_processes_of_the_field_are_covered() -> None:
    expected = {
        "casting", "steel casting", "iron casting", "ductile iron casting", "aluminium casting",
        "die casting", "investment casting", "sand casting", "forging", "machining",
        "5-axis machining", "turning", "milling", "heat treatment", "surface treatment",
        "welding", "sheet metal work", "grinding", "gear cutting", "bar turning",
        "injection moulding", "sintering", "winding", "pcb assembly", "electronic components",
        "measuring instruments", "electric motors", "bearings", "additive manufacturing",
        "assembly", "non-destructive testing",
    }  # fmt: skip
    assert expected <= set(vocabulary().processes)


def test_demo_ids_are_unchanged_and_the_example_maps_to_them() -> None:
    demo = _names(DEMO / "processes.csv") | _names(DEMO / "capabilities.csv")
    assert demo and all(canonical_process(p) == p for p in demo)
    assert all(p in vocabulary().processes for p in demo)
    example = _names(EXAMPLE / "processes.csv") | _names(EXAMPLE / "capabilities.csv")
    assert example == set(ENGLISH)  # the example stays in French
    assert {canonical_process(p) for p in example} == {
        "machining",
        "welding",
        "sintering",
        "pcb assembly",
        "winding",
    }


def _batch(folder: Path) -> GraphBatch:
    dataset = validate(read_tables(folder), None, name="capteur")
    return build_batch(dataset, source="capteur", loaded_at="2024-01-01T00:00:00+00:00")


def test_french_example_and_english_twin_give_the_same_graph(tmp_path: Path) -> None:
    twin = tmp_path / "capteur"
    shutil.copytree(EXAMPLE, twin)
    for table in ("processes.csv", "capabilities.csv"):
        text = (twin / table).read_text(encoding="utf-8")
        for fr, en in ENGLISH.items():
            text = text.replace(f",{fr}\n", f",{en}\n")
        (twin / table).write_text(text, encoding="utf-8")
    assert _names(twin / "processes.csv").isdisjoint(ENGLISH)  # really rewritten
    french, english = _batch(EXAMPLE), _batch(twin)

    def processes(b: GraphBatch) -> dict[str, dict[str, object]]:
        return {
            n.key: {k: v for k, v in n.props.items() if k not in ("source", "loaded_at")}
            for n in b.nodes
            if n.label is Label.PROCESS
        }

    assert processes(french) == processes(english)
    assert processes(french)["pcb assembly"] == {
        "id": "pcb assembly",
        "name": "pcb assembly",
        "name_fr": "report CMS",
    }
    assert french.canonical() == english.canonical()  # REQUIRES / MASTERS too
    assert ("S-LYO", "pcb assembly") in {
        (r.start, r.end) for r in french.rels if r.type is Rel.MASTERS
    }


def test_process_nodes_carry_english_and_french_names() -> None:
    batch = build_batch(
        Dataset(
            items=[Item(id="A", name="Carter", kind="component")],
            suppliers=[Supplier(id="S", name="Fonderie", country="FR")],
            processes=[
                ProcessNeed(item="A", process="Fonderie d'aluminium"),
                ProcessNeed(item="A", process="Ébavurage cryogénique"),
            ],
            capabilities=[Capability(supplier="S", process="aluminum casting")],
        )
    )
    nodes = {n.key: dict(n.props) for n in batch.nodes if n.label is Label.PROCESS}
    assert set(nodes) == {"aluminium casting", "ébavurage cryogénique"}
    assert (nodes["aluminium casting"]["name"], nodes["aluminium casting"]["name_fr"]) == (
        "aluminium casting",
        "fonderie aluminium",
    )
    assert nodes["ébavurage cryogénique"]["name"] == "ébavurage cryogénique"
    assert "name_fr" not in nodes["ébavurage cryogénique"]
    ends = {(r.type, r.end) for r in batch.rels}
    assert {(Rel.REQUIRES, "aluminium casting"), (Rel.MASTERS, "aluminium casting")} <= ends


def test_a_french_dataset_and_an_english_one_meet_in_one_store(tmp_path: Path) -> None:
    from filiere import queries as q
    from filiere.graph.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "g.json")
    store.write(
        build_batch(
            Dataset(
                items=[Item(id="HUB", name="Moyeu", kind="component")],
                processes=[ProcessNeed(item="HUB", process="steel casting")],
            ),
            source="analyst-en",
        )
    )
    store.write(
        build_batch(
            Dataset(
                items=[],
                suppliers=[Supplier(id="S-FR", name="Aciérie", country="FR", region="FR-BFC")],
                capabilities=[Capability(supplier="S-FR", process="Fonderie d'acier")],
            ),
            source="analyste-fr",
        )
    )
    routes = q.routes(store, "HUB", region="FR-BFC").routes
    assert [(r.supplier, r.kind, r.tier) for r in routes] == [("S-FR", "capability", 1)]


def test_the_shipped_vocabulary_reads_without_conflicts() -> None:
    vocab = read_vocabulary(default_vocabulary_path())
    assert vocab.processes == vocabulary().processes
    with default_vocabulary_path().open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["id", "name_fr", "aliases"]
        assert all(r["name_fr"] for r in reader)


def test_bad_vocabularies_are_refused_with_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "processes.csv"
    f.write_text(
        "id,name_fr,aliases\n"
        "machining,usinage,usinage cnc\n"
        "turning,tournage,Usinage CNC\n"  # an alias of machining
        "milling,fraisage,\n"
        "Milling,,\n"  # the same id twice
        ",x,y\n",
        encoding="utf-8",
    )
    with pytest.raises(DatasetError) as e:
        read_vocabulary(f)
    assert [str(i) for i in e.value.issues] == [
        "processes.csv:3: name 'Usinage CNC' of 'turning' already names 'machining' (line 2)",
        "processes.csv:5: id 'milling' already on line 4",
        "processes.csv:6: empty id",
    ]
    f.write_text("id,aliases\nmachining,usinage\n", encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        read_vocabulary(f)
    assert [str(i) for i in e.value.issues] == ["processes.csv:1: missing column 'name_fr'"]
