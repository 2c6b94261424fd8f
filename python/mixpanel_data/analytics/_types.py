"""Neutral result shapes of the analytics functions.

These are not wire JSON and not the public result Structs: the emulator turns them into
Mixpanel's exact responses, local reports into ``mixpanel_data.types`` results. Each holds
everything both need: every bucket key (including empty buckets), the segments in rank
order, and the values as tidy polars frames or small frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Frequency",
    "FrequencyPeriod",
    "Funnel",
    "FunnelAnalysis",
    "FunnelBucket",
    "FunnelStep",
    "FunnelStepStats",
    "Insights",
    "Retention",
    "RetentionCohort",
    "Series",
    "conversion_ratios",
]


@dataclass(frozen=True, slots=True, eq=False)
class Series:
    """A value per (time bucket, segment).

    Returned by segmentation (all four kinds), event_counts and property_counts.

    Attributes
    ----------
    unit
        The bucket unit (``minute``, ``hour``, ``day``, ``week``, ``month``) or ``interval``
        for N-day buckets.
    dates
        Every bucket key of the range, ascending, including buckets without data.
    segments
        The segment labels, in rank order (highest total first, then by label; numeric
        buckets by lower edge). Without ``on`` the only segment is the event name.
    frame
        Columns ``date`` (str), ``segment`` (str), ``value`` (Int64 for counts, Float64 for
        averages, sums and means). Only cells with data: a missing (date, segment) means 0
        (or no value for sums/averages).
    """

    unit: str
    dates: tuple[str, ...]
    segments: tuple[str, ...]
    frame: pl.DataFrame

    def values(self) -> dict[str, dict[str, int | float]]:
        """The cells as ``{segment: {date: value}}``, segments in rank order."""
        out: dict[str, dict[str, int | float]] = {segment: {} for segment in self.segments}
        for date, segment, value in self.frame.select("date", "segment", "value").iter_rows():
            out.setdefault(segment, {})[date] = value
        return out


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One funnel step given to :func:`funnel`: an event name and an optional filter.

    ``label`` is what reports show (defaults to the event name).
    """

    event: str
    where: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class FunnelStepStats:
    """One step of one funnel bucket.

    Attributes
    ----------
    index
        0-based step index.
    event, label
        The step's event name and display label.
    count
        Users (funnel entries) that reached this step.
    avg_time, avg_time_from_start
        Mean seconds from the previous step / from step 0 over the users that reached this
        step; ``None`` for step 0 and when nobody reached the step.
    step_conv_ratio, overall_conv_ratio
        ``count`` divided by the previous step's / step 0's count (0.0 when that is 0; step 0
        has 1.0 when anyone entered, else 0.0).
    """

    index: int
    event: str
    label: str
    count: int
    avg_time: float | None
    avg_time_from_start: float | None
    step_conv_ratio: float
    overall_conv_ratio: float


def conversion_ratios(counts: Sequence[int], index: int) -> tuple[float, float]:
    """Step ``index``'s ``(step_conv_ratio, overall_conv_ratio)`` given every step's count.

    As :class:`FunnelStepStats` documents them: from the previous step and from step 0, 0.0
    when that had nobody; step 0 has 1.0 for both when anyone entered.
    """
    count = counts[index]
    if index == 0:
        entered = 1.0 if count else 0.0
        return entered, entered
    step = count / counts[index - 1] if counts[index - 1] else 0.0
    overall = count / counts[0] if counts[0] else 0.0
    return step, overall


@dataclass(frozen=True, slots=True)
class FunnelAnalysis:
    """Summary of one funnel bucket (Mixpanel's ``analysis`` object).

    ``worst`` is the index of the step (>= 1) with the lowest ``step_conv_ratio`` (the
    earliest on ties; 0 for a one-step funnel) — Mixpanel says only "largest drop-off", so the
    relative measure is a design choice.
    """

    completion: int
    starting_amount: int
    steps: int
    worst: int


@dataclass(frozen=True, slots=True)
class FunnelBucket:
    """The funnel of the users whose entry fell in one bucket (``date``) and segment.

    ``date`` is ``None`` for the whole range; ``segment`` is ``None`` without ``on``.
    """

    date: str | None
    segment: str | None
    steps: tuple[FunnelStepStats, ...]
    analysis: FunnelAnalysis


