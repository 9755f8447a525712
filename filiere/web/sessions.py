"""Workspace sessions: server-side rows in a small SQLite file, and ``filiere ui``'s links.

Why server-side rows rather than a signed cookie: signing out or revoking the API key
ends a session at once (a signed cookie stays valid until it expires), there is no
signing secret to create, keep and rotate, and the cookie holds nothing but a random id.

The rows live in one SQLite file (WAL) beside the API key file, so that every worker of
``filiere serve --workers N`` (and a restarted server) sees the same sessions. The file
keeps a SHA-256 of each session id, never the id itself: whoever reads the file cannot
sign in with it. ``filiere ui`` (one process) keeps its sessions in memory (``path=None``).
Times are wall-clock seconds, the one clock that processes share.

>>> table = SessionTable(idle_s=60, max_s=600, max_sessions=2, clock=lambda: 0.0)
>>> s = table.open(Role.ANALYST, key_id="k1", name="Ana")
>>> table.get(s.id).role
<Role.ANALYST: 'analyst'>
>>> table.close(s.id); table.get(s.id) is None
True
>>> token = table.grant(Role.ADMIN, name="local", ttl_s=60)
>>> table.redeem(token).role, table.redeem(token)
(<Role.ADMIN: 'admin'>, None)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from filiere.api.security import Role
from filiere.errors import ConfigError
from filiere.i18n import _

#: One-time links waiting to be used, at most (older ones are dropped).
MAX_TOKENS = 64
#: How long a worker waits for another one's write before giving up (seconds).
BUSY_TIMEOUT_S = 5.0


def _statements() -> dict[str, str]:
    """The statements of ``sessions.sql`` by name (each follows a ``-- name:`` line)."""
    text = (files("filiere.web") / "sessions.sql").read_text("utf-8")
    found: dict[str, str] = {}
    for block in text.split("-- name: ")[1:]:
        name, _sep, body = block.partition("\n")
        found[name.strip()] = body.strip()
    return found


SQL = _statements()


@dataclass
class Session:
    """One signed-in person: their role, the API key they signed in with, a CSRF token."""

    id: str
    role: Role
    key_id: str | None  # None: the local user of ``filiere ui``
    name: str
    created: float
    seen: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class SessionTable:
    """Open sessions, closed when idle for ``idle_s`` or older than ``max_s``; at most
    ``max_sessions`` are kept (the least recently used closes first).

    ``path``: the SQLite file shared by the server's workers; ``None`` keeps the
    sessions in this process's memory.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        idle_s: float,
        max_s: float,
        max_sessions: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self.idle_s = idle_s
        self.max_s = max_s
        self.max_sessions = max_sessions
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    # -- the file -------------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This process's connection (opened on first use; call with ``_lock`` held)."""
        if self._conn is None or self._pid != os.getpid():
            self._conn = self._connect()
            self._pid = os.getpid()
        return self._conn

    def _connect(self) -> sqlite3.Connection:
        where = str(self.path) if self.path is not None else ":memory:"
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))  # owner only
            conn = sqlite3.connect(
                where, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            if self.path is not None:
                conn.executescript(SQL["shared_file"])
            conn.executescript(SQL["schema"])
        except (OSError, sqlite3.Error) as e:
            message = _("{file}: cannot open the workspace session file: {error}")
            raise ConfigError(message.format(file=where, error=e)) from None
        return conn

    def close_file(self) -> None:
        """Close this process's connection (the rows stay in the file)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _since(self, now: float) -> dict[str, float]:
        """The oldest last use and sign-in of a live session at ``now``."""
        return {"idle_since": now - self.idle_s, "opened_since": now - self.max_s}

    # -- sessions -------------------------------------------------------------------------------

    def open(self, role: Role, *, key_id: str | None, name: str) -> Session:
        """A new session (the least recently used one closes when the table is full)."""
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), Role(role), key_id, name, now, now)
        with self._lock:
            db = self._db()
            db.execute(SQL["begin_write"])
            try:
                db.execute(SQL["drop_expired"], self._since(now))
                db.execute(
                    SQL["insert"],
                    {
                        "id_hash": _digest(session.id),
                        "role": session.role.value,
                        "key_id": key_id,
                        "name": name,
                        "csrf": session.csrf,
                        "now": now,
                    },
                )
                (count,) = db.execute(SQL["count"]).fetchone()
                if count > self.max_sessions:
                    db.execute(SQL["drop_least_recent"], {"n": count - self.max_sessions})
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of that id (its idle time restarts), or ``None``."""
        if not session_id:
            return None
        now = self.clock()
        key = _digest(session_id)
        with self._lock:
            db = self._db()
            # fetchall: run the statement to its end, so that its write commits now
            rows = db.execute(SQL["touch"], {"now": now, "id_hash": key, **self._since(now)})
            row = next(iter(rows.fetchall()), None)
            if row is None:
                db.execute(SQL["drop"], {"id_hash": key})  # expired
                return None
        role, key_id, name, csrf, created = row
        return Session(session_id, Role(role), key_id, name, created, now, csrf)

    def close(self, session_id: str | None) -> None:
        """End a session (signing out); unknown ids are ignored."""
        with self._lock:
            self._db().execute(SQL["drop"], {"id_hash": _digest(session_id or "")})

    def close_key(self, key_id: str) -> int:
        """End every session opened with the API key ``key_id``; how many there were."""
        with self._lock:
            cursor = self._db().execute(SQL["drop_key"], {"key_id": key_id})
            return cursor.rowcount

    def count(self) -> int:
        """Sessions in the table (expired ones not yet removed included)."""
        with self._lock:
            (n,) = self._db().execute(SQL["count"]).fetchone()
            return int(n)

    # -- one-time links -------------------------------------------------------------------------

    def grant(self, role: Role, *, name: str, ttl_s: float) -> str:
        """A one-time token that opens a session of ``role`` once, within ``ttl_s``."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            db = self._db()
            db.execute(SQL["drop_expired_grants"], {"now": now})
            grant = {"token_hash": _digest(token), "role": Role(role).value, "name": name}
            db.execute(SQL["insert_grant"], {**grant, "expires": now + ttl_s})
            db.execute(SQL["keep_newest_grants"], {"n": MAX_TOKENS})
        return token

    def redeem(self, token: str) -> Session | None:
        """Spend a one-time token: the session it opens, or ``None`` (unknown, spent, late)."""
        with self._lock:
            rows = self._db().execute(SQL["spend_grant"], {"token_hash": _digest(token)})
            row = next(iter(rows.fetchall()), None)
        if row is None or self.clock() > row[2]:
            return None
        return self.open(Role(row[0]), key_id=None, name=row[1])
