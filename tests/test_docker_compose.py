"""docker-compose.yml cannot run here (no Docker engine): check that it says what users need."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return data


def test_neo4j_service_is_the_lts_community_image_with_health_and_volumes(
    compose: dict[str, Any],
) -> None:
    neo = compose["services"]["neo4j"]
    assert neo["image"] == "neo4j:5.26-community"
    assert "cypher-shell" in " ".join(neo["healthcheck"]["test"])
    assert any(v.startswith("neo4j-data:/data") for v in neo["volumes"])
    env = neo["environment"]
    assert "apoc" in env["NEO4J_PLUGINS"]
    assert env["NEO4J_server_memory_heap_max__size"]
    assert env["NEO4J_server_memory_pagecache_size"]
    assert "127.0.0.1:7687:7687" in neo["ports"]


def test_neo4j_transactions_have_memory_limits_sized_from_the_heap(
    compose: dict[str, Any],
) -> None:
    from filiere.neo4j_local.launcher import memory_limits, size_bytes

    env = compose["services"]["neo4j"]["environment"]
    heap = size_bytes(env["NEO4J_server_memory_heap_max__size"])
    one = size_bytes(env["NEO4J_db_memory_transaction_max"])
    every = size_bytes(env["NEO4J_dbms_memory_transaction_total_max"])
    assert 0 < one < every < heap  # a query fails alone, before the heap runs out
    assert (
        env["NEO4J_db_memory_transaction_max"],
        env["NEO4J_dbms_memory_transaction_total_max"],
    ) == (memory_limits(env["NEO4J_server_memory_heap_max__size"]))


def test_api_service_builds_this_project_and_waits_for_neo4j(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert api["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert api["environment"]["FILIERE_STORE"] == "bolt://neo4j:7687"
    assert (ROOT / "Dockerfile").is_file()
    assert "filiere" in api["command"] and "serve" in api["command"]


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    used = {
        v.split(":", 1)[0]
        for svc in compose["services"].values()
        for v in svc.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert used <= set(compose["volumes"])


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="the docker compose client is not installed",
)
def test_docker_compose_config_accepts_the_file() -> None:
    subprocess.run(["docker", "compose", "config", "--quiet"], cwd=ROOT, check=True)
