"""The profiles fetch: page through an Engage query and upsert every page.

:func:`fetch_users` is what ``Workspace.fetch_users`` (``mp users fetch``) runs. Pages are
requested by :func:`mixpanel_data.api.engage.iter_pages` (the documented loop, several pages
in flight within the Query API budget) and stored by the calling thread as they arrive,
each page upserted on ``distinct_id`` (the latest copy wins). ``replace`` builds the new
table beside the old one and swaps it in only when the query has been read to its end.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (msgspec reads field types at runtime)
import logging
import time
from typing import TYPE_CHECKING, Protocol

import msgspec

from mixpanel_data._fetch_events import ChunkStats, check_table_name
from mixpanel_data._fetch_progress import ProgressTracker
from mixpanel_data._types_fetch import FetchMode, FetchPlan, FetchResult
from mixpanel_data.api.engage import EngageQuery, iter_pages, resolve_cohort
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mixpanel_data._types_fetch import FetchProgress
    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.api.engage import Profile

__all__ = [
    "DEFAULT_PARALLEL",
    "UsersFetchSpec",
    "UsersSink",
    "active_since_where",
    "fetch_users",
    "plan_users",
]

log = logging.getLogger(__name__)

DEFAULT_PARALLEL = 3
"""Engage pages in flight at once (Mixpanel allows 5 concurrent queries per project)."""
MAX_PARALLEL = 5


class UsersSink(Protocol):
    """Where a profiles fetch stores its pages (the ingest and store layers)."""

    def begin(self, *, replace: bool) -> None:
        """Prepare the table (``replace``: a staging table beside it)."""
        ...

    def write(self, profiles: Sequence[Profile], filters: dict[str, str]) -> ChunkStats:
        """Upsert one page of profiles on ``distinct_id`` (the latest copy wins)."""
        ...

    def finish(self, *, replace: bool, filters: dict[str, str]) -> int:
        """Finish (``replace``: swap the staging table in); returns the table's row count."""
        ...

    def abort(self, *, replace: bool) -> None:
        """Clean up after a fetch that stopped with an error."""
        ...


def active_since_where(day: dt.date) -> str:
    """The Engage expression for profiles seen on or after ``day`` (UTC).

    ``$last_seen`` is an ISO string without a zone (UTC by Mixpanel's convention); the
    expression language compares only numbers and dates, so both sides are cast with
    ``datetime()`` (a design choice: Mixpanel's docs show ``datetime`` only in export filters).
    """
    return f'datetime(properties["$last_seen"]) >= datetime("{day.isoformat()}T00:00:00")'


class UsersFetchSpec(msgspec.Struct, frozen=True, kw_only=True):
    """The validated parameters of a profiles fetch.

    Parameters
    ----------
    table
        The local table (default ``users``).
    where
        An Engage expression over profile properties.
    cohort_id, cohort
        Only members of a saved cohort, by id or by name (resolved with
        ``/cohorts/list``); not both.
    active_since
        Only profiles whose ``$last_seen`` is on or after this day.
    properties
        Only these properties (``output_properties``).
    distinct_ids
        Only these profiles.
    mode
        ``append`` (upsert) or ``replace`` (rebuild the table).
    parallel
        Pages in flight at once.

    Raises
    ------
    ValidationError
        For both a cohort id and name, a bad table name, or a bad ``parallel``.
    """

    table: str = "users"
    where: str | None = None
    cohort_id: int | None = None
    cohort: str | None = None
    active_since: dt.date | None = None
    properties: tuple[str, ...] | None = None
    distinct_ids: tuple[str, ...] | None = None
    mode: FetchMode = "append"
    parallel: int = DEFAULT_PARALLEL

    def __post_init__(self) -> None:
        check_table_name(self.table)
        if self.cohort_id is not None and self.cohort is not None:
            raise ValidationError(
                "pass a cohort by name or by id, not both", hint="drop --cohort or --cohort-id"
            )
        if self.cohort is not None and not self.cohort.strip():
            raise ValidationError("the cohort name is empty", hint="pass --cohort NAME")
        if not 1 <= self.parallel <= MAX_PARALLEL:
            raise ValidationError(
                f"parallel must be from 1 to {MAX_PARALLEL}, got {self.parallel}",
                hint="Mixpanel allows 5 concurrent queries per project",
            )
        # Build the query once to validate the filters before any request.
        self.query(self.cohort_id)

    def where_clause(self) -> str | None:
        """``where`` and ``active_since`` combined."""
        clauses = []
        if self.where is not None:
            clauses.append(f"({self.where})" if self.active_since is not None else self.where)
        if self.active_since is not None:
            clauses.append(active_since_where(self.active_since))
        return " and ".join(clauses) if clauses else None

    @property
    def source(self) -> dict[str, object]:
        """The fetch parameters recorded in the table registry."""
        return {
            "where": self.where,
            "cohort": self.cohort,
            "cohort_id": self.cohort_id,
            "active_since": self.active_since.isoformat() if self.active_since else None,
            "properties": list(self.properties) if self.properties is not None else None,
            "distinct_ids": list(self.distinct_ids) if self.distinct_ids is not None else None,
        }

    def query(self, cohort_id: int | None) -> EngageQuery:
        """The Engage query, for a resolved cohort id."""
        return EngageQuery(
            where=self.where_clause(),
            distinct_ids=self.distinct_ids,
            output_properties=self.properties,
            cohort_id=cohort_id,
        )

    def filters(self, cohort_id: int | None) -> dict[str, str]:
        """The filters as the fetch log records them."""
        import orjson

        filters: dict[str, str] = {}
        where = self.where_clause()
        if where is not None:
            filters["where"] = where
        if cohort_id is not None:
            filters["cohort_id"] = str(cohort_id)
        if self.properties is not None:
            filters["properties"] = orjson.dumps(sorted(set(self.properties))).decode()
        if self.distinct_ids is not None:
            filters["distinct_ids"] = orjson.dumps(sorted(set(self.distinct_ids))).decode()
        return filters


