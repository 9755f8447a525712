"""The embedded store's analysis index: build time, size in memory and on disk, load time.

Usage (on a COPY of a store: the run writes ``STORE.index`` beside it)::

    .venv/bin/python benchmarks/index_bench.py STORE [--phase build|load]

``--phase build`` (the default) builds the index from the tables and saves it;
``--phase load`` reads the saved file back (run it in a new process, after a build).
Each prints wall time, the index's bytes (numpy arrays, and the Python strings and dicts
of its keys), bytes per relationship of the index, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

from filiere.graph.embedded import EmbeddedStore
from filiere.queries import index_cache
from filiere.queries.embedded_index import CSR_TABLES, Index, build


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def python_bytes(ix: Index) -> int:
    """The Python objects of the index: key lists, their strings, the key -> id dicts."""
    total = 0
    for keys in (ix.items, ix.suppliers, ix.processes):
        total += sys.getsizeof(keys.keys) + sys.getsizeof(keys.ids)
        total += sum(sys.getsizeof(k) for k in keys.keys)
    total += sys.getsizeof(ix.vocab.words) + sys.getsizeof(ix.vocab.ids)
    return total


def report(what: str, seconds: float, ix: Index, before_mb: float) -> dict[str, Any]:
    arrays = sum(a.nbytes for a in ix.arrays.values())
    py = python_bytes(ix)
    rels = sum(len(ix.arrays[name]) for name in CSR_TABLES if name != "parents")
    row = {
        "phase": what,
        "seconds": round(seconds, 2),
        "relationships indexed": rels,
        "array MB": round(arrays / 2**20, 1),
        "python MB": round(py / 2**20, 1),
        "bytes/relationship": round((arrays + py) / rels, 1) if rels else None,
        "RSS growth MB": round(rss_mb() - before_mb, 1),
        "peak RSS MB": round(peak_rss_mb(), 1),
    }
    for k, v in row.items():
        print(f"{k}: {v}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--phase", choices=("build", "load"), default="build")
    args = parser.parse_args()
    store = EmbeddedStore(args.store)
    cache = index_cache.path_for(args.store)
    before = rss_mb()
    with store.snapshot() as snap:
        assert snap.version is not None, "an empty store"
        t = time.perf_counter()
        if args.phase == "build":
            ix = build(snap.tables)
            built = time.perf_counter() - t
            report("build from the tables", built, ix, before)
            t = time.perf_counter()
            index_cache.save(ix, cache, snap.version)
            print(f"save: {time.perf_counter() - t:.2f} s, {cache.stat().st_size / 2**20:.1f} MB")
        else:
            found = index_cache.load(cache, snap.version, 1 << 40)
            assert found is not None, "no current cache file: run --phase build first"
            report("load from the cache file", time.perf_counter() - t, found, before)
    store.close()


if __name__ == "__main__":
    main()
