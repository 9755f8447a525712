"""API keys: created with a role, stored as salted scrypt hashes, revocable.

A key reads ``fil_<id>_<secret>``; only its id, role and a salted hash are kept, in a
JSON file written atomically (readable by its owner only). A running server sees keys
created or revoked by ``filiere apikey`` at once: it re-reads the file when it changes.

>>> import tempfile, pathlib
>>> keys = KeyStore(pathlib.Path(tempfile.mkdtemp()) / "apikeys.json")
>>> record, token = keys.create(Role.ANALYST, name="doc")
>>> keys.authenticate(token).role
<Role.ANALYST: 'analyst'>
>>> keys.authenticate(token + "x") is None
True
>>> _ = keys.revoke(record.id)
>>> keys.authenticate(token) is None
True
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from filiere.errors import ConfigError, NotFoundError
from filiere.fsutil import atomic_write_text, file_lock, file_stamp

PREFIX = "fil"
FORMAT = "filiere-apikeys"
VERSION = 1
#: scrypt cost: about 16 MiB and a few tens of ms per verification (then cached).
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_CACHE_MAX = 4096


class Role(StrEnum):
    """What a key may do; each role may do everything the roles before it may."""

    ANALYST = "analyst"  # read, run analyses and read-only Cypher
    EDITOR = "editor"  # also upload datasets
    ADMIN = "admin"  # also manage API keys

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether a key with this role may do what ``needed`` may.

        >>> Role.EDITOR.allows(Role.ANALYST), Role.ANALYST.allows(Role.EDITOR)
        (True, False)
        """
        return self.rank >= needed.rank


@dataclass(frozen=True)
class ApiKey:
    """One stored key: never the key itself, only its salted hash."""

    id: str
    role: Role
    name: str
    created_at: str
    revoked_at: str | None
    salt: str
    digest: str

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **SCRYPT)


def parse_token(token: str) -> tuple[str, str] | None:
    """Split ``fil_<id>_<secret>`` into id and secret, or ``None`` when malformed.

    >>> parse_token("fil_0a1b2c3d4e_s3cr-et_x0123456789")
    ('0a1b2c3d4e', 's3cr-et_x0123456789')
    >>> parse_token("Bearer nope") is None
    True
    """
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or len(parts[2]) < 16:
        return None
    return parts[1], parts[2]


class KeyStore:
    """The API keys kept in one JSON file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, ApiKey] = {}
        self._verified: dict[bytes, str] = {}
        self._dummy_salt = secrets.token_bytes(16)

    # -- file ---------------------------------------------------------------------------------

    def _refresh(self) -> None:
        stamp = file_stamp(self.path)
        if stamp == self._stamp:
            return
        self._keys = self._read() if stamp is not None else {}
        self._stamp = stamp
        self._verified.clear()

    def _read(self) -> dict[str, ApiKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("version") != VERSION:
                raise ValueError("not a filiere API key file")
            keys = [ApiKey(**{**k, "role": Role(k["role"])}) for k in data["keys"]]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"{self.path}: cannot read the API key file: {e}") from None
        return {k.id: k for k in keys}

    def _write(self, keys: dict[str, ApiKey]) -> None:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "keys": [{**asdict(k), "role": k.role.value} for k in keys.values()],
        }
        atomic_write_text(self.path, json.dumps(data, indent=1), mode=0o600)

    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict[str, ApiKey]]:
        """Hold the file lock, yield the current keys, write them back."""
        with self._lock, file_lock(self.path):
            self._stamp = None
            self._refresh()
            keys = dict(self._keys)
            yield keys
            self._write(keys)
            self._stamp = None
            self._refresh()

    # -- management -----------------------------------------------------------------------------

    def create(self, role: Role, name: str = "") -> tuple[ApiKey, str]:
        """A new key: its stored record and the key itself (shown once, never stored)."""
        key_id = secrets.token_hex(5)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        record = ApiKey(
            id=key_id,
            role=Role(role),
            name=name,
            created_at=_now(),
            revoked_at=None,
            salt=salt.hex(),
            digest=_hash(secret, salt).hex(),
        )
        with self._editing() as keys:
            keys[key_id] = record
        return record, f"{PREFIX}_{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        with self._lock:
            self._refresh()
            return sorted(self._keys.values(), key=lambda k: (k.created_at, k.id))

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key for good (it stays listed, marked revoked)."""
        with self._editing() as keys:
            if key_id not in keys:
                raise NotFoundError(f"no API key {key_id!r}")
            if not keys[key_id].revoked:
                keys[key_id] = replace(keys[key_id], revoked_at=_now())
            return keys[key_id]

    # -- authentication -------------------------------------------------------------------------

    def cached(self, token: str) -> tuple[bool, ApiKey | None]:
        """``(True, key or None)`` when ``token`` was verified before, else ``(False, None)``.

        The fast path of :meth:`authenticate`, cheap enough for the event loop.
        """
        parsed = parse_token(token)
        if parsed is None:
            return True, None
        fingerprint = hashlib.sha256(token.encode()).digest()
        with self._lock:
            self._refresh()
            record = self._keys.get(parsed[0])
            if record is None or self._verified.get(fingerprint) != parsed[0]:
                return False, None
            return True, None if record.revoked else record

    def authenticate(self, token: str) -> ApiKey | None:
        """The live key that ``token`` is, or ``None`` (unknown, wrong secret or revoked)."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        fingerprint = hashlib.sha256(token.encode()).digest()
        with self._lock:
            self._refresh()
            record = self._keys.get(key_id)
            if self._verified.get(fingerprint) == key_id and record is not None:
                return None if record.revoked else record
        # Slow check outside the lock; unknown ids cost the same time as known ones.
        salt = bytes.fromhex(record.salt) if record else self._dummy_salt
        digest = _hash(secret, salt)
        if record is None or not hmac.compare_digest(digest, bytes.fromhex(record.digest)):
            return None
        with self._lock:
            if len(self._verified) >= _CACHE_MAX:
                self._verified.clear()
            self._verified[fingerprint] = key_id
        return None if record.revoked else record

    def public(self, record: ApiKey) -> dict[str, Any]:
        """A key's record without its hash, for listings."""
        return {
            "id": record.id,
            "role": record.role.value,
            "name": record.name,
            "created_at": record.created_at,
            "revoked_at": record.revoked_at,
        }
