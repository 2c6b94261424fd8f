"""Turn the neutral report shapes into the tidy rows of the public result types.

Live answers (decoded by :mod:`mixpanel_data.api.reports`) and local computations
(:mod:`mixpanel_data.analytics`) arrive here in the same neutral shapes, so the rules that
shape the rows are written once: every bucket of the range appears (a missing cell is 0 for
counts and sums, no value for means), segments keep their rank order, funnel times are whole
seconds (as Mixpanel reports them), retention and frequency arrays become one row per period.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mixpanel_data._types_reports import SeriesRow
from mixpanel_data._types_reports_flows import (
    ActivityEvent,
    FrequencyRow,
    FunnelStep,
    InsightsRow,
    RetentionRow,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mixpanel_data._reports_query import Bucket
    from mixpanel_data.analytics import Frequency, Funnel, Retention, Series
    from mixpanel_data.api.reports import ActivityWire

__all__ = [
    "activity_events",
    "frequency_rows",
    "funnel_steps",
    "retention_rows",
    "rollup",
    "series_rows",
]

# Properties that the activity rows already show as columns.
_ACTIVITY_COLUMNS = ("time", "distinct_id", "$distinct_id")


def _cells(series: Series) -> dict[tuple[str, str], int | float]:
    return {
        (date, segment): value
        for date, segment, value in series.frame.select("date", "segment", "value").iter_rows()
        if value is not None
    }


def series_rows(
    series: Series,
    *,
    segments: Sequence[str] | None,
    fill: int | float | None,
) -> list[SeriesRow]:
    """One row per date × segment, dates ascending, segments in the given order.

    ``segments=None`` means the series is not segmented: one row per date, with the value of
    whatever single series the answer holds (Mixpanel names it after the event).
    """
    cells = _cells(series)
    dates = sorted(set(series.dates) | {date for date, _ in cells})
    if segments is None:
        by_date: dict[str, int | float] = {}
        for (date, _segment), value in cells.items():
            by_date.setdefault(date, value)
        return [SeriesRow(date=d, segment=None, value=by_date.get(d, fill)) for d in dates]
    return [
        SeriesRow(date=d, segment=s, value=cells.get((d, s), fill)) for d in dates for s in segments
    ]


def _week_or_month(key: str, unit: str) -> str:
    day = dt.date.fromisoformat(key[:10])
    if unit == "week":  # weeks start on Monday, as the local reports bucket them
        return (day - dt.timedelta(days=day.weekday())).isoformat()
    return day.replace(day=1).isoformat()


def rollup(series: Series, unit: str) -> Series:
    """Add daily buckets up into weeks (Monday) or months: exact for counts and sums."""
    import polars

    from mixpanel_data.analytics import Series as SeriesShape

    keys = {key: _week_or_month(key, unit) for key in series.dates}
    frame = series.frame
    if frame.height:
        mapped = frame.with_columns(
            polars.col("date").map_elements(
                lambda key: _week_or_month(str(key), unit), return_dtype=polars.String
            )
        )
        frame = mapped.group_by("date", "segment", maintain_order=True).agg(
            polars.col("value").sum()
        )
    return SeriesShape(
        unit=unit,
        dates=tuple(sorted(set(keys.values()))),
        segments=series.segments,
        frame=frame,
    )


def _seconds(value: float | None) -> float | None:
    # Mixpanel reports funnel times as whole seconds; local times are rounded the same way so
    # live and local answers compare equal.
    return None if value is None else float(round(value))


def funnel_steps(funnel: Funnel, *, by_date: bool) -> list[FunnelStep]:
    """The steps of every segment, over the whole range or per entry bucket."""
    buckets = funnel.buckets if by_date else funnel.overall
    out: list[FunnelStep] = []
    for bucket in buckets:
        for stats in bucket.steps:
            out.append(
                FunnelStep(
                    step=stats.index + 1,
                    event=stats.event,
                    users=stats.count,
                    conversion_rate=stats.overall_conv_ratio,
                    step_conversion_rate=stats.step_conv_ratio,
                    avg_time=_seconds(stats.avg_time),
                    avg_time_from_start=_seconds(stats.avg_time_from_start),
                    date=bucket.date if by_date else None,
                    segment=bucket.segment,
                )
            )
    return out


def retention_rows(retention: Retention) -> list[RetentionRow]:
    """One row per cohort × period (× segment)."""
    return [
        RetentionRow(
            cohort=cohort.date,
            segment=cohort.segment,
            cohort_size=cohort.first,
            period=index,
            users=count,
        )
        for cohort in retention.cohorts
        for index, count in enumerate(cohort.counts)
    ]


def _at_least(counts: tuple[int, ...], n: int) -> int:
    # counts[i] = users active in at least i + 1 units; nobody reaches past the array.
    if n < 1:
        return counts[0] if counts else 0
    return counts[n - 1] if n <= len(counts) else 0


def frequency_rows(frequency: Frequency, buckets: Sequence[Bucket] | None) -> list[FrequencyRow]:
    """Users per period (× segment) and bucket of active hours/days.

    Without ``buckets``: one bucket per number from 1 to the largest any user reached in
    any period (at least 1), so every period has the same rows.
    """
    from mixpanel_data._reports_query import Bucket

    if buckets is None:
        top = max(
            (n for p in frequency.periods for n, c in enumerate(p.counts, start=1) if c > 0),
            default=1,
        )
        buckets = [Bucket(low=n, high=n, label=str(n)) for n in range(1, top + 1)]
    out: list[FrequencyRow] = []
    for period in frequency.periods:
        for bucket in buckets:
            above = 0 if bucket.high is None else _at_least(period.counts, bucket.high + 1)
            out.append(
                FrequencyRow(
                    date=period.date,
                    segment=period.segment,
                    bucket=bucket.label,
                    users=_at_least(period.counts, bucket.low) - above,
                )
            )
    return out


def insights_rows(
    cells: Iterable[tuple[tuple[str, ...], str, int | float | None]],
) -> list[InsightsRow]:
    """One row per (labels, date), labels then dates ascending, in the answer's label order."""
    rows = [
        InsightsRow(labels=list(labels), date=date, value=value) for labels, date, value in cells
    ]
    order: dict[tuple[str, ...], int] = {}
    for row in rows:
        order.setdefault(tuple(row.labels), len(order))
    rows.sort(key=lambda r: (order[tuple(r.labels)], r.date))
    return rows


