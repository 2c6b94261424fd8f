"""Insights-style event series, and the profile filter behind /engage.

Insights responses key buckets by full ISO-8601 timestamps with the project's UTC offset,
e.g. ``2024-05-27T00:00:00-07:00``, and give the range as ``date_range`` from the first
local midnight to ``23:59:59.999000`` of the last day (Mixpanel API reference, /insights).
Only the documented one-level shape (``headers: ["$event"]``, series per event) is computed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from mixpanel_data.analytics._events import event_counts
from mixpanel_data.analytics._source import table_exists
from mixpanel_data.analytics._sql import frame, ident, lit
from mixpanel_data.analytics._time import check_range, check_tz, iso_key
from mixpanel_data.analytics._types import Insights
from mixpanel_data.exceptions import TableNotFoundError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

__all__ = ["insights", "profiles"]

_KEY_FORMATS = {"hour": "%Y-%m-%d %H:00:00", "minute": "%Y-%m-%d %H:%M:00"}


def insights(
    con: duckdb.DuckDBPyConnection,
    events: Sequence[str],
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    type: str = "general",
    unit: str = "day",
    where: str | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Insights:
    """Count ``events`` per bucket, keyed by ISO timestamps with the zone's offset."""
    zone = check_tz(tz)
    series = event_counts(
        con,
        events,
        from_date,
        to_date,
        type=type,
        unit=unit,
        where=where,
        tz=tz,
        table=table,
        users_table=users_table,
    )
    fmt = _KEY_FORMATS.get(unit, "%Y-%m-%d")
    iso = {key: iso_key(dt.datetime.strptime(key, fmt), zone) for key in series.dates}
    cells = series.frame.with_columns(
        pl.col("date").replace_strict(iso, return_dtype=pl.Utf8)
    ).select(pl.col("segment").alias("event"), "date", "value")
    start, end = check_range(from_date, to_date)
    begin = dt.datetime.combine(start, dt.time())
    finish = dt.datetime.combine(end, dt.time(23, 59, 59, 999000))
    return Insights(
        headers=("$event",),
        from_iso=iso_key(begin, zone),
        to_iso=iso_key(finish, zone),
        dates=tuple(iso[key] for key in series.dates),
        events=series.segments,
        frame=cells,
    )


def profiles(
    con: duckdb.DuckDBPyConnection,
    *,
    where: str | None = None,
    distinct_ids: Sequence[str] | None = None,
    table: str = "users",
) -> pl.DataFrame:
    """Profiles matching ``where`` and/or ``distinct_ids``, ordered by distinct_id (/engage).

    In ``where``, both ``properties["x"]`` and ``user["x"]`` read the profile's properties
    (Mixpanel docs, engage-query: ``user["$email"] == "x"`` and ``properties["plan"]``).
    Returns a frame ``distinct_id``, ``properties`` (JSON text).
    """
    if not table_exists(con, table):
        raise TableNotFoundError(
            f"no profiles table {table!r}", hint="fetch profiles first (`mp users fetch`)"
        )
    conditions: list[str] = []
    if where is not None:
        from mixpanel_data.analytics.expr import SqlContext, compile_filter

        # A profile has no event name or time: event[...] is a compile error here.
        ctx = SqlContext(
            properties='_p."properties"', user='_p."properties"', event=None, time=None
        )
        conditions.append(f"({compile_filter(where, ctx)})")
    if distinct_ids is not None:
        if isinstance(distinct_ids, str):
            raise ValidationError(
                "distinct_ids must be a list of strings", hint="pass distinct_ids=['id']"
            )
        ids = ", ".join(lit(str(i)) for i in dict.fromkeys(distinct_ids))
        conditions.append(f"_p.distinct_id IN ({ids})" if ids else "false")
    filter_sql = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"""
        SELECT _p.distinct_id, CAST(_p."properties" AS VARCHAR) AS properties
        FROM {ident(table)} AS _p {filter_sql} ORDER BY _p.distinct_id
    """  # noqa: S608 - built from quoted pieces
    found = frame(con, sql, (where,) if where is not None else ())
    return found.select(pl.col("distinct_id").cast(pl.Utf8), pl.col("properties").cast(pl.Utf8))
