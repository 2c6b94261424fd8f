"""A small file cache for schema discovery answers, per workspace, with a time to live.

Discovery calls count against the Query API's budget (60 queries an hour per project), and
what they answer changes slowly, so each listing is kept as a JSON file under
``$MP_HOME/cache/schema/<project>/<workspace>/`` and reused until it is older than its TTL
(``--refresh`` skips the cache). A file that cannot be read or decoded is a miss, never an
error. An ephemeral workspace keeps its cache in memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SchemaCache"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Entry(msgspec.Struct, frozen=True):
    key: str
    fetched_at: float
    value: msgspec.Raw


class SchemaCache:
    """Cached discovery answers.

    Parameters
    ----------
    directory
        Where the entries live; ``None`` keeps them in memory (for this object's lifetime).
    clock
        Current Unix time in seconds.
    """

    def __init__(self, directory: Path | None, *, clock: Callable[[], float] = time.time) -> None:
        self._directory = directory
        self._clock = clock
        self._memory: dict[str, tuple[float, bytes]] = {}

    @property
    def directory(self) -> Path | None:
        """The cache folder (``None`` for an in-memory cache)."""
        return self._directory

    def _file(self, key: str) -> Path:
        assert self._directory is not None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self._directory / f"{digest}.json"

    def get(self, key: str, kind: type[T], *, ttl: float) -> tuple[T, float] | None:
        """The cached value for ``key`` and when it was fetched, if younger than ``ttl``."""
        found = self._read(key)
        if found is None:
            return None
        fetched_at, raw = found
        if self._clock() - fetched_at > ttl:
            return None
        try:
            return msgspec.json.decode(raw, type=kind), fetched_at
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.debug("schema cache: dropping unreadable entry %r: %s", key, exc)
            return None

    def _read(self, key: str) -> tuple[float, bytes] | None:
        if self._directory is None:
            return self._memory.get(key)
        try:
            data = self._file(key).read_bytes()
            entry = msgspec.json.decode(data, type=_Entry)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        if entry.key != key:
            return None
        return entry.fetched_at, bytes(entry.value)

    def put(self, key: str, value: Any) -> float:
        """Store ``value`` (a msgspec-encodable object) under ``key``; returns the time stamp."""
        now = self._clock()
        raw = msgspec.json.encode(value)
        if self._directory is None:
            self._memory[key] = (now, raw)
            return now
        entry = msgspec.json.encode(_Entry(key=key, fetched_at=now, value=msgspec.Raw(raw)))
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(entry)
                Path(tmp).replace(self._file(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A cache that cannot be written only costs a later request; never fail for it.
            log.debug("schema cache: could not write %r: %s", key, exc)
        return now

    def clear(self) -> int:
        """Remove every entry; returns how many were removed."""
        if self._directory is None:
            count = len(self._memory)
            self._memory.clear()
            return count
        removed = 0
        if self._directory.is_dir():
            for path in self._directory.glob("*.json"):
                try:
                    path.unlink()
                    removed += 1
                except OSError:
                    pass
        return removed