def _activity_properties(properties: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in properties.items() if k not in _ACTIVITY_COLUMNS}


def _utc(seconds: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(seconds), tz=dt.UTC).replace(tzinfo=None)


def activity_events(wire: Iterable[ActivityWire]) -> list[ActivityEvent]:
    """Feed events from ``/stream/query``, oldest first (``time`` is epoch seconds)."""
    events: list[ActivityEvent] = []
    for item in wire:
        props = item.properties
        user = props.get("distinct_id", props.get("$distinct_id", ""))
        raw_time = props.get("time", 0)
        seconds = raw_time if isinstance(raw_time, int | float) else 0
        events.append(
            ActivityEvent(
                time=_utc(seconds),
                distinct_id="" if user is None else str(user),
                event=item.event,
                properties=_activity_properties(props),
            )
        )
    events.sort(key=lambda e: (e.time, e.event, str(e.properties.get("$insert_id", ""))))
    return events


def local_activity_events(rows: Iterable[tuple[str, str, int, str]]) -> list[ActivityEvent]:
    """Feed events from the local table: ``(event, distinct_id, epoch seconds, properties JSON)``."""
    import orjson

    events: list[ActivityEvent] = []
    for event, distinct_id, seconds, properties in rows:
        props = orjson.loads(properties) if properties else {}
        events.append(
            ActivityEvent(
                time=_utc(seconds),
                distinct_id=distinct_id or "",
                event=event,
                properties=_activity_properties(props if isinstance(props, dict) else {}),
            )
        )
    events.sort(key=lambda e: (e.time, e.event, str(e.properties.get("$insert_id", ""))))
    return events
