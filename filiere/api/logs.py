"""Access logs without credentials: query values of auth-like names and API keys are redacted.

Keys belong in the ``Authorization`` header (never logged), but a client may still put
one in the URL (``?key=fil_...``, ``?token=...``). uvicorn's access log writes the path
with its query string; :class:`RedactSecrets` rewrites it before it is formatted.

>>> redact("/items?key=fil_0a1b2c3d4e_secretsecretsecret&limit=5")
'/items?key=***&limit=5'
>>> redact("/search?q=aimant&Access_Token=abc&APIKEY=x&password=p")
'/search?q=aimant&Access_Token=***&APIKEY=***&password=***'
>>> redact("/items/fil_0a1b2c3d4e_secretsecretsecret?q=fil_0a1b2c3d4e_secretsecretsecret")
'/items/fil_0a1b2c3d4e_***?q=fil_0a1b2c3d4e_***'
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

ACCESS_LOGGER = "uvicorn.access"
MASK = "***"
#: Query parameter names whose values are credentials (matched case-insensitively,
#: anywhere in the name: ``api_key``, ``x-auth-token``, ``client_secret``...).
SECRET_NAME = re.compile(
    r"key|token|secret|passw|pwd|auth|session|sig|credential|bearer|jwt|cookie", re.I
)
#: A filiere API key anywhere in a URL: the id stays (it names the key), the secret goes.
API_KEY = re.compile(r"(fil_[0-9A-Za-z]+_)[0-9A-Za-z_%-]+")


def redact(target: str) -> str:
    """``target`` (a path with its query string) with every credential masked."""
    target = API_KEY.sub(lambda m: m.group(1) + MASK, target)
    path, sep, query = target.partition("?")
    if not sep:
        return target
    pairs = []
    for pair in query.split("&"):
        name, eq, _value = pair.partition("=")
        pairs.append(f"{name}={MASK}" if eq and SECRET_NAME.search(unquote_plus(name)) else pair)
    return f"{path}?{'&'.join(pairs)}"


class RedactSecrets(logging.Filter):
    """Mask credentials in uvicorn's access log records (their third argument is the URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install(logger_name: str = ACCESS_LOGGER) -> None:
    """Put :class:`RedactSecrets` on the access logger (once), whoever runs the app."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with the access log's handler redacting secrets."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["filters"] = {**config.get("filters", {}), "redact": {"()": RedactSecrets}}
    config["handlers"] = {
        name: {**handler, "filters": [*handler.get("filters", []), "redact"]}
        if name == "access"
        else handler
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config
