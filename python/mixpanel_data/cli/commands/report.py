"""``mp report``: Mixpanel's reports, live from the Query API or computed from the local copy.

Every report takes ``--local`` (compute it from the workspace's events table with Mixpanel's
semantics), ``--compare`` (both, side by side, with the differences) and ``--save-as TABLE``
(keep the rows as a table for ``mp query``). Each command is one call to a
:class:`~mixpanel_data.Workspace` method of the same name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from cyclopts import App, Group, Parameter, validators

from mixpanel_data._reports_compare import ReportComparison
from mixpanel_data._types_reports import (
    EventCountsResult,
    NumericAverageResult,
    NumericBucketResult,
    NumericSumResult,
    PropertyCountsResult,
    SegmentationResult,
)
from mixpanel_data._types_reports_flows import (
    ActivityFeedResult,
    FrequencyResult,
    FunnelResult,
    InsightsResult,
    RetentionResult,
)
from mixpanel_data.cli._context import Context, CtxParam
from mixpanel_data.exceptions import ValidationError

__all__ = ["report_app"]

report_app = App(
    name="report",
    help="Run Mixpanel's reports live, or compute them from the local copy (--local).",
)

From = Annotated[dt.date, Parameter(name="--from")]
To = Annotated[dt.date | None, Parameter(name="--to")]
Flag = Annotated[bool, Parameter(negative="")]
Limit = Annotated[int | None, Parameter(validator=validators.Number(gte=1, lte=10_000))]
SeriesUnit = Literal["minute", "hour", "day", "week", "month"]
CountMeasure = Literal["count", "unique", "average"]


@Parameter(name="*", group=Group("Report options", sort_key=90))
@dataclass(frozen=True, kw_only=True)
class ReportOptions:
    """Options every report takes."""

    local: Flag = False
    "Compute the report from the local events table instead of asking Mixpanel."
    compare: Flag = False
    "Run it live and locally, and show both side by side with the differences."
    save_as: str | None = None
    "Also store the rows as a table of this name (query it with mp query)."
    table: str = "events"
    "The events table --local reads."


_DEFAULT = ReportOptions()


def _run(
    ctx: Context,
    opts: ReportOptions,
    method_name: str,
    *args: Any,
    writes: bool = False,
    **kwargs: Any,
) -> Any:
    """Call one report method of the workspace, live, local or both.

    The workspace is opened read-only unless the report writes (``--save-as``, or the
    fetch of an unsaved funnel), so reports can run while another process reads the file.
    """
    if opts.local and opts.compare:
        raise ValidationError(
            "--local and --compare contradict each other",
            hint="--compare already computes the report locally as well",
        )
    writes = writes or opts.save_as is not None
    ws = ctx.workspace if writes else ctx.open_workspace(read_only=True)
    method = getattr(ws, method_name)
    if opts.compare:
        return ws.compare(method, *args, **kwargs, table=opts.table, save_as=opts.save_as)
    return method(*args, **kwargs, local=opts.local, table=opts.table, save_as=opts.save_as)


@report_app.command
def segmentation(
    event: str,
    /,
    *,
    from_date: From,
    to_date: To = None,
    by: SeriesUnit = "day",
    group_by: str | None = None,
    measure: Literal["count", "unique", "average", "sum"] = "count",
    property: str | None = None,
    where: str | None = None,
    limit: Limit = None,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> SegmentationResult | ReportComparison:
    """Count an event per day (hour, week, month), optionally grouped by a property.

    Parameters
    ----------
    event
        The event to count.
    from_date
        First day, inclusive (YYYY-MM-DD, the project's time zone).
    to_date
        Last day, inclusive (default: today).
    by
        Time bucket.
    group_by
        Property to segment by (or an expression such as 'properties["plan"]').
    measure
        count (events), unique (users), average (events per user; with --property the
        mean of the property) or sum (of --property).
    property
        Numeric property to sum or average.
    where
        Filter, e.g. 'properties["$os"] == "Mac OS X"'.
    limit
        With --group-by: how many segments to keep (default 60).
    """
    return cast(
        "SegmentationResult | ReportComparison",
        _run(
            ctx,
            opts,
            "segmentation",
            event,
            from_date=from_date,
            to_date=to_date,
            by=by,
            group_by=group_by,
            measure=measure,
            property=property,
            where=where,
            limit=limit,
        ),
    )


def _funnel_target(value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    text = value.strip()
    return {"funnel_id": int(text)} if text.isdigit() else {"name": text}


@report_app.command
def funnel(
    *steps: str,
    id: Annotated[str | None, Parameter(name="--id")] = None,
    from_date: From,
    to_date: To = None,
    window: str | None = None,
    by: Literal["day", "week", "month"] | None = None,
    group_by: str | None = None,
    where: str | None = None,
    limit: Limit = None,
    no_fetch: Flag = False,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> FunnelResult | ReportComparison:
    """Conversion through steps: a saved funnel (--id), or a list of events.

    Mixpanel has no endpoint for a funnel over a list of events, so that one is computed
    locally: the events it needs are fetched first (only what the workspace lacks), and
    the output says so.

    Parameters
    ----------
    steps
        The step events, in order (for an unsaved funnel).
    id
        A saved funnel's id or name (mp schema funnels).
    from_date
        First day users may enter (do step 1), inclusive.
    to_date
        Last day users may enter (default: today); completions may come later.
    window
        Conversion window: 7d, 2w, 12h, 30m (default: the saved funnel's, else 7d).
    by
        Also split by entry day, week or month.
    group_by
        Property of the entering event to segment by.
    where
        Filter applied to every step.
    limit
        With --group-by: how many segments to keep.
    no_fetch
        For an unsaved funnel: use only the events already in the workspace.
    """
    target = _funnel_target(id)
    if not target and not steps:
        raise ValidationError(
            "a funnel needs its steps or a saved funnel",
            hint='pass the events in order ("Sign Up" "Purchase") or --id',
        )
    adhoc = not target
    return cast(
        "FunnelResult | ReportComparison",
        _run(
            ctx,
            opts,
            "funnel",
            list(steps) if steps else None,
            **target,
            from_date=from_date,
            to_date=to_date,
            window=window,
            by=by,
            group_by=group_by,
            where=where,
            limit=limit,
            fetch=not no_fetch,
            writes=adhoc and not opts.local and not no_fetch,
        ),
    )


@report_app.command
def retention(
    *,
    born: str | None = None,
    return_: Annotated[str, Parameter(name="--return")] = "any",
    from_date: From,
    to_date: To = None,
    by: Literal["day", "week", "month"] = "day",
    interval: Annotated[int, Parameter(validator=validators.Number(gte=1))] = 1,
    periods: Annotated[int | None, Parameter(validator=validators.Number(gte=0))] = None,
    type: Literal["birth", "compounded"] = "birth",
    unbounded: Flag = False,
    group_by: str | None = None,
    where: str | None = None,
    born_where: str | None = None,
    limit: Limit = None,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> RetentionResult | ReportComparison:
    """Retention cohorts: of the users born each day (week, month), who came back when.

    Parameters
    ----------
    born
        The event that puts a user in a cohort (needed for birth retention).
    return_
        The event that counts as coming back, or "any".
    from_date
        First cohort day, inclusive.
    to_date
        Last cohort day, inclusive (default: today).
    by
        Cohort and period unit.
    interval
        Units per period.
    periods
        Periods after period 0 (default: 7 days, 4 weeks, 3 months).
    type
        birth (first time) or compounded (recurring).
    unbounded
        Count returns in a period or any later one ("on or after").
    group_by
        Property of the birth event to segment by.
    where
        Filter on the returning events.
    born_where
        Filter on the birth events.
    limit
        With --group-by: how many segments to keep.
    """
    return cast(
        "RetentionResult | ReportComparison",
        _run(
            ctx,
            opts,
            "retention",
            born,
            return_event=None if return_ == "any" else return_,
            from_date=from_date,
            to_date=to_date,
            by=by,
            interval=interval,
            periods=periods,
            retention_type=type,
            unbounded=unbounded,
            group_by=group_by,
            where=where,
            born_where=born_where,
            limit=limit,
        ),
    )


@report_app.command
def frequency(
    event: str | None = None,
    /,
    *,
    from_date: From,
    to_date: To = None,
    by: Literal["day", "week", "month"] = "week",
    count_by: Literal["hour", "day"] | None = None,
    buckets: str | None = None,
    group_by: str | None = None,
    where: str | None = None,
    limit: Limit = None,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> FrequencyResult | ReportComparison:
    """Frequency: how many users did it on 1, 2, 3... days (or hours) of each period.

    Parameters
    ----------
    event
        The event (default: any event).
    from_date
        First day, inclusive.
    to_date
        Last day, inclusive (default: today).
    by
        The period.
    count_by
        Count distinct days (default) or hours (the default with --by day) per period.
    buckets
        Group the counts, e.g. "1,2-5,6-10,11+".
    group_by
        Property to segment by.
    where
        Filter on the events.
    limit
        With --group-by: how many segments to keep.
    """
    return cast(
        "FrequencyResult | ReportComparison",
        _run(
            ctx,
            opts,
            "frequency",
            event,
            from_date=from_date,
            to_date=to_date,
            by=by,
            count_by=count_by,
            buckets=buckets,
            group_by=group_by,
            where=where,
            limit=limit,
        ),
    )


@report_app.command
def insights(
    bookmark_id: int | None = None,
    /,
    *,
    event: list[str] | None = None,
    from_date: Annotated[dt.date | None, Parameter(name="--from")] = None,
    to_date: To = None,
    by: Literal["hour", "day", "week", "month"] | None = None,
    measure: CountMeasure = "count",
    group_by: str | None = None,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> InsightsResult | ReportComparison:
    """A saved Insights report by its id; locally, the same report from its definition.

    Mixpanel runs a saved report by id but does not describe it: with --local give its
    events and dates (with --compare they are taken from the live answer; give --measure
    if the report counts unique users).

    Parameters
    ----------
    bookmark_id
        The report's id (in its URL: ...#report-<id>).
    event
        Local: an event of the report (repeat for several).
    from_date
        Local: first day.
    to_date
        Local: last day (default: today).
    by
        Local: the time bucket (default: day; with --compare, the live answer's).
    measure
        Local: count, unique or average.
    group_by
        Local: the breakdown property.
    """
    return cast(
        "InsightsResult | ReportComparison",
        _run(
            ctx,
            opts,
            "insights",
            bookmark_id,
            events=event,
            from_date=from_date,
            to_date=to_date,
            by=by,
            measure=measure,
            group_by=group_by,
        ),
    )


@report_app.command
def activity(
    *distinct_ids: str,
    from_date: From,
    to_date: To = None,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> ActivityFeedResult | ReportComparison:
    """The events of some users, oldest first (the activity feed).

    Parameters
    ----------
    distinct_ids
        The users' distinct ids.
    from_date
        First day, inclusive.
    to_date
        Last day, inclusive (default: today).
    """
    if not distinct_ids:
        raise ValidationError("name at least one user", hint="mp report activity USER_ID --from D")
    return cast(
        "ActivityFeedResult | ReportComparison",
        _run(ctx, opts, "activity", list(distinct_ids), from_date=from_date, to_date=to_date),
    )


@report_app.command
def event_counts(
    *events: str,
    from_date: From,
    to_date: To = None,
    by: SeriesUnit = "day",
    measure: CountMeasure = "count",
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> EventCountsResult | ReportComparison:
    """Count several events per day (hour, week, month).

    Parameters
    ----------
    events
        The events.
    from_date
        First day, inclusive.
    to_date
        Last day, inclusive (default: today).
    by
        Time bucket (no unique counts by hour or minute).
    measure
        count, unique or average (events per user).
    """
    if not events:
        raise ValidationError("name at least one event", hint="mp report event-counts E1 E2")
    return cast(
        "EventCountsResult | ReportComparison",
        _run(
            ctx,
            opts,
            "event_counts",
            list(events),
            from_date=from_date,
            to_date=to_date,
            by=by,
            measure=measure,
        ),
    )


@report_app.command
def property_counts(
    event: str,
    property: str,
    /,
    *,
    from_date: From,
    to_date: To = None,
    by: SeriesUnit = "day",
    measure: CountMeasure = "count",
    value: list[str] | None = None,
    limit: Limit = None,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> PropertyCountsResult | ReportComparison:
    """Count an event per day and value of one property.

    Parameters
    ----------
    event
        The event.
    property
        The property whose values split the counts.
    from_date
        First day, inclusive.
    to_date
        Last day, inclusive (default: today).
    by
        Time bucket.
    measure
        count, unique or average.
    value
        Only this value (repeat for several).
    limit
        How many of the most common values to keep (default 255).
    """
    return cast(
        "PropertyCountsResult | ReportComparison",
        _run(
            ctx,
            opts,
            "property_counts",
            event,
            property,
            from_date=from_date,
            to_date=to_date,
            by=by,
            measure=measure,
            values=value,
            limit=limit,
        ),
    )


@report_app.command
def numeric(
    event: str,
    /,
    *,
    property: str,
    measure: Literal["buckets", "sum", "average"] = "buckets",
    from_date: From,
    to_date: To = None,
    by: Literal["hour", "day"] = "day",
    where: str | None = None,
    opts: ReportOptions = _DEFAULT,
    ctx: CtxParam,
) -> NumericBucketResult | NumericSumResult | NumericAverageResult | ReportComparison:
    """A numeric property of an event per day: counts per range, sum or average.

    Parameters
    ----------
    event
        The event.
    property
        The numeric property.
    measure
        buckets (events per range of values), sum or average.
    from_date
        First day, inclusive.
    to_date
        Last day, inclusive (default: today).
    by
        hour or day.
    where
        Filter on the events.
    """
    return cast(
        "NumericBucketResult | NumericSumResult | NumericAverageResult | ReportComparison",
        _run(
            ctx,
            opts,
            "numeric",
            event,
            property=property,
            measure=measure,
            from_date=from_date,
            to_date=to_date,
            by=by,
            where=where,
        ),
    )
