"""The deduplicated, filtered event rows every report reads.

:func:`source_sql` returns one ``SELECT`` over the events table that

1. pre-filters cheaply on event name and a coarse UTC ``time`` range (both are part of the
   dedup key, so filtering before deduplication never separates two copies of an event);
2. deduplicates on Mixpanel's key (event, distinct_id, time, insert_id), keeping the copy
   with the highest ``mp_processing_time_ms`` (Mixpanel docs, event-deduplication: reports
   show the most recently ingested copy; raw export does not deduplicate);
3. adds ``local_time`` (naive wall-clock time in the project time zone);
4. applies the exact local-day range, the ``where`` expression (on the surviving copy) and,
   for user-based reports, drops events whose ``distinct_id`` is empty or NULL (Mixpanel docs,
   import-events / hot-shard-limits: an empty distinct_id is "not attributable to a user" and
   is left out of behavioural analysis);
5. adds the compiled ``on`` segment (``seg``), numeric ``on`` (``num``) and per-step boolean
   flags requested by the caller.

Expressions are compiled by :mod:`mixpanel_data.analytics.expr`. ``properties[...]`` reads the
event's raw properties; ``user[...]`` reads the profile's properties from the users table,
which is joined only when an expression needs it (and read as "not set" when there is no
users table).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from mixpanel_data.analytics._sql import date_lit, ident, lit, rows, ts_lit
from mixpanel_data.analytics._time import local_sql

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import duckdb

__all__ = [
    "Query",
    "attributable_sql",
    "expressions_of",
    "property_expression",
    "source_sql",
    "table_exists",
]

# Aliases used inside the generated SQL; the expression compiler receives them through its
# SqlContext.
_E = "_e"
_U = "_u"
_USER_SENTINEL = f'{_U}."properties"'
_NO_USER = "CAST(NULL AS JSON)"

Kind = Literal["filter", "segment", "number"]


def attributable_sql(column: str = "distinct_id") -> str:
    """SQL that is true when an event can be attributed to a user."""
    return f"({column} IS NOT NULL AND {column} <> '')"


def property_expression(name: str) -> str:
    """The Mixpanel expression reading event property ``name``: ``properties["name"]``."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'properties["{escaped}"]'


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view called ``name`` exists in the connection's catalog."""
    found = rows(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = "  # noqa: S608 - literal
        + lit(name),
    )
    return bool(found[0][0])


@dataclass(frozen=True, slots=True)
class Query:
    """What a report reads: which events, which times, which filters and extra columns.

    Parameters
    ----------
    table, users_table
        Events table and profiles table names.
    tz
        Project time zone (IANA name), for ``local_time``.
    events
        Event names to read; ``None`` reads every event.
    utc_range
        Coarse naive-UTC ``[lo, hi)`` pre-filter on ``time``; ``None`` (or a ``None`` end)
        leaves that side open.
    local_range
        Inclusive local days kept exactly; ``None`` keeps every row the UTC range let through.
    where
        Mixpanel expression filtering the events.
    attributable
        Drop events whose distinct_id is empty or NULL.
    distinct_ids
        Keep only these users.
    segment, number
        ``on`` expressions compiled to the text column ``seg`` / the numeric column ``num``.
    flags
        Boolean columns: name → (event name, optional where expression).
    """

    table: str
    users_table: str
    tz: str
    events: Sequence[str] | None = None
    utc_range: tuple[dt.datetime | None, dt.datetime | None] | None = None
    local_range: tuple[dt.date, dt.date] | None = None
    where: str | None = None
    attributable: bool = False
    distinct_ids: Sequence[str] | None = None
    segment: str | None = None
    number: str | None = None
    flags: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)


def expressions_of(*queries: Query) -> tuple[str, ...]:
    """Every expression text the queries compile (for error reporting)."""
    out: list[str] = []
    for query in queries:
        out += [text for text in (query.where, query.segment, query.number) if text is not None]
        out += [where for _event, where in query.flags.values() if where is not None]
    return tuple(out)


