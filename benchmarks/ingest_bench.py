"""Ingestion benchmark: rows/s into the embedded store and Neo4j, batched vs one row per tx.

Usage::

    .venv/bin/python benchmarks/ingest_bench.py --rows 100000 1000000 [--no-neo4j] [--old-path]
        [--neo4j-home /tmp/neo4j-bench] [--single-sample 2000] [--batched]
        [--one-transaction-max RECORDS]
        [--batched-only] [--bulk [--bulk-home /tmp/neo4j-bulk-bench] [--bulk-memory 1g]]

For each size it generates a CSV dataset (items, bill of materials, suppliers,
supplies, offers, processes, production), in a child process, and times each phase --
read, validate, build, write -- for each store. The embedded store is timed on the
path ``filiere ingest`` takes (checked rows, records streamed into the write: build
and write are one phase); ``--old-path`` times validate -> Dataset -> build_batch ->
write instead, as ingest ran before. "rows" are dataset rows (CSV lines); the write rate is
also given in graph records (nodes + relationships, which include reference countries,
regions, HS codes, LOCATED_IN...). The Neo4j one-row-per-transaction mode is measured
on a sample (``--single-sample`` rows): writing a million rows that way would take
hours. ``--bulk`` also times the bulk path of ``filiere neo4j import`` (read and check, the
import files written from the checked rows, Neo4j's import tool into a stopped launcher
home of its own: ``neo4j_import_bench.py``). Nothing here is a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from filiere import gcpause
from filiere.errors import StoreError
from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import GraphBatch
from filiere.graph.store import GraphStore
from filiere.ingest import read_tables, validate
from filiere.ingest.build import RecordStream, build_batch, now
from filiere.ingest.validate import check

T = TypeVar("T")

COUNTRIES = ["FR", "DE", "IT", "ES", "CN", "US", "JP", "PL"]
REGIONS = {"FR": ["FR-BFC", "FR-ARA", "FR-IDF", "FR-HDF"], "DE": ["DE-BY", "DE-BW"]}
HS = ["850511", "732690", "853400", "902610", "740311", ""]
PROCESSES = ["usinage", "soudage", "fonderie", "frittage", "bobinage", "report CMS"]


def generate(folder: Path, rows: int, seed: int = 1) -> dict[str, int]:
    """Write a dataset of about ``rows`` CSV rows; return the row count per table."""
    rnd = random.Random(seed)
    n_items = rows * 30 // 100
    n_sup = max(rows * 5 // 100, 1)
    n_mat = max(n_items // 20, 1)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    def write(name: str, header: list[str], body: list[list[Any]]) -> None:
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(body)
        counts[name] = len(body)

    items = []
    for i in range(n_items):
        kind = "material" if i < n_mat else ("component" if i % 10 else "product")
        items.append([f"I{i}", f"Pièce n°{i}", kind, rnd.choice(HS), "pièce", f"{i % 97}.5"])
    write("items", ["id", "name", "kind", "hs_code", "unit", "unit_value_eur"], items)
    bom: set[tuple[int, int]] = set()
    target = rows * 30 // 100
    while len(bom) < target:  # edges go from higher to lower ids: a DAG
        a = rnd.randrange(n_mat + 1, n_items)
        bom.add((a, rnd.randrange(0, a)))
    write("bom", ["parent", "child", "quantity"], [[f"I{a}", f"I{b}", 2] for a, b in sorted(bom)])
    sups = []
    for s in range(n_sup):
        c = rnd.choice(COUNTRIES)
        region = rnd.choice(REGIONS[c]) if c in REGIONS else ""
        sups.append([f"S{s}", f"Fournisseur {s}", c, region])
    write("suppliers", ["id", "name", "country", "region"], sups)
    supplies = {(rnd.randrange(n_sup), rnd.randrange(n_items)) for _ in range(rows * 15 // 100)}
    write("supplies", ["supplier", "item"], [[f"S{s}", f"I{i}"] for s, i in sorted(supplies)])
    offers = {(rnd.randrange(n_sup), rnd.randrange(n_items)) for _ in range(rows * 10 // 100)}
    write("offers", ["supplier", "item"], [[f"S{s}", f"I{i}"] for s, i in sorted(offers)])
    procs = {(rnd.randrange(n_items), rnd.choice(PROCESSES)) for _ in range(rows * 8 // 100)}
    write("processes", ["item", "process"], [[f"I{i}", p] for i, p in sorted(procs)])
    prod = [[f"I{m}", c, 0.1, "extraction", 2022] for m in range(n_mat) for c in COUNTRIES[:2]]
    write("production", ["material", "country", "share", "stage", "year"], prod)
    return counts


#: CPU seconds of each phase timed so far (wall time is noisy on a shared machine).
CPU: dict[str, float] = {}


def timed(fn: Callable[[], T], phase: str = "") -> tuple[T, float]:
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    if phase:
        CPU[phase] = time.process_time() - cpu
    return result, time.perf_counter() - start


def bench_store(
    label: str, store: GraphStore, folder: Path, rows: int, *, atomic: bool = True
) -> dict[str, float]:
    store.clear()
    rss = [peak_rss_mb()]
    tables, t_read = timed(lambda: read_tables(folder), "read")
    rss.append(peak_rss_mb())
    dataset, t_val = timed(lambda: validate(tables, store), "validate")
    rss.append(peak_rss_mb())
    batch, t_build = timed(lambda: build_batch(dataset, source="bench"), "build")
    rss.append(peak_rss_mb())
    _, t_write = timed(lambda: store.write(batch, atomic=atomic), "write")
    rss.append(peak_rss_mb())
    cpu = " ".join(f"{k} {v:.1f}s" for k, v in CPU.items())
    print(f"  {'':9} CPU time (this process): {cpu}, total {sum(CPU.values()):.1f}s", flush=True)
    total = t_read + t_val + t_build + t_write
    print(
        f"  {'':9} peak RSS (MB) before {rss[0]:,.0f}, after read {rss[1]:,.0f}, "
        f"validate {rss[2]:,.0f}, build {rss[3]:,.0f}, write {rss[4]:,.0f}",
        flush=True,
    )
    print(
        f"  {label:9} read {t_read:7.1f}s  validate {t_val:7.1f}s  build {t_build:6.1f}s  "
        f"write {t_write:7.1f}s  total {total:7.1f}s  -> {rows / total:9,.0f} rows/s "
        f"(write: {len(batch) / t_write:9,.0f} records/s, {len(batch):,} records)",
        flush=True,
    )
    if isinstance(store, EmbeddedStore):
        store.close()  # the last connection checkpoints the WAL into the file
        wal = store.path.with_name(store.path.name + "-wal")
        size, wal_size = store.path.stat().st_size, wal.stat().st_size if wal.exists() else 0
        print(f"  {'':9} store file {size / 1e6:,.0f} MB (+ WAL {wal_size / 1e6:,.0f} MB)")
    return {"total": total, "write": t_write, "records": len(batch)}


def bench_ingest(store: EmbeddedStore, folder: Path, rows: int) -> dict[str, float]:
    """The embedded store as ``filiere ingest`` loads it (:func:`filiere.ingest.load.load`).

    The same steps as ``load``, timed one by one: read, check (the tables' text released
    as each is checked), then records made as the store writes them in one transaction.
    """
    store.clear()
    CPU.clear()
    rss = [peak_rss_mb()]
    with gcpause.paused():  # as load() runs
        tables, t_read = timed(lambda: read_tables(folder), "read")
        rss.append(peak_rss_mb())
        checked, t_val = timed(lambda: check(tables, store, name="bench", release=True), "validate")
        rss.append(peak_rss_mb())
        stream = RecordStream(checked, "bench", now())
        summary, t_write = timed(
            lambda: store.write_records(stream.nodes(), stream.rels()), "build+write"
        )
        rss.append(peak_rss_mb())
    records = sum(n for _name, n, _updated in summary.rows())
    cpu = " ".join(f"{k} {v:.1f}s" for k, v in CPU.items())
    print(f"  {'':9} CPU time (this process): {cpu}, total {sum(CPU.values()):.1f}s", flush=True)
    total = t_read + t_val + t_write
    print(
        f"  {'':9} peak RSS (MB) before {rss[0]:,.0f}, after read {rss[1]:,.0f}, "
        f"validate {rss[2]:,.0f}, build+write {rss[3]:,.0f}",
        flush=True,
    )
    print(
        f"  {'ingest':9} read {t_read:7.1f}s  validate {t_val:7.1f}s  build+write {t_write:7.1f}s"
        f"  total {total:7.1f}s  -> {rows / total:9,.0f} rows/s "
        f"(CPU: {rows / sum(CPU.values()):9,.0f} rows/s; {records:,} records)",
        flush=True,
    )
    return {"total": total, "write": t_write, "records": records}


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB (Linux: ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_bulk(folder: Path, rows: int, home: Path, memory: str) -> dict[str, float]:
    """The ``filiere neo4j import`` path (``neo4j_import_bench``): check, files, import tool."""
    from neo4j_import_bench import bench_import

    r = bench_import(folder, home, memory=memory)
    print(f"  {'bulk':9} total {r['total']:7.1f}s  -> {rows / r['total']:9,.0f} rows/s", flush=True)
    return r


def single_vs_batched(store: GraphStore, sample_rows: int) -> None:
    """Write the same sample batched (one transaction) and one record per transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sample"
        generate(folder, sample_rows, seed=2)
        batch = build_batch(validate(read_tables(folder)), source="bench")
    store.clear()
    _, t_batched = timed(lambda: store.write(batch))
    store.clear()

    def one_by_one() -> None:
        for n in batch.nodes:
            store.write(GraphBatch([n], []))
        for r in batch.rels:
            store.write(GraphBatch([], [r]))

    _, t_single = timed(one_by_one)
    store.clear()
    n = len(batch)
    print(
        f"  sample of {sample_rows:,} rows = {n:,} records: batched {n / t_batched:,.0f} "
        f"records/s, one per transaction {n / t_single:,.0f} records/s -> "
        f"batched is {t_single / t_batched:,.0f}x faster",
        flush=True,
    )


