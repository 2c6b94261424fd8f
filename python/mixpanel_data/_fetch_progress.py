"""Counting a fetch as it runs, and telling the caller through a callback.

A :class:`ProgressTracker` is shared by the threads of one fetch. Workers add rows and bytes
as data arrives; the coordinator marks chunks committed, retried or failed. Each change can
produce a :class:`~mixpanel_data._types_fetch.FetchProgress` snapshot for the caller's
``on_progress`` callback; callbacks run one at a time (under the tracker's lock), and a
callback that raises is logged and switched off, never allowed to break the fetch.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from mixpanel_data._types_fetch import FetchProgress

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from mixpanel_data._types_fetch import FetchKind, FetchStage

__all__ = ["ProgressTracker"]

log = logging.getLogger(__name__)


# "rows" snapshots are cheap but a fast fetch produces thousands of batches a minute; a
# progress bar needs a few a second.
_ROWS_INTERVAL = 0.1


class ProgressTracker:
    """Thread-safe counters of one fetch, reported through ``on_progress``.

    Parameters
    ----------
    kind, table
        What is fetched into which table.
    units_total
        Days (or pages) to fetch.
    on_progress
        Called with a snapshot on every stage change (and at most every 0.1 s for rows).
    clock
        Monotonic seconds.
    """

    def __init__(
        self,
        kind: FetchKind,
        table: str,
        units_total: int,
        on_progress: Callable[[FetchProgress], None] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind: FetchKind = kind
        self.table = table
        self.units_total = units_total
        self.units_done = 0
        self.units_failed = 0
        self.rows = 0
        self.bytes = 0
        self.requests = 0
        self._callback = on_progress
        self._clock = clock
        self._started = clock()
        self._last_rows = float("-inf")
        self._lock = threading.Lock()

    @property
    def elapsed(self) -> float:
        """Seconds since the tracker was created."""
        return self._clock() - self._started

    def add_bytes(self, count: int) -> None:
        """Count data received (no snapshot: rows follow soon)."""
        with self._lock:
            self.bytes += count

    def add_rows(self, count: int, *, day: dt.date | None = None) -> None:
        """Count rows received; reports at most every 0.1 s."""
        with self._lock:
            self.rows += count
            now = self._clock()
            if now - self._last_rows < _ROWS_INTERVAL:
                return
            self._last_rows = now
            self._emit("rows", day=day, message=None)

    def add_request(self) -> None:
        """Count one HTTP request that produced (or tried to produce) a chunk."""
        with self._lock:
            self.requests += 1

    def grow(self, units_total: int) -> None:
        """Raise the expected number of units (engage: more pages than ``total`` said)."""
        with self._lock:
            self.units_total = max(self.units_total, units_total)

    def stage(
        self,
        stage: FetchStage,
        *,
        day: dt.date | None = None,
        message: str | None = None,
        done: int = 0,
        failed: int = 0,
    ) -> None:
        """Record a stage change (``done``/``failed`` units to add) and report it."""
        with self._lock:
            self.units_done += done
            self.units_failed += failed
            self._emit(stage, day=day, message=message)

    def snapshot(self, stage: FetchStage) -> FetchProgress:
        """The counters as a :class:`FetchProgress`."""
        with self._lock:
            return self._snapshot(stage, day=None, message=None)

    def _snapshot(
        self, stage: FetchStage, *, day: dt.date | None, message: str | None
    ) -> FetchProgress:
        return FetchProgress(
            kind=self.kind,
            table=self.table,
            stage=stage,
            units_total=self.units_total,
            units_done=self.units_done,
            units_failed=self.units_failed,
            rows=self.rows,
            bytes=self.bytes,
            elapsed=self.elapsed,
            day=day,
            message=message,
        )

    def _emit(self, stage: FetchStage, *, day: dt.date | None, message: str | None) -> None:
        # Called with the lock held, so callbacks never run concurrently.
        callback = self._callback
        if callback is None:
            return
        try:
            callback(self._snapshot(stage, day=day, message=message))
        except Exception:
            log.exception("the progress callback failed; no more progress will be reported")
            self._callback = None
