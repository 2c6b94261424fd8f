"""Frequency ("addiction"): how many distinct hours or days users were active per period.

Mixpanel API reference (/retention/addiction): ``array[i]`` = users who did the event in at
least ``i + 1`` distinct ``addiction_unit``s within the ``unit`` period starting at that date
("Cumulative Frequency … in at least X unique intervals", docs reports/retention).

Design choices (Mixpanel confirms only 24 for day/hour):

- Periods are calendar ``unit`` buckets in the project time zone (weeks start on Monday),
  keyed by their first day, and only events inside ``from_date``..``to_date`` count, so the
  first and last periods may be partial.
- The array length is the number of addiction units a period can hold: 24 for day/hour,
  7 for week/day, 168 for week/hour, the days of that month for month/day (28–31) and 24
  times that for month/hour, 1 for day/day. Hours are local wall-clock hours, so a DST day
  still has at most 24 distinct hours.
- With ``on``, users are counted per segment value of their events (a user active under two
  values is counted in both).
- Events without a distinct_id are not attributable to a user and are ignored.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from mixpanel_data.analytics._segmentation import check_event, event_query
from mixpanel_data.analytics._source import expressions_of, source_sql
from mixpanel_data.analytics._sql import frame, lit
from mixpanel_data.analytics._time import Buckets, check_choice, check_range, check_tz
from mixpanel_data.analytics._types import Frequency, FrequencyPeriod

if TYPE_CHECKING:
    import duckdb

__all__ = ["ADDICTION_UNITS", "FREQUENCY_UNITS", "frequency", "units_per_period"]

FREQUENCY_UNITS = ("day", "week", "month")
ADDICTION_UNITS = ("hour", "day")


def units_per_period(unit: str, addiction_unit: str, period_start: dt.date) -> int:
    """How many ``addiction_unit``s a ``unit`` period starting at ``period_start`` holds."""
    days = {"day": 1, "week": 7}.get(unit)
    if days is None:
        days = calendar.monthrange(period_start.year, period_start.month)[1]
    return days * 24 if addiction_unit == "hour" else days


def frequency(
    con: duckdb.DuckDBPyConnection,
    event: str | None,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    unit: str = "day",
    addiction_unit: str = "hour",
    where: str | None = None,
    on: str | None = None,
    limit: int = 255,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Frequency:
    """Count users by the number of distinct ``addiction_unit``s they did ``event`` in.

    ``event=None`` counts any event. Returns one :class:`FrequencyPeriod` per period of the
    range (and per segment, the ``limit`` segments with the most users), every array full
    length (zeros where nobody was active).
    """
    if event is not None:
        check_event(event)
    start, end = check_range(from_date, to_date)
    zone = check_tz(tz)
    check_choice(unit, "unit", FREQUENCY_UNITS)
    check_choice(addiction_unit, "addiction_unit", ADDICTION_UNITS)
    period = Buckets(unit=unit)
    query = event_query(
        [event] if event is not None else None,
        start,
        end,
        where=where,
        tz=tz,
        table=table,
        users_table=users_table,
        attributable=True,
        segment=on,
    )
    seg = "seg" if on is not None else "''"
    sql = f"""
        WITH src AS ({source_sql(con, query)}),
        active AS (
            SELECT {period.key_sql("local_time")} AS date, {seg} AS seg, distinct_id,
                   count(DISTINCT date_trunc({lit(addiction_unit)}, local_time)) AS n
            FROM src GROUP BY ALL
        )
        SELECT date, seg, n, count(*) AS users FROM active GROUP BY ALL ORDER BY date, seg, n
    """  # noqa: S608 - built from quoted pieces
    cells = frame(con, sql, expressions_of(query))
    histogram: dict[tuple[str, str], dict[int, int]] = {}
    reach: dict[str, int] = {}
    for date, segment, n, users in cells.iter_rows():
        histogram.setdefault((date, segment), {})[int(n)] = int(users)
        reach[segment] = reach.get(segment, 0) + int(users)
    segments = sorted(reach, key=lambda s: (-reach[s], s))[:limit] if on is not None else [""]

    dates = tuple(period.keys(start, end, zone))
    periods: list[FrequencyPeriod] = []
    for date in dates:
        length = units_per_period(unit, addiction_unit, dt.date.fromisoformat(date))
        for segment in segments:
            by_n = histogram.get((date, segment), {})
            running = 0
            counts = [0] * length
            for i in range(length, 0, -1):  # users with >= i units: sum from the top down
                running += by_n.get(i, 0)
                counts[i - 1] = running
            periods.append(
                FrequencyPeriod(
                    date=date, segment=segment if on is not None else None, counts=tuple(counts)
                )
            )
    return Frequency(
        unit=unit,
        addiction_unit=addiction_unit,
        dates=dates,
        segments=tuple(segments) if on is not None else None,
        periods=tuple(periods),
    )
