"""``filiere neo4j import``'s phases, timed: read, check, import files, import tool.

Usage::

    .venv/bin/python benchmarks/neo4j_import_bench.py --dataset DIR --home NEO4J_HOME \
        [--workdir DIR] [--memory 1g[,2g...]] [--heap 1g]

The same steps as :func:`filiere.neo4j_local.bulk_import.import_dataset` (read the
tables, check them releasing the raw rows, write the import files from the checked
rows, run Neo4j's import tool into a stopped launcher home, replacing its database),
each with its wall time and CPU time: this process's for the Python phases, the child
JVM's for the tool. The files go to a temporary folder under ``--workdir`` (default:
the home), removed after. Nothing here is a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from filiere import gcpause
from filiere.ingest import read_tables
from filiere.ingest.build import RecordStream, now
from filiere.ingest.neo4j_admin import AdminFiles, write_admin_csv
from filiere.ingest.validate import check

T = TypeVar("T")


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def phase(name: str, fn: Callable[[], T], times: dict[str, tuple[float, float]]) -> T:
    """Run ``fn``; record its wall and CPU seconds (this process and its children)."""
    wall = time.perf_counter()
    cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
    result = fn()
    cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN) - cpu
    times[name] = (time.perf_counter() - wall, cpu)
    return result


def _files(folder: Path, out: Path, times: dict[str, tuple[float, float]]) -> AdminFiles:
    tables = phase("read", lambda: read_tables(folder), times)
    checked = phase("check", lambda: check(tables, None, name="bench", release=True), times)
    records = RecordStream(checked, "bench", now())
    return phase("files", lambda: write_admin_csv(records, out), times)


def bench_import(
    folder: Path, home: Path, *, workdir: Path | None = None, memory: str = "1g", heap: str = "1g"
) -> dict[str, float]:
    """Time the import of the dataset at ``folder`` into ``home``; print and return figures."""
    from filiere.neo4j_local import stop
    from filiere.neo4j_local.bulk_import import import_csv

    stop(home)  # the import is for a stopped server
    home.mkdir(parents=True, exist_ok=True)
    times: dict[str, tuple[float, float]] = {}
    with (
        gcpause.paused(),  # as import_dataset runs
        tempfile.TemporaryDirectory(prefix=".import-csv-", dir=workdir or home) as tmp,
    ):
        files = _files(folder, Path(tmp), times)  # its checked rows freed on return
        for i, mem in enumerate(memory.split(",")):
            phase(
                "tool" if i == 0 else f"tool {i + 1}, --max-off-heap-memory={mem}",
                lambda: import_csv(
                    files.arguments(),
                    home,
                    overwrite=True,
                    heap=heap,
                    memory=mem,  # noqa: B023
                    show_progress=False,
                ),
                times,
            )
    n = files.nodes + files.relationships
    first = ("read", "check", "files", "tool")  # one import; the other tool runs compare
    wall = sum(times[k][0] for k in first)
    cpu = sum(times[k][1] for k in first)
    write_wall = times["files"][0] + times["tool"][0]
    for name, (w, c) in times.items():
        print(f"  {name:6} {w:8.1f} s wall  {c:8.1f} s CPU", flush=True)
    print(
        f"  {files.nodes:,} nodes + {files.relationships:,} relationships = {n:,} records; "
        f"total {wall:.1f} s wall, {cpu:.1f} s CPU -> {n / wall:,.0f} records/s end to end; "
        f"write (files + tool) {write_wall:.1f} s -> {n / write_wall:,.0f} records/s; "
        # (Not the tool's: a child's ru_maxrss counts the pages it was forked with.)
        f"peak RSS (Python) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB",
        flush=True,
    )
    return {"total": wall, "write": write_wall, "records": n, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--home", type=Path, required=True, help="A launcher home (replaced).")
    parser.add_argument("--workdir", type=Path, help="Where the import files go (temporary).")
    parser.add_argument(
        "--memory",
        default="1g",
        help="The tool's off-heap memory; several, comma-separated (1g,2g): the tool runs "
        "again on the same files with each (the totals are the first run's).",
    )
    parser.add_argument("--heap", default="1g", help="The tool's JVM heap.")
    args = parser.parse_args()
    bench_import(args.dataset, args.home, workdir=args.workdir, memory=args.memory, heap=args.heap)


if __name__ == "__main__":
    main()
