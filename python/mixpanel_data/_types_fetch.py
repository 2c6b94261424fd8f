"""Result types of fetching: what a fetch did, what it would do, what it reports on the way.

- :class:`FetchResult` is what ``Workspace.fetch_events`` / ``fetch_users`` return (and what
  ``mp events fetch`` / ``mp users fetch`` print).
- :class:`FetchPlan` is the dry run: the days and requests a fetch would make, within which
  rate budget, and how long that takes at least.
- :class:`FetchProgress` is the snapshot a progress callback receives.
- :class:`EventSummary` / :class:`EventList` describe the events in a local table
  (``mp events list``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import msgspec

from mixpanel_data._result import Record, Result

if TYPE_CHECKING:
    import polars

__all__ = [
    "ChunkFailure",
    "EventList",
    "EventSummary",
    "FetchKind",
    "FetchMode",
    "FetchPlan",
    "FetchProgress",
    "FetchResult",
    "FetchStage",
]

FetchKind = Literal["events", "users"]
FetchMode = Literal["append", "replace"]
FetchStage = Literal["started", "rows", "committed", "retrying", "failed", "finished"]

# Exit codes of the CLI's documented table (kept here so a result can say how it ended).
_EXIT_OK = 0
_EXIT_ERROR = 1
_EXIT_UNAVAILABLE = 4
_UNAVAILABLE = frozenset(
    {"RateLimitError", "ServerError", "APIConnectionError", "ExportTruncatedError"}
)


class ChunkFailure(msgspec.Struct, frozen=True, kw_only=True):
    """A chunk (an export day, or an engage query) that failed after every attempt.

    Attributes
    ----------
    from_date, to_date
        The days of the chunk (``None`` for a profile query).
    error
        The exception class of the last attempt (``ServerError``, ``ExportTruncatedError``…).
    message
        Its message.
    attempts
        How many times the chunk was tried.
    """

    from_date: dt.date | None
    to_date: dt.date | None
    error: str
    message: str
    attempts: int


class FetchResult(Record, frozen=True, kw_only=True, dict=True):
    """What one fetch did.

    Attributes
    ----------
    kind
        ``events`` or ``users``.
    table
        The local table written.
    mode
        ``append`` (merge into the table) or ``replace`` (the table was rebuilt).
    from_date, to_date
        The requested days (events; ``None`` for users).
    rows_received
        Rows Mixpanel sent (before deduplication).
    rows_added
        Rows that were new to the table.
    rows_updated
        Rows that replaced an older copy (a later-processed duplicate, or a re-fetched
        profile).
    duplicates_dropped
        Rows dropped as duplicates of a copy kept (within the fetch, or already stored).
    table_rows
        Rows in the table after the fetch.
    days_fetched, days_skipped, days_failed
        Export days committed by this fetch, skipped because an earlier fetch with the same
        filters completed them, and still failed after every retry.
    days_refreshed
        Of the days fetched, those an earlier fetch had completed less than ``late_days``
        after they ended, fetched again for the events Mixpanel accepts late.
    pages
        Engage pages read (users).
    requests
        HTTP requests that completed a chunk or page (retries included).
    bytes
        Bytes received (export NDJSON or Engage pages), decompressed, retries included.
    seconds
        Wall time of the fetch.
    failures
        One entry per chunk that still failed.
    """

    kind: FetchKind
    table: str
    mode: FetchMode = "append"
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    rows_received: int = 0
    rows_added: int = 0
    rows_updated: int = 0
    duplicates_dropped: int = 0
    table_rows: int = 0
    days_fetched: int = 0
    days_skipped: int = 0
    days_failed: int = 0
    days_refreshed: int = 0
    pages: int = 0
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failures: list[ChunkFailure] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every chunk was fetched."""
        return not self.failures

    @property
    def failed_days(self) -> list[dt.date]:
        """Every export day that still failed."""
        days: list[dt.date] = []
        for failure in self.failures:
            if failure.from_date is None or failure.to_date is None:
                continue
            day = failure.from_date
            while day <= failure.to_date:
                days.append(day)
                day += dt.timedelta(days=1)
        return days

    @property
    def exit_code(self) -> int:
        """How the CLI ends: 0 when complete, 4 when only rate limits/outages failed, else 1."""
        if not self.failures:
            return _EXIT_OK
        if all(f.error in _UNAVAILABLE for f in self.failures):
            return _EXIT_UNAVAILABLE
        return _EXIT_ERROR