@dataclass(frozen=True, slots=True, eq=False)
class Funnel:
    """A funnel report.

    Attributes
    ----------
    unit
        ``day``, ``week``, ``month`` or ``interval`` (N-day buckets from ``from_date``).
    dates
        Every bucket key of the range, ascending.
    segments
        Segment labels in rank order (most entries first), or ``None`` without ``on``.
    buckets
        One :class:`FunnelBucket` per (date, segment), dates ascending, including buckets
        nobody entered (all counts 0).
    overall
        One :class:`FunnelBucket` per segment (``date`` None) over the whole range.
    """

    unit: str
    dates: tuple[str, ...]
    segments: tuple[str, ...] | None
    buckets: tuple[FunnelBucket, ...]
    overall: tuple[FunnelBucket, ...]

    def bucket(self, date: str | None, segment: str | None = None) -> FunnelBucket:
        """The bucket for ``date`` (``None`` = whole range) and ``segment``."""
        pool = self.overall if date is None else self.buckets
        for candidate in pool:
            if candidate.date == date and candidate.segment == segment:
                return candidate
        raise KeyError((date, segment))

    def frame(self) -> pl.DataFrame:
        """Tidy rows: one per (date, segment, step); ``date`` null for the whole range."""
        records = [
            {
                "date": bucket.date,
                "segment": bucket.segment,
                "step": step.index,
                "event": step.event,
                "label": step.label,
                "count": step.count,
                "avg_time": step.avg_time,
                "avg_time_from_start": step.avg_time_from_start,
                "step_conv_ratio": step.step_conv_ratio,
                "overall_conv_ratio": step.overall_conv_ratio,
            }
            for bucket in (*self.buckets, *self.overall)
            for step in bucket.steps
        ]
        schema = {
            "date": pl.Utf8,
            "segment": pl.Utf8,
            "step": pl.Int64,
            "event": pl.Utf8,
            "label": pl.Utf8,
            "count": pl.Int64,
            "avg_time": pl.Float64,
            "avg_time_from_start": pl.Float64,
            "step_conv_ratio": pl.Float64,
            "overall_conv_ratio": pl.Float64,
        }
        return pl.DataFrame(records, schema=schema)


@dataclass(frozen=True, slots=True)
class RetentionCohort:
    """One retention cohort: ``first`` users born in bucket ``date`` (and ``segment``).

    ``counts[i]`` = cohort users who returned in interval ``i`` after birth (``counts[0]`` is
    the "< 1 interval" bucket); shorter than ``interval_count + 1`` when later intervals had
    not started by ``today``.
    """

    date: str
    segment: str | None
    first: int
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Retention:
    """A retention report.

    Attributes
    ----------
    unit, interval, interval_count
        The cohort unit, units per interval and the number of intervals after the 0th.
    dates
        Every cohort key of the range (buckets of ``unit``), ascending.
    segments
        Segment labels in rank order, or ``None`` without ``on``.
    cohorts
        Non-empty cohorts, by date then segment rank.
    """

    unit: str
    interval: int
    interval_count: int
    dates: tuple[str, ...]
    segments: tuple[str, ...] | None
    cohorts: tuple[RetentionCohort, ...]

    def frame(self) -> pl.DataFrame:
        """Tidy rows: one per (date, segment, interval) with ``first`` and ``count``."""
        records = [
            {
                "date": cohort.date,
                "segment": cohort.segment,
                "first": cohort.first,
                "interval": index,
                "count": count,
            }
            for cohort in self.cohorts
            for index, count in enumerate(cohort.counts)
        ]
        schema = {
            "date": pl.Utf8,
            "segment": pl.Utf8,
            "first": pl.Int64,
            "interval": pl.Int64,
            "count": pl.Int64,
        }
        return pl.DataFrame(records, schema=schema)


@dataclass(frozen=True, slots=True)
class FrequencyPeriod:
    """One period of a frequency report.

    ``counts[i]`` = users who did the event in at least ``i + 1`` distinct addiction units of
    the period; ``len(counts)`` is the number of addiction units in the period.
    """

    date: str
    segment: str | None
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Frequency:
    """A frequency ("addiction") report: one :class:`FrequencyPeriod` per period and segment."""

    unit: str
    addiction_unit: str
    dates: tuple[str, ...]
    segments: tuple[str, ...] | None
    periods: tuple[FrequencyPeriod, ...]

    def frame(self) -> pl.DataFrame:
        """Tidy rows: (date, segment, at_least, users)."""
        records = [
            {"date": p.date, "segment": p.segment, "at_least": i + 1, "users": count}
            for p in self.periods
            for i, count in enumerate(p.counts)
        ]
        schema = {"date": pl.Utf8, "segment": pl.Utf8, "at_least": pl.Int64, "users": pl.Int64}
        return pl.DataFrame(records, schema=schema)


@dataclass(frozen=True, slots=True, eq=False)
class Insights:
    """An Insights-style report: one series per event, keyed by ISO dates with UTC offsets.

    Attributes
    ----------
    headers
        What each level of ``series`` nests by (``("$event",)``).
    from_iso, to_iso
        The range as Mixpanel's ``date_range`` shows it: local start of ``from_date`` and
        ``23:59:59.999000`` of ``to_date``, with offsets (``2024-06-09T23:59:59.999000-07:00``).
    dates
        Every bucket key (ISO with offset), ascending.
    frame
        Columns ``event`` (str), ``date`` (ISO str), ``value``; only cells with data.
    """

    headers: tuple[str, ...]
    from_iso: str
    to_iso: str
    dates: tuple[str, ...]
    events: tuple[str, ...]
    frame: pl.DataFrame

    def series(self) -> dict[str, dict[str, int | float]]:
        """The cells as ``{event: {iso_date: value}}``."""
        out: dict[str, dict[str, int | float]] = {event: {} for event in self.events}
        for event, date, value in self.frame.select("event", "date", "value").iter_rows():
            out.setdefault(event, {})[date] = value
        return out
