"""Benchmark of the workspace pages: server time per page on the embedded store.

Run from the repository root::

    .venv/bin/python benchmarks/web_bench.py                 # demo pages + 600-item product
    .venv/bin/python benchmarks/web_bench.py --samples 50
    .venv/bin/python benchmarks/web_bench.py --demo-only     # the demo pages only

Two measures (goals of issue 13):

1. each page of the workspace over the demo dataset, signed in, ``--samples`` requests
   after two warm-up ones: p50 and p95 server time (goal: p95 under 150 ms);
2. the product page of the generated benchmark graph at a tenth of its size
   (:mod:`filiere.testing.generate`), for the product whose bill of materials holds
   nearest to 600 items (goal: under 1 s), and that graph's home page (no goal: it
   summarises the whole graph).

Requests go through the ASGI app in-process (Starlette's test client): the time is the
server's work (routing, session, analysis, template), without a network.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from filiere import queries
from filiere.api.app import create_app
from filiere.api.settings import ApiSettings
from filiere.graph.embedded import EmbeddedStore
from filiere.ingest.build import build_batch
from filiere.testing.generate import GeneratorConfig, generate

#: The benchmark graph of benchmarks/analyses_bench.py at a tenth of its size.
SMALL = GeneratorConfig(
    seed=42,
    products=200,
    layers=8,
    width=1700,
    materials=200,
    fanout=3,
    suppliers=5000,
    offers=3,
    name="bench",
)

PAGES = {
    "accueil": "/",
    "recherche": "/recherche?q=aimant",
    "recherche (htmx)": "/recherche?q=neodyme",
    "produit": "/produits/P-KAPLAN",
    "produit CSV": "/produits/P-KAPLAN/dependances.csv",
    "produit xlsx": "/produits/P-KAPLAN/dependances.xlsx",
    "produit graphe": "/produits/P-KAPLAN/graphe",
    "choc": "/choc?pays=CN",
    "choc graphe": "/choc/graphe?pays=CN",
    "import": "/import",
    "carte": "/carte",
    "carte article": "/carte?article=C-MAG-NDFEB-S&region=FR-ARA",
    "carte contours": "/carte/contours/departements.geojson",
    "article": "/articles/C-MAG-NDFEB-S",
    "article matiere": "/articles/M-ND",
    "fournisseur": "/fournisseurs/SUP-MAG-ARA",
    "region": "/region/FR-BFC",
    "cypher": "/requetes",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def signed_in(store: EmbeddedStore, workdir: Path) -> tuple[TestClient, Any]:
    app = create_app(ApiSettings(keys_file=workdir / "keys.json"), store=store)
    client = TestClient(app)
    client.__enter__()
    token = app.state.web.sessions.grant("admin", name="bench", ttl_s=600)
    client.get(f"/?token={token}")
    return client, app


def time_page(client: TestClient, path: str, samples: int, htmx: bool = False) -> list[float]:
    headers = {"HX-Request": "true"} if htmx else {}
    for _ in range(2):
        client.get(path, headers=headers)
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        r = client.get(path, headers=headers)
        times.append(time.perf_counter() - t)
        if r.status_code != 200:
            sys.exit(f"{path}: {r.status_code}")
    return times


def demo_pages(workdir: Path, samples: int) -> None:
    from filiere.cli.report_cmds import demo_dataset
    from filiere.ingest import load

    store = EmbeddedStore(workdir / "demo.json")
    with demo_dataset() as folder:
        load(folder, store, replace=True, progress=False, source="demo")
    client, _app = signed_in(store, workdir)
    print(f"demo dataset, embedded store, {samples} requests per page")
    print(f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8}")
    for name, path in PAGES.items():
        times = time_page(client, path, samples, htmx="htmx" in name)
        p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
        print(f"{name:<20} {p50:>8.1f} {p95:>8.1f}")
    client.__exit__(None, None, None)


def large_product(workdir: Path, samples: int) -> None:
    store = EmbeddedStore(workdir / "bench.json")
    t = time.perf_counter()
    store.write(build_batch(generate(SMALL), source="bench"), replace=True)
    print(f"\nbenchmark graph at 1/10 written in {time.perf_counter() - t:.1f} s")
    products = sorted(
        str(k[1]) for k, d in store.graph.nodes(data=True) if "Product" in d["labels"]
    )
    sizes = {p: len(queries.bom(store, p).lines) for p in products}
    product = min(products, key=lambda p: (abs(sizes[p] - 600), p))
    client, _app = signed_in(store, workdir)
    times = time_page(client, f"/produits/{product}", samples)
    print(
        f"product page of {product} ({sizes[product]} items in its BOM): "
        f"p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms"
    )
    home = time_page(client, "/", 3)
    print(f"home page of that graph (whole-graph summary and at-risk ranking): {max(home):.1f} s")
    client.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--demo-only", action="store_true", help="skip the 600-item product")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="filiere-web-bench-") as tmp:
        demo_pages(Path(tmp), args.samples)
        if not args.demo_only:
            large_product(Path(tmp), max(5, args.samples // 3))


if __name__ == "__main__":
    main()
