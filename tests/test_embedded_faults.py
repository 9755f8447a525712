"""Faults of the embedded store: kill -9 during saves, temp files left behind.

A process saving the store is killed at random moments, again and again: the file is
always the state before or the state after a save, never a torn one, and the next
open removes the temp file the killed save left (only the store's own temp files).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label

NODES = 5_000
KILLS = 16

#: Saves state A then state B, forever (each the whole store: replace=True).
WRITER = f"""
import sys
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import GraphBatch, NodeRecord
from filiere.graph.schema import Label

store = EmbeddedStore(sys.argv[1])
states = [
    GraphBatch([NodeRecord.make(Label.ITEM, f"I{{i}}", {{"name": f"n{{i}}", "v": tag}})
                for i in range({NODES} if tag == "A" else {NODES} // 2)])
    for tag in ("A", "B")
]
n = 0
while True:
    store.write(states[n % 2], replace=True)
    n += 1
    print(n, flush=True)
"""


def _temp_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


def _wait_for_temp_file(path: Path, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not _temp_files(path):
        time.sleep(0.0005)


def _state(path: Path) -> str:
    """'A' or 'B' when the file holds exactly one of the two states."""
    store = EmbeddedStore(path)
    nodes = store.graph.nodes(data="props")
    tags = {props["v"] for _, props in nodes}
    assert len(tags) == 1, tags
    tag = tags.pop()
    assert len(nodes) == (NODES if tag == "A" else NODES // 2), (tag, len(nodes))
    return str(tag)


def test_kill_during_saves_leaves_old_or_new_and_no_stray_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    rng = random.Random(os.environ.get("PYTEST_SEED", "12"))
    strays = 0
    seen: set[str] = set()
    for n in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None
        writer.stdout.readline()  # one save done: the store exists
        if n % 2:
            time.sleep(rng.uniform(0, 0.6))  # anywhere in the save cycle
        else:
            _wait_for_temp_file(path)  # while the new file is being written
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        strays += bool(_temp_files(path))
        seen.add(_state(path))  # opening removes the killed save's temp file
        assert _temp_files(path) == []
    assert seen == {"A", "B"}
    # The kills did land mid-save (else this test proves nothing about temp files).
    assert strays >= KILLS // 4, strays


def test_only_the_stores_own_temp_files_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    store = EmbeddedStore(path)
    store.clear()
    keep = [".graph.json.lock", ".graph.json.bak", ".graph.json.abcd1234.x", ".other.abcd1234"]
    keep += ["graph.json.lock", "graph.json.abcd1234"]
    stale = [".graph.json.abcd1234", ".graph.json.x_9z0y8w"]
    for name in keep + stale:
        (tmp_path / name).write_text("x")
    EmbeddedStore(path)
    assert _temp_files(path) == sorted(k for k in keep if k.startswith(".graph.json."))
    for name in stale:
        (tmp_path / name).write_text("x")
    store.write(store.export())  # a save cleans too
    assert not [n for n in stale if (tmp_path / n).exists()]
    assert (tmp_path / ".other.abcd1234").exists()
    assert store.get_node(Label.ITEM, "nothing") is None
