"""Incidents: an unexpected error becomes one line for the user and a log file for us.

The traceback goes to ``<data dir>/logs/incident-<id>.log`` (``~/.local/share/filiere/
logs``, or the system's temporary folder when that cannot be written); the user sees
the incident id and the file, never the traceback.
"""

from __future__ import annotations

import os
import platform
import secrets
import tempfile
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from filiere.settings import default_data_dir


@dataclass(frozen=True)
class Incident:
    """One recorded unexpected error: its id and the log file (``None``: not written)."""

    id: str
    log: Path | None


def log_dir() -> Path:
    """Where incident logs are written: ``<data dir>/logs``."""
    return default_data_dir() / "logs"


def _version() -> str:
    try:
        return version("filiere")
    except PackageNotFoundError:
        return "unknown"


def record(exc: BaseException, command: str | None = None) -> Incident:
    """Write ``exc``'s traceback to a new log file readable by its owner only."""
    now = datetime.now(UTC)
    ident = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    text = (
        f"incident {ident} at {now.isoformat(timespec='seconds')}\n"
        f"filiere {_version()}, Python {platform.python_version()}, {platform.platform()}\n"
        f"command: {command or '?'}\n\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    )
    for folder in (log_dir(), Path(tempfile.gettempdir()) / "filiere-logs"):
        path = folder / f"incident-{ident}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            continue
        return Incident(ident, path)
    return Incident(ident, None)
