"""Benchmark of the analyses on a generated graph of about 10^6 relationships, on both stores.

Run from the repository root::

    .venv/bin/python benchmarks/analyses_bench.py            # both stores
    .venv/bin/python benchmarks/analyses_bench.py --stores embedded

The graph: 2,000 products over 8 layers of 17,000 shared sub-assemblies and 2,000
materials (deep BOMs, diamonds, sub-assemblies shared between products), 50,000
suppliers in 14 countries, supplies, offers, substitutes, processes and production rows.
The embedded store is written to ``--workdir``; Neo4j is the local launcher's server in
``--neo4j-home`` (default ``WORKDIR/neo4j``; started if needed, with ``--neo4j-heap``) or
``--neo4j-uri``. Both are reused when they already hold the same graph. Otherwise the
launcher's database is loaded by the bulk path of ``filiere neo4j import`` (import tool
CSV files, then Neo4j's import tool into the stopped database: ``--neo4j-load bulk``,
the default there), or by transactional writes (``--neo4j-load write``, the only way
into a server given by ``--neo4j-uri``). Prints p50/p95 latencies of ``deps`` and
``routes`` over random products / items, the time of ``critical``, of a shock on China
(plain, then partial and upstream), and of ``opportunities`` and ``matches`` for FR-BFC
(goal: under 10 s on each store), ``--repeat`` times for those. ``--scale 0.1`` divides
the graph's sizes by ten (a quick run).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.progress import Progress

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.records import GraphBatch
from filiere.graph.store import GraphStore
from filiere.ingest.build import build_batch
from filiere.queries import (
    AnalysisSettings,
    critical,
    deps,
    matches,
    opportunities,
    routes,
    shock,
)
from filiere.testing.generate import GeneratorConfig, generate

CONFIG = GeneratorConfig(
    seed=42,
    products=2000,
    layers=8,
    width=17000,
    materials=2000,
    fanout=3,
    suppliers=50000,
    offers=3,
    name="bench",
)
LOADED_AT = "2024-01-01T00:00:00+00:00"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def write_in_chunks(store: GraphStore, batch: GraphBatch, chunk: int = 200_000) -> None:
    """Nodes, then relationships, in several atomic writes (one huge transaction is slow)."""
    total = len(batch.nodes) + len(batch.rels)
    with Progress() as progress:
        task = progress.add_task(f"loading {store.kind}", total=total)
        first = True
        for i in range(0, len(batch.nodes), chunk):
            part = GraphBatch(batch.nodes[i : i + chunk], [])
            store.write(part, replace=first, progress=lambda n: progress.advance(task, n))
            first = False
        for i in range(0, len(batch.rels), chunk):
            part = GraphBatch([], batch.rels[i : i + chunk])
            store.write(part, progress=lambda n: progress.advance(task, n))


def expected_counts(batch: GraphBatch) -> int:
    return len(batch.nodes) + len(batch.rels)


def holds(store: GraphStore, batch: GraphBatch) -> bool:
    counts = store.counts()
    from filiere.graph.schema import KEYED_LABELS, Rel

    nodes = sum(counts.get(str(lbl), 0) for lbl in KEYED_LABELS)
    rels = sum(counts.get(str(r), 0) for r in Rel)
    return nodes == len(batch.nodes) and rels == len(batch.rels)


def run(
    store: GraphStore,
    batch: GraphBatch,
    samples: int,
    seed: int,
    only: set[str] | None = None,
    repeat: int = 1,
) -> dict[str, float]:
    """Time every analysis (or the groups in ``only``), printing each figure as it comes.

    The analyses timed once (critical, shocks, opportunities, matches) run ``repeat`` times.
    """
    rnd = random.Random(seed)
    products = sorted(n.key for n in batch.nodes if n.key.startswith("P") and n.label == "Item")
    components = sorted(
        n.key for n in batch.nodes if n.label == "Item" and n.key.startswith(("C", "M"))
    )
    settings = AnalysisSettings()
    res: dict[str, float] = {}

    def note(name: str, value: float) -> None:
        res[name] = value
        print(f"  {name}: {value:,.2f}", flush=True)

    def wanted(group: str) -> bool:
        return only is None or group in only

    if wanted("deps"):
        t, _ = timed(lambda: deps(store, products[0], settings))
        note("first deps (ms)", t * 1000)
        for p in rnd.sample(products, min(10, len(products))):
            deps(store, p, settings)
        lat, sizes = [], []
        for p in rnd.sample(products, samples):
            t, out = timed(partial(deps, store, p, settings))
            lat.append(t)
            sizes.append(len(out.dependencies))
        note("deps p50 (ms)", percentile(lat, 0.5) * 1000)
        note("deps p95 (ms)", percentile(lat, 0.95) * 1000)
        note("deps: mean dependencies", statistics.mean(sizes))
    if wanted("routes"):
        lat = []
        for it in rnd.sample(components, samples):
            region = rnd.choice([None, "FR-BFC", "FR-ARA"])
            t, _ = timed(partial(routes, store, it, region, settings))
            lat.append(t)
        note("routes p50 (ms)", percentile(lat, 0.5) * 1000)
        note("routes p95 (ms)", percentile(lat, 0.95) * 1000)
    for i in range(repeat):  # the first call after a load runs on cold caches
        again = f" #{i + 1}" if i else ""
        if wanted("critical"):
            t, crit = timed(lambda: critical(store))
            note(f"critical{again} (s)", t)
            note("critical: items", len(crit.items))
        if wanted("shock"):
            t, hit = timed(lambda: shock(store, ["CN"]))
            note(f"shock CN{again} (s)", t)
            note("shock CN: products hit", len(hit.impacted_products))
            t, _ = timed(lambda: shock(store, ["CN"], cut=0.5, upstream=True))
            note(f"shock CN 50% upstream{again} (s)", t)
        if wanted("opportunities"):
            t, opps = timed(lambda: opportunities(store, "FR-BFC", settings))
            note(f"opportunities FR-BFC{again} (s)", t)
            note("opportunities: items", len(opps.opportunities))
        if wanted("matches"):
            t, found = timed(lambda: matches(store, "FR-BFC", settings))
            note(f"matches FR-BFC{again} (s)", t)
            note("matches: rows", len(found.matches) + len(found.unmatched))
            note("matches: match rows", len(found.matches))
            note("matches: unmatched rows", len(found.unmatched))
            note("matches: items with more routes", len(found.more_routes))
            del found
    return res


def closure_sizes(store: EmbeddedStore, batch: GraphBatch) -> tuple[float, int]:
    from filiere.queries.embedded import index

    ix = index(store)
    products = [n.key for n in batch.nodes if n.key.startswith("P") and n.label == "Item"]
    sizes = [len(ix.closure_depths(ix.check_item(p))) for p in products[:200]]
    return statistics.mean(sizes), max(sizes)


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB (Linux: ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def neo4j_store(args: argparse.Namespace, batch: GraphBatch) -> GraphStore:
    """The Neo4j store holding ``batch``: loaded now unless it already holds it."""
    from filiere.graph.neo4j_store import Neo4jStore

    if args.neo4j_uri:
        if args.neo4j_load == "bulk":
            sys.exit("--neo4j-load bulk needs the launcher's server (--neo4j-home), not a URI")
        remote = Neo4jStore(args.neo4j_uri, password="filiere-dev")
        if not holds(remote, batch):
            t, _ = timed(lambda: write_in_chunks(remote, batch, chunk=50_000))
            print(f"Neo4j store written in {t:.0f} s (transactional)", flush=True)
        return remote
    from filiere.neo4j_local import start
    from filiere.neo4j_local.bulk_import import database_exists

    home: Path = args.neo4j_home or args.workdir / "neo4j"

    def connect() -> Neo4jStore:
        server = start(home, heap=args.neo4j_heap, pagecache=args.neo4j_pagecache)
        print(f"Neo4j {server.uri} (home {home}, pid {server.pid})", flush=True)
        return Neo4jStore(server.uri, user=server.user, password=server.password)

    neo = connect() if database_exists(home) else None
    if neo is not None and holds(neo, batch):
        return neo
    if args.neo4j_load == "write":
        store = neo or connect()
        t, _ = timed(lambda: write_in_chunks(store, batch, chunk=50_000))
        print(f"Neo4j store written in {t:.0f} s (transactional)", flush=True)
        return store
    if neo is not None:
        neo.close()
    return bulk_load(home, batch, args, connect)


def bulk_load(
    home: Path, batch: GraphBatch, args: argparse.Namespace, connect: Callable[[], GraphStore]
) -> GraphStore:
    """Load ``batch`` as the launcher's database with the bulk path of ``filiere neo4j import``.

    The server is stopped, the records written as import tool CSV files (under
    ``--workdir``), Neo4j's import tool replaces the database, and the server restarts
    (creating the schema's constraints, as after ``filiere neo4j import``).
    """
    from filiere.ingest.neo4j_admin import write_admin_csv
    from filiere.neo4j_local import stop
    from filiere.neo4j_local.bulk_import import import_csv

    stop(home)
    args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="neo4j-import-", dir=args.workdir) as tmp:
        t_csv, files = timed(lambda: write_admin_csv(batch, tmp))
        t_tool, _ = timed(
            lambda: import_csv(
                files.arguments(),
                home,
                overwrite=True,
                memory=args.bulk_memory,
                show_progress=False,
            )
        )
    started = time.perf_counter()
    neo = connect()
    t_start = time.perf_counter() - started
    total = t_csv + t_tool + t_start
    print(
        f"Neo4j store bulk-loaded in {total:.0f} s: import files {t_csv:.1f} s, "
        f"import tool {t_tool:.1f} s, start + constraints {t_start:.1f} s "
        f"({files.nodes:,} nodes, {files.relationships:,} relationships)",
        flush=True,
    )
    if not holds(neo, batch):
        sys.exit("the bulk-loaded Neo4j database does not hold the generated graph")
    return neo


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--stores", default="embedded,neo4j")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/filiere-bench"))
    ap.add_argument(
        "--neo4j-home", type=Path, default=None, help="Launcher home (default: WORKDIR/neo4j)."
    )
    ap.add_argument("--neo4j-uri", default=None)
    ap.add_argument(
        "--neo4j-load",
        choices=["bulk", "write"],
        default=None,
        help="How a Neo4j store that does not hold the graph is loaded: bulk (the import "
        "tool, default for the launcher's server) or write (transactions, default with "
        "--neo4j-uri).",
    )
    ap.add_argument(
        "--neo4j-heap", default="3g", help="Java heap of the launcher's server (when it starts)."
    )
    ap.add_argument("--neo4j-pagecache", default="1g", help="Its page cache (when it starts).")
    ap.add_argument("--bulk-memory", default="1g", help="Off-heap memory of the import tool.")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Times critical, the shocks, opportunities and matches run (the first is cold).",
    )
    ap.add_argument("--scale", type=float, default=1.0, help="Fraction of the graph's sizes.")
    ap.add_argument(
        "--only",
        default=None,
        help="Comma-separated groups to time: deps,routes,critical,shock,opportunities,matches.",
    )
    args = ap.parse_args(argv)
    stores = args.stores.split(",")
    only = set(args.only.split(",")) if args.only else None
    config = CONFIG
    if args.scale != 1.0:
        from dataclasses import replace

        scale: float = args.scale

        def part(n: int) -> int:
            return max(2, round(n * scale))

        config = replace(
            CONFIG,
            products=part(CONFIG.products),
            width=part(CONFIG.width),
            materials=part(CONFIG.materials),
            suppliers=part(CONFIG.suppliers),
        )
        args.samples = min(args.samples, config.products)

    t, dataset = timed(lambda: generate(config))
    batch = build_batch(dataset, loaded_at=LOADED_AT)
    print(
        f"generated in {t:.1f} s: {len(batch.nodes):,} nodes, {len(batch.rels):,} relationships",
        flush=True,
    )
    results: dict[str, dict[str, float]] = {}
    if "embedded" in stores:
        args.workdir.mkdir(parents=True, exist_ok=True)
        emb = EmbeddedStore(args.workdir / "graph.json")
        if not holds(emb, batch):
            t, _ = timed(lambda: write_in_chunks(emb, batch))
            print(f"embedded store written in {t:.0f} s", flush=True)
        from filiere.queries.embedded import index

        t, _ = timed(lambda: index(emb))
        print(f"embedded index built in {t:.1f} s (once per graph version)", flush=True)
        mean, biggest = closure_sizes(emb, batch)
        print(f"product closures: mean {mean:.0f} items, max {biggest}", flush=True)
        results["embedded"] = run(emb, batch, args.samples, seed=7, only=only, repeat=args.repeat)
    if "neo4j" in stores:
        neo = neo4j_store(args, batch)
        results["neo4j"] = run(neo, batch, args.samples, seed=7, only=only, repeat=args.repeat)
        neo.close()
    print(f"peak RSS of this process: {peak_rss_mb():,.0f} MB", flush=True)

    names = list(next(iter(results.values())))
    print()
    print("| measure | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for n in names:
        cells = []
        for r in results.values():
            v = r[n]
            cells.append(f"{v:,.0f}" if v >= 100 else f"{v:.2f}" if v < 10 else f"{v:.1f}")
        print(f"| {n} | " + " | ".join(cells) + " |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
