"""The analyses on a store that is already loaded (e.g. the 10^7-relationship one).

Usage::

    .venv/bin/python benchmarks/store_bench.py --dataset DIR --store STORE.db
    .venv/bin/python benchmarks/store_bench.py --dataset DIR --neo4j-home HOME [--heap 3g]

``DIR`` is the dataset the store was loaded from: the products sampled are the rows of
its ``items.csv`` of kind ``product`` (a reservoir sample, the file is streamed). On the
embedded store, ``deps`` is timed twice over the same sample: first as a one-shot
``filiere deps`` runs it (a new store object each time: the product's closure read
from SQLite, no index in memory), then with the store's index in memory (a server, a
second analysis; building or loading it is timed on its own). Then ``critical`` and
``shock`` on China, ``--repeat`` times. Prints p50/p95 and the process's peak RSS.
Cold command-line figures (index built, then read from its cache file) are taken with
``/usr/bin/time -v filiere critical``: see ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
from collections.abc import Callable
from pathlib import Path

from analyses_bench import percentile, timed

from filiere.graph.store import GraphStore
from filiere.queries import AnalysisSettings, critical, deps, shock


def sample_products(dataset: Path, n: int, seed: int) -> list[str]:
    """``n`` product ids of ``dataset/items.csv``, a uniform sample read in one pass."""
    rnd = random.Random(seed)
    out: list[str] = []
    seen = 0
    with (dataset / "items.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] != "product":
                continue
            seen += 1
            if len(out) < n:
                out.append(row["id"])
            elif (j := rnd.randrange(seen)) < n:
                out[j] = row["id"]
    return out


def note(name: str, value: float) -> None:
    print(f"  {name}: {value:,.2f}", flush=True)


def time_deps(label: str, store_for: Callable[[], GraphStore], products: list[str]) -> None:
    settings = AnalysisSettings()
    lat, sizes = [], []
    for p in products:
        store = store_for()
        t, out = timed(lambda s=store, p=p: deps(s, p, settings))  # type: ignore[misc]
        lat.append(t)
        sizes.append(len(out.dependencies))
    note(f"deps p50, {label} (ms)", percentile(lat, 0.5) * 1000)
    note(f"deps p95, {label} (ms)", percentile(lat, 0.95) * 1000)
    note(f"deps max, {label} (ms)", max(lat) * 1000)
    note("deps: mean dependencies", sum(sizes) / len(sizes))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--store", type=Path, help="An embedded store file.")
    ap.add_argument("--neo4j-home", type=Path, help="A launcher home (started if needed).")
    ap.add_argument("--heap", default="3g", help="The Neo4j server's heap when it starts.")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip", default="", help="Comma-separated: deps,critical,shock.")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    products = sample_products(args.dataset, args.samples, args.seed)
    print(f"{len(products)} products sampled from {args.dataset}", flush=True)
    store: GraphStore
    if args.store is not None:
        from filiere.graph.embedded import EmbeddedStore
        from filiere.queries.embedded import index

        if "deps" not in skip:
            time_deps("one-shot (closure from SQLite)", lambda: EmbeddedStore(args.store), products)
        store = EmbeddedStore(args.store)
        t, _ix = timed(lambda: index(store))  # type: ignore[arg-type]
        note("index in memory: built or read from the cache file (s)", t)
    else:
        from filiere.graph.neo4j_store import Neo4jStore
        from filiere.neo4j_local import start

        server = start(args.neo4j_home, heap=args.heap)
        store = Neo4jStore(server.uri, user=server.user, password=server.password)
    if "deps" not in skip:
        time_deps("warm", lambda: store, products)
    for i in range(args.repeat):
        again = f" #{i + 1}"
        if "critical" not in skip:
            t, crit = timed(lambda: critical(store))
            note(f"critical{again} (s)", t)
            note("critical: items", len(crit.items))
        if "shock" not in skip:
            t, hit = timed(lambda: shock(store, ["CN"]))
            note(f"shock CN{again} (s)", t)
            note("shock CN: products hit", len(hit.impacted_products))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    store.close()


if __name__ == "__main__":
    main()
