"""A JSON store written by the previous release is migrated to SQLite on first open."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from filiere.errors import StoreError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel
from filiere.queries import deps
from filiere.queries.models import AnalysisSettings

OLD = Path(__file__).parent / "data" / "stores" / "previous-release.json"


def _as_written(path: Path) -> tuple[list[Any], list[Any]]:
    """The graph of a JSON store file, read straight from its JSON (no filiere reader)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes = [
        NodeRecord(
            Label(n["labels"][0]), n["key"], n["props"], tuple(Label(x) for x in n["labels"][1:])
        )
        for n in data["nodes"]
    ]
    rels = [
        RelRecord(Rel(r["type"]), Label(r["start"][0]), r["start"][1], Label(r["end"][0]),
                  r["end"][1], r["props"])
        for r in data["relationships"]
    ]  # fmt: skip
    return GraphBatch(nodes, rels).canonical()


def _old_store(tmp_path: Path) -> Path:
    path = tmp_path / "graph.json"
    shutil.copyfile(OLD, path)
    return path


def test_previous_release_store_is_migrated_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _old_store(tmp_path)
    (tmp_path / ".graph.json.k3j9x_2a").write_text("{")  # a save of that release killed midway
    (tmp_path / ".graph.json.keep").write_text("x")  # not one of its temp files
    store = EmbeddedStore(path)
    err = capsys.readouterr().err
    assert "converted to SQLite" in err and "graph.json.json-backup" in err
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    backup = tmp_path / "graph.json.json-backup"
    assert backup.read_bytes() == OLD.read_bytes()  # the original, byte for byte
    assert store.export().canonical() == _as_written(OLD)
    s_oe = store.get_node(Label.SUPPLIER, "S-Œ")
    assert s_oe is not None and s_oe["naf_codes"] == ["24.51Z", "25.62B"]
    assert s_oe["employees"] == 120 and s_oe["certified"] is True
    assert not (tmp_path / ".graph.json.k3j9x_2a").exists()
    assert (tmp_path / ".graph.json.keep").exists()
    assert not (tmp_path / "graph.json.lock").exists()
    EmbeddedStore(path).counts()  # opened again: nothing more to say
    assert capsys.readouterr().err == ""
    names = {p.name for p in tmp_path.glob("graph.json*")} - {"graph.json-wal", "graph.json-shm"}
    assert names == {"graph.json", "graph.json.json-backup"}


def test_analyses_answer_the_same_after_migration(tmp_path: Path) -> None:
    from filiere.graph.json_store import read_json_store

    path = _old_store(tmp_path)
    fresh = EmbeddedStore(tmp_path / "fresh.db")
    fresh.write(read_json_store(OLD))
    migrated = EmbeddedStore(path)
    settings = AnalysisSettings()
    products = [k for k, p in fresh.graph.nodes(data="labels") if "Product" in p]
    assert products
    for _, key in products:
        assert deps(migrated, key, settings) == deps(fresh, key, settings)


def test_backup_name_never_overwrites_a_file(tmp_path: Path) -> None:
    path = _old_store(tmp_path)
    (tmp_path / "graph.json.json-backup").write_text("someone's file")
    EmbeddedStore(path)
    assert (tmp_path / "graph.json.json-backup").read_text() == "someone's file"
    assert (tmp_path / "graph.json.json-backup.1").read_bytes() == OLD.read_bytes()


def test_a_failed_migration_leaves_the_json_store(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    data = json.loads(OLD.read_text(encoding="utf-8"))
    data["relationships"].append(
        {"type": "CONTAINS", "start": ["Item", "ghost"], "end": ["Item", "other"], "props": {}}
    )
    text = json.dumps(data)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoreError, match="missing Item 'ghost'"):
        EmbeddedStore(path)
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.json"]


def test_two_processes_opening_it_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = _old_store(tmp_path)
    code = (
        "import sys; from filiere.graph.embedded import EmbeddedStore;"
        "print(sum(EmbeddedStore(sys.argv[1]).counts().values()))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    expected = sum(EmbeddedStore(path).counts().values())
    assert [int(o) for o, _ in outs] == [expected, expected]
    assert sum(b"converted to SQLite" in e for _, e in outs) == 1
    assert not (tmp_path / "graph.json.json-backup.1").exists()


def test_the_default_store_is_filiere_db_unless_an_earlier_release_left_graph_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filiere.settings import default_store_uri

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = tmp_path / "filiere"
    assert default_store_uri() == str(folder / "filiere.db")
    folder.mkdir()
    shutil.copyfile(OLD, folder / "graph.json")  # a user of the JSON release
    assert default_store_uri() == str(folder / "graph.json")
    assert EmbeddedStore(default_store_uri()).counts()  # converted in place, data kept
    (folder / "filiere.db").touch()  # both: the current name wins
    assert default_store_uri() == str(folder / "filiere.db")
