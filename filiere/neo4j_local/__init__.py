"""Run a local Neo4j Community server (embedded engine + Bolt on 127.0.0.1) without Docker."""

from filiere.neo4j_local.launcher import (
    NEO4J_VERSION,
    Neo4jLauncherError,
    Neo4jServer,
    cache_dir,
    default_home,
    ensure_engine,
    start,
    status,
    stop,
)

__all__ = [
    "NEO4J_VERSION",
    "Neo4jLauncherError",
    "Neo4jServer",
    "cache_dir",
    "default_home",
    "ensure_engine",
    "start",
    "status",
    "stop",
]
