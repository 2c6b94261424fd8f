"""Server-side rate-limit budgets like Mixpanel's, on a clock tests can speed up.

Mixpanel docs (rate-limits): the Query API (every ``/api/query`` endpoint, ``/engage`` and
``/jql`` included) allows 60 queries per hour and 5 concurrent per project; the Raw Export
API allows 60 per hour, 3 per second and 100 concurrent. Every HTTP request counts (the docs
do not say whether an ``/engage`` page is one query; counting each is the cautious choice).
A request is "running" until its body has been sent or abandoned, so a streamed export holds
its slot while the client reads it.

``time_scale`` speeds the clock up: with ``time_scale=3600`` an "hour" lasts one real second.
The clock itself is injectable, so tests can also step time by hand.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mixpanel_data.emulator._wire import EmulatorHTTPError, Family

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Limits", "RateLimiter"]

_HOUR = 3600.0
_SECOND = 1.0
_DOCS_URL = (
    "https://help.mixpanel.com/hc/en-us/articles/115004602563-Rate-Limits-for-Export-API-Endpoints"
)


@dataclass(frozen=True)
class Limits:
    """Per-project budgets; ``None`` switches one axis off.

    Parameters
    ----------
    query_per_hour, query_concurrent
        Query API budgets (Mixpanel: 60 per rolling hour, 5 at once).
    export_per_hour, export_per_second, export_concurrent
        Raw Export budgets (Mixpanel: 60 per hour, 3 per second, 100 at once).
    time_scale
        How much faster than real time the limiter's clock runs (3600: an hour per second).
    clock
        Seconds, monotonic; defaults to ``time.monotonic``. Tests may pass a fake.
    """

    query_per_hour: int | None = 60
    query_concurrent: int | None = 5
    export_per_hour: int | None = 60
    export_per_second: int | None = 3
    export_concurrent: int | None = 100
    time_scale: float = 1.0
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)


@dataclass
class _Window:
    starts: deque[float] = field(default_factory=deque)
    running: int = 0


class RateLimiter:
    """Admit or refuse requests per (project, API family) under :class:`Limits` (thread-safe)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._windows: dict[tuple[int, Family], _Window] = {}

    def _now(self) -> float:
        return self.limits.clock() * self.limits.time_scale

    def acquire(self, project_id: int, family: Family) -> Callable[[], None]:
        """Take a slot, or raise a 429 :class:`EmulatorHTTPError` in Mixpanel's words.

        Returns the callback that frees the concurrency slot (call it once).
        """
        limits = self.limits
        if family == "export":
            per_hour, per_second, concurrent = (
                limits.export_per_hour,
                limits.export_per_second,
                limits.export_concurrent,
            )
        else:
            per_hour, per_second, concurrent = limits.query_per_hour, None, limits.query_concurrent
        with self._lock:
            now = self._now()
            window = self._windows.setdefault((project_id, family), _Window())
            while window.starts and window.starts[0] <= now - _HOUR:
                window.starts.popleft()
            in_hour = len(window.starts)
            in_second = sum(1 for start in window.starts if start > now - _SECOND)
            over_concurrency = concurrent is not None and window.running + 1 > concurrent
            over_hour = per_hour is not None and in_hour + 1 > per_hour
            over_second = per_second is not None and in_second + 1 > per_second
            if over_concurrency or over_hour or over_second:
                wait = self._wait(window, now, over_hour=over_hour, over_second=over_second)
                raise self._refusal(
                    family, project_id, window, in_hour, in_second, over_concurrency, wait
                )
            window.starts.append(now)
            window.running += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if not released:
                    released = True
                    window.running -= 1

        return release

    def _wait(self, window: _Window, now: float, *, over_hour: bool, over_second: bool) -> float:
        """Real seconds until the window that refused has room again (at least 1)."""
        virtual = 1.0
        if over_hour and window.starts:
            virtual = max(virtual, window.starts[0] + _HOUR - now)
        if over_second:
            recent = [s for s in window.starts if s > now - _SECOND]
            if recent:
                virtual = max(virtual, recent[0] + _SECOND - now)
        return max(1.0, virtual / self.limits.time_scale)

    def _refusal(
        self,
        family: Family,
        project_id: int,
        window: _Window,
        in_hour: int,
        in_second: int,
        over_concurrency: bool,
        wait: float,
    ) -> EmulatorHTTPError:
        limits = self.limits
        headers = {"Retry-After": str(math.ceil(wait))}
        if family == "export":
            if over_concurrency:
                # Seen in real answers (keolo/mixpanel_client#60), as a plain-text body.
                message = "too many export requests in progress for this project"
            else:
                # Mixpanel documents the export budgets but not this answer's text; the
                # emulator words it like the Query API's message (a design choice).
                message = (
                    f"Export rate limit exceeded for project_id: {project_id}. "
                    f"{in_second + 1}/{limits.export_per_second or '-'} requests in the last "
                    f"second and {in_hour + 1}/{limits.export_per_hour or '-'} requests in the "
                    "last hour."
                )
            return EmulatorHTTPError(429, message, headers=headers)
        # The Query API's 429 body as seen in real traffic (airbyte issues #7126, #9410).
        message = (
            f"Query rate limit exceeded for project_id: {project_id}. "
            f"{window.running + 1}/{limits.query_concurrent or '-'} queries running "
            f"concurrently and {in_hour + 1}/{limits.query_per_hour or '-'} queries running in "
            f"the last hour. For more information, please consult our documentation at {_DOCS_URL}"
        )
        return EmulatorHTTPError(429, message, headers=headers)
