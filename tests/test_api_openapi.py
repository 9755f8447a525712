"""The OpenAPI schema is a snapshot: a change to the public API shows up as a diff.

After an intended change, update it with::

    FILIERE_UPDATE_SNAPSHOTS=1 pytest tests/test_api_openapi.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from filiere.api.app import create_app
from filiere.api.settings import ApiSettings

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def _schema(tmp_path: Path) -> str:
    app = create_app(ApiSettings(keys_file=tmp_path / "keys.json"))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def test_openapi_schema_matches_the_snapshot(tmp_path: Path) -> None:
    current = _schema(tmp_path)
    if os.environ.get("FILIERE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.is_file(), "no snapshot yet: run with FILIERE_UPDATE_SNAPSHOTS=1"
    assert current == SNAPSHOT.read_text(encoding="utf-8"), (
        "the public API changed: review `git diff tests/snapshots/openapi.json` after "
        "FILIERE_UPDATE_SNAPSHOTS=1 pytest tests/test_api_openapi.py"
    )


def test_every_error_is_documented_as_problem_details(tmp_path: Path) -> None:
    schema = json.loads(_schema(tmp_path))
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        code,
                    )
            secured = path not in ("/health", "/ready")
            assert ("security" in op) == secured, (path, method)
