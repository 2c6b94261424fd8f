"""The result of a report from its query and its computed answer, for either source.

The live path (:mod:`mixpanel_data._reports_live`) and the local path
(:mod:`mixpanel_data._reports_local`) compute the same neutral shapes; the fields that echo
the query and the rules that pick the rows (which segments, what a missing bucket holds) are
the same for both, so they are written once here. Reports whose answers differ by source in
more than their numbers (funnels, Insights) build their results where they are computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixpanel_data._reports_build import frequency_rows, retention_rows, series_rows
from mixpanel_data._reports_query import MEASURE_TYPES, parse_buckets
from mixpanel_data._types_reports import (
    EventCountsResult,
    NumericAverageResult,
    NumericBucketResult,
    NumericSumResult,
    PropertyCountsResult,
    SegmentationResult,
)
from mixpanel_data._types_reports_flows import (
    ActivityEvent,
    ActivityFeedResult,
    FrequencyResult,
    RetentionResult,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mixpanel_data._reports_query import (
        ActivityQuery,
        EventCountsQuery,
        FrequencyQuery,
        NumericQuery,
        PropertyCountsQuery,
        RetentionQuery,
        SegmentationQuery,
    )
    from mixpanel_data._types_reports import ReportSource
    from mixpanel_data.analytics import Frequency, Retention, Series

__all__ = [
    "activity_result",
    "event_counts_result",
    "frequency_result",
    "numeric_result",
    "property_counts_result",
    "retention_result",
    "segmentation_result",
]


def _fill(kind: str) -> int | None:
    """What a bucket without events holds: no value for a mean, 0 for counts and sums."""
    return None if kind == "average" else 0


def segmentation_result(
    source: ReportSource, q: SegmentationQuery, series: Series
) -> SegmentationResult:
    """Segmentation rows: one per bucket (and segment, with ``group_by``)."""
    return SegmentationResult(
        source=source,
        event=q.event,
        from_date=q.from_date,
        to_date=q.to_date,
        unit=q.unit,
        measure=q.measure,
        property=q.property,
        group_by=q.group_by,
        where=q.where,
        rows=series_rows(
            series,
            segments=list(series.segments) if q.group_by is not None else None,
            fill=_fill(q.measure),
        ),
    )


def retention_result(
    source: ReportSource, q: RetentionQuery, computed: Retention
) -> RetentionResult:
    """Retention rows: one per cohort and period."""
    return RetentionResult(
        source=source,
        born_event=q.born_event,
        return_event=q.return_event,
        from_date=q.from_date,
        to_date=q.to_date,
        unit=q.unit,
        interval=q.interval,
        periods=q.periods,
        retention_type=q.retention_type,
        unbounded=q.unbounded,
        group_by=q.group_by,
        where=q.where,
        born_where=q.born_where,
        rows=retention_rows(computed),
    )


def frequency_result(
    source: ReportSource, q: FrequencyQuery, computed: Frequency
) -> FrequencyResult:
    """Frequency rows, grouped into ``q.buckets`` when given."""
    return FrequencyResult(
        source=source,
        event=q.event,
        from_date=q.from_date,
        to_date=q.to_date,
        unit=q.unit,
        count_by=q.count_by,
        buckets=q.buckets,
        group_by=q.group_by,
        where=q.where,
        rows=frequency_rows(computed, parse_buckets(q.buckets)),
    )


def activity_result(
    source: ReportSource, q: ActivityQuery, events: list[ActivityEvent]
) -> ActivityFeedResult:
    """The activity feed of ``q.distinct_ids``."""
    return ActivityFeedResult(
        source=source,
        distinct_ids=list(q.distinct_ids),
        from_date=q.from_date,
        to_date=q.to_date,
        events=events,
    )


def event_counts_result(
    source: ReportSource, q: EventCountsQuery, series: Series
) -> EventCountsResult:
    """Event counts: one row per bucket and event, in the order the events were asked."""
    return EventCountsResult(
        source=source,
        events=list(q.events),
        from_date=q.from_date,
        to_date=q.to_date,
        unit=q.unit,
        measure=q.measure,
        rows=series_rows(series, segments=list(q.events), fill=_fill(MEASURE_TYPES[q.measure])),
    )


def property_counts_result(
    source: ReportSource, q: PropertyCountsQuery, series: Series, segments: Sequence[str]
) -> PropertyCountsResult:
    """Property counts: one row per bucket and value, the values in ``segments``' order."""
    return PropertyCountsResult(
        source=source,
        event=q.event,
        property=q.property,
        from_date=q.from_date,
        to_date=q.to_date,
        unit=q.unit,
        measure=q.measure,
        values=list(q.values) if q.values is not None else None,
        limit=q.limit,
        rows=series_rows(series, segments=segments, fill=_fill(MEASURE_TYPES[q.measure])),
    )


def numeric_result(
    source: ReportSource, q: NumericQuery, series: Series
) -> NumericBucketResult | NumericSumResult | NumericAverageResult:
    """Numeric buckets (rows per bucket and range), or a sum or mean (rows per bucket)."""
    if q.measure == "buckets":
        return NumericBucketResult(
            source=source,
            event=q.event,
            property=q.property,
            from_date=q.from_date,
            to_date=q.to_date,
            unit=q.unit,
            where=q.where,
            rows=series_rows(series, segments=list(series.segments), fill=0),
        )
    kind = NumericSumResult if q.measure == "sum" else NumericAverageResult
    return kind(
        source=source,
        event=q.event,
        property=q.property,
        from_date=q.from_date,
        to_date=q.to_date,
        unit=q.unit,
        where=q.where,
        rows=series_rows(series, segments=None, fill=_fill(q.measure)),
    )