def _compile(kind: Kind, text: str, user: str) -> str:
    # Imported here: the expression package is a sibling built separately, and only reports
    # that use expressions need it.
    from mixpanel_data.analytics.expr import (
        SqlContext,
        compile_filter,
        compile_number,
        compile_segment,
    )

    ctx = SqlContext(
        properties=f'{_E}."properties"',
        user=user,
        event=f'{_E}."event"',
        time=f'{_E}."time"',
    )
    if kind == "filter":  # never NULL: TRUE exactly where Mixpanel keeps the row
        return f"({compile_filter(text, ctx)})"
    if kind == "segment":
        return f"({compile_segment(text, ctx)})"
    return f"({compile_number(text, ctx)})"


def source_sql(con: duckdb.DuckDBPyConnection, query: Query) -> str:
    """SQL of the deduplicated, filtered events described by ``query``.

    Output columns: ``event``, ``time``, ``distinct_id``, ``insert_id``, ``properties``,
    ``local_time``, plus ``seg`` / ``num`` / one boolean column per flag when requested.
    """
    expressions: list[tuple[str, Kind, str]] = []
    if query.where is not None:
        expressions.append(("_where", "filter", query.where))
    if query.segment is not None:
        expressions.append(("seg", "segment", query.segment))
    if query.number is not None:
        expressions.append(("num", "number", query.number))
    for name, (_event, step_where) in query.flags.items():
        if step_where is not None:
            expressions.append((name, "filter", step_where))

    compiled: dict[str, str] = {}
    join_users = False
    if expressions:
        users_there = table_exists(con, query.users_table)
        user = _USER_SENTINEL if users_there else _NO_USER
        for name, kind, text in expressions:
            compiled[name] = _compile(kind, text, user)
            join_users = join_users or (users_there and _USER_SENTINEL in compiled[name])

    pre: list[str] = []
    if query.events is not None:
        names = ", ".join(lit(name) for name in dict.fromkeys(query.events))
        pre.append(f'"event" IN ({names})' if names else "false")
    if query.utc_range is not None:
        lo, hi = query.utc_range
        if lo is not None:
            pre.append(f'"time" >= {ts_lit(lo)}')
        if hi is not None:
            pre.append(f'"time" < {ts_lit(hi)}')
    if query.attributable:
        pre.append(attributable_sql())
    if query.distinct_ids is not None:
        ids = ", ".join(lit(i) for i in dict.fromkeys(query.distinct_ids))
        pre.append(f"distinct_id IN ({ids})" if ids else "false")
    pre_where = f"WHERE {' AND '.join(pre)}" if pre else ""

    local = local_sql(query.tz, f'{_E}."time"')
    post: list[str] = []
    if query.local_range is not None:
        first, last = query.local_range
        post.append(
            f"{local} >= CAST({date_lit(first)} AS TIMESTAMP) AND {local} < "
            f"CAST({date_lit(last + dt.timedelta(days=1))} AS TIMESTAMP)"
        )
    if "_where" in compiled:
        post.append(compiled["_where"])
    post_where = f"WHERE {' AND '.join(post)}" if post else ""

    extra = [f"{local} AS local_time"]
    if "seg" in compiled:
        extra.append(f"coalesce(CAST({compiled['seg']} AS VARCHAR), 'undefined') AS seg")
    if "num" in compiled:
        extra.append(f"TRY_CAST({compiled['num']} AS DOUBLE) AS num")
    for name, (event, _step_where) in query.flags.items():
        condition = f'{_E}."event" = {lit(event)}'
        if name in compiled:
            condition += f" AND {compiled[name]}"
        extra.append(f"({condition}) AS {ident(name)}")

    join = (
        f"LEFT JOIN {ident(query.users_table)} AS {_U} ON {_U}.distinct_id = {_E}.distinct_id"
        if join_users
        else ""
    )
    # Ties on mp_processing_time_ms are broken on the properties text only to make the
    # choice deterministic; Mixpanel does not say which copy wins then.
    return f"""
        SELECT {_E}."event", {_E}."time", {_E}.distinct_id, {_E}.insert_id, {_E}."properties",
               {", ".join(extra)}
        FROM (
            SELECT "event", "time", distinct_id, insert_id, "properties"
            FROM {ident(query.table)}
            {pre_where}
            QUALIFY row_number() OVER (
                PARTITION BY "event", distinct_id, "time", insert_id
                ORDER BY mp_processing_time_ms DESC NULLS LAST, CAST("properties" AS VARCHAR) DESC
            ) = 1
        ) AS {_E}
        {join}
        {post_where}
    """  # noqa: S608 - identifiers quoted by ident(), values by lit()/ts_lit()
