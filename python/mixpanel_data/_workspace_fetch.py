"""Fetch methods of :class:`~mixpanel_data.Workspace`: events and profiles into local tables.

``mp events fetch`` / ``mp users fetch`` / ``mp events list`` are these methods. The work is
done by the fetch services (``_fetch_events``, ``_fetch_users``) over the workspace's client
and database; this mixin only turns keyword arguments into a validated spec.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mixpanel_data._fetch_events import (
    DEFAULT_ATTEMPTS,
    DEFAULT_WORKERS,
    EventsFetchSpec,
    fetch_events,
    plan_events,
)
from mixpanel_data._fetch_plan import LATE_DAYS
from mixpanel_data._fetch_store import EventsStore, UsersStore, list_events
from mixpanel_data._fetch_users import DEFAULT_PARALLEL, UsersFetchSpec, fetch_users, plan_users
from mixpanel_data._workspace_core import WorkspaceCore

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mixpanel_data._types_fetch import EventList, FetchPlan, FetchProgress, FetchResult

__all__ = ["_FetchMixin"]


def _tuple(values: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return (values,)
    return tuple(values)


class _FetchMixin(WorkspaceCore):
    """Fetching Mixpanel events and profiles into the local database."""

    def _server_today(self) -> dt.date | None:
        """The demo emulator's "today" (its data ends there); ``None`` for Mixpanel."""
        if not self.demo:
            return None
        from mixpanel_data.emulator import demo_emulator

        return demo_emulator().today

    def _events_spec(
        self,
        from_date: dt.date,
        to_date: dt.date | None,
        *,
        events: Sequence[str] | str | None,
        replace: bool,
        **options: Any,
    ) -> EventsFetchSpec:
        """The validated spec; ``options`` are :class:`EventsFetchSpec` fields as given."""
        return EventsFetchSpec(
            from_date=_as_date("from_date", from_date),
            to_date=_as_date("to_date", to_date) if to_date is not None else None,
            events=_tuple(events),
            mode="replace" if replace else "append",
            **options,
        )

    def fetch_events(
        self,
        from_date: dt.date,
        to_date: dt.date | None = None,
        *,
        events: Sequence[str] | str | None = None,
        where: str | None = None,
        limit: int | None = None,
        table: str = "events",
        replace: bool = False,
        workers: int = DEFAULT_WORKERS,
        attempts: int = DEFAULT_ATTEMPTS,
        time_in_ms: bool = True,
        late_days: int = LATE_DAYS,
        on_progress: Callable[[FetchProgress], None] | None = None,
    ) -> FetchResult:
        """Fetch raw events from Mixpanel's export into a local table, one day at a time.

        Each export day is stored in one transaction together with its row in the fetch
        log, so an interrupted fetch resumes where it stopped: days an earlier fetch with
        the same filters completed are skipped. Rows are deduplicated on Mixpanel's key
        (event, distinct_id, time, insert_id); the most recently processed copy wins.

        Parameters
        ----------
        from_date
            First day, inclusive (a day in the project's export time zone: UTC, or the
            project's zone for projects created before 2023).
        to_date
            Last day, inclusive (default: today in that zone).
        events
            Only these event names.
        where
            Only events matching this expression, e.g.
            ``properties["$browser"] == "Chrome"``.
        limit
            At most this many events (1..100000), fetched in one request.
        table
            The local table (default ``events``).
        replace
            Rebuild the table: the new one is built beside it and swapped in when every
            day has been fetched (the old table stays readable meanwhile).
        workers
            Days downloading at once (within Mixpanel's export rate budget).
        attempts
            Tries per day when a body is incomplete or retries run out.
        time_in_ms
            Ask Mixpanel for millisecond times (``False`` for servers that only send
            seconds).
        late_days
            A day fetched less than this many days after it ended is fetched again by the
            next fetch (Mixpanel accepts events up to 5 days late); ``0`` trusts any day
            fetched after it was over.
        on_progress
            Called with :class:`~mixpanel_data.types.FetchProgress` snapshots.

        Returns
        -------
        FetchResult
            Rows added/updated/dropped, days fetched/skipped/failed, bytes, seconds.
            Days that still failed are in ``failures`` (``exit_code`` is then non-zero).

        Raises
        ------
        ValidationError
            For bad arguments (a backwards range, a day after today, a bad limit).
        APIStatusError
            When Mixpanel refuses the export (bad ``where``, credentials…).
        DatabaseLockedError
            When another process is writing to the database.

        Examples
        --------
        >>> ws.fetch_events(dt.date(2024, 1, 1), dt.date(2024, 1, 31))  # doctest: +SKIP
        """
        spec = self._events_spec(
            from_date,
            to_date,
            events=events,
            where=where,
            limit=limit,
            table=table,
            replace=replace,
            workers=workers,
            attempts=attempts,
            time_in_ms=time_in_ms,
            late_days=late_days,
        )
        client = self.client
        store = EventsStore(
            self.database,
            spec.table,
            credentials=client.credentials,
            time_in_ms=spec.time_in_ms,
            source=spec.source,
        )
        return fetch_events(
            spec, client=client, sink=store, on_progress=on_progress, today=self._server_today()
        )

    def plan_fetch_events(
        self,
        from_date: dt.date,
        to_date: dt.date | None = None,
        *,
        events: Sequence[str] | str | None = None,
        where: str | None = None,
        limit: int | None = None,
        table: str = "events",
        replace: bool = False,
        workers: int = DEFAULT_WORKERS,
        late_days: int = LATE_DAYS,
    ) -> FetchPlan:
        """What :meth:`fetch_events` would do, without sending a request (``--dry-run``).

        Returns
        -------
        FetchPlan
            Days to fetch and already complete, requests, the rate budget and the least
            time that budget allows.
        """
        spec = self._events_spec(
            from_date,
            to_date,
            events=events,
            where=where,
            limit=limit,
            table=table,
            replace=replace,
            workers=workers,
            late_days=late_days,
        )
        client = self.client
        store = EventsStore(
            self.database, spec.table, credentials=client.credentials, time_in_ms=True
        )
        return plan_events(
            spec,
            client=client,
            completed=store.completed(spec.filters),
            today=self._server_today(),
        )

    def _users_spec(
        self,
        *,
        cohort: str | None,
        cohort_id: int | None,
        active_since: dt.date | None,
        where: str | None,
        properties: Sequence[str] | str | None,
        distinct_ids: Sequence[str] | str | None,
        table: str,
        replace: bool,
        parallel: int,
    ) -> UsersFetchSpec:
        return UsersFetchSpec(
            table=table,
            where=where,
            cohort=cohort,
            cohort_id=cohort_id,
            active_since=(
                _as_date("active_since", active_since) if active_since is not None else None
            ),
            properties=_tuple(properties),
            distinct_ids=_tuple(distinct_ids),
            mode="replace" if replace else "append",
            parallel=parallel,
        )

    def fetch_users(
        self,
        *,
        cohort: str | None = None,
        cohort_id: int | None = None,
        active_since: dt.date | None = None,
        where: str | None = None,
        properties: Sequence[str] | str | None = None,
        distinct_ids: Sequence[str] | str | None = None,
        table: str = "users",
        replace: bool = False,
        parallel: int = DEFAULT_PARALLEL,
        on_progress: Callable[[FetchProgress], None] | None = None,
    ) -> FetchResult:
        """Fetch user profiles from Mixpanel's Engage API into a local table.

        Profiles are upserted on ``distinct_id`` (a re-fetched profile replaces the stored
        one). Pages are requested several at a time within the Query API's budget.

        Parameters
        ----------
        cohort
            Only members of the saved cohort with this name.
        cohort_id
            Only members of the saved cohort with this id.
        active_since
            Only profiles whose ``$last_seen`` is on or after this day.
        where
            Only profiles matching this expression, e.g. ``properties["plan"] == "pro"``.
        properties
            Only these profile properties.
        distinct_ids
            Only these profiles.
        table
            The local table (default ``users``).
        replace
            Rebuild the table, swapping the new one in when the query is complete.
        parallel
            Pages in flight at once (1–5).
        on_progress
            Called with :class:`~mixpanel_data.types.FetchProgress` snapshots.

        Returns
        -------
        FetchResult
            Profiles added/updated, pages, seconds.

        Raises
        ------
        ValidationError
            For bad arguments, or a cohort name that matches no saved cohort.
        APIStatusError
            When Mixpanel refuses the query.
        """
        spec = self._users_spec(
            cohort=cohort,
            cohort_id=cohort_id,
            active_since=active_since,
            where=where,
            properties=properties,
            distinct_ids=distinct_ids,
            table=table,
            replace=replace,
            parallel=parallel,
        )
        store = UsersStore(self.database, spec.table, source=spec.source)
        return fetch_users(spec, client=self.client, sink=store, on_progress=on_progress)

    def plan_fetch_users(
        self,
        *,
        cohort: str | None = None,
        cohort_id: int | None = None,
        active_since: dt.date | None = None,
        where: str | None = None,
        properties: Sequence[str] | str | None = None,
        distinct_ids: Sequence[str] | str | None = None,
        table: str = "users",
        replace: bool = False,
        parallel: int = DEFAULT_PARALLEL,
    ) -> FetchPlan:
        """What :meth:`fetch_users` would do, without sending a request (``--dry-run``)."""
        spec = self._users_spec(
            cohort=cohort,
            cohort_id=cohort_id,
            active_since=active_since,
            where=where,
            properties=properties,
            distinct_ids=distinct_ids,
            table=table,
            replace=replace,
            parallel=parallel,
        )
        return plan_users(spec, client=self.client)

    def list_events(self, table: str = "events") -> EventList:
        """The events stored in a local table, with counts, users and first/last seen.

        Raises
        ------
        TableNotFoundError
            When the table does not exist.
        """
        return list_events(self.database, table)


def _as_date(name: str, value: object) -> dt.date:
    from mixpanel_data.exceptions import ValidationError

    if isinstance(value, dt.datetime):
        raise ValidationError(
            f"{name} is a datetime ({value!r}); export days are dates",
            hint="pass a datetime.date, e.g. datetime.date(2024, 1, 31)",
        )
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(
        f"{name} must be a date (YYYY-MM-DD), got {value!r}",
        hint="pass a datetime.date or an ISO date string such as 2024-01-31",
    )
