"""Server-side sessions with an idle timer, like the core systems RPA has to live with.

The cookie only carries a random id; everything else (user, CSRF token, the pending application,
the one-time submit token) stays on the server, so idle expiry is enforced here, not by the client.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COOKIE_NAME = "KZSESSION"

# Idle sessions are forgotten after this many idle periods: long enough that a lapsed login
# still gets the 「有効期限が切れました」 message, short enough to keep memory flat.
_FORGET_AFTER_IDLE_PERIODS = 4
_SWEEP_EVERY = 256
# Clients that never send the cookie back (plain-HTTP benchmarks) create a session per request.
_MAX_ANONYMOUS = 10_000


@dataclass
class Session:
    """One browser's state. Mutated only by the request holding it (one browser, one request),
    except ``revoked``, which ``expire_all`` sets from any thread under the store's lock."""

    sid: str
    last_seen: float
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: str | None = None
    pending: dict[str, Any] | None = None
    submit_token: str | None = None
    is_new: bool = False
    #: Ended by ``SessionStore.expire_all`` (a restart of the core system): treated as idle-expired.
    revoked: bool = False


@dataclass(frozen=True)
class Lookup:
    """Result of resolving a request's cookie: the session to use, and whether a login lapsed."""

    session: Session
    expired: bool


class SessionStore:
    """Sessions keyed by cookie value, guarded by one lock; time comes from the injected clock."""

    def __init__(self, idle_seconds: float, clock: Callable[[], float]) -> None:
        self._idle = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._created = 0

    def _new(self, now: float) -> Session:
        session = Session(sid=secrets.token_urlsafe(24), last_seen=now, is_new=True)
        self._sessions[session.sid] = session
        self._created += 1
        if self._created % _SWEEP_EVERY == 0:
            self._sweep(now)
        return session

    def _sweep(self, now: float) -> None:
        limit = self._idle * _FORGET_AFTER_IDLE_PERIODS
        for sid in [sid for sid, s in self._sessions.items() if now - s.last_seen > limit]:
            del self._sessions[sid]
        anonymous = [s for s in self._sessions.values() if s.user is None]
        if len(anonymous) > _MAX_ANONYMOUS:
            anonymous.sort(key=lambda s: s.last_seen)
            for s in anonymous[: len(anonymous) - _MAX_ANONYMOUS]:
                del self._sessions[s.sid]

    def resolve(self, sid: str | None) -> Lookup:
        """The session for a cookie value; a fresh one if unknown or if its login idled too long.

        Only logins expire: a login page left open for an hour still accepts its CSRF token.
        """
        now = self._clock()
        with self._lock:
            session = self._sessions.get(sid) if sid else None
            if session is None:
                return Lookup(self._new(now), expired=False)
            if session.user is not None and (session.revoked or now - session.last_seen > self._idle):
                del self._sessions[session.sid]
                return Lookup(self._new(now), expired=True)
            session.last_seen = now
            session.is_new = False
            return Lookup(session, expired=False)

    def login(self, old: Session, user: str) -> Session:
        """Replace the session by a fresh logged-in one (a new id defeats session fixation)."""
        with self._lock:
            self._sessions.pop(old.sid, None)
            session = self._new(self._clock())
            session.user = user
            return session

    def logout(self, old: Session) -> Session:
        """Drop the session and hand back an anonymous one."""
        with self._lock:
            self._sessions.pop(old.sid, None)
            return self._new(self._clock())

    def expire_all(self) -> int:
        """Expire every live login at once, as a restart of the core system would; returns how many.

        The sessions are only marked, not dropped, so each browser's next request gets the same
        「有効期限が切れました」 answer as after idling, instead of a bare login screen.
        """
        now = self._clock()
        with self._lock:
            live = [
                s
                for s in self._sessions.values()
                if s.user is not None and not s.revoked and now - s.last_seen <= self._idle
            ]
            for session in live:
                session.revoked = True
            return len(live)

    def set_pending(self, session: Session, values: dict[str, Any]) -> str:
        """Hold a validated application for confirmation; returns its new one-time submit token."""
        with self._lock:
            session.pending = dict(values)
            session.submit_token = secrets.token_urlsafe(24)
            return session.submit_token

    def take_submit_token(self, session: Session, token: str) -> dict[str, Any] | None:
        """Atomically consume the one-time submit token; the pending application if it matched."""
        with self._lock:
            expected = session.submit_token
            if not token or expected is None or not secrets.compare_digest(token.encode(), expected.encode()):
                return None
            pending, session.pending, session.submit_token = session.pending, None, None
            return pending

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
