"""Settings of the HTTP API, read from ``FILIERE_API_*`` environment variables or a ``.env`` file.

>>> s = ApiSettings(cors_origins=["https://cci.example"])
>>> s.cors_origins, s.cypher_row_limit
(['https://cci.example'], 1000)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from filiere.settings import default_data_dir


def default_keys_file() -> Path:
    """API keys live beside the store's data: ``~/.local/share/filiere/apikeys.json``."""
    return default_data_dir() / "apikeys.json"


class ApiSettings(BaseSettings):
    """What ``filiere serve`` reads; every field has an env var ``FILIERE_API_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="FILIERE_API_", env_file=".env", extra="ignore", frozen=True
    )

    keys_file: Path = Field(
        default_factory=default_keys_file, description="JSON file of hashed API keys."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed by CORS (JSON list); empty means no cross-origin access.",
    )
    max_body_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Largest request body accepted (bytes)."
    )
    max_json_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest JSON request body accepted (bytes)."
    )
    request_timeout_s: float = Field(30.0, gt=0, description="Time limit of a request.")
    upload_timeout_s: float = Field(
        900.0, gt=0, description="Time limit of a dataset upload and its ingestion."
    )
    cypher_timeout_s: float = Field(
        20.0, gt=0, description="Server-side timeout of a POST /cypher query."
    )
    cypher_row_limit: int = Field(
        1000, ge=1, le=100_000, description="Most rows a POST /cypher query returns."
    )
    cypher_max_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="Most bytes of rows (as JSON) a POST /cypher query returns.",
    )
    cypher_per_key: int = Field(
        4, ge=1, description="POST /cypher requests one API key may run at once (429 beyond)."
    )
    uploads_per_key: int = Field(
        2, ge=1, description="POST /datasets uploads one API key may run at once (429 beyond)."
    )
    auth_failures: int = Field(
        30,
        ge=1,
        description="Failed authentications allowed per client address in the window; "
        "beyond, 429 without checking keys.",
    )
    auth_failure_window_s: float = Field(
        60.0, gt=0, description="The window of auth_failures (seconds)."
    )
    auth_concurrency: int = Field(
        1, ge=1, description="Key checks (scrypt, about 50 ms of CPU each) run at once."
    )
    gc_freeze: bool = Field(
        True,
        description="Embedded store: freeze long-lived objects (the analysis index) so that "
        "garbage collections stay short.",
    )
