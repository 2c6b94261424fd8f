"""Segmentation: event counts over time, optionally segmented, and its numeric variants.

Mixpanel endpoints: ``/segmentation``, ``/segmentation/numeric``, ``/segmentation/sum`` and
``/segmentation/average`` (Mixpanel docs, query.openapi.yaml). Measures
(``type``; query.openapi.yaml: general = "total, including repeats", unique = "unique count",
average = "average count"):

- ``general``: number of events, including events without a distinct_id;
- ``unique``: number of distinct users in the bucket (events without a distinct_id are not
  attributable to a user and are not counted);
- ``average``: events per user in the bucket = attributable events / distinct users
  (design choice: Mixpanel says only "average count").
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl

from mixpanel_data.analytics._source import Query, attributable_sql, expressions_of, source_sql
from mixpanel_data.analytics._sql import frame, lit, rows
from mixpanel_data.analytics._time import (
    Buckets,
    check_choice,
    check_positive,
    check_range,
    check_tz,
    coarse_utc,
)
from mixpanel_data.analytics._types import Series
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    import duckdb

__all__ = [
    "MEASURES",
    "SERIES_UNITS",
    "check_event",
    "check_series",
    "count_series",
    "event_query",
    "measure_sql",
    "segmentation",
    "segmentation_average",
    "segmentation_numeric",
    "segmentation_sum",
    "series_dates",
    "to_series",
]

MEASURES = ("general", "unique", "average")
SERIES_UNITS = ("minute", "hour", "day", "week", "month")
_NUMERIC_TARGET_BUCKETS = 10


def check_event(event: object, name: str = "event") -> str:
    """Check that an event name is a non-empty string."""
    if not isinstance(event, str) or not event:
        raise ValidationError(
            f"{name} must be a non-empty event name, got {event!r}", hint="pass an event name"
        )
    return event


def check_series(
    from_date: dt.date | str, to_date: dt.date | str, tz: str, measure: str | None
) -> tuple[dt.date, dt.date]:
    """The days of a time series, once its time zone and ``measure`` (when given) are valid."""
    start, end = check_range(from_date, to_date)
    check_tz(tz)
    if measure is not None:
        check_choice(measure, "type", MEASURES)
    return start, end


def measure_sql(measure: str) -> str:
    user = attributable_sql()
    if measure == "general":
        return "count(*)"
    if measure == "unique":
        return f"count(DISTINCT distinct_id) FILTER (WHERE {user})"
    return (
        f"CAST(count(*) FILTER (WHERE {user}) AS DOUBLE) / "
        f"nullif(count(DISTINCT distinct_id) FILTER (WHERE {user}), 0)"
    )


def event_query(
    events: Sequence[str] | None,
    start: dt.date,
    end: dt.date,
    *,
    where: str | None,
    tz: str,
    table: str,
    users_table: str,
    attributable: bool = False,
    segment: str | None = None,
    number: str | None = None,
) -> Query:
    """The rows of ``events`` on the local days ``start``..``end`` that match ``where``.

    ``events=None`` reads every event. The coarse UTC pre-filter and the exact local-day
    range always go together here.
    """
    return Query(
        table=table,
        users_table=users_table,
        tz=tz,
        events=events,
        utc_range=coarse_utc(start, end),
        local_range=(start, end),
        where=where,
        attributable=attributable,
        segment=segment,
        number=number,
    )


def _empty(value_type: type[pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(
        schema={"date": pl.Utf8, "segment": pl.Utf8, "value": value_type, "total": value_type}
    )


def series_dates(query: Query, buckets: Buckets) -> tuple[str, ...]:
    """Every bucket key of the query's local days, in its time zone, ascending."""
    assert query.local_range is not None
    start, end = query.local_range
    return tuple(buckets.keys(start, end, check_tz(query.tz)))


def count_series(
    con: duckdb.DuckDBPyConnection,
    query: Query,
    *,
    buckets: Buckets,
    measure: str,
    segment_sql: str,
    limit: int | None = None,
    keep: Sequence[str] | None = None,
) -> tuple[tuple[str, ...], pl.DataFrame]:
    """Group the rows of ``query`` by bucket and segment.

    Returns every bucket key of the range and a frame ``date, segment, value, total`` with
    the non-empty cells of the top ``limit`` segments (by the sum of their cells, then by
    label), ordered by rank, then date. ``keep`` restricts the segments to those values.
    """
    aggregate = measure_sql(measure)
    keep_sql = ""
    if keep is not None:
        wanted = ", ".join(lit(value) for value in dict.fromkeys(keep))
        keep_sql = f"WHERE segment IN ({wanted})" if wanted else "WHERE false"
    limit_sql = f"LIMIT {int(limit)}" if limit is not None else ""
    sql = f"""
        WITH src AS ({source_sql(con, query)}),
        cells AS (
            SELECT {buckets.key_sql("local_time")} AS date, {segment_sql} AS segment,
                   {aggregate} AS value
            FROM src GROUP BY 1, 2
        ),
        kept AS (SELECT * FROM cells {keep_sql}),
        top AS (
            SELECT segment, sum(value) AS total FROM kept
            WHERE value IS NOT NULL AND value <> 0
            GROUP BY segment ORDER BY total DESC, segment {limit_sql}
        )
        SELECT k.date, k.segment, k.value, t.total
        FROM kept AS k JOIN top AS t USING (segment)
        WHERE k.value IS NOT NULL AND k.value <> 0
        ORDER BY t.total DESC, k.segment, k.date
    """  # noqa: S608 - built from quoted pieces
    return series_dates(query, buckets), frame(con, sql, expressions_of(query))


