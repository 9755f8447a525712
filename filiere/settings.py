"""Settings read from the environment (``FILIERE_*``, ``NEO4J_*``) or a ``.env`` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Where filiere keeps its files by default: ``$XDG_DATA_HOME/filiere``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "filiere"


def default_store_uri() -> str:
    """The embedded store's default file: ``~/.local/share/filiere/filiere.db``.

    ``graph.json``, the default of the releases before the SQLite store, stays the
    default while it exists alone there (it is converted on first open, in place).
    """
    folder = default_data_dir()
    legacy, current = folder / "graph.json", folder / "filiere.db"
    return str(legacy if legacy.exists() and not current.exists() else current)


class Settings(BaseSettings):
    """Every setting filiere reads; environment variables override the optional ``.env`` file."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    store: str = Field(
        default_factory=default_store_uri,
        validation_alias=AliasChoices("FILIERE_STORE", "store"),
        description="A file path (embedded store) or a bolt:// / neo4j:// URI (Neo4j store).",
    )
    neo4j_user: str = Field(
        "neo4j", validation_alias=AliasChoices("NEO4J_USERNAME", "NEO4J_USER", "neo4j_user")
    )
    neo4j_password: str = Field(
        "filiere-dev", validation_alias=AliasChoices("NEO4J_PASSWORD", "neo4j_password")
    )
    neo4j_database: str = Field(
        "neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "neo4j_database")
    )
    neo4j_batch_size: int = Field(
        5000, ge=1, validation_alias=AliasChoices("FILIERE_NEO4J_BATCH", "neo4j_batch_size")
    )
    home_country: str = Field(
        "FR", validation_alias=AliasChoices("FILIERE_HOME_COUNTRY", "home_country")
    )
    ingest_max_bytes: int = Field(
        256 * 1024 * 1024,
        ge=1024,
        validation_alias=AliasChoices("FILIERE_INGEST_MAX_BYTES", "ingest_max_bytes"),
        description="Most bytes a dataset may expand to once decompressed (all files).",
    )
    ingest_max_rows: int = Field(
        2_000_000,
        ge=1,
        validation_alias=AliasChoices("FILIERE_INGEST_MAX_ROWS", "ingest_max_rows"),
        description="Most rows (blank ones included) read from one dataset.",
    )
    ingest_max_columns: int = Field(
        256,
        ge=1,
        validation_alias=AliasChoices("FILIERE_INGEST_MAX_COLUMNS", "ingest_max_columns"),
        description="Most columns of one table.",
    )
    ingest_max_cells: int = Field(
        20_000_000,
        ge=1,
        validation_alias=AliasChoices("FILIERE_INGEST_MAX_CELLS", "ingest_max_cells"),
        description="Most cells read from one dataset (empty cells of a sheet included).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
