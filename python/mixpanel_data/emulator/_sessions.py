"""Engage query sessions: the cached result a ``session_id`` pages through.

Mixpanel docs (engage-query): the first request of a query returns a ``session_id``; later
pages send it back with ``page`` (0-based). How long a session lives is not documented, so
the lifetime is a setting here (``Emulator(session_ttl=...)``) and an expired or unknown id
is refused with a 400, as Mixpanel refuses a page request for a query it no longer holds.
Ids look like Mixpanel's (``1718031845-a1B2c3``) and are deterministic: the same sequence of
queries against the same emulator gives the same ids.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["EngageSession", "Sessions"]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class EngageSession:
    """One cached query: its profile rows (already projected) and when it was created."""

    session_id: str
    rows: tuple[dict[str, Any], ...]
    created: float


class Sessions:
    """Thread-safe store of engage sessions with a time-to-live on an injectable clock."""

    def __init__(self, *, ttl: float, clock: Callable[[], float], epoch: int) -> None:
        self.ttl = ttl
        self._clock = clock
        self._epoch = epoch
        self._lock = threading.Lock()
        self._sessions: dict[str, EngageSession] = {}
        self._counter = 0

    def create(self, rows: tuple[dict[str, Any], ...], fingerprint: str) -> EngageSession:
        """Cache ``rows`` under a new session id."""
        with self._lock:
            self._counter += 1
            digest = hashlib.blake2b(
                f"{self._counter}\x1f{fingerprint}".encode(), digest_size=8
            ).digest()
            number = int.from_bytes(digest, "big")
            token = ""
            for _ in range(6):
                number, index = divmod(number, len(_ALPHABET))
                token += _ALPHABET[index]
            session = EngageSession(
                session_id=f"{self._epoch}-{token}", rows=rows, created=self._clock()
            )
            self._expire()
            self._sessions[session.session_id] = session
            return session

    def get(self, session_id: str) -> EngageSession | None:
        """The live session with this id, or ``None`` when unknown or expired."""
        with self._lock:
            self._expire()
            return self._sessions.get(session_id)

    def _expire(self) -> None:
        now = self._clock()
        dead = [k for k, s in self._sessions.items() if now - s.created >= self.ttl]
        for key in dead:
            del self._sessions[key]