def _segments(cells: pl.DataFrame) -> tuple[str, ...]:
    return tuple(dict.fromkeys(cells["segment"].to_list()))


def to_series(
    unit: str,
    dates: tuple[str, ...],
    cells: pl.DataFrame,
    measure: str,
    *,
    extra_segments: Sequence[str] | None = None,
) -> Series:
    """Wrap ``count_series`` cells as a :class:`Series`.

    ``extra_segments`` are appended (in order) when they have no cells, so a caller that
    asked for specific values sees each of them.
    """
    value_type: type[pl.DataType] = pl.Float64 if measure == "average" else pl.Int64
    if cells.height == 0:
        cells = _empty(value_type)
    out = cells.select(
        pl.col("date").cast(pl.Utf8),
        pl.col("segment").cast(pl.Utf8),
        pl.col("value").cast(value_type),
    )
    segments = _segments(cells)
    if extra_segments is not None:
        segments += tuple(s for s in dict.fromkeys(extra_segments) if s not in segments)
    return Series(unit=unit, dates=dates, segments=segments, frame=out)


def segmentation(
    con: duckdb.DuckDBPyConnection,
    event: str,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    unit: str = "day",
    interval: int | None = None,
    type: str = "general",
    on: str | None = None,
    where: str | None = None,
    limit: int = 60,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Series:
    """Count ``event`` per time bucket, optionally segmented by the expression ``on``.

    Without ``on`` the only segment is the event name; with ``on`` the segments are the
    expression's values as text (``"undefined"`` where unset), keeping the top ``limit`` by
    their total over the range (design choice: the sum of the bucket values).

    ``interval`` (days per bucket, starting at ``from_date``) replaces ``unit`` when given
    (Mixpanel docs, /segmentation: "in lieu of unit").
    """
    check_event(event)
    start, end = check_series(from_date, to_date, tz, type)
    check_positive(limit, "limit")
    buckets = Buckets.of(check_choice(unit, "unit", SERIES_UNITS), interval, start)
    query = event_query(
        [event], start, end, where=where, tz=tz, table=table, users_table=users_table, segment=on
    )
    # Without ``on`` the one segment is the event, and there is nothing to limit.
    segment_sql, top = ("seg", limit) if on is not None else (lit(event), None)
    dates, cells = count_series(
        con, query, buckets=buckets, measure=type, segment_sql=segment_sql, limit=top
    )
    return to_series(buckets.unit or "interval", dates, cells, type)


def _nice_width(low: float, high: float, integral: bool) -> Decimal:
    """A 1, 2 or 5 × 10^k bucket width giving about ten buckets over ``[low, high]``."""
    span = high - low
    raw = span / _NUMERIC_TARGET_BUCKETS if span > 0 else (abs(low) / 10 or 1.0)
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    mantissa = next(m for m in (1, 2, 5, 10) if m >= fraction - 1e-12)
    width = Decimal(mantissa).scaleb(exponent)
    if integral and width < 1:
        width = Decimal(1)
    return width


def _edge_text(edge: Decimal) -> str:
    if edge == edge.to_integral_value():
        return f"{int(edge):,}"
    return format(edge.normalize(), ",f")


def segmentation_numeric(
    con: duckdb.DuckDBPyConnection,
    event: str,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    on: str,
    unit: str = "day",
    type: str = "general",
    where: str | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Series:
    """Count ``event`` per time bucket, segmented into ranges of the numeric ``on``.

    Bucket edges (design choice; Mixpanel picks them itself and does not say how): about ten
    equal-width, half-open ranges ``[lo, lo + w)`` over the values seen in the whole date
    range, with ``w`` a 1, 2 or 5 × 10^k step (at least 1 when every value is whole) and ``lo``
    a multiple of ``w``. Labels are ``"lo - hi"`` with thousands separators, like Mixpanel's
    ``"2,000 - 2,100"``; segments are ordered by lower edge. Events where ``on`` is not a
    number are left out.
    """
    check_event(event)
    start, end = check_series(from_date, to_date, tz, type)
    buckets = Buckets(unit=check_choice(unit, "unit", SERIES_UNITS))
    query = event_query(
        [event], start, end, where=where, tz=tz, table=table, users_table=users_table, number=on
    )
    stats_sql = f"""
        WITH src AS ({source_sql(con, query)})
        SELECT min(num), max(num), bool_and(num = floor(num))
        FROM src WHERE isfinite(num)
    """  # noqa: S608 - built from quoted pieces
    low, high, integral = rows(con, stats_sql, expressions_of(query))[0]
    dates = series_dates(query, buckets)
    if low is None:
        return to_series(buckets.unit or "interval", dates, _empty(pl.Int64), type)
    width = _nice_width(float(low), float(high), bool(integral))
    index_sql = f"CAST(floor(round(num / {float(width)!r}, 9)) AS BIGINT)"
    segment_sql = f"CASE WHEN isfinite(num) THEN {index_sql} END"
    _, cells = count_series(con, query, buckets=buckets, measure=type, segment_sql=segment_sql)
    indexes = sorted({int(k) for k in cells["segment"].to_list()})
    labels = {k: f"{_edge_text(width * k)} - {_edge_text(width * (k + 1))}" for k in indexes}
    cells = cells.with_columns(
        pl.col("segment").cast(pl.Int64).replace_strict(labels, return_dtype=pl.Utf8)
    )
    segments = tuple(labels[k] for k in indexes)
    result = to_series(buckets.unit or "interval", dates, cells, type)
    order = {label: i for i, label in enumerate(segments)}
    ordered = result.frame.sort(
        pl.col("segment").replace_strict(order, return_dtype=pl.Int64), pl.col("date")
    )
    return Series(unit=result.unit, dates=dates, segments=segments, frame=ordered)


def _number_series(
    aggregate: str,
    con: duckdb.DuckDBPyConnection,
    event: str,
    from_date: dt.date | str,
    to_date: dt.date | str,
    on: str,
    unit: str,
    where: str | None,
    tz: str,
    table: str,
    users_table: str,
) -> Series:
    """``aggregate`` (SQL over the number ``num``) of ``event`` per bucket, as one segment."""
    check_event(event)
    start, end = check_series(from_date, to_date, tz, None)
    buckets = Buckets(unit=check_choice(unit, "unit", SERIES_UNITS))
    query = event_query(
        [event], start, end, where=where, tz=tz, table=table, users_table=users_table, number=on
    )
    sql = f"""
        WITH src AS ({source_sql(con, query)})
        SELECT {buckets.key_sql("local_time")} AS date, {lit(event)} AS segment,
               {aggregate} AS value
        FROM src GROUP BY 1 HAVING value IS NOT NULL ORDER BY 1
    """  # noqa: S608 - built from quoted pieces
    cells = frame(con, sql, expressions_of(query))
    dates = series_dates(query, buckets)
    if cells.height == 0:
        cells = _empty(pl.Float64)
    out = cells.select(
        pl.col("date").cast(pl.Utf8), pl.col("segment").cast(pl.Utf8), pl.col("value")
    ).with_columns(pl.col("value").cast(pl.Float64))
    return Series(unit=buckets.unit or "day", dates=dates, segments=_segments(out), frame=out)


def segmentation_sum(
    con: duckdb.DuckDBPyConnection,
    event: str,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    on: str,
    unit: str = "day",
    where: str | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Series:
    """Sum the numeric expression ``on`` over ``event`` per time bucket.

    Mixpanel docs (/segmentation/sum): "if the expression is not numeric, 0.0 is used".
    Buckets without events have no cell. The only segment is the event name.
    """
    # Adding floats in another order changes the last bits, and DuckDB's parallel
    # aggregation picks the order at random: sorting by value makes the sum reproducible.
    aggregate = "sum(coalesce(num, 0.0) ORDER BY coalesce(num, 0.0))"
    return _number_series(
        aggregate, con, event, from_date, to_date, on, unit, where, tz, table, users_table
    )


def segmentation_average(
    con: duckdb.DuckDBPyConnection,
    event: str,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    on: str,
    unit: str = "day",
    where: str | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Series:
    """Average the numeric expression ``on`` over ``event`` per time bucket.

    Design choice: events where ``on`` is not a number are left out of the mean (Mixpanel
    documents the 0.0 substitution only for sums); a bucket with no numeric value has no cell.
    """
    aggregate = "avg(num ORDER BY num)"  # ordered for reproducible bits, as for sums
    return _number_series(
        aggregate, con, event, from_date, to_date, on, unit, where, tz, table, users_table
    )
