"""``mp users``: fetch user profiles into the local database."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from cyclopts import App, Parameter

from mixpanel_data._types_fetch import FetchPlan, FetchResult
from mixpanel_data.cli._context import CtxParam
from mixpanel_data.cli._progress import fetch_progress

__all__ = ["fetch", "users_app"]

users_app = App(name="users", help="Fetch user profiles into the local database.")

Flag = Annotated[bool, Parameter(negative="")]


@users_app.command
def fetch(
    *,
    cohort: str | None = None,
    cohort_id: int | None = None,
    active_since: dt.date | None = None,
    where: str | None = None,
    properties: Annotated[list[str] | None, Parameter(consume_multiple=True, negative="")] = None,
    distinct_id: Annotated[list[str] | None, Parameter(negative="")] = None,
    replace: Flag = False,
    table: str = "users",
    dry_run: Flag = False,
    ctx: CtxParam,
) -> FetchResult | FetchPlan:
    """Fetch user profiles from Mixpanel into a local table (upserted on distinct_id).

    Parameters
    ----------
    cohort
        Only members of the saved cohort with this name.
    cohort_id
        Only members of the saved cohort with this id.
    active_since
        Only profiles seen on or after this day (YYYY-MM-DD).
    where
        Only profiles matching this expression, e.g. 'properties["plan"] == "pro"'.
    properties
        Only these profile properties (several may follow the option).
    distinct_id
        Only this profile (repeat for several).
    replace
        Rebuild the table; the old one stays until the new one is complete.
    table
        Local table to write.
    dry_run
        Print what would be requested without any request.
    """
    if dry_run:
        return ctx.workspace.plan_fetch_users(
            cohort=cohort,
            cohort_id=cohort_id,
            active_since=active_since,
            where=where,
            properties=properties,
            distinct_ids=distinct_id,
            table=table,
            replace=replace,
        )
    with fetch_progress(ctx, unit="pages") as on_progress:
        return ctx.workspace.fetch_users(
            cohort=cohort,
            cohort_id=cohort_id,
            active_since=active_since,
            where=where,
            properties=properties,
            distinct_ids=distinct_id,
            table=table,
            replace=replace,
            on_progress=on_progress,
        )
