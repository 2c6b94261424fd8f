"""Wire shapes of funnels, retention, frequency and Insights, decoded into neutral shapes.

Mixpanel docs (query.openapi.yaml):

- ``/funnels``: ``{"meta": {"dates": [...]}, "data": {"<date>": {"steps": [...],
  "analysis": {...}}}}``. The segmented (``on``) shape is undocumented; a date's value is
  then taken to be a map of segment → funnel (an ``$overall`` entry, which some answers
  carry, is the unsegmented total and is skipped). Non-date keys next to the dates are
  ignored too.
- ``/retention``: cohorts keyed **at the top level** by date, ``{"counts": [...], "first":
  N}``; a ``data`` wrapper is accepted as well. Segmented: segment → date → cohort.
- ``/retention/addiction``: the spec wraps the answer in ``{"data": ...}``, the prose example
  does not; both are accepted. Segmented: segment → date → array.
- ``/insights``: ``series`` nests one level per entry of ``headers`` (metric, then each
  breakdown) down to a map of ISO timestamps with the project's offset → value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data.api._wire_common import (
    bucket_key,
    convert,
    day_keys,
    is_date_key,
    unexpected,
)

if TYPE_CHECKING:
    from mixpanel_data.analytics import (
        Frequency,
        Funnel,
        FunnelBucket,
        FunnelStepStats,
        Retention,
    )

__all__ = [
    "InsightsData",
    "combine_funnel_steps",
    "decode_frequency",
    "decode_funnel",
    "decode_insights",
    "decode_retention",
]


# -- funnels ---------------------------------------------------------------------------------


class _StepWire(msgspec.Struct, frozen=True):
    count: int | float = 0
    avg_time: float | None = None
    avg_time_from_start: float | None = None
    step_conv_ratio: float | None = None
    overall_conv_ratio: float | None = None
    goal: str | None = None
    event: str | None = None
    step_label: str | None = None
    # Present (true) only for custom events; the key is absent otherwise.
    custom_event: bool = False
    custom_event_id: int | None = None


class _BucketWire(msgspec.Struct, frozen=True):
    steps: list[_StepWire]


class _FunnelMeta(msgspec.Struct, frozen=True):
    dates: list[str] = msgspec.field(default_factory=list)
    property_values: list[str] | None = None


class _FunnelWire(msgspec.Struct, frozen=True):
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    meta: _FunnelMeta = msgspec.field(default_factory=_FunnelMeta)


def _step_name(step: _StepWire, index: int) -> str:
    return step.event or step.goal or step.step_label or f"step {index + 1}"


def combine_funnel_steps(
    events: list[str], parts: list[list[tuple[int, float | None, float | None]]]
) -> tuple[FunnelStepStats, ...]:
    """One funnel's steps from several buckets' ``(count, avg_time, avg_time_from_start)``.

    Counts add up; average times are weighted by the users who reached the step; the
    conversion ratios are recomputed from the totals.
    """
    from mixpanel_data.analytics import FunnelStepStats
    from mixpanel_data.analytics._types import conversion_ratios

    out: list[FunnelStepStats] = []
    counts = [sum(int(p[k][0]) for p in parts if k < len(p)) for k in range(len(events))]
    for k, event in enumerate(events):
        times: list[float | None] = []
        for slot in (1, 2):
            weight = sum(p[k][0] for p in parts if k < len(p) and p[k][slot] is not None)
            total = sum(
                p[k][0] * (p[k][slot] or 0.0)
                for p in parts
                if k < len(p) and p[k][slot] is not None
            )
            times.append(total / weight if k and weight else None)
        step_ratio, overall = conversion_ratios(counts, k)
        out.append(
            FunnelStepStats(
                index=k,
                event=event,
                label=event,
                count=counts[k],
                avg_time=times[0],
                avg_time_from_start=times[1],
                step_conv_ratio=step_ratio,
                overall_conv_ratio=overall,
            )
        )
    return tuple(out)


def _bucket(date: str | None, segment: str | None, value: Any, endpoint: str) -> FunnelBucket:
    from mixpanel_data.analytics import FunnelBucket

    wire = convert(value, _BucketWire, endpoint)
    events = [_step_name(s, i) for i, s in enumerate(wire.steps)]
    parts = [[(int(s.count), s.avg_time, s.avg_time_from_start) for s in wire.steps]]
    steps = combine_funnel_steps(events, parts)
    return FunnelBucket(date=date, segment=segment, steps=steps, analysis=_analysis(steps))


def _analysis(steps: tuple[FunnelStepStats, ...]) -> Any:
    from mixpanel_data.analytics import FunnelAnalysis

    worst = 0
    if len(steps) > 1:
        worst = min(range(1, len(steps)), key=lambda k: (steps[k].step_conv_ratio, k))
    return FunnelAnalysis(
        completion=steps[-1].count if steps else 0,
        starting_amount=steps[0].count if steps else 0,
        steps=len(steps),
        worst=worst,
    )


def decode_funnel(payload: object, *, endpoint: str, unit: str) -> Funnel:
    """Decode a ``/funnels`` body; ``overall`` sums every bucket (per segment)."""
    from mixpanel_data.analytics import Funnel, FunnelBucket

    wire = convert(payload, _FunnelWire, endpoint)
    buckets: list[FunnelBucket] = []
    segmented = False
    for key, value in wire.data.items():
        if not is_date_key(key) or not isinstance(value, Mapping):
            continue
        date = bucket_key(key)
        if "steps" in value:
            buckets.append(_bucket(date, None, value, endpoint))
            continue
        segmented = True
        for segment, sub in value.items():
            if segment == "$overall" or not isinstance(sub, Mapping) or "steps" not in sub:
                continue
            buckets.append(_bucket(date, str(segment), sub, endpoint))
    if not buckets and wire.data:
        raise unexpected(endpoint, "no funnel steps under any date of 'data'")

    dates = sorted({bucket_key(d) for d in wire.meta.dates} | {b.date or "" for b in buckets})
    totals: dict[str | None, int] = {}
    for bucket in buckets:
        entered = bucket.steps[0].count if bucket.steps else 0
        totals[bucket.segment] = totals.get(bucket.segment, 0) + entered
    if segmented:
        order = wire.meta.property_values or sorted(
            (s for s in totals if s is not None), key=lambda s: (-totals[s], s)
        )
        segment_keys: list[str | None] = [s for s in order if s in totals]
    else:
        segment_keys = [None]
    overall = []
    for segment in segment_keys:
        mine = [b for b in buckets if b.segment == segment]
        events = [s.event for s in mine[0].steps] if mine else []
        parts = [[(s.count, s.avg_time, s.avg_time_from_start) for s in b.steps] for b in mine]
        steps = combine_funnel_steps(events, parts)
        overall.append(
            FunnelBucket(date=None, segment=segment, steps=steps, analysis=_analysis(steps))
        )
    buckets.sort(key=lambda b: (b.date or "", segment_keys.index(b.segment)))
    return Funnel(
        unit=unit,
        dates=tuple(dates),
        segments=tuple(s for s in segment_keys if s is not None) if segmented else None,
        buckets=tuple(b for b in buckets if b.segment in segment_keys),
        overall=tuple(overall),
    )


# -- retention and frequency -------------------------------------------------------------------


def _unwrap(payload: object, endpoint: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise unexpected(endpoint, f"expected an object, got {type(payload).__name__}")
    inner = payload.get("data")
    if isinstance(inner, dict) and not any(is_date_key(k) for k in payload):
        return inner
    return payload


class _CohortWire(msgspec.Struct, frozen=True):
    counts: list[int] = msgspec.field(default_factory=list)
    first: int = 0


def _is_cohort(value: object) -> bool:
    return isinstance(value, Mapping) and ("counts" in value or "first" in value)


def decode_retention(
    payload: object, *, endpoint: str, unit: str, interval: int, interval_count: int
) -> Retention:
    """Decode a ``/retention`` body (plain or segmented, with or without ``data``)."""
    from mixpanel_data.analytics import Retention, RetentionCohort

    body = _unwrap(payload, endpoint)
    found: list[tuple[str, str | None, _CohortWire]] = []
    segmented = False
    for key, value in body.items():
        if _is_cohort(value):
            if is_date_key(key):
                found.append((bucket_key(key), None, convert(value, _CohortWire, endpoint)))
        elif isinstance(value, Mapping):
            segmented = True
            for date, cohort in value.items():
                if is_date_key(date) and _is_cohort(cohort):
                    wire = convert(cohort, _CohortWire, endpoint)
                    found.append((bucket_key(date), str(key), wire))
    sizes: dict[str | None, int] = {}
    for _date, segment, wire in found:
        sizes[segment] = sizes.get(segment, 0) + wire.first
    order = sorted((s for s in sizes if s is not None), key=lambda s: (-sizes[s], s))
    rank: dict[str | None, int] = {segment: i for i, segment in enumerate(order)}
    found.sort(key=lambda item: (item[0], rank.get(item[1], -1)))
    return Retention(
        unit=unit,
        interval=interval,
        interval_count=interval_count,
        dates=tuple(sorted({date for date, _s, _w in found})),
        segments=tuple(order) if segmented else None,
        cohorts=tuple(
            RetentionCohort(date=date, segment=segment, first=w.first, counts=tuple(w.counts))
            for date, segment, w in found
        ),
    )


def _counts(value: object, endpoint: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise unexpected(endpoint, f"expected an array of counts, got {value!r:.80}")
    return tuple(int(v) for v in value)


def decode_frequency(
    payload: object, *, endpoint: str, unit: str, addiction_unit: str
) -> Frequency:
    """Decode a ``/retention/addiction`` body (with or without the ``data`` wrapper)."""
    from mixpanel_data.analytics import Frequency, FrequencyPeriod

    body = _unwrap(payload, endpoint)
    periods: list[FrequencyPeriod] = []
    segmented = False
    for key, value in body.items():
        if isinstance(value, list):
            if is_date_key(key):
                periods.append(FrequencyPeriod(bucket_key(key), None, _counts(value, endpoint)))
        elif isinstance(value, Mapping):
            segmented = True
            for date, counts in value.items():
                if is_date_key(date):
                    periods.append(
                        FrequencyPeriod(bucket_key(date), str(key), _counts(counts, endpoint))
                    )
    reach: dict[str, int] = {}
    for period in periods:
        if period.segment is not None:
            reach[period.segment] = reach.get(period.segment, 0) + (period.counts[:1] or (0,))[0]
    order = sorted(reach, key=lambda s: (-reach[s], s))
    rank = {segment: i for i, segment in enumerate(order)}
    periods.sort(key=lambda p: (p.date, rank.get(p.segment or "", -1)))
    return Frequency(
        unit=unit,
        addiction_unit=addiction_unit,
        dates=tuple(sorted({p.date for p in periods})),
        segments=tuple(order) if segmented else None,
        periods=tuple(periods),
    )


# -- insights -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InsightsData:
    """A flattened Insights answer: one cell per (labels, date).

    ``labels`` has one entry per level of ``headers``; dates are local bucket keys (the
    project's UTC offset dropped).
    """

    headers: tuple[str, ...]
    from_date: str | None
    to_date: str | None
    computed_at: str | None
    cells: tuple[tuple[tuple[str, ...], str, int | float | None], ...]


class _DateRange(msgspec.Struct, frozen=True):
    from_date: str | None = None
    to_date: str | None = None


class _InsightsWire(msgspec.Struct, frozen=True):
    series: dict[str, Any] = msgspec.field(default_factory=dict)
    headers: list[str] = msgspec.field(default_factory=list)
    date_range: _DateRange = msgspec.field(default_factory=_DateRange)
    computed_at: str | None = None


def _leaf(value: Mapping[str, Any]) -> bool:
    return bool(value) and all(
        is_date_key(str(k)) and (v is None or isinstance(v, int | float)) for k, v in value.items()
    )


def decode_insights(payload: object, *, endpoint: str) -> InsightsData:
    """Decode an ``/insights`` body, flattening ``series`` to (labels, date, value) cells."""
    wire = convert(payload, _InsightsWire, endpoint)
    cells: list[tuple[tuple[str, ...], str, int | float | None]] = []
    depth = 0

    def walk(node: Mapping[str, Any], labels: tuple[str, ...]) -> None:
        nonlocal depth
        if _leaf(node):
            depth = max(depth, len(labels))
            for date, value in node.items():
                cells.append((labels, bucket_key(str(date)), value))
            return
        for key, child in node.items():
            if isinstance(child, Mapping):
                walk(child, (*labels, str(key)))

    walk(wire.series, ())
    days = day_keys([date for _labels, date, _value in cells])
    cells = [(labels, days[date], value) for labels, date, value in cells]
    headers = list(wire.headers)
    while len(headers) < depth:  # more nesting than headers: name the extra levels
        headers.append(f"level_{len(headers) + 1}")
    start = wire.date_range.from_date
    end = wire.date_range.to_date
    return InsightsData(
        headers=tuple(headers[: max(depth, 1)] if depth else headers or ["$event"]),
        from_date=bucket_key(start)[:10] if start else None,
        to_date=bucket_key(end)[:10] if end else None,
        computed_at=wire.computed_at,
        cells=tuple(cells),
    )
