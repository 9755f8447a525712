"""``filiere serve`` on a store: time to its first answer, the first look-ups, and its RSS.

Usage (on a COPY of a store: a server may write ``STORE.index`` beside it)::

    .venv/bin/python benchmarks/serve_bench.py STORE [--item P0001] [--region FR-BFC]

Starts ``filiere --store STORE serve`` in a new process with a fresh analyst key, and
prints the seconds until ``/health`` first answers (the app's startup done), then the
wall time of each look-up in order (each the first of its kind in that process), and the
server's resident and peak memory (``/proc/PID/status``). The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` (peak) of process ``pid``, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0]) / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--item", default="P0001")
    parser.add_argument("--supplier", default="S0001")
    parser.add_argument("--region", default="FR-BFC")
    parser.add_argument("--search", default="fournisseur 12")
    parser.add_argument("--port", type=int, default=8917)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("filiere"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FILIERE_API_KEYS_FILE": str(Path(tmp) / "keys.json")}
        key = subprocess.run(
            [exe, "apikey", "create", "--role", "analyst"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        cmd = [exe, "--store", str(args.store), "serve", "--port", str(args.port)]
        started = time.perf_counter()
        server = subprocess.Popen([*cmd, "--log-level", "warning"], env=env)
        base = f"http://127.0.0.1:{args.port}"
        try:
            with httpx.Client(base_url=base, timeout=600) as client:
                while True:
                    try:
                        if client.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if server.poll() is not None:
                        raise SystemExit("the server stopped")
                    time.sleep(0.05)
                print(f"first answer (/health): {time.perf_counter() - started:.2f} s")
                print(f"memory after startup: {memory_mb(server.pid)}")
                client.headers["Authorization"] = f"Bearer {key}"
                for path in (
                    "/ready",
                    f"/items/{args.item}",
                    f"/suppliers/{args.supplier}",
                    f"/regions/{args.region}",
                    f"/suppliers?region={args.region}&limit=50",
                    "/items?kind=component&limit=50",
                    f"/search?q={args.search}",
                ):
                    t = time.perf_counter()
                    r = client.get(path)
                    print(f"{path}: {r.status_code} in {time.perf_counter() - t:.3f} s")
                print(f"memory after the look-ups: {memory_mb(server.pid)}")
        finally:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
