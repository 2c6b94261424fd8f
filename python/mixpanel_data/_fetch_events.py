"""The events fetch: plan the days, stream each day's export, store each day whole.

:func:`fetch_events` is what ``Workspace.fetch_events`` (``mp events fetch``) runs. It plans
the export days (skipping those an earlier fetch with the same filters completed), then
hands one chunk per day to the :class:`~mixpanel_data._fetch_runner.ChunkRunner`: worker
threads stream each day's export (rate-limited by the client) and decode it into batches
through the ingest pipeline, while the calling thread stores each day in one transaction
together with its fetch-log row. The storage side is an :class:`EventsSink` so the
orchestration does not depend on how rows are written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import msgspec

from mixpanel_data._fetch_plan import (
    LATE_DAYS,
    describe_budget,
    estimate_seconds,
    event_filters,
    export_zone,
    plan_days,
)
from mixpanel_data._fetch_progress import ProgressTracker
from mixpanel_data._fetch_runner import Chunk, ChunkRunner
from mixpanel_data._types_fetch import ChunkFailure, FetchMode, FetchPlan, FetchResult
from mixpanel_data.api.export import ExportQuery, check_export_filters, stream_export
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from zoneinfo import ZoneInfo

    from mixpanel_data._fetch_plan import DayPlan
    from mixpanel_data._fetch_runner import ChunkOutcome
    from mixpanel_data._types_fetch import FetchProgress
    from mixpanel_data.api import MixpanelClient

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_WORKERS",
    "ChunkStats",
    "EventsFetchSpec",
    "EventsSink",
    "fetch_events",
    "plan_events",
]

log = logging.getLogger(__name__)

B = TypeVar("B")

DEFAULT_WORKERS = 4
"""Export days downloading at once (within the export budget's concurrency)."""
DEFAULT_ATTEMPTS = 4
"""Tries per day (the first one included) when a body is incomplete or retries ran out."""
MAX_WORKERS = 32
MAX_LATE_DAYS = 366
QUEUE_DEPTH = 1
"""Decoded batches a worker may hold ahead of the writer."""
DECODE_SLOTS = max(1, (os.cpu_count() or 2) // 2)
"""Bodies decoded at once: half the cores decode, the other half store (measured best)."""


class ChunkStats(msgspec.Struct, frozen=True, kw_only=True):
    """What storing one chunk did."""

    rows_received: int = 0
    rows_added: int = 0
    rows_updated: int = 0
    duplicates_dropped: int = 0


class EventsSink(Protocol[B]):
    """Where an events fetch decodes and stores its data (the ingest and store layers)."""

    def completed(self, filters: Mapping[str, str]) -> Mapping[dt.date, dt.datetime | None]:
        """Days completed by earlier fetches with these filters, and when they were fetched."""
        ...

    def decode(self, body: Iterator[bytes], chunk: Chunk) -> Iterator[B]:
        """Split a day's decompressed body into lines and decode them into batches.

        Raises (from the iterator) for an incomplete body (``terminated early``) or a
        malformed line.
        """
        ...

    def write(self, chunk: Chunk, batches: Iterator[B], filters: Mapping[str, str]) -> ChunkStats:
        """Store one chunk (and its fetch-log row) in one transaction."""
        ...

    def rows_in(self, batch: B) -> int:
        """How many rows a batch holds."""
        ...

    def begin(self, *, replace: bool) -> None:
        """Prepare the table (``replace``: start a staging table beside it)."""
        ...

    def finish(self, *, replace: bool, complete: bool) -> int:
        """Finish the fetch (``replace`` and ``complete``: swap the staging table in).

        Returns the table's row count.
        """
        ...

    def abort(self, *, replace: bool) -> None:
        """Clean up after a fetch that stopped with an error."""
        ...


class EventsFetchSpec(msgspec.Struct, frozen=True, kw_only=True):
    """The validated parameters of an events fetch.

    Raises
    ------
    ValidationError
        For a bad table name, workers, attempts, or export filters.
    """

    from_date: dt.date
    to_date: dt.date | None = None
    events: tuple[str, ...] | None = None
    where: str | None = None
    limit: int | None = None
    table: str = "events"
    mode: FetchMode = "append"
    workers: int = DEFAULT_WORKERS
    attempts: int = DEFAULT_ATTEMPTS
    time_in_ms: bool = True
    late_days: int = LATE_DAYS

    def __post_init__(self) -> None:
        check_export_filters(self.events, self.where, self.limit)
        if not 0 <= self.late_days <= MAX_LATE_DAYS:
            raise ValidationError(
                f"late_days must be from 0 to {MAX_LATE_DAYS}, got {self.late_days}",
                hint="Mixpanel accepts events up to 5 days late; 0 trusts any finished day",
            )
        check_table_name(self.table)
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValidationError(
                f"workers must be from 1 to {MAX_WORKERS}, got {self.workers}",
                hint="Mixpanel's export budget is 3 requests a second: a few workers suffice",
            )
        if self.attempts < 1:
            raise ValidationError(f"attempts must be at least 1, got {self.attempts}")

    @property
    def filters(self) -> dict[str, str]:
        """The filters as the fetch log records them (seconds-mode fetches are their own)."""
        filters = event_filters(self.events, self.where, self.limit)
        if not self.time_in_ms:
            filters["time_in_ms"] = "false"
        return filters

    @property
    def source(self) -> dict[str, Any]:
        """The fetch parameters recorded in the table registry."""
        return {
            "from_date": self.from_date.isoformat(),
            "to_date": self.to_date.isoformat() if self.to_date is not None else None,
            "events": list(self.events) if self.events is not None else None,
            "where": self.where,
            "limit": self.limit,
        }

    def query(self, from_date: dt.date, to_date: dt.date) -> ExportQuery:
        """The export request for a range."""
        return ExportQuery(
            from_date=from_date,
            to_date=to_date,
            events=self.events,
            where=self.where,
            limit=self.limit,
            time_in_ms=self.time_in_ms,
        )


def check_table_name(name: str) -> str:
    """Refuse names that cannot be a user table.

    Raises
    ------
    ValidationError
        For an empty name, surrounding spaces, a control character, or the ``_mp_`` prefix
        the library keeps for its own tables.
    """
    value: object = name
    if not isinstance(value, str) or not name or name != name.strip():
        raise ValidationError(
            f"table name {name!r} is empty or has surrounding spaces",
            hint="pass a name such as events or signups_2024",
        )
    if any(ord(c) < 32 for c in name) or len(name) > 120:
        raise ValidationError(
            f"table name {name!r} has control characters or is over 120 characters",
            hint="pass a short name such as events",
        )
    if name.lower().startswith("_mp_"):
        raise ValidationError(
            f"table name {name!r} starts with _mp_, which is kept for the library's own tables",
            hint="pick another name",
        )
    return name


def _today(zone: ZoneInfo, now: Callable[[], float]) -> dt.date:
    return dt.datetime.fromtimestamp(now(), tz=zone).date()


def plan_events(
    spec: EventsFetchSpec,
    *,
    client: MixpanelClient,
    completed: Mapping[dt.date, dt.datetime | None],
    wallclock: Callable[[], float] = time.time,
    today: dt.date | None = None,
) -> FetchPlan:
    """What :func:`fetch_events` would do, without any request (``--dry-run``)."""
    zone = export_zone(client.credentials)
    today = today or _today(zone, wallclock)
    to_date = spec.to_date or today
    plan = plan_days(
        spec.from_date,
        to_date,
        today=today,
        completed={} if spec.mode == "replace" else completed,
        zone=zone,
        single_chunk=spec.limit is not None,
        late_days=spec.late_days,
    )
    budget = client.limits.export
    workers = _effective_workers(spec, budget.concurrent, len(plan.chunks))
    return FetchPlan(
        kind="events",
        table=spec.table,
        mode=spec.mode,
        from_date=spec.from_date,
        to_date=to_date,
        days_total=len(plan.days),
        days_to_fetch=len(plan.to_fetch),
        days_skipped=len(plan.skipped),
        days_refreshed=len(plan.refreshed),
        requests=len(plan.chunks),
        workers=workers,
        budget=describe_budget(budget),
        estimated_seconds=estimate_seconds(len(plan.chunks), budget),
        first_day=plan.to_fetch[0] if plan.to_fetch else None,
        last_day=plan.to_fetch[-1] if plan.to_fetch else None,
        filters=spec.filters,
    )


def _effective_workers(spec: EventsFetchSpec, concurrent: int | None, chunks: int) -> int:
    workers = spec.workers
    if concurrent is not None:
        workers = min(workers, concurrent)
    return max(1, min(workers, max(chunks, 1)))


def fetch_events(
    spec: EventsFetchSpec,
    *,
    client: MixpanelClient,
    sink: EventsSink[Any],
    on_progress: Callable[[FetchProgress], None] | None = None,
    wallclock: Callable[[], float] = time.time,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    today: dt.date | None = None,
) -> FetchResult:
    """Fetch events into the sink's table, one export day per transaction.

    Parameters
    ----------
    spec
        What to fetch.
    client
        The Mixpanel client (its export limiter keeps the requests within budget).
    sink
        Decoding and storage.
    on_progress
        Called with :class:`FetchProgress` snapshots (possibly from worker threads).
    wallclock, clock, sleep
        Injected for tests: "now" (to know today), elapsed time, and the wait between
        attempts of a failed day.
    today
        The server's today, when it is not the real one (the demo emulator's).

    Returns
    -------
    FetchResult
        What was fetched; days that still failed are listed in ``failures``.

    Raises
    ------
    ValidationError
        For a bad range (backwards, or past today in the export time zone).
    APIStatusError
        When Mixpanel refuses a request for a reason retrying cannot cure (400, 401, 403…);
        the days stored before stay stored.
    StorageError
        When the database fails.
    """
    started = clock()
    zone = export_zone(client.credentials)
    today = today or _today(zone, wallclock)
    to_date = spec.to_date or today
    filters = spec.filters
    replace = spec.mode == "replace"
    completed = {} if replace else sink.completed(filters)
    plan = plan_days(
        spec.from_date,
        to_date,
        today=today,
        completed=completed,
        zone=zone,
        single_chunk=spec.limit is not None,
        late_days=spec.late_days,
    )
    tracker = ProgressTracker("events", spec.table, len(plan.to_fetch), on_progress, clock=clock)
    tracker.stage("started")
    workers = _effective_workers(spec, client.limits.export.concurrent, len(plan.chunks))

    @contextmanager
    def open_chunk(chunk: Chunk) -> Iterator[Iterator[Any]]:
        query = spec.query(chunk.from_date, chunk.to_date)
        with stream_export(client, query) as body:
            yield _count_rows(sink, sink.decode(_count_bytes(body, tracker), chunk), tracker, chunk)

    def write_chunk(chunk: Chunk, batches: Iterator[Any]) -> ChunkStats:
        return sink.write(chunk, batches, filters)

    runner: ChunkRunner[Any, ChunkStats] = ChunkRunner(
        open_chunk,
        write_chunk,
        workers=workers,
        attempts=spec.attempts,
        queue_depth=QUEUE_DEPTH,
        tracker=tracker,
        sleep=sleep,
        decode_slots=DECODE_SLOTS,
    )
    sink.begin(replace=replace)
    try:
        outcomes = runner.run(plan.chunks)
        failures = [_failure(o) for o in outcomes if o.error is not None]
        table_rows = sink.finish(replace=replace, complete=not failures)
    except BaseException:
        sink.abort(replace=replace)
        raise
    tracker.stage("finished")
    return _result(spec, to_date, plan, outcomes, failures, table_rows, tracker, started, clock)


def _count_bytes(body: Iterator[bytes], tracker: ProgressTracker) -> Iterator[bytes]:
    for chunk in body:
        tracker.add_bytes(len(chunk))
        yield chunk


def _count_rows(
    sink: EventsSink[B], batches: Iterator[B], tracker: ProgressTracker, chunk: Chunk
) -> Iterator[B]:
    for batch in batches:
        tracker.add_rows(sink.rows_in(batch), day=chunk.from_date)
        yield batch


def _failure(outcome: ChunkOutcome[ChunkStats]) -> ChunkFailure:
    error = outcome.error
    assert error is not None
    message = getattr(error, "message", None) or str(error)
    return ChunkFailure(
        from_date=outcome.chunk.from_date,
        to_date=outcome.chunk.to_date,
        error=type(error).__name__,
        message=message,
        attempts=outcome.attempts,
    )


def _result(
    spec: EventsFetchSpec,
    to_date: dt.date,
    plan: DayPlan,
    outcomes: Sequence[ChunkOutcome[ChunkStats]],
    failures: list[ChunkFailure],
    table_rows: int,
    tracker: ProgressTracker,
    started: float,
    clock: Callable[[], float],
) -> FetchResult:
    stored = [o for o in outcomes if o.stats is not None]
    days_failed = sum(o.chunk.days for o in outcomes if o.error is not None)
    return FetchResult(
        kind="events",
        table=spec.table,
        mode=spec.mode,
        from_date=spec.from_date,
        to_date=to_date,
        rows_received=sum(o.stats.rows_received for o in stored if o.stats),
        rows_added=sum(o.stats.rows_added for o in stored if o.stats),
        rows_updated=sum(o.stats.rows_updated for o in stored if o.stats),
        duplicates_dropped=sum(o.stats.duplicates_dropped for o in stored if o.stats),
        table_rows=table_rows,
        days_fetched=sum(o.chunk.days for o in stored),
        days_skipped=len(plan.skipped),
        days_refreshed=len(plan.refreshed),
        days_failed=days_failed,
        requests=tracker.requests,
        bytes=tracker.bytes,
        seconds=round(clock() - started, 3),
        failures=failures,
    )
