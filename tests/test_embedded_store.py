"""What only the embedded store does: its file, atomic saves, sharing between processes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from filiere.errors import StoreError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.model import Dataset, Item
from filiere.graph.schema import Label
from filiere.ingest.build import build_batch


def one_item(item_id: str, name: str) -> Dataset:
    return Dataset(name="t", items=[Item(id=item_id, name=name, kind="product")])


def test_file_is_documented_json(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "g.json"
    EmbeddedStore(path).write(build_batch(one_item("P", "Turbine Kaplan")))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "filiere-graph" and data["version"] == 1
    assert data["nodes"][0]["labels"] == ["Item", "Product"]
    assert data["nodes"][0]["props"]["name"] == "Turbine Kaplan"
    assert data["relationships"] == []


def test_crash_during_save_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.json"
    store = EmbeddedStore(path)
    store.write(build_batch(one_item("P", "old")))
    before = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError, match="disk full"):
        store.write(build_batch(one_item("Q", "new")))
    assert path.read_bytes() == before
    assert store.get_node(Label.ITEM, "Q") is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".g.json")] == []


def test_another_process_sees_writes(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    reader = EmbeddedStore(path)
    assert reader.get_node(Label.ITEM, "P") is None
    EmbeddedStore(path).write(build_batch(one_item("P", "vu")))
    node = reader.get_node(Label.ITEM, "P")
    assert node is not None and node["name"] == "vu"


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot read"):
        EmbeddedStore(path)
    path.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(StoreError, match="not a filiere graph"):
        EmbeddedStore(path)
