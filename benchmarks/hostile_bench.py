"""Hostile inputs benchmark: time and peak memory to read (or refuse) each hostile file.

Usage::

    .venv/bin/python benchmarks/hostile_bench.py

Each case runs in a fresh process (so its peak RSS is its own): the file is built by
:mod:`filiere.testing.hostile`, then read and validated with the default limits.
Prints a Markdown table (the figures of ``docs/reliability.md``). Nothing here is a
test: it prints numbers.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

from filiere.errors import DatasetError
from filiere.ingest import read_upload, validate
from filiere.testing import hostile

CASES: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    "bomb": ("zip of 500 MiB of newlines", "bombe.zip", hostile.newline_bomb),
    "dimension": ("workbook declaring A1:XFD1048576", "lot.xlsx", hostile.lying_dimension),
    "far-row": ("workbook with a cell at row 90,000,000", "lot.xlsx", hostile.far_row),
    "deep-json": ("JSON of 100,000 [", "lot.json", lambda: b"[" * 100_000),
    "huge-number": ("JSON number of 5,000 digits", "lot.json", hostile.huge_json_number),
}


def run_case(name: str) -> dict[str, object]:
    """Build and read one case in this process."""
    title, filename, make = CASES[name]
    data = make()
    start = time.perf_counter()
    try:
        validate(read_upload(filename, data))
        outcome = "read"
    except DatasetError as e:
        outcome = str(e.issues[0])
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"case": title, "bytes": len(data), "outcome": outcome, "s": elapsed, "mb": peak}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2])))
        return
    print("| Input | Size | Outcome | Time | Peak RSS |")
    print("|---|---:|---|---:|---:|")
    for name in CASES:
        out = subprocess.run(
            [sys.executable, __file__, "--case", name], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout)
        print(
            f"| {r['case']} | {r['bytes']:,} B | {r['outcome'][:70]} | {r['s']:.2f} s "
            f"| {r['mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
