"""Funnels: ordered conversion through a list of steps within a conversion window.

Semantics (Mixpanel docs, reports/funnels/funnels-advanced and funnels-faq, "Uniques"
counting, the default):

- A user enters the funnel at their **first** step-1 event in the date range (local days);
  the conversion window starts there and is not reset by later step-1 events ("the conversion
  window starts on the first instance of the Step 1 event … and will not be updated by later
  instances"). The default mode "only considers the user's first funnel entry", so a user
  whose first attempt fails is not counted as converting on a later attempt (no re-entry).
- Later steps must happen in order (other events may happen in between, "loose order"):
  each step is matched to the user's earliest qualifying event at or after the previous
  step, as long as it happens no later than ``entry + window`` — the window end itself counts
  (design choice; Mixpanel only says "within"). The window is absolute time: a day is 24 h.
- Events are matched one to one, so a step that repeats an earlier step's event (A → A)
  needs another occurrence of it.
- "Funnels include a built-in two-second grace period … consecutive steps that have
  timestamps within two seconds of one another are interchangeable" (funnels-faq): a step may
  be matched by an event up to ``grace_seconds`` before the previous step. Times between
  steps are measured on the running maximum, so they are never negative.
- Completions are looked for past ``to_date`` (Mixpanel API reference, /funnels: "the funnel
  also looks past to_date for completions"); only the entry must be inside the range.
- With ``on``, the segment is the value of ``on`` on the entering step-1 event, and a user
  "can enter up to once per segment" (funnels-advanced, counting methods): the entry in each
  segment is the user's first step-1 event carrying that value.
- ``where`` filters every step's events; a step's own ``where`` filters only that step.
- Events without a distinct_id are not attributable to a user and never enter a funnel.

Buckets: each entry belongs to the bucket (``unit`` or ``interval`` days from ``from_date``)
of the local day of its step-1 event; ``overall`` counts every entry in the range once.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from mixpanel_data.analytics._segmentation import check_event
from mixpanel_data.analytics._source import Query, expressions_of, source_sql
from mixpanel_data.analytics._sql import date_lit, frame, ident
from mixpanel_data.analytics._time import (
    Buckets,
    check_choice,
    check_positive,
    check_range,
    check_tz,
    coarse_utc,
)
from mixpanel_data.analytics._types import (
    Funnel,
    FunnelAnalysis,
    FunnelBucket,
    FunnelStep,
    FunnelStepStats,
    conversion_ratios,
)
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

__all__ = ["FUNNEL_UNITS", "LENGTH_UNITS", "funnel"]

FUNNEL_UNITS = ("day", "week", "month")
LENGTH_UNITS = ("day", "hour", "minute", "second")
_LENGTH_SECONDS = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}


def _steps(steps: Sequence[str | FunnelStep]) -> list[FunnelStep]:
    if isinstance(steps, str) or not steps:
        raise ValidationError(
            "steps must be a non-empty list of event names or FunnelStep values",
            hint="pass steps=['Signed up', 'Purchase']",
        )
    out: list[FunnelStep] = []
    for i, step in enumerate(steps):
        if isinstance(step, str):
            step = FunnelStep(event=step)
        if not isinstance(step, FunnelStep):
            raise ValidationError(
                f"steps[{i}] must be an event name or a FunnelStep, got {step!r}",
                hint="pass event names, or FunnelStep(event, where=...)",
            )
        check_event(step.event, f"steps[{i}].event")
        out.append(step)
    return out


def _matching_sql(n: int, grace_ms: int, window_ms: int) -> str:
    """CTEs f0..f{n-1}: per entry, the matched event (q_k) and running step time (e_k)."""
    ctes = [
        """f0 AS (
            SELECT n.distinct_id, n.seg, n.q0, e.t AS t0, e.t AS e0, e.local_time AS l0
            FROM entry AS n JOIN ev AS e ON e.distinct_id = n.distinct_id AND e.q = n.q0
        )"""
    ]
    for k in range(1, n):
        used = " AND ".join(f"e.q <> p.q{j}" for j in range(k))
        ctes.append(
            f"""m{k} AS (
                SELECT p.distinct_id, p.seg, min(e.q) AS q
                FROM f{k - 1} AS p JOIN ev AS e ON e.distinct_id = p.distinct_id
                WHERE e.s{k}
                  AND e.t >= p.e{k - 1} - INTERVAL '{grace_ms} milliseconds'
                  AND e.t <= p.t0 + INTERVAL '{window_ms} milliseconds'
                  AND {used}
                GROUP BY p.distinct_id, p.seg
            )"""  # noqa: S608 - built from integers and fixed aliases
        )
        ctes.append(
            f"""f{k} AS (
                SELECT p.*, m.q AS q{k},
                       -- greatest() skips NULLs, so guard the users who stopped here
                       CASE WHEN m.q IS NOT NULL THEN greatest(p.e{k - 1}, e.t) END AS e{k}
                FROM f{k - 1} AS p
                LEFT JOIN m{k} AS m ON m.distinct_id = p.distinct_id AND m.seg = p.seg
                LEFT JOIN ev AS e ON e.distinct_id = m.distinct_id AND e.q = m.q
            )"""  # noqa: S608 - built from integers and fixed aliases
        )
    return ",\n".join(ctes)


def _stats(
    steps: list[FunnelStep], counts: list[int], gaps: list[float | None], totals: list[float | None]
) -> tuple[tuple[FunnelStepStats, ...], FunnelAnalysis]:
    out: list[FunnelStepStats] = []
    for k, step in enumerate(steps):
        count = counts[k]
        step_ratio, overall = conversion_ratios(counts, k)
        out.append(
            FunnelStepStats(
                index=k,
                event=step.event,
                label=step.label or step.event,
                count=count,
                avg_time=gaps[k] if k and count else None,
                avg_time_from_start=totals[k] if k and count else None,
                step_conv_ratio=step_ratio,
                overall_conv_ratio=overall,
            )
        )
    worst = 0
    if len(out) > 1:
        worst = min(range(1, len(out)), key=lambda k: (out[k].step_conv_ratio, k))
    analysis = FunnelAnalysis(
        completion=counts[-1], starting_amount=counts[0], steps=len(steps), worst=worst
    )
    return tuple(out), analysis


def funnel(
    con: duckdb.DuckDBPyConnection,
    steps: Sequence[str | FunnelStep],
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    length: int = 7,
    length_unit: str = "day",
    unit: str | None = None,
    interval: int | None = None,
    on: str | None = None,
    where: str | None = None,
    limit: int = 255,
    grace_seconds: float = 2.0,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Funnel:
    """Compute an ordered funnel over ``steps`` for users entering between the two dates.

    Parameters
    ----------
    steps
        Event names, or :class:`FunnelStep` values with a per-step ``where``.
    length, length_unit
        Conversion window, measured from the entering step-1 event (Mixpanel's default is
        7 days, funnels-advanced).
    unit, interval
        Entry buckets: calendar ``day``/``week``/``month``, or ``interval`` days per bucket
        from ``from_date`` (default 1 day). ``interval`` wins when both are given.
    on, where
        Segment expression (evaluated on the entering step-1 event) and global filter.
    limit
        Keep the ``limit`` segments with the most entries (Mixpanel's default is 255).
    grace_seconds
        How far a step may precede the previous one and still count (Mixpanel: 2 seconds).

    Returns
    -------
    Funnel
        Per bucket and segment, per step: count, average times, conversion ratios; plus
        the whole-range ``overall`` per segment.
    """
    parsed = _steps(steps)
    start, end = check_range(from_date, to_date)
    zone = check_tz(tz)
    check_positive(length, "length")
    check_choice(length_unit, "length_unit", LENGTH_UNITS)
    check_positive(limit, "limit")
    if unit is not None:
        check_choice(unit, "unit", FUNNEL_UNITS)
    if grace_seconds < 0:
        raise ValidationError(
            f"grace_seconds must be >= 0, got {grace_seconds!r}", hint="pass 0 for strict order"
        )
    buckets = Buckets.of(unit, interval, start)
    window_ms = length * _LENGTH_SECONDS[length_unit] * 1000
    grace_ms = round(grace_seconds * 1000)
    n = len(parsed)
    query = Query(
        table=table,
        users_table=users_table,
        tz=tz,
        events=[step.event for step in parsed],
        utc_range=coarse_utc(start, end, after=dt.timedelta(milliseconds=window_ms + grace_ms)),
        where=where,
        attributable=True,
        segment=on,
        flags={f"s{k}": (step.event, step.where) for k, step in enumerate(parsed)},
    )
    flags = ", ".join(ident(f"s{k}") for k in range(n))
    seg = "seg" if on is not None else "''"
    in_range = (
        f"local_time >= CAST({date_lit(start)} AS TIMESTAMP) AND local_time < "
        f"CAST({date_lit(end + dt.timedelta(days=1))} AS TIMESTAMP)"
    )
    aggregates = ["count(*) AS c0"]
    for k in range(1, n):
        aggregates += [
            f"count(q{k}) AS c{k}",
            f"avg(epoch_ms(e{k}) - epoch_ms(e{k - 1})) / 1000.0 AS gap{k}",
            f"avg(epoch_ms(e{k}) - epoch_ms(e0)) / 1000.0 AS total{k}",
        ]
    sql = f"""
        WITH src AS ({source_sql(con, query)}),
        ev AS (
            SELECT distinct_id, "time" AS t, local_time, {seg} AS seg, {flags},
                   row_number() OVER (
                       PARTITION BY distinct_id ORDER BY "time", "event", insert_id
                   ) AS q
            FROM src WHERE {" OR ".join(ident(f"s{k}") for k in range(n))}
        ),
        entry AS (
            SELECT distinct_id, seg, min(q) AS q0 FROM ev
            WHERE s0 AND {in_range}
            GROUP BY distinct_id, seg
        ),
        {_matching_sql(n, grace_ms, window_ms)},
        keyed AS (SELECT *, {buckets.key_sql("l0")} AS date FROM f{n - 1})
        SELECT date, seg, grouping(date) AS whole, {", ".join(aggregates)}
        FROM keyed
        GROUP BY GROUPING SETS ((date, seg), (seg))
    """  # noqa: S608 - built from quoted pieces
    cells = frame(con, sql, expressions_of(query))

    overall_rows = cells.filter(cells["whole"] == 1).sort(["c0", "seg"], descending=[True, False])
    segment_order = [str(s) for s in overall_rows["seg"].to_list()][:limit]
    by_key = {
        (row["date"] if not row["whole"] else None, row["seg"]): row
        for row in cells.iter_rows(named=True)
    }
    dates = tuple(buckets.keys(start, end, zone))
    segment_keys = segment_order if on is not None else [""]

    def build(date: str | None, seg: str) -> FunnelBucket:
        row = by_key.get((date, seg))
        counts = [int(row[f"c{k}"]) if row else 0 for k in range(n)]
        gaps: list[float | None] = [None]
        totals: list[float | None] = [None]
        for k in range(1, n):
            gaps.append(row[f"gap{k}"] if row else None)
            totals.append(row[f"total{k}"] if row else None)
        stats, analysis = _stats(parsed, counts, gaps, totals)
        return FunnelBucket(
            date=date, segment=seg if on is not None else None, steps=stats, analysis=analysis
        )

    return Funnel(
        unit=buckets.unit or "interval",
        dates=dates,
        segments=tuple(segment_order) if on is not None else None,
        buckets=tuple(build(date, seg) for date in dates for seg in segment_keys),
        overall=tuple(build(None, seg) for seg in segment_keys),
    )
