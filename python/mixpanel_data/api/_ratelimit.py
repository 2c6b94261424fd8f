"""Client-side rate limiting that keeps to Mixpanel's per-project budgets.

Mixpanel answers 429 once a project goes over its budget, and the budgets are small: an
hour's worth of queries is 60. Waiting on our side before sending is cheaper than being
refused, so every request the client sends first takes a slot from the limiter of its API
family.

A :class:`RateBudget` says how many requests may *start* per rolling second and per rolling
hour, and how many may be *in flight* at once. :class:`RateLimits` holds one budget per
limiter: ``query`` (the Query API, which per Mixpanel's docs includes ``/engage`` and
``/jql``) and ``export`` (the Raw Event Export API). :class:`RateLimiter` enforces one budget
for any number of threads, and takes its clock and sleep function from the caller so tests
run instantly with a fake clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

import msgspec

from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mixpanel_data._credentials import ApiFamily

__all__ = ["LimiterName", "RateBudget", "RateLimiter", "RateLimits", "limiter_name"]

log = logging.getLogger(__name__)

LimiterName = Literal["query", "export"]

_SECOND = 1.0
_HOUR = 3600.0
# Never sleep for less than this: after sleeping exactly up to a window's edge, float rounding
# can leave the oldest start a hair inside the window, and a zero-length sleep on a fake clock
# would then spin forever.
_MIN_WAIT = 1e-6


class RateBudget(msgspec.Struct, frozen=True, kw_only=True):
    """How much one API family may be called; ``None`` means no limit on that axis.

    Parameters
    ----------
    per_second
        Requests that may start within any rolling second.
    per_hour
        Requests that may start within any rolling hour (3600 s).
    concurrent
        Requests that may be in flight at once (a streamed export counts until its body
        has been read and closed).
    """

    per_second: int | None = None
    per_hour: int | None = None
    concurrent: int | None = None

    def __post_init__(self) -> None:
        for name in ("per_second", "per_hour", "concurrent"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(
                    f"RateBudget.{name} must be a positive integer or None, got {value!r}",
                    hint="use None for no limit on that axis",
                )

    @classmethod
    def unlimited(cls) -> RateBudget:
        """A budget with no limit on any axis."""
        return cls()

    @property
    def is_unlimited(self) -> bool:
        """True when no axis is limited."""
        return self.per_second is None and self.per_hour is None and self.concurrent is None


# Mixpanel docs (rate-limits): the Query API allows 60 queries per hour and 5 concurrent
# queries per project, and /engage and /jql count against it; the Raw Event Export API allows
# 60 queries per hour, 3 per second and 100 concurrent. Exceeding either returns HTTP 429.
_QUERY_DEFAULT = RateBudget(per_hour=60, concurrent=5)
_EXPORT_DEFAULT = RateBudget(per_second=3, per_hour=60, concurrent=100)


class RateLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The budgets the client keeps to, one per limiter.

    The defaults are Mixpanel's documented per-project limits. Plans with higher limits, the
    emulator and demos can pass their own budgets, e.g.
    ``RateLimits(query=RateBudget(per_hour=400, concurrent=10))`` or
    ``RateLimits.unlimited()``.

    Parameters
    ----------
    query
        The Query API: reports, ``/engage``, ``/jql``, ``/cohorts/list`` (the ``query`` and
        ``engage`` families share it, as they share Mixpanel's budget).
    export
        The Raw Event Export API (the ``export`` family).
    """

    query: RateBudget = _QUERY_DEFAULT
    export: RateBudget = _EXPORT_DEFAULT

    @classmethod
    def mixpanel_defaults(cls) -> RateLimits:
        """Mixpanel's documented limits (the same as ``RateLimits()``)."""
        return cls()

    @classmethod
    def unlimited(cls) -> RateLimits:
        """No client-side limits at all (for the emulator, demos and tests)."""
        return cls(query=RateBudget.unlimited(), export=RateBudget.unlimited())

    def budget_for(self, family: ApiFamily) -> RateBudget:
        """The budget that requests of ``family`` count against."""
        return self.export if limiter_name(family) == "export" else self.query


