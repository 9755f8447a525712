"""Embedded search: the scan of every name (before) against the search table (after).

Usage (STORE: an embedded store of schema version 1, as main before the search table
wrote it; it is only read, its copy in WORK is upgraded)::

    .venv/bin/python benchmarks/search_bench.py STORE --work DIR [--repeat 5]
        [--needle TEXT ...]

Copies STORE (with its ``-wal`` and ``-shm`` files) into WORK, then on the copy:
times each needle with the scan (:mod:`filiere.testing.search_scan`, the algorithm
before the table, on the tables as they are), opens it as a store (the upgrade that
adds the search table, timed, with the file's size before and after), and times each
needle again through the table (:func:`filiere.queries.embedded_lookups.search_rows`).
Both must give the same hits (first page, 20 hits, every type); "names holding it"
counts the names and ids the needle is in (without the countries' French names). Each
needle: the first run, then the median of ``--repeat`` more. Nothing here is a test: it
prints numbers.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from analyses_bench import timed

from filiere.folding import fold
from filiere.graph.embedded import EmbeddedStore
from filiere.queries import embedded_lookups
from filiere.queries.lookups import SEARCH_TYPES
from filiere.testing.search_scan import scan_search

#: A common 3-letter substring, a full firm name, 2 letters, accents, nothing.
NEEDLES = ["pie", "fou", "Fournisseur 4242 SAS", "c1", "Pièce C3-01", "Württemberg", "zzzz"]
TYPES: list[str] = list(SEARCH_TYPES)
LIMIT = 20
_HOLDING = "SELECT count(*) FROM search WHERE instr(fid, ?) > 0 OR instr(fname, ?) > 0"


def copy_store(store: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    target = work / store.name
    for suffix in ("", "-wal", "-shm"):
        source = store.with_name(store.name + suffix)
        if source.exists():
            shutil.copyfile(source, target.with_name(target.name + suffix))
    return target


def size_mb(path: Path) -> float:
    """The file's size once its WAL is folded in (a checkpoint), in MB."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.stat().st_size / 1e6


def runs(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """The first run's seconds, the median of ``repeat`` more, and the answer."""
    first, out = timed(fn)
    rest = [timed(fn)[0] for _ in range(repeat)]
    return first, statistics.median(rest), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", type=Path)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--needle", action="append", dest="needles")
    args = parser.parse_args()
    needles = args.needles or NEEDLES
    path = copy_store(args.store, args.work)
    before_mb = size_mb(path)

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1, "a schema-1 store, please"
    before = {}
    for needle in needles:
        folded = fold(" ".join(needle.split()))
        before[needle] = runs(partial(scan_search, conn, folded, TYPES, 0, LIMIT), args.repeat)
    conn.close()

    store = EmbeddedStore(path)
    upgrade, _ = timed(store.ping)  # the first open adds the search table
    after_mb = size_mb(path)
    print(f"upgrade (first open): {upgrade:.2f} s; file {before_mb:.1f} MB -> {after_mb:.1f} MB")
    print("| needle | names holding it | scan: first / median (s) | table: first / median (s) |")
    print("|---|---:|---:|---:|")
    for needle in needles:
        folded = fold(" ".join(needle.split()))
        search = partial(embedded_lookups.search_rows, store, folded, TYPES, 0, LIMIT)
        first, median, rows = runs(search, args.repeat)
        s_first, s_median, s_rows = before[needle]
        assert rows == s_rows, f"{needle!r}: the table's hits differ from the scan's"
        with store.reading() as reading:
            assert reading is not None
            (holding,) = reading.execute(_HOLDING, (folded, folded)).fetchone()
        print(
            f"| `{needle}` | {holding:,} | {s_first:.3f} / {s_median:.3f}"
            f" | {first:.4f} / {median:.4f} |"
        )
    store.close()


if __name__ == "__main__":
    main()
