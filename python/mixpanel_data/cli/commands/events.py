"""``mp events``: fetch raw events into the local database, and list what is there."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from cyclopts import App, Parameter

from mixpanel_data._types_fetch import EventList, FetchPlan, FetchResult
from mixpanel_data.cli._context import CtxParam
from mixpanel_data.cli._progress import fetch_progress
from mixpanel_data.exceptions import ValidationError

__all__ = ["events_app", "fetch", "list_"]

events_app = App(name="events", help="Fetch raw events into the local database, and list them.")

Flag = Annotated[bool, Parameter(negative="")]


@events_app.command
def fetch(
    *,
    from_date: Annotated[dt.date, Parameter(name="--from")],
    to_date: Annotated[dt.date | None, Parameter(name="--to")] = None,
    event: Annotated[list[str] | None, Parameter(negative="")] = None,
    where: str | None = None,
    limit: int | None = None,
    append: Flag = False,
    replace: Flag = False,
    table: str = "events",
    dry_run: Flag = False,
    workers: int = 4,
    late_days: int = 5,
    ctx: CtxParam,
) -> FetchResult | FetchPlan:
    """Fetch raw events from Mixpanel's export into a local table, one day at a time.

    Days a previous fetch with the same filters completed are skipped, so running the same
    command again after an interruption fetches only what is missing. Rows are
    deduplicated on (event, distinct_id, time, insert_id).

    Parameters
    ----------
    from_date
        First day, inclusive (YYYY-MM-DD, in the project's export time zone).
    to_date
        Last day, inclusive (default: today).
    event
        Only this event (repeat for several).
    where
        Only events matching this expression, e.g. 'properties["$browser"] == "Chrome"'.
    limit
        At most this many events (1-100000), fetched in a single request.
    append
        Merge into the table (the default).
    replace
        Rebuild the table; the old one stays readable until the new one is complete.
    table
        Local table to write.
    dry_run
        Print the plan (days, requests, rate budget, least time) without any request.
    workers
        Days downloading at once (within Mixpanel's export rate budget).
    late_days
        Fetch a day again while it ended less than this many days before its last fetch:
        Mixpanel accepts events up to 5 days late. 0 trusts any day fetched after it ended.
    """
    if append and replace:
        raise ValidationError("--append and --replace contradict each other", hint="pick one")
    if dry_run:
        return ctx.workspace.plan_fetch_events(
            from_date,
            to_date,
            events=event,
            where=where,
            limit=limit,
            table=table,
            replace=replace,
            workers=workers,
            late_days=late_days,
        )
    with fetch_progress(ctx, unit="days") as on_progress:
        return ctx.workspace.fetch_events(
            from_date,
            to_date,
            events=event,
            where=where,
            limit=limit,
            table=table,
            replace=replace,
            workers=workers,
            late_days=late_days,
            on_progress=on_progress,
        )


@events_app.command(name="list")
def list_(*, table: str = "events", ctx: CtxParam) -> EventList:
    """List the events in a local table: count, users, first and last seen.

    Parameters
    ----------
    table
        Local events table.
    """
    return ctx.open_workspace(read_only=True).list_events(table)
