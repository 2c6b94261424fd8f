"""The result of a report from its query and its computed answer, for either source.

The live path (:mod:`mixpanel_data._reports_live`) and the local path
(:mod:`mixpanel_data._reports_local`) compute the same neutral shapes; the fields that echo
the query and the rules that pick the rows (which segments, what a missing bucket holds) are
the same for both, so they are written once here. Reports whose answers differ by source in
more than their numbers (funnels, Insights) build their results where they are computed.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from mixpanel_data._reports_build import frequency_rows, retention_rows, series_rows
from mixpanel_data._reports_query import MEASURE_TYPES, parse_buckets
from mixpanel_data._types_reports import (
    EventCountsResult,
    NumericAverageResult,
    NumericBucketResult,
    NumericSumResult,
    PropertyCountsResult,
    ReportResult,
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

    from _typeshed import DataclassInstance

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
    "echo_result",
    "event_counts_result",
    "frequency_result",
    "numeric_result",
    "property_counts_result",
    "retention_result",
    "segmentation_result",
]

_R = TypeVar("_R", bound=ReportResult)


def _fill(kind: str) -> int | None:
    """What a bucket without events holds: no value for a mean, 0 for counts and sums."""
    return None if kind == "average" else 0


def echo_result(kind: type[_R], source: ReportSource, q: DataclassInstance, **computed: Any) -> _R:
    """A ``kind`` result that repeats its query, with the ``computed`` fields added.

    Every field of ``kind`` that the query (a dataclass) also has is copied from it, tuples
    as lists; ``computed`` holds the rest (the rows) and overrides a copied field whose
    meaning differs between the two.
    """
    result_fields = set(kind.__struct_fields__)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(q):
        if f.name in result_fields:
            value = getattr(q, f.name)
            fields[f.name] = list(value) if isinstance(value, tuple) else value
    fields.update(computed)
    return kind(source=source, **fields)


def segmentation_result(
    source: ReportSource, q: SegmentationQuery, series: Series
) -> SegmentationResult:
    """Segmentation rows: one per bucket (and segment, with ``group_by``)."""
    segments = list(series.segments) if q.group_by is not None else None
    rows = series_rows(series, segments=segments, fill=_fill(q.measure))
    return echo_result(SegmentationResult, source, q, rows=rows)


def retention_result(
    source: ReportSource, q: RetentionQuery, computed: Retention
) -> RetentionResult:
    """Retention rows: one per cohort and period."""
    return echo_result(RetentionResult, source, q, rows=retention_rows(computed))


def frequency_result(
    source: ReportSource, q: FrequencyQuery, computed: Frequency
) -> FrequencyResult:
    """Frequency rows, grouped into ``q.buckets`` when given."""
    rows = frequency_rows(computed, parse_buckets(q.buckets))
    return echo_result(FrequencyResult, source, q, rows=rows)


def activity_result(
    source: ReportSource, q: ActivityQuery, events: list[ActivityEvent]
) -> ActivityFeedResult:
    """The activity feed of ``q.distinct_ids``."""
    return echo_result(ActivityFeedResult, source, q, events=events)


def event_counts_result(
    source: ReportSource, q: EventCountsQuery, series: Series
) -> EventCountsResult:
    """Event counts: one row per bucket and event, in the order the events were asked."""
    rows = series_rows(series, segments=list(q.events), fill=_fill(MEASURE_TYPES[q.measure]))
    return echo_result(EventCountsResult, source, q, rows=rows)


def property_counts_result(
    source: ReportSource, q: PropertyCountsQuery, series: Series, segments: Sequence[str]
) -> PropertyCountsResult:
    """Property counts: one row per bucket and value, the values in ``segments``' order."""
    rows = series_rows(series, segments=segments, fill=_fill(MEASURE_TYPES[q.measure]))
    return echo_result(PropertyCountsResult, source, q, rows=rows)


def numeric_result(
    source: ReportSource, q: NumericQuery, series: Series
) -> NumericBucketResult | NumericSumResult | NumericAverageResult:
    """Numeric buckets (rows per bucket and range), or a sum or mean (rows per bucket)."""
    if q.measure == "buckets":
        # The query's measure picks the report; the buckets result's own measure is what each
        # range counts, here events.
        rows = series_rows(series, segments=list(series.segments), fill=0)
        return echo_result(NumericBucketResult, source, q, rows=rows, measure="count")
    kind: type[NumericSumResult | NumericAverageResult] = (
        NumericSumResult if q.measure == "sum" else NumericAverageResult
    )
    rows = series_rows(series, segments=None, fill=_fill(q.measure))
    return echo_result(kind, source, q, rows=rows)
