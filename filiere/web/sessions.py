"""Workspace sessions: a server-side table in memory, and the one-time links of ``filiere ui``.

Why a table in memory rather than a signed cookie: signing out or revoking the API key
ends a session at once (a signed cookie stays valid until it expires), there is no
signing secret to create, keep and rotate, and the cookie holds nothing but a random id.
The cost: a restart signs everyone out, and sessions belong to one server process
(``filiere ui`` runs one; ``filiere serve --workers N`` needs sticky clients or 1 worker).

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

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from filiere.api.security import Role

#: One-time links waiting to be used, at most (older ones are dropped).
MAX_TOKENS = 64


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


class SessionTable:
    """Open sessions by id, closed when idle for ``idle_s`` or older than ``max_s``."""

    def __init__(
        self,
        *,
        idle_s: float,
        max_s: float,
        max_sessions: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_s = idle_s
        self.max_s = max_s
        self.max_sessions = max_sessions
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._tokens: OrderedDict[str, tuple[Role, str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, role: Role, *, key_id: str | None, name: str) -> Session:
        """A new session (the least recently used one closes when the table is full)."""
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), Role(role), key_id, name, now, now)
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of that id (its idle time restarts), or ``None``."""
        if not session_id:
            return None
        now = self.clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.seen > self.idle_s or now - session.created > self.max_s:
                del self._sessions[session_id]
                return None
            session.seen = now
            self._sessions.move_to_end(session_id)
            return session

    def close(self, session_id: str | None) -> None:
        """End a session (signing out); unknown ids are ignored."""
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def grant(self, role: Role, *, name: str, ttl_s: float) -> str:
        """A one-time token that opens a session of ``role`` once, within ``ttl_s``."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (Role(role), name, self.clock() + ttl_s)
            while len(self._tokens) > MAX_TOKENS:
                self._tokens.popitem(last=False)
        return token

    def redeem(self, token: str) -> Session | None:
        """Spend a one-time token: the session it opens, or ``None`` (unknown, spent, late)."""
        with self._lock:
            grant = self._tokens.pop(token, None)
        if grant is None or self.clock() > grant[2]:
            return None
        return self.open(grant[0], key_id=None, name=grant[1])
