"""Settings of the workspace, read from ``FILIERE_WEB_*`` environment variables or ``.env``.

>>> s = WebSettings()
>>> s.session_idle_s, s.session_max_s
(28800.0, 86400.0)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """Sessions and cookies of the workspace; every field has ``FILIERE_WEB_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="FILIERE_WEB_", env_file=".env", extra="ignore", frozen=True
    )

    session_idle_s: float = Field(
        8 * 3600.0, gt=0, description="A session unused this long (seconds) is closed."
    )
    session_max_s: float = Field(
        24 * 3600.0, gt=0, description="A session is closed this long after sign-in (seconds)."
    )
    max_sessions: int = Field(
        10_000, ge=1, description="Open sessions kept; beyond, the least recently used closes."
    )
    sessions_file: Path | None = Field(
        None,
        description="The SQLite file of the sessions, shared by the server's workers "
        "(default: sessions.sqlite3 beside the API key file).",
    )
    private_sessions: bool = Field(
        False, description="Keep sessions in this process's memory (what `filiere ui` does)."
    )
    token_ttl_s: float = Field(
        3600.0, gt=0, description="How long the one-time link of `filiere ui` stays valid."
    )
    secure_cookies: bool = Field(
        False, description="Mark cookies Secure (set it when served over HTTPS)."
    )
    signin_failures: int = Field(
        10, ge=1, description="Failed sign-ins allowed per client address in the window."
    )
    signin_window_s: float = Field(60.0, gt=0, description="The window of signin_failures.")
