"""Retention: of the users born in each cohort, how many came back in each later interval.

Semantics (Mixpanel API reference /retention and docs reports/retention):

- ``birth`` ("First time"): a user's birth is the first ``born_event`` they ever did (in all
  of the table, filtered by ``born_where``); the user is in the cohort of that birth when it
  falls in the date range. ``compounded`` ("Recurring"): every (user, cohort bucket) in which
  the user did the cohort event counts, the birth being the first such event in the bucket
  ("a customer who purchased at least one item each week will be in every bucket"). The
  cohort event is ``born_event``, or ``event`` when no born_event is given (the API reference
  says compounded cohorts are "users who did event that day").
- A return is an ``event`` (``None``: any event) matching ``where``, done after the birth.
  The birth event itself is never its own return (design choice: Mixpanel documents counting
  the birth event only for "Streak mode", "If the birth event and retention event are the
  same, the birth event will count towards the streak"); another event at the same
  millisecond does count.
- ``counts[i]`` = cohort users who returned in interval ``i`` (``i = 0..interval_count``;
  ``counts[0]`` is the "< 1 interval" bucket), an interval being ``interval`` units.
  ``mode="calendar"`` (the default here) measures units as calendar days/weeks/months in the
  project time zone between the birth and the return ("Calendar interval retention": an
  activity at 8pm Monday and 6am Tuesday is Day 1). ``mode="rolling"`` measures them from the
  user's birth time: a day is 24 h, a week 7 days and a month 30 days ("Rolling interval
  retention … Month 1 retention = 30-60 days since person's birth"; the API reference: "With
  neither interval nor unit, buckets are 1 day (24 h per user)").
- ``unbounded=True`` ("On or After"): ``counts[i]`` = users who returned in interval ``i`` or
  any later one (returns past the last interval count toward it).
- With ``on``, the segment is the value of ``on`` on the birth event (design choice: the
  API reference leaves the segmented shape undocumented); ``first`` and ``counts`` are per
  segment and the ``limit`` largest segments (by cohort size) are kept.
- ``today`` (a local date) drops intervals that had not started by then (Mixpanel shows
  incomplete buckets; counts "that haven't happened yet" are omitted): interval ``i`` of a
  cohort starts ``i * interval`` units after the cohort's first day.
- Events without a distinct_id are not attributable to a user and are ignored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from mixpanel_data.analytics._segmentation import check_event, event_query
from mixpanel_data.analytics._source import Query, expressions_of, source_sql
from mixpanel_data.analytics._sql import frame
from mixpanel_data.analytics._time import (
    Buckets,
    check_choice,
    check_day,
    check_positive,
    check_range,
    check_tz,
    coarse_utc,
    unit_diff_sql,
)
from mixpanel_data.analytics._types import Retention, RetentionCohort
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    import duckdb

__all__ = ["RETENTION_MODES", "RETENTION_TYPES", "RETENTION_UNITS", "retention"]

RETENTION_TYPES = ("birth", "compounded")
RETENTION_UNITS = ("day", "week", "month")
RETENTION_MODES = ("calendar", "rolling")
_ROLLING_DAYS = {"day": 1, "week": 7, "month": 30}
_MAX_DAYS = {"day": 1, "week": 7, "month": 31}


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _add_units(day: dt.date, unit: str, count: int, mode: str) -> dt.date:
    if unit == "month" and mode == "calendar":
        months = day.year * 12 + day.month - 1 + count
        return dt.date(months // 12, months % 12 + 1, 1)
    return day + dt.timedelta(days=_ROLLING_DAYS[unit] * count)


def retention(
    con: duckdb.DuckDBPyConnection,
    born_event: str | None,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    event: str | None = None,
    retention_type: str = "birth",
    born_where: str | None = None,
    where: str | None = None,
    unit: str = "day",
    interval: int = 1,
    interval_count: int = 1,
    unbounded: bool = False,
    on: str | None = None,
    limit: int = 255,
    mode: str = "calendar",
    today: dt.date | str | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Retention:
    """Compute retention cohorts born between the two dates (inclusive local days).

    Parameters
    ----------
    born_event
        The event that puts a user into a cohort; required for ``birth`` retention.
    event
        The returning event; ``None`` counts any event.
    retention_type
        ``birth`` (first time) or ``compounded`` (recurring).
    born_where, where
        Filters on the birth events and on the returning events.
    unit, interval, interval_count
        Cohorts are ``unit`` buckets; returns are counted in ``interval_count + 1`` intervals
        of ``interval`` units (``counts[0]`` is the first).
    unbounded
        Count a user in interval ``i`` when they returned in ``i`` or any later interval.
    on, limit
        Segment by ``on`` on the birth event; keep the ``limit`` largest segments.
    mode
        ``calendar`` units in the time zone, or ``rolling`` units from each user's birth.
    today
        Drop intervals that start after this local date (``None``: keep all).
    """
    start, end = check_range(from_date, to_date)
    zone = check_tz(tz)
    check_choice(retention_type, "retention_type", RETENTION_TYPES)
    check_choice(unit, "unit", RETENTION_UNITS)
    check_choice(mode, "mode", RETENTION_MODES)
    check_positive(interval, "interval")
    check_positive(limit, "limit")
    if not _whole(interval_count):
        raise ValidationError(
            f"interval_count must be a whole number >= 0, got {interval_count!r}",
            hint="pass interval_count=1 or more",
        )
    if born_event is not None:
        check_event(born_event, "born_event")
    elif retention_type == "birth":
        raise ValidationError(
            "born_event is required for birth retention",
            hint="pass the event that starts a cohort, e.g. born_event='Signed up'",
        )
    if event is not None:
        check_event(event)
    last_day = check_day(today, "today") if today is not None else None

    buckets = Buckets(unit=unit)
    cohort_event = born_event if born_event is not None else event
    cohort_events = [cohort_event] if cohort_event is not None else None
    seg = "seg" if on is not None else "''"
    born = event_query(
        cohort_events,
        start,
        end,
        where=born_where,
        tz=tz,
        table=table,
        users_table=users_table,
        attributable=True,
        segment=on,
    )
    if retention_type == "birth":
        # "First time": the first born_event in all the data, then kept if inside the range.
        assert born.utc_range is not None
        born = dataclasses.replace(born, utc_range=(None, born.utc_range[1]), local_range=None)
        first_per = "distinct_id"
    else:
        # Recurring: the first born_event of each user in each bucket (and segment).
        first_per = f"distinct_id, {buckets.start_sql('local_time')}, {seg}"
    cohort_rows = f"""
        SELECT * FROM ({source_sql(con, born)})
        QUALIFY row_number() OVER (
            PARTITION BY {first_per} ORDER BY "time", "event", insert_id
        ) = 1
    """  # noqa: S608 - built from quoted pieces

    span_days = (
        (interval_count + 1)
        * interval
        * (_ROLLING_DAYS[unit] if mode == "rolling" else _MAX_DAYS[unit])
    )
    returns = Query(
        table=table,
        users_table=users_table,
        tz=tz,
        events=[event] if event is not None else None,
        utc_range=(
            coarse_utc(start, end)[0],
            None if unbounded else coarse_utc(start, end, after=dt.timedelta(days=span_days))[1],
        ),
        where=where,
        attributable=True,
    )
    if mode == "calendar":
        units_sql = unit_diff_sql(unit, "c.bl", "r.local_time")
    else:
        unit_ms = _ROLLING_DAYS[unit] * 86_400_000
        units_sql = f'((epoch_ms(r."time") - epoch_ms(c.bt)) // {unit_ms})'
    index_sql = f"({units_sql}) // {interval}"
    if unbounded:
        counted = f"""
            per_user AS (
                SELECT cohort, seg, distinct_id, least(max(i), {interval_count}) AS top
                FROM hits GROUP BY ALL
            ),
            counted AS (
                SELECT p.cohort, p.seg, k.i, count(*) AS users
                FROM per_user AS p JOIN range(0, {interval_count + 1}) AS k(i) ON k.i <= p.top
                GROUP BY ALL
            )"""  # noqa: S608 - integers only
    else:
        counted = f"""
            counted AS (
                SELECT cohort, seg, i, count(DISTINCT distinct_id) AS users FROM hits
                WHERE i <= {interval_count} GROUP BY ALL
            )"""  # noqa: S608 - integers only
    sql = f"""
        WITH cohort_rows AS ({cohort_rows}),
        cohort AS (
            SELECT distinct_id, "time" AS bt, local_time AS bl, "event" AS bev,
                   insert_id AS bid, {seg} AS seg, {buckets.key_sql("local_time")} AS cohort
            FROM cohort_rows
            WHERE local_time >= CAST(DATE '{start.isoformat()}' AS TIMESTAMP)
              AND local_time < CAST(DATE '{(end + dt.timedelta(days=1)).isoformat()}' AS TIMESTAMP)
        ),
        ret AS ({source_sql(con, returns)}),
        hits AS (
            SELECT c.cohort, c.seg, c.distinct_id, {index_sql} AS i
            FROM cohort AS c JOIN ret AS r ON r.distinct_id = c.distinct_id
            WHERE r."time" >= c.bt
              AND NOT (r."event" = c.bev AND r."time" = c.bt
                       AND r.insert_id IS NOT DISTINCT FROM c.bid)
        ),
        {counted},
        sizes AS (SELECT cohort, seg, count(DISTINCT distinct_id) AS first FROM cohort GROUP BY ALL)
        SELECT s.cohort, s.seg, s.first, c.i, c.users
        FROM sizes AS s LEFT JOIN counted AS c ON c.cohort = s.cohort AND c.seg = s.seg
        ORDER BY s.cohort, s.seg, c.i
    """  # noqa: S608 - built from quoted pieces
    cells = frame(con, sql, expressions_of(born, returns))

    firsts: dict[tuple[str, str], int] = {}
    counts: dict[tuple[str, str], dict[int, int]] = {}
    for cohort, segment, first, index, users in cells.iter_rows():
        firsts[(cohort, segment)] = int(first)
        slot = counts.setdefault((cohort, segment), {})
        if index is not None:
            slot[int(index)] = int(users)
    totals: dict[str, int] = {}
    for (_cohort, segment), first in firsts.items():
        totals[segment] = totals.get(segment, 0) + first
    ranked = sorted(totals, key=lambda s: (-totals[s], s))[:limit]
    rank = {segment: i for i, segment in enumerate(ranked)}

    cohorts: list[RetentionCohort] = []
    for (cohort, segment), first in sorted(
        firsts.items(), key=lambda item: (item[0][0], rank.get(item[0][1], len(rank)))
    ):
        if segment not in rank:
            continue
        length = interval_count + 1
        if last_day is not None:
            cohort_day = dt.date.fromisoformat(cohort)
            length = sum(
                1
                for i in range(interval_count + 1)
                if _add_units(cohort_day, unit, i * interval, mode) <= last_day
            )
        by_index = counts[(cohort, segment)]
        cohorts.append(
            RetentionCohort(
                date=cohort,
                segment=segment if on is not None else None,
                first=first,
                counts=tuple(by_index.get(i, 0) for i in range(length)),
            )
        )
    return Retention(
        unit=unit,
        interval=interval,
        interval_count=interval_count,
        dates=tuple(buckets.keys(start, end, zone)),
        segments=tuple(ranked) if on is not None else None,
        cohorts=tuple(cohorts),
    )