class FetchPlan(Record, frozen=True, kw_only=True, dict=True):
    """What a fetch would do (``--dry-run``); no request has been sent.

    Attributes
    ----------
    kind, table, mode, from_date, to_date
        As for :class:`FetchResult`.
    days_total
        Days in the range.
    days_to_fetch
        Days that would be requested.
    days_skipped
        Days already completed by an earlier fetch with the same filters.
    days_refreshed
        Of the days to fetch, those completed by an earlier fetch that ran less than
        ``late_days`` after they ended (fetched again for late events).
    requests
        HTTP requests at least (one per chunk; engage: one per page, when known).
    workers
        Requests in flight at once.
    budget
        The client-side rate budget the requests keep to.
    estimated_seconds
        The least time the rate budget allows for the requests (downloads add to it);
        ``None`` when unknown.
    first_day, last_day
        The first and last day to fetch (``None`` when nothing is left to fetch).
    filters
        The export filters (events, where, limit) as sent.
    """

    kind: FetchKind
    table: str
    mode: FetchMode = "append"
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    days_total: int = 0
    days_to_fetch: int = 0
    days_skipped: int = 0
    days_refreshed: int = 0
    requests: int = 0
    workers: int = 1
    budget: str = ""
    estimated_seconds: float | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    filters: dict[str, str] = msgspec.field(default_factory=dict)


class FetchProgress(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of a running fetch, passed to the ``on_progress`` callback.

    Callbacks may be called from worker threads (never two at once); keep them quick.

    Attributes
    ----------
    kind, table
        What is being fetched, into which table.
    stage
        What just happened: ``started``, ``rows`` (a batch arrived), ``committed`` (a chunk
        was stored), ``retrying`` (a chunk failed and will be tried again), ``failed`` (a
        chunk failed for good), ``finished``.
    units_total
        Days to fetch (events), or pages expected (users; grows if the server has more).
    units_done, units_failed
        Days (pages) stored, and failed for good.
    rows
        Rows received so far (including chunks not yet committed).
    bytes
        Bytes of data received so far.
    elapsed
        Seconds since the fetch started.
    day
        The day the event is about, when it is about one.
    message
        The error of a ``retrying`` or ``failed`` event.
    """

    kind: FetchKind
    table: str
    stage: FetchStage
    units_total: int
    units_done: int = 0
    units_failed: int = 0
    rows: int = 0
    bytes: int = 0
    elapsed: float = 0.0
    day: dt.date | None = None
    message: str | None = None

    @property
    def rate(self) -> float:
        """Rows per second so far."""
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, from the share of units done; ``None`` before the first one."""
        finished = self.units_done + self.units_failed
        if finished <= 0 or self.units_total <= 0 or self.elapsed <= 0:
            return None
        left = max(self.units_total - finished, 0)
        return self.elapsed / finished * left


class EventSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One event name in a local table.

    Attributes
    ----------
    event
        The event name.
    count
        Rows with that name.
    users
        Distinct non-empty ``distinct_id`` values.
    first_seen, last_seen
        The earliest and latest ``time`` (UTC).
    """

    event: str
    count: int
    users: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None


class EventList(Result, frozen=True, kw_only=True, dict=True):
    """The events stored in a local table, most frequent first."""

    table: str
    events: list[EventSummary]

    def __len__(self) -> int:
        return len(self.events)

    def _to_frame(self) -> polars.DataFrame:
        import polars

        schema: dict[str, polars.DataType] = {
            "event": polars.String(),
            "count": polars.Int64(),
            "users": polars.Int64(),
            "first_seen": polars.Datetime("us"),
            "last_seen": polars.Datetime("us"),
        }
        return polars.DataFrame([msgspec.structs.asdict(e) for e in self.events], schema=schema)