def main() -> None:
    logging.getLogger("neo4j").setLevel(logging.ERROR)  # schema notifications on empty stores
    # A journalled Neo4j load logs its batches' and its clean-up's times.
    logging.basicConfig(format="  %(message)s")
    logging.getLogger("filiere.graph.neo4j_store").setLevel(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--no-neo4j", action="store_true")
    parser.add_argument("--no-embedded", action="store_true")
    parser.add_argument(
        "--old-path",
        action="store_true",
        help="Embedded store: time validate() -> Dataset -> build_batch -> write (all held "
        "in memory), the ingest path before the streaming one, instead of filiere ingest's.",
    )
    parser.add_argument("--neo4j-home", default="/tmp/neo4j-bench")
    parser.add_argument("--neo4j-heap", default="2g", help="Java heap of the Neo4j server.")
    parser.add_argument("--single-sample", type=int, default=2000)
    parser.add_argument(
        "--one-transaction-max",
        type=int,
        default=None,
        help="Neo4j: largest write (records) made in one transaction; above it the write "
        "is journalled batches (default: the store's, "
        "filiere.graph.neo4j_store.ONE_TRANSACTION_MAX).",
    )
    parser.add_argument(
        "--batched",
        action="store_true",
        help="Neo4j: also time the write committed in batches (ingest --batched).",
    )
    parser.add_argument(
        "--batched-only",
        action="store_true",
        help="Neo4j: time only the batched write (the one-transaction write fails at 10^6 "
        "rows with a 2g heap).",
    )
    parser.add_argument(
        "--bulk", action="store_true", help="Also time the bulk path (filiere neo4j import)."
    )
    parser.add_argument("--bulk-home", default="/tmp/neo4j-bulk-bench")
    parser.add_argument("--bulk-memory", default="1g", help="Off-heap memory of the tool.")
    parser.add_argument(
        "--keep-dataset",
        metavar="DIR",
        help="Write the generated dataset to DIR/<rows> and keep it (to time `filiere ingest`).",
    )
    args = parser.parse_args()
    neo4j: GraphStore | None = None
    if not args.no_neo4j:
        from filiere.graph.neo4j_store import Neo4jStore
        from filiere.neo4j_local import start

        # A running server in that home is reused whatever its heap: stop it to change.
        server = start(args.neo4j_home, heap=args.neo4j_heap, tx_timeout="3600s")
        extra = (
            {}
            if args.one_transaction_max is None
            else {"one_transaction_max": args.one_transaction_max}
        )
        neo4j = Neo4jStore(server.uri, user=server.user, password=server.password, **extra)
        print(f"Neo4j: {server.uri} (heap {args.neo4j_heap}, home {args.neo4j_home})", flush=True)
    try:
        for rows in args.rows:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(args.keep_dataset) / str(rows) if args.keep_dataset else None
                folder = folder or Path(tmp) / "dataset"
                # In a child process: the generator's lists never count in this one's peak RSS.
                with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                    counts, t_gen = timed(lambda: pool.submit(generate, folder, rows).result())  # noqa: B023
                real = sum(counts.values())
                print(f"\n{real:,} rows ({t_gen:.1f}s to generate): {counts}", flush=True)
                if not args.no_embedded:
                    store = EmbeddedStore(Path(tmp) / "graph.db")
                    if args.old_path:
                        bench_store("embedded", store, folder, real)
                    else:
                        bench_ingest(store, folder, real)
                    print(f"  {'':9} peak RSS so far {peak_rss_mb():,.0f} MB", flush=True)
                write_rates: dict[str, float] = {}
                if args.bulk:
                    r = bench_bulk(folder, real, Path(args.bulk_home), args.bulk_memory)
                    write_rates["bulk"] = r["records"] / r["write"]
                if neo4j is not None:
                    modes = [("neo4j", True)] if not args.batched_only else []
                    modes += [("neo4j/bat", False)] if args.batched or args.batched_only else []
                    for label, atomic in modes:
                        try:
                            r = bench_store(label, neo4j, folder, real, atomic=atomic)
                            write_rates[label] = r["records"] / r["write"]
                        except StoreError as e:
                            print(f"  {label:9} FAILED: {e}", flush=True)
                for label in ("neo4j", "neo4j/bat"):
                    if "bulk" in write_rates and label in write_rates:
                        ratio = write_rates["bulk"] / write_rates[label]
                        print(f"  bulk write rate / {label} write rate: {ratio:.1f}x", flush=True)
        if neo4j is not None and args.single_sample > 0:
            print()
            single_vs_batched(neo4j, args.single_sample)
    finally:
        if neo4j is not None:
            neo4j.clear()
            neo4j.close()


if __name__ == "__main__":
    main()
