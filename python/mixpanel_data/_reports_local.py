"""The same reports computed from the workspace's tables (``source="local"``).

Each function takes a DuckDB connection holding an events table, the project's time zone
and a validated query, runs the matching :mod:`mixpanel_data.analytics` function (Mixpanel's
semantics as SQL: deduplication, local days, expressions) and shapes the answer with
:mod:`mixpanel_data._reports_build`, exactly as the live path does.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (dataclass field types)
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from mixpanel_data._reports_build import funnel_steps, insights_rows, local_activity_events
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
from mixpanel_data.exceptions import TableNotFoundError, ValidationError

if TYPE_CHECKING:
    import duckdb

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

__all__ = [
    "LocalTables",
    "SourceOptions",
    "activity",
    "event_counts",
    "frequency",
    "funnel",
    "insights",
    "numeric",
    "property_counts",
    "retention",
    "segmentation",
]

# Mixpanel's default conversion window for a funnel (funnels docs: 7 days), used when a
# local funnel has no window of its own.
DEFAULT_WINDOW = (7, "day")


class SourceOptions(TypedDict):
    """Where an analytics function reads: the project's zone, the events and users tables."""

    tz: str
    table: str
    users_table: str


@dataclass(frozen=True, slots=True)
class LocalTables:
    """Where local reports read: a connection, the events and users tables, the time zone.

    ``today`` (a local date) drops retention periods that had not started yet, as
    Mixpanel's answers do.
    """

    con: duckdb.DuckDBPyConnection
    tz: str = "UTC"
    table: str = "events"
    users_table: str = "users"
    today: dt.date | None = None

    @property
    def source(self) -> SourceOptions:
        """The keywords with which the analytics functions find the tables and the zone."""
        return {"tz": self.tz, "table": self.table, "users_table": self.users_table}

    def check(self) -> None:
        """Fail clearly when the events table is missing."""
        from mixpanel_data.analytics._source import table_exists

        if not table_exists(self.con, self.table):
            raise TableNotFoundError(
                f"no events table {self.table!r} in the workspace, so the report cannot be "
                "computed locally",
                hint="fetch events first (`mp events fetch --from ...`), pass --table, or "
                "drop --local to ask Mixpanel",
            )


def segmentation(db: LocalTables, q: SegmentationQuery) -> SegmentationResult:
    """Segmentation from the events table."""
    from mixpanel_data import analytics

    db.check()
    if q.property is not None and q.measure in ("sum", "average"):
        if q.group_by is not None:
            raise ValidationError(
                f"a {q.measure} of {q.property!r} cannot be grouped (Mixpanel's "
                f"/segmentation/{q.measure} takes no segment)",
                hint="drop --group-by",
            )
        series = _property_series(db, q, q.measure, q.property)
    else:
        series = analytics.segmentation(
            db.con,
            q.event,
            q.from_date,
            q.to_date,
            unit=q.unit,
            type=MEASURE_TYPES[q.measure],
            on=group_expression(q.group_by),
            where=q.where,
            limit=q.limit or 60,
            **db.source,
        )
    return segmentation_result("local", q, series)


def funnel(db: LocalTables, q: FunnelQuery, *, note: str | None = None) -> FunnelResult:
    """A funnel over ``q.steps`` from the events table."""
    from mixpanel_data import analytics

    db.check()
    if not q.steps:
        raise ValidationError(
            "a local funnel needs its steps: Mixpanel's API does not describe saved funnels",
            hint="pass the step events (mp report funnel A B C --local), or use --compare "
            "to learn them from Mixpanel",
        )
    length, length_unit = q.window or DEFAULT_WINDOW
    days = (q.to_date - q.from_date).days + 1
    computed = analytics.funnel(
        db.con,
        list(q.steps),
        q.from_date,
        q.to_date,
        length=length,
        length_unit=length_unit,
        unit=q.unit,
        interval=None if q.unit is not None else days,
        on=group_expression(q.group_by),
        where=q.where,
        limit=q.limit or 255,
        **db.source,
    )
    return echo_result(
        FunnelResult,
        "local",
        q,
        note=note,
        events=list(q.steps),
        window=window_text(q.window or DEFAULT_WINDOW),
        steps=funnel_steps(computed, by_date=q.unit is not None),
    )


def retention(db: LocalTables, q: RetentionQuery) -> RetentionResult:
    """Retention cohorts from the events table (calendar units in the project's zone)."""
    from mixpanel_data import analytics

    db.check()
    computed = analytics.retention(
        db.con,
        q.born_event,
        q.from_date,
        q.to_date,
        event=q.return_event,
        retention_type=q.retention_type,
        born_where=q.born_where,
        where=q.where,
        unit=q.unit,
        interval=q.interval,
        interval_count=q.periods,
        unbounded=q.unbounded,
        on=group_expression(q.group_by),
        limit=q.limit or 255,
        mode="calendar",
        today=q.today or db.today,
        **db.source,
    )
    return retention_result("local", q, computed)


