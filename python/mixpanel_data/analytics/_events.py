"""The event endpoints: /events, /events/properties, /events/top, /events/names,
/events/properties/top, /events/properties/values and /stream/query (Mixpanel API reference,
query.openapi.yaml).

Counts use the segmentation measures (``general``, ``unique``, ``average``; see
:mod:`mixpanel_data.analytics._segmentation`) over the deduplicated events.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from mixpanel_data.analytics._segmentation import (
    MEASURES,
    SERIES_UNITS,
    check_event,
    check_series,
    count_series,
    event_query,
    measure_sql,
    to_series,
)
from mixpanel_data.analytics._source import (
    Query,
    expressions_of,
    property_expression,
    source_sql,
)
from mixpanel_data.analytics._sql import frame, lit, ts_lit
from mixpanel_data.analytics._time import (
    Buckets,
    check_choice,
    check_day,
    check_positive,
    check_range,
    check_tz,
    coarse_utc,
)
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

    from mixpanel_data.analytics._types import Series

__all__ = [
    "activity",
    "event_counts",
    "event_names",
    "property_counts",
    "property_names",
    "property_values",
    "top_events",
]

# Keys of the raw properties that the events table already holds as columns; they are on
# every event, so listing them as "top properties" would say nothing (design choice).
_ROW_KEYS = ("time", "distinct_id", "$distinct_id", "$insert_id", "mp_processing_time_ms")


def _names(values: object, name: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, list | tuple) or not values:
        raise ValidationError(
            f"{name} must be a non-empty list of strings, got {values!r}",
            hint=f"pass {name}=['...'] (a list, even for one value)",
        )
    for i, value in enumerate(values):
        if not isinstance(value, str) or not value:
            raise ValidationError(
                f"{name}[{i}] must be a non-empty string, got {value!r}",
                hint=f"pass {name} as a list of strings",
            )
    return list(dict.fromkeys(values))


def event_counts(
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
) -> Series:
    """Count each of ``events`` per time bucket (/events).

    Segments are the event names: those with data by total, then the requested events
    without data (no cells), in the order given.
    """
    names = _names(events, "events")
    start, end = check_series(from_date, to_date, tz, type)
    buckets = Buckets(unit=check_choice(unit, "unit", SERIES_UNITS))
    query = event_query(names, start, end, where=where, tz=tz, table=table, users_table=users_table)
    dates, cells = count_series(con, query, buckets=buckets, measure=type, segment_sql='"event"')
    return to_series(buckets.unit or "day", dates, cells, type, extra_segments=names)


def property_counts(
    con: duckdb.DuckDBPyConnection,
    event: str,
    name: str,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    values: Sequence[str] | None = None,
    type: str = "general",
    unit: str = "day",
    where: str | None = None,
    limit: int = 255,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> Series:
    """Count ``event`` per time bucket and value of property ``name`` (/events/properties).

    Values are text as segmentation's ``on`` gives them (``"undefined"`` where the property
    is missing). ``values`` keeps only those values (each listed, data or not); ``limit``
    keeps the top values by total.
    """
    check_event(event)
    check_event(name, "name")
    wanted = _names(values, "values") if values is not None else None
    check_positive(limit, "limit")
    start, end = check_series(from_date, to_date, tz, type)
    buckets = Buckets(unit=check_choice(unit, "unit", SERIES_UNITS))
    query = event_query(
        [event],
        start,
        end,
        where=where,
        tz=tz,
        table=table,
        users_table=users_table,
        segment=property_expression(name),
    )
    dates, cells = count_series(
        con, query, buckets=buckets, measure=type, segment_sql="seg", limit=limit, keep=wanted
    )
    return to_series(buckets.unit or "day", dates, cells, type, extra_segments=wanted)


def _amounts(
    con: duckdb.DuckDBPyConnection, query: Query, measure: str, *, until: dt.datetime | None = None
) -> dict[str, float | int]:
    """The ``measure`` per event name, optionally only up to a local time."""
    cut = f"WHERE local_time <= {ts_lit(until)}" if until is not None else ""
    sql = f"""
        WITH src AS ({source_sql(con, query)})
        SELECT "event" AS name, {measure_sql(measure)} AS amount FROM src {cut} GROUP BY 1
    """  # noqa: S608 - built from quoted pieces
    found = frame(con, sql, expressions_of(query))
    return {
        str(name): amount
        for name, amount in found.iter_rows()
        if amount is not None and amount != 0
    }


def top_events(
    con: duckdb.DuckDBPyConnection,
    *,
    today: dt.date | str,
    type: str = "general",
    limit: int = 100,
    now: dt.datetime | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> pl.DataFrame:
    """Today's top events with their change from yesterday (/events/top).

    Returns a frame ``event``, ``amount``, ``percent_change`` of the events done ``today``
    (a local date), largest amount first. ``percent_change`` is the relative change from
    yesterday as a fraction (1.0 = +100%; Mixpanel: "the normalized percent change from
    yesterday"). When ``now`` is given, both days are compared up to the same local time of
    day ("normalized": a day in progress is not compared with a whole day). Design choice: an
    event absent yesterday has change 1.0.
    """
    day = check_day(today, "today")
    zone = check_tz(tz)
    check_choice(type, "type", MEASURES)
    check_positive(limit, "limit")
    cutoff = None
    if now is not None:
        aware = now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)
        local_now = aware.astimezone(zone).replace(tzinfo=None)
        cutoff = local_now - dt.datetime.combine(day, dt.time())

    def amounts_on(when: dt.date) -> dict[str, float | int]:
        query = event_query(
            None, when, when, where=None, tz=tz, table=table, users_table=users_table
        )
        until = dt.datetime.combine(when, dt.time()) + cutoff if cutoff is not None else None
        return _amounts(con, query, type, until=until)

    current = amounts_on(day)
    previous = amounts_on(day - dt.timedelta(days=1))
    records = []
    for event, amount in current.items():
        before = previous.get(event, 0)
        change = (amount - before) / before if before else 1.0
        records.append({"event": event, "amount": amount, "percent_change": float(change)})
    records.sort(key=lambda r: (-float(r["amount"]), str(r["event"])))
    amount_type = pl.Float64 if type == "average" else pl.Int64
    return pl.DataFrame(
        records[:limit],
        schema={"event": pl.Utf8, "amount": amount_type, "percent_change": pl.Float64},
    )


def event_names(
    con: duckdb.DuckDBPyConnection,
    *,
    today: dt.date | str,
    type: str = "general",
    limit: int = 255,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> list[str]:
    """The most common event names of the last 31 days up to ``today`` (/events/names).

    Ordered by the ``type`` measure, largest first, then by name (Mixpanel's reference says
    both "most common" and "descending alphabetical order"; most common is used).
    """
    day = check_day(today, "today")
    check_tz(tz)
    check_choice(type, "type", MEASURES)
    check_positive(limit, "limit")
    first = day - dt.timedelta(days=30)
    query = event_query(None, first, day, where=None, tz=tz, table=table, users_table=users_table)
    found = _amounts(con, query, type)
    return sorted(found, key=lambda e: (-float(found[e]), e))[:limit]


def _optional_range(
    from_date: dt.date | str | None, to_date: dt.date | str | None
) -> tuple[tuple[dt.date, dt.date] | None, tuple[dt.datetime, dt.datetime] | None]:
    if from_date is None and to_date is None:
        return None, None
    if from_date is None or to_date is None:
        raise ValidationError(
            "give both from_date and to_date, or neither", hint="pass both dates to limit the range"
        )
    start, end = check_range(from_date, to_date)
    return (start, end), coarse_utc(start, end)


def _listing_query(
    event: str | None,
    from_date: dt.date | str | None,
    to_date: dt.date | str | None,
    *,
    limit: int,
    tz: str,
    table: str,
    users_table: str,
    segment: str | None = None,
) -> Query:
    """The events a property listing reads, once its limit, zone and range are checked.

    ``event=None`` reads every event; the range (both days or neither) defaults to all data;
    ``segment`` is the expression of the segment column.
    """
    check_positive(limit, "limit")
    check_tz(tz)
    local_range, utc_range = _optional_range(from_date, to_date)
    return Query(
        table=table,
        users_table=users_table,
        tz=tz,
        events=[event] if event is not None else None,
        utc_range=utc_range,
        local_range=local_range,
        segment=segment,
    )


def property_names(
    con: duckdb.DuckDBPyConnection,
    event: str | None,
    *,
    limit: int = 10,
    from_date: dt.date | str | None = None,
    to_date: dt.date | str | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> pl.DataFrame:
    """The property names of ``event`` by how many events carry them (/events/properties/top).

    Returns a frame ``name``, ``count`` (most common first, then by name). ``event=None``
    looks at every event; the range defaults to all data. The keys stored as the event row's
    own columns (``time``, ``distinct_id``, ``$insert_id``, ``mp_processing_time_ms``) are
    left out (design choice).
    """
    if event is not None:
        check_event(event)
    query = _listing_query(
        event, from_date, to_date, limit=limit, tz=tz, table=table, users_table=users_table
    )
    hidden = ", ".join(lit(key) for key in _ROW_KEYS)
    sql = f"""
        WITH src AS ({source_sql(con, query)}),
        keys AS (
            SELECT unnest(json_keys("properties")) AS name FROM src
            WHERE json_type("properties") = 'OBJECT'
        )
        SELECT name, count(*) AS count FROM keys WHERE name NOT IN ({hidden})
        GROUP BY name ORDER BY count DESC, name LIMIT {int(limit)}
    """  # noqa: S608 - built from quoted pieces
    found = frame(con, sql)
    return found.select(pl.col("name").cast(pl.Utf8), pl.col("count").cast(pl.Int64))


def property_values(
    con: duckdb.DuckDBPyConnection,
    event: str | None,
    name: str,
    *,
    limit: int = 255,
    from_date: dt.date | str | None = None,
    to_date: dt.date | str | None = None,
    tz: str = "UTC",
    table: str = "events",
    users_table: str = "users",
) -> list[str]:
    """The values of property ``name`` as text, most frequent first (/events/properties/values).

    Values are rendered as segmentation's ``on`` renders them; events without the property
    are left out. Ties are ordered by value. ``event=None`` looks at every event.
    """
    if event is not None:
        check_event(event)
    check_event(name, "name")
    query = _listing_query(
        event,
        from_date,
        to_date,
        limit=limit,
        tz=tz,
        table=table,
        users_table=users_table,
        segment=property_expression(name),
    )
    sql = f"""
        WITH src AS ({source_sql(con, query)})
        SELECT seg, count(*) AS n FROM src WHERE seg <> 'undefined'
        GROUP BY seg ORDER BY n DESC, seg LIMIT {int(limit)}
    """  # noqa: S608 - built from quoted pieces
    return [str(value) for value, _n in frame(con, sql, expressions_of(query)).iter_rows()]


def activity(
    con: duckdb.DuckDBPyConnection,
    distinct_ids: Sequence[str],
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    tz: str = "UTC",
    table: str = "events",
) -> pl.DataFrame:
    """The events of some users between two local days (/stream/query), oldest first.

    Returns a frame ``event``, ``distinct_id``, ``time`` (epoch seconds, Int64), ``time_ms``
    (epoch milliseconds), ``insert_id`` and ``properties`` (the raw properties as JSON text).
    """
    ids = _names(distinct_ids, "distinct_ids")
    start, end = check_range(from_date, to_date)
    check_tz(tz)
    query = Query(
        table=table,
        users_table="users",
        tz=tz,
        utc_range=coarse_utc(start, end),
        local_range=(start, end),
        distinct_ids=ids,
    )
    sql = f"""
        WITH src AS ({source_sql(con, query)})
        SELECT "event", distinct_id, CAST(floor(epoch_ms("time") / 1000) AS BIGINT) AS "time",
               epoch_ms("time") AS time_ms, insert_id, CAST("properties" AS VARCHAR) AS properties
        FROM src ORDER BY src."time", "event", insert_id
    """  # noqa: S608 - built from quoted pieces
    found = frame(con, sql)
    return found.select(
        pl.col("event").cast(pl.Utf8),
        pl.col("distinct_id").cast(pl.Utf8),
        pl.col("time").cast(pl.Int64),
        pl.col("time_ms").cast(pl.Int64),
        pl.col("insert_id").cast(pl.Utf8),
        pl.col("properties").cast(pl.Utf8),
    )
