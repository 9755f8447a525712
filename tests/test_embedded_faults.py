"""Faults of the embedded store: kill -9 during writes, readers during writes.

A process writing the store is killed again and again, half the time at a random
moment and half the time certainly inside a write (after its first rows went to
SQLite, before the commit): the store always holds the state before or the state
after a write, never a mix, and the next write goes through. Readers in another
process, during those writes, only ever see a whole state (and see both states, so
the writes did happen while they read).
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
from filiere.graph.records import GraphBatch, NodeRecord
from filiere.graph.schema import Label

NODES = 5_000
KILLS = 12

#: Writes state A then state B, forever (each the whole store: replace=True). With
#: ``pause``, it stops for a while inside the write, after the first rows (progress).
WRITER = f"""
import sys, time
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import GraphBatch, NodeRecord
from filiere.graph.schema import Label

store = EmbeddedStore(sys.argv[1])
pause = sys.argv[2] == "pause"
states = [
    GraphBatch([NodeRecord.make(Label.ITEM, f"I{{i}}", {{"name": f"n{{i}}", "v": tag}})
                for i in range({NODES} if tag == "A" else {NODES} // 2)])
    for tag in ("A", "B")
]

def inside(n):
    if pause:
        print("inside", flush=True)
        time.sleep(30)

n = 0
while True:
    store.write(states[n % 2], replace=True, progress=inside if n else None)
    n += 1
    print(n, flush=True)
"""

#: Reads the whole store over and over; prints how many reads saw a whole state.
READER = """
import sys
from filiere.graph.embedded import EmbeddedStore

store = EmbeddedStore(sys.argv[1])
whole, seen = 0, set()
for _ in range(int(sys.argv[2])):
    nodes = store.export().nodes
    tags = {n.props["v"] for n in nodes}
    sizes = {"A": NODES, "B": NODES // 2}
    seen |= tags
    ok = len(tags) == 1 and len(nodes) == sizes[tags.pop()]
    whole += ok
print(whole, "".join(sorted(seen)), flush=True)
""".replace("NODES", str(NODES))


def _state(path: Path) -> str:
    """'A' or 'B' when the store holds exactly one of the two states."""
    store = EmbeddedStore(path)
    nodes = store.graph.nodes(data="props")
    tags = {props["v"] for _, props in nodes}
    assert len(tags) == 1, tags
    tag = tags.pop()
    assert len(nodes) == (NODES if tag == "A" else NODES // 2), (tag, len(nodes))
    store.close()
    return str(tag)


def _writer(path: Path, pause: bool) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", WRITER, str(path), "pause" if pause else "run"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def test_kill_during_writes_leaves_old_or_new(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    rng = random.Random(os.environ.get("PYTEST_SEED", "12"))
    seen: set[str] = set()
    for n in range(KILLS):
        inside = n % 2 == 0
        writer = _writer(path, pause=inside)
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "1"  # one write done: the store exists
        if inside:
            assert writer.stdout.readline().strip() == "inside"  # rows written, not committed
        else:
            time.sleep(rng.uniform(0, 0.6))  # anywhere in the write cycle
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        state = _state(path)
        if inside:  # the killed write was B (second write), never committed: A stays
            assert state == "A"
        seen.add(state)
    assert seen == {"A", "B"}
    store = EmbeddedStore(path)  # the store takes writes again after the kills
    store.write(GraphBatch([NodeRecord.make(Label.ITEM, "after", {"name": "x", "v": "C"})]))
    assert store.get_node(Label.ITEM, "after") is not None


def test_readers_in_another_process_see_whole_states(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    writer = _writer(path, pause=False)
    assert writer.stdout is not None
    try:
        assert writer.stdout.readline().strip() == "1"
        reads = 30
        out = subprocess.run(
            [sys.executable, "-c", READER, str(path), str(reads)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        whole, seen = out.stdout.split()
        assert int(whole) == reads, out.stderr
        assert seen == "AB"  # both states were read: the writer kept writing meanwhile
    finally:
        writer.kill()
        writer.wait()
