"""Wall time of ``filiere demo`` (goal: well under a minute, offline) and of each view.

Run: ``python benchmarks/bench_demo.py``. Prints the demo's wall time (a fresh process,
as a user runs it) and the time to build and render each view of the demo products.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from filiere.graph.embedded import EmbeddedStore
from filiere.queries.models import AnalysisSettings
from filiere.report.findings import all_products
from filiere.viz import deps_view, shock_view


def main() -> None:
    exe = Path(sys.executable).parent / "filiere"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [str(exe), "demo", "--no-progress"], cwd=tmp, check=True, capture_output=True
        )
        print(f"filiere demo (fresh process): {time.perf_counter() - start:.2f} s")
        store = EmbeddedStore(Path(tmp) / "filiere-demo" / "graph.json")
        settings = AnalysisSettings()
        for product in all_products(store):
            start = time.perf_counter()
            view = deps_view(store, product, settings)
            html = view.html()
            print(
                f"viz deps {product}: {view.node_count} nodes, {len(html) // 1024} KiB, "
                f"{(time.perf_counter() - start) * 1000:.0f} ms"
            )
        start = time.perf_counter()
        view = shock_view(store, ["CN"], settings)
        view.html()
        print(
            f"viz shock CN: {view.node_count} nodes, {(time.perf_counter() - start) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
