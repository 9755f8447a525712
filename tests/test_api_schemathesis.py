"""Schemathesis against the running server's OpenAPI schema: no 5xx, no schema violation.

Bounded: a fixed seed, 10 examples per operation, one worker. Every check runs but
``positive_data_acceptance``: the API rightly refuses (422) some schema-valid input
that only the data can judge (an unknown region or country, a cursor that decodes to
nothing, a file that is not a dataset).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from api_support import start_api

from filiere.graph.store import GraphStore

pytestmark = pytest.mark.slow

ST = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_failure(
    store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Schemathesis sends many requests without a key on purpose: each must be a 401, not
    # the 429 the failed-authentication budget of one address gives after 30 of them.
    with start_api(store, tmp_path, request, auth_failures=100_000) as api:
        cmd = [
            str(ST),
            "run",
            f"{api.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {api.keys['admin']}",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "10",
            "--seed",
            "20260526",
            "--workers",
            "1",
            "--no-shrink",
            "--request-timeout",
            "30",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    summary = out.split("SUMMARY")[-1]
    assert " failed" not in summary, out[-6000:]
    generated = re.search(r"(\d+) generated", summary)
    assert generated and int(generated.group(1)) >= 200, summary  # it did test something
    operations = sum(
        1
        for item in api.app.openapi()["paths"].values()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )
    assert f"Tested: {operations}" in summary, summary  # every operation