def _resolve_cohort_id(spec: UsersFetchSpec, client: MixpanelClient) -> int | None:
    if spec.cohort is None:
        return spec.cohort_id
    return resolve_cohort(client, spec.cohort).id


def plan_users(spec: UsersFetchSpec, *, client: MixpanelClient) -> FetchPlan:
    """What :func:`fetch_users` would do (``--dry-run``), without any request.

    The number of pages is unknown before the first answer, so ``requests`` counts the
    first page (and the cohort lookup, when a cohort is named).
    """
    from mixpanel_data._fetch_plan import describe_budget

    budget = client.limits.query
    requests = 1 + (1 if spec.cohort is not None else 0)
    filters = spec.filters(spec.cohort_id)
    if spec.cohort is not None:
        filters["cohort"] = spec.cohort
    return FetchPlan(
        kind="users",
        table=spec.table,
        mode=spec.mode,
        requests=requests,
        workers=spec.parallel,
        budget=describe_budget(budget),
        estimated_seconds=None,
        filters=filters,
    )


def fetch_users(
    spec: UsersFetchSpec,
    *,
    client: MixpanelClient,
    sink: UsersSink,
    on_progress: Callable[[FetchProgress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FetchResult:
    """Fetch profiles into the sink's table.

    Raises
    ------
    ValidationError
        For a cohort name that matches no saved cohort (or several).
    APIStatusError
        When Mixpanel refuses the query, or an expired session comes back after a restart;
        with ``replace`` the old table is left as it was.
    StorageError
        When the database fails.
    """
    started = clock()
    replace = spec.mode == "replace"
    cohort_id = _resolve_cohort_id(spec, client)
    query = spec.query(cohort_id)
    filters = spec.filters(cohort_id)
    tracker = ProgressTracker("users", spec.table, 1, on_progress, clock=clock)
    tracker.stage("started")
    totals = [0, 0, 0, 0]  # received, added, updated, dropped
    pages = 0
    restarts: list[object] = []

    def restarted(exc: object) -> None:
        restarts.append(exc)
        tracker.stage("retrying", message="the engage session expired; starting again")

    sink.begin(replace=replace)
    try:
        for page in iter_pages(client, query, parallel=spec.parallel, on_restart=restarted):
            pages += 1
            tracker.add_request()
            if page.total is not None and page.page_size > 0:
                tracker.grow(max(-(-page.total // page.page_size), 1) + len(restarts))
            tracker.grow(pages + (1 if page.is_full else 0))
            # Bytes of the Engage bodies received (pages read again after a restart count
            # again, as they were downloaded again), like the export bytes of an events fetch.
            tracker.add_bytes(page.nbytes)
            tracker.add_rows(len(page.profiles))
            stats = sink.write(page.profiles, filters)
            totals[0] += stats.rows_received
            totals[1] += stats.rows_added
            totals[2] += stats.rows_updated
            totals[3] += stats.duplicates_dropped
            tracker.stage("committed", done=1)
        table_rows = sink.finish(replace=replace, filters=filters)
    except BaseException:
        sink.abort(replace=replace)
        raise
    tracker.grow(pages)
    tracker.stage("finished")
    return FetchResult(
        kind="users",
        table=spec.table,
        mode=spec.mode,
        rows_received=totals[0],
        rows_added=totals[1],
        rows_updated=totals[2],
        duplicates_dropped=totals[3],
        table_rows=table_rows,
        pages=pages,
        requests=tracker.requests + (1 if spec.cohort is not None else 0),
        bytes=tracker.bytes,
        seconds=round(clock() - started, 3),
    )