def limiter_name(family: ApiFamily) -> LimiterName:
    """Which limiter a family's requests count against (engage shares the Query budget)."""
    return "export" if family == "export" else "query"


class _Window:
    """Start times of the requests granted within the last ``length`` seconds."""

    __slots__ = ("length", "limit", "starts")

    def __init__(self, length: float, limit: int) -> None:
        self.length = length
        self.limit = limit
        self.starts: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Seconds until one more start fits; 0 when it fits now."""
        # A start at ``t`` counts while ``t > now - length``.
        horizon = now - self.length
        while self.starts and self.starts[0] <= horizon:
            self.starts.popleft()
        excess = len(self.starts) - self.limit
        if excess < 0:
            return 0.0
        # The start that must leave the window before one more fits. The window is full, so
        # the wait is positive even when float rounding says the start is due already.
        return max(self.starts[excess] + self.length - now, _MIN_WAIT)


class RateLimiter:
    """Enforce one :class:`RateBudget` across threads.

    Use :meth:`slot` around each request (or :meth:`acquire` / :meth:`release`). A caller
    that must wait for a rolling window sleeps with the injected ``sleep`` and then checks
    again; a caller that must wait for a concurrency slot blocks until another caller
    releases one. Every wait is logged at DEBUG.

    Parameters
    ----------
    budget
        What to enforce.
    name
        A label for log messages (``query``, ``export``).
    clock
        Monotonic seconds; injected so tests can use a fake clock.
    sleep
        Sleeps for the given seconds; injected so tests can record waits instead.
    """

    def __init__(
        self,
        budget: RateBudget,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._budget = budget
        self._name = name or "api"
        self._clock = clock
        self._sleep = sleep
        self._windows = [
            _Window(length, limit)
            for length, limit in ((_SECOND, budget.per_second), (_HOUR, budget.per_hour))
            if limit is not None
        ]
        self._concurrent = budget.concurrent
        self._in_flight = 0
        self._changed = threading.Condition()

    @property
    def budget(self) -> RateBudget:
        """The budget this limiter enforces."""
        return self._budget

    @property
    def in_flight(self) -> int:
        """Requests currently holding a slot."""
        with self._changed:
            return self._in_flight

    def acquire(self) -> float:
        """Wait until the budget allows one more request, take a slot, return the start time.

        The returned value is the injected clock's reading at the moment the slot was
        granted; it is the time the rolling windows count.
        """
        while True:
            with self._changed:
                if self._concurrent is not None and self._in_flight >= self._concurrent:
                    log.debug(
                        "rate limit (%s): %d requests in flight, waiting for one to finish",
                        self._name,
                        self._in_flight,
                    )
                    while self._in_flight >= self._concurrent:
                        self._changed.wait()
                now = self._clock()
                wait = max((window.wait_needed(now) for window in self._windows), default=0.0)
                if wait <= 0.0:
                    for window in self._windows:
                        window.starts.append(now)
                    self._in_flight += 1
                    return now
            # Sleep without holding the lock so other callers can release slots meanwhile.
            wait = max(wait, _MIN_WAIT)
            log.debug("rate limit (%s): waiting %.3f s for the rolling window", self._name, wait)
            self._sleep(wait)

    def release(self) -> None:
        """Give back the slot taken by :meth:`acquire`."""
        with self._changed:
            if self._in_flight == 0:
                raise RuntimeError("RateLimiter.release() called without a matching acquire()")
            self._in_flight -= 1
            self._changed.notify()

    @contextmanager
    def slot(self) -> Iterator[float]:
        """Hold a slot for the duration of the block; yields the start time."""
        started = self.acquire()
        try:
            yield started
        finally:
            self.release()