def frequency(db: LocalTables, q: FrequencyQuery) -> FrequencyResult:
    """Frequency (users by active hours/days per period) from the events table."""
    from mixpanel_data import analytics

    db.check()
    computed = analytics.frequency(
        db.con,
        q.event,
        q.from_date,
        q.to_date,
        unit=q.unit,
        addiction_unit=q.count_by,
        where=q.where,
        on=group_expression(q.group_by),
        limit=q.limit or 255,
        **db.source,
    )
    return frequency_result("local", q, computed)


def insights(db: LocalTables, q: InsightsQuery) -> InsightsResult:
    """An Insights-style report (events per bucket, optionally broken down) from the table."""
    from mixpanel_data import analytics
    from mixpanel_data.api._wire_common import bucket_key, day_keys

    db.check()
    if not q.events or q.from_date is None or q.to_date is None:
        raise ValidationError(
            "a local Insights report needs its definition: Mixpanel's API does not describe "
            "saved reports",
            hint="pass the events and the dates (--event E --from D --to D, events=[...])",
        )
    kind = MEASURE_TYPES[q.measure]
    cells: list[tuple[tuple[str, ...], str, int | float | None]] = []
    headers = ["$event"]
    if q.group_by is None:
        computed = analytics.insights(
            db.con,
            list(q.events),
            q.from_date,
            q.to_date,
            type=kind,
            unit=q.unit,
            **db.source,
        )
        for event, date, value in computed.frame.select("event", "date", "value").iter_rows():
            cells.append(((event,), bucket_key(date), value))
    else:
        headers.append(q.group_by)
        for event in q.events:
            split = analytics.segmentation(
                db.con,
                event,
                q.from_date,
                q.to_date,
                unit=q.unit,
                type=kind,
                on=property_expression(q.group_by, "group_by"),
                limit=10_000,
                **db.source,
            )
            for date, segment, value in split.frame.select("date", "segment", "value").iter_rows():
                cells.append(((event, segment), bucket_key(date), value))
    days = day_keys([date for _labels, date, _value in cells])
    cells = [(labels, days[date], value) for labels, date, value in cells]
    return InsightsResult(
        source="local",
        bookmark_id=q.bookmark_id,
        from_date=q.from_date,
        to_date=q.to_date,
        headers=headers,
        unit=q.unit,
        measure=q.measure,
        rows=insights_rows(cells),
    )


def activity(db: LocalTables, q: ActivityQuery) -> ActivityFeedResult:
    """Some users' events from the events table, oldest first."""
    from mixpanel_data import analytics

    db.check()
    frame = analytics.activity(
        db.con, list(q.distinct_ids), q.from_date, q.to_date, tz=db.tz, table=db.table
    )
    rows = frame.select("event", "distinct_id", "time", "properties").iter_rows()
    return activity_result("local", q, local_activity_events(rows))


def event_counts(db: LocalTables, q: EventCountsQuery) -> EventCountsResult:
    """Several events per bucket from the events table."""
    from mixpanel_data import analytics

    db.check()
    series = analytics.event_counts(
        db.con,
        list(q.events),
        q.from_date,
        q.to_date,
        type=MEASURE_TYPES[q.measure],
        unit=q.unit,
        **db.source,
    )
    return event_counts_result("local", q, series)


def property_counts(db: LocalTables, q: PropertyCountsQuery) -> PropertyCountsResult:
    """An event per bucket and property value from the events table."""
    from mixpanel_data import analytics

    db.check()
    series = analytics.property_counts(
        db.con,
        q.event,
        q.property,
        q.from_date,
        q.to_date,
        values=list(q.values) if q.values is not None else None,
        type=MEASURE_TYPES[q.measure],
        unit=q.unit,
        limit=q.limit or 255,
        **db.source,
    )
    return property_counts_result("local", q, series, list(series.segments))


def numeric(
    db: LocalTables, q: NumericQuery
) -> NumericBucketResult | NumericSumResult | NumericAverageResult:
    """Numeric buckets, sum or average of a property from the events table."""
    db.check()
    return numeric_result("local", q, _property_series(db, q, q.measure, q.property))


def _property_series(
    db: LocalTables, q: SegmentationQuery | NumericQuery, measure: str, prop: str
) -> Series:
    """The numeric property ``prop`` of ``q.event`` per bucket: summed, averaged or in ranges.

    ``measure`` is ``sum``, ``average`` or ``buckets`` (the ranges).
    """
    from mixpanel_data import analytics

    if measure == "sum":
        compute = analytics.segmentation_sum
    elif measure == "average":
        compute = analytics.segmentation_average
    else:
        compute = analytics.segmentation_numeric
    on = property_expression(prop)
    return compute(
        db.con, q.event, q.from_date, q.to_date, on=on, unit=q.unit, where=q.where, **db.source
    )
