"""The reports answered by Mixpanel's Query API (``source="live"``).

Each function takes a client and a validated query (:mod:`mixpanel_data._reports_query`),
calls one endpoint of :mod:`mixpanel_data.api.reports` and shapes the answer with
:mod:`mixpanel_data._reports_build`. Where the API cannot answer what was asked, the error
says so before any request, and names the way that works (another unit, ``--local``):

- ``/segmentation`` has no ``week`` unit: weekly counts and sums are asked by day and added
  up (exact); weekly unique users cannot be added up from days, so they are refused;
- ``/segmentation/sum`` and ``/segmentation/average`` take no segment (``on``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mixpanel_data._reports_build import activity_events, funnel_steps, insights_rows, rollup
from mixpanel_data._reports_query import (
    MEASURE_TYPES,
    group_expression,
    property_expression,
    window_text,
)
from mixpanel_data._reports_results import (
    activity_result,
    echo_result,
    event_counts_result,
    frequency_result,
    numeric_result,
    property_counts_result,
    retention_result,
    segmentation_result,
)
from mixpanel_data._types_reports_flows import FunnelResult, InsightsResult
from mixpanel_data.api import reports as api
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from mixpanel_data._reports_query import (
        ActivityQuery,
        EventCountsQuery,
        FrequencyQuery,
        FunnelQuery,
        InsightsQuery,
        NumericQuery,
        PropertyCountsQuery,
        RetentionQuery,
        SegmentationQuery,
    )
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
        RetentionResult,
    )
    from mixpanel_data.analytics import Series
    from mixpanel_data.api import MixpanelClient

__all__ = [
    "activity",
    "event_counts",
    "frequency",
    "funnel",
    "insights",
    "numeric",
    "property_counts",
    "resolve_funnel",
    "retention",
    "segmentation",
]

_LOCAL_HINT = "or compute it from the local tables with --local (local=True)"


def _property_totals(
    client: MixpanelClient, q: SegmentationQuery | NumericQuery, prop: str, unit: str
) -> Series:
    """``/segmentation/sum`` (``q.measure`` sum) or ``/average`` of ``prop`` per ``unit``.

    Those endpoints answer only the buckets that had events (they have no ``series`` list),
    so every bucket of the range (the project's local days, or hours) is listed here.
    """
    import dataclasses

    from mixpanel_data.analytics._time import Buckets, check_tz

    compute = api.segmentation_sum if q.measure == "sum" else api.segmentation_average
    on = property_expression(prop)
    series = compute(client, q.event, q.from_date, q.to_date, on=on, unit=unit, where=q.where)
    zone = check_tz(client.credentials.timezone or "UTC")
    keys = Buckets(unit=series.unit).keys(q.from_date, q.to_date, zone)
    return dataclasses.replace(series, dates=tuple(sorted(set(series.dates) | set(keys))))


def _segmentation_series(client: MixpanelClient, q: SegmentationQuery) -> Series:
    on = group_expression(q.group_by)
    if q.property is not None and q.measure in ("sum", "average"):
        if on is not None:
            raise ValidationError(
                f"a {q.measure} of {q.property!r} cannot be grouped: Mixpanel's "
                f"/segmentation/{q.measure} takes no segment",
                hint=f"drop --group-by, {_LOCAL_HINT}",
            )
        additive = q.measure == "sum"
        if q.unit in ("week", "month") and not additive:
            raise ValidationError(
                f"Mixpanel's /segmentation/average buckets only by hour or day, and daily "
                f"means cannot be combined into a {q.unit}",
                hint=f"use --by day, {_LOCAL_HINT}",
            )
        if q.unit == "minute":
            raise ValidationError(
                f"Mixpanel's /segmentation/{q.measure} buckets only by hour or day",
                hint=f"use --by hour or day, {_LOCAL_HINT}",
            )
        unit = q.unit if q.unit in ("hour", "day") else "day"
        series = _property_totals(client, q, q.property, unit)
        return rollup(series, q.unit) if unit != q.unit else series
    kind = MEASURE_TYPES[q.measure]
    unit = q.unit
    if q.unit == "week":
        # Mixpanel docs (/segmentation): unit is minute, hour, day or month; there is no week.
        if kind != "general":
            raise ValidationError(
                f"Mixpanel's /segmentation has no week unit, and {q.measure} users per day "
                "cannot be added up into weeks",
                hint=f"use --by day or month, `mp report event-counts --by week`, {_LOCAL_HINT}",
            )
        unit = "day"
    series = api.segmentation(
        client,
        q.event,
        q.from_date,
        q.to_date,
        unit=unit,
        type=kind,
        on=on,
        where=q.where,
        limit=q.limit,
    )
    return rollup(series, q.unit) if unit != q.unit else series


def segmentation(client: MixpanelClient, q: SegmentationQuery) -> SegmentationResult:
    """``/segmentation`` (or ``/segmentation/sum|average`` with a property)."""
    return segmentation_result("live", q, _segmentation_series(client, q))


def resolve_funnel(client: MixpanelClient, name: str) -> tuple[int, str]:
    """The id of the saved funnel called ``name`` (exact, then case-insensitive match)."""
    funnels = api.funnel_list(client)
    matches = [f for f in funnels if f.name == name] or [
        f for f in funnels if f.name.casefold() == name.casefold()
    ]
    if len(matches) == 1:
        return matches[0].funnel_id, matches[0].name
    if not matches:
        known = ", ".join(repr(f.name) for f in funnels[:10]) or "none"
        raise ValidationError(
            f"no saved funnel is called {name!r}",
            hint=f"saved funnels: {known} (`mp schema funnels`); or pass --id",
        )
    ids = ", ".join(str(f.funnel_id) for f in matches)
    raise ValidationError(
        f"{len(matches)} saved funnels are called {name!r} (ids {ids})", hint="pass --id"
    )


def funnel(client: MixpanelClient, q: FunnelQuery) -> FunnelResult:
    """``/funnels``: a saved funnel, over the whole range or per ``unit`` bucket."""
    funnel_id, name = q.funnel_id, q.name
    if funnel_id is None:
        if name is None:
            raise ValidationError(
                "only saved funnels have a Mixpanel endpoint", hint="pass funnel_id or name"
            )
        funnel_id, name = resolve_funnel(client, name)
    # Without a unit, one bucket spanning the whole range gives the funnel of every entry
    # in the range (Mixpanel docs, /funnels: interval is the number of days per bucket).
    days = (q.to_date - q.from_date).days + 1
    length, length_unit = q.window if q.window is not None else (None, None)
    decoded = api.funnel(
        client,
        funnel_id,
        q.from_date,
        q.to_date,
        length=length,
        length_unit=length_unit,
        unit=q.unit,
        interval=None if q.unit is not None else days,
        on=group_expression(q.group_by),
        where=q.where,
        limit=q.limit,
    )
    steps = funnel_steps(decoded, by_date=q.unit is not None)
    events = [s.event for s in (decoded.overall[0].steps if decoded.overall else ())]
    return echo_result(
        FunnelResult,
        "live",
        q,
        events=events,
        funnel_id=funnel_id,
        name=name,
        window=window_text(q.window),
        steps=steps,
    )


def retention(client: MixpanelClient, q: RetentionQuery) -> RetentionResult:
    """``/retention``: cohorts and their returns per period."""
    decoded = api.retention(
        client,
        q.from_date,
        q.to_date,
        born_event=q.born_event,
        event=q.return_event,
        retention_type=q.retention_type,
        born_where=q.born_where,
        where=q.where,
        unit=q.unit,
        interval=q.interval,
        interval_count=q.periods,
        unbounded=q.unbounded,
        on=group_expression(q.group_by),
        limit=q.limit,
    )
    return retention_result("live", q, decoded)


def frequency(client: MixpanelClient, q: FrequencyQuery) -> FrequencyResult:
    """``/retention/addiction``: users by active hours/days per period."""
    decoded = api.frequency(
        client,
        q.from_date,
        q.to_date,
        unit=q.unit,
        addiction_unit=q.count_by,
        event=q.event,
        where=q.where,
        on=group_expression(q.group_by),
        limit=q.limit,
    )
    return frequency_result("live", q, decoded)


def insights(client: MixpanelClient, q: InsightsQuery) -> InsightsResult:
    """``/insights``: a saved report, flattened."""
    if q.bookmark_id is None:
        raise ValidationError(
            "a live Insights report needs the bookmark id of a saved report",
            hint="pass the id from the report's URL (…#report-<id>)",
        )
    decoded = api.insights(client, q.bookmark_id)
    rows = insights_rows(decoded.cells)
    dates = sorted({row.date[:10] for row in rows})
    start = decoded.from_date or (dates[0] if dates else None)
    end = decoded.to_date or (dates[-1] if dates else None)
    return InsightsResult(
        source="live",
        bookmark_id=q.bookmark_id,
        from_date=dt.date.fromisoformat(start) if start else q.from_date or dt.date.min,
        to_date=dt.date.fromisoformat(end) if end else q.to_date or dt.date.min,
        headers=list(decoded.headers),
        computed_at=decoded.computed_at,
        rows=rows,
    )


def activity(client: MixpanelClient, q: ActivityQuery) -> ActivityFeedResult:
    """``/stream/query``: some users' events."""
    wire = api.activity(client, q.distinct_ids, q.from_date, q.to_date)
    return activity_result("live", q, activity_events(wire))


def event_counts(client: MixpanelClient, q: EventCountsQuery) -> EventCountsResult:
    """``/events``: several events per bucket."""
    kind = MEASURE_TYPES[q.measure]
    series = api.event_counts(client, q.events, q.from_date, q.to_date, type=kind, unit=q.unit)
    return event_counts_result("live", q, series)


def property_counts(client: MixpanelClient, q: PropertyCountsQuery) -> PropertyCountsResult:
    """``/events/properties``: an event per bucket and property value."""
    series = api.property_counts(
        client,
        q.event,
        q.property,
        q.from_date,
        q.to_date,
        values=q.values,
        type=MEASURE_TYPES[q.measure],
        unit=q.unit,
        limit=q.limit,
    )
    segments = list(series.segments)
    if q.values is not None:
        segments += [v for v in q.values if v not in segments]
    return property_counts_result("live", q, series, segments)


def numeric(
    client: MixpanelClient, q: NumericQuery
) -> NumericBucketResult | NumericSumResult | NumericAverageResult:
    """``/segmentation/numeric``, ``/segmentation/sum`` or ``/segmentation/average``."""
    if q.measure != "buckets":
        return numeric_result("live", q, _property_totals(client, q, q.property, q.unit))
    on = property_expression(q.property)
    series = api.segmentation_numeric(
        client, q.event, q.from_date, q.to_date, on=on, unit=q.unit, where=q.where
    )
    return numeric_result("live", q, series)
