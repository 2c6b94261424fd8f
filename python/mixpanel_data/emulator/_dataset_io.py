"""Render a day as Mixpanel's export body, and load a dataset into DuckDB (via polars)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import orjson

from mixpanel_data.exceptions import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import duckdb

__all__ = ["load_duckdb", "render_export_lines"]

_NEWLINE = orjson.OPT_APPEND_NEWLINE
# Rows per Arrow batch handed to DuckDB: big enough to amortise each INSERT, small enough to
# keep a multi-million-event load within a few hundred MB.
_BATCH_ROWS = 200_000


def render_export_lines(events: list[dict[str, Any]], *, time_in_ms: bool) -> bytes:
    """The NDJSON body Mixpanel's export sends for these events, every line ending in ``\\n``.

    Mixpanel docs (raw-event-export): ``time`` is whole seconds unless ``time_in_ms=true``;
    ``mp_processing_time_ms`` is milliseconds either way. No events give an empty body.
    """
    dumps = orjson.dumps
    if time_in_ms:
        return b"".join([dumps(event, option=_NEWLINE) for event in events])
    out = []
    for event in events:
        props = event["properties"]
        seconds = dict(props)  # same key order, time replaced in place
        seconds["time"] = props["time"] // 1000
        out.append(dumps({"event": event["event"], "properties": seconds}, option=_NEWLINE))
    return b"".join(out)


def quote_identifier(name: str) -> str:
    """Quote a DuckDB identifier (a table name) so any text is safe inside SQL."""
    return '"' + name.replace('"', '""') + '"'


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


# Columns are built with polars, not pyarrow: pyarrow's array-from-Python-list path imports
# pandas (over a second of start-up for every `mp --demo` process), polars does not.


def _strings(pl: Any, values: list[Any]) -> Any:
    """A string column; replayed data may hold a number or null where a string belongs."""
    try:
        return pl.Series(values, dtype=pl.String)
    except (TypeError, pl.exceptions.PolarsError):
        return pl.Series([_text(v) for v in values], dtype=pl.String)


def _int64s(pl: Any, values: list[Any]) -> Any:
    try:
        return pl.Series(values, dtype=pl.Int64)
    except (TypeError, OverflowError, pl.exceptions.PolarsError):
        return pl.Series([_int(v) for v in values], dtype=pl.Int64)


def _json_texts(pl: Any, values: list[Any]) -> Any:
    # orjson gives UTF-8 bytes; the cast validates them as text without a Python copy.
    dumps = orjson.dumps
    return pl.Series([dumps(v) for v in values], dtype=pl.Binary).cast(pl.String)


def _day_frame(pl: Any, events: list[dict[str, Any]], to_utc: Callable[[int], int]) -> Any:
    """One day's rows as a polars frame (list comprehensions: no per-row Python calls)."""
    props = [event["properties"] for event in events]
    return pl.DataFrame(
        {
            "event": _strings(pl, [event["event"] for event in events]),
            "time": pl.Series([to_utc(p["time"]) for p in props], dtype=pl.Int64).cast(
                pl.Datetime("ms")
            ),
            "distinct_id": _strings(pl, [p.get("distinct_id") for p in props]),
            "insert_id": _strings(pl, [p.get("$insert_id") for p in props]),
            "mp_processing_time_ms": _int64s(pl, [p.get("mp_processing_time_ms") for p in props]),
            "properties": _json_texts(pl, props),
        }
    )


def load_duckdb(
    con: duckdb.DuckDBPyConnection,
    days: Iterable[tuple[list[dict[str, Any]], Callable[[int], int]]],
    profiles: list[dict[str, Any]],
    *,
    table: str,
    users_table: str,
) -> int:
    """Create (or replace) the events and users tables and fill them; return the event rows.

    ``days`` yields each day's events with the function that turns a stored ``time`` into
    true UTC ms. Rows are raw: no deduplication, as the export applies none.
    """
    import duckdb
    import polars as pl

    events_sql = quote_identifier(table)
    users_sql = quote_identifier(users_table)

    def flush(tables: list[Any]) -> None:
        con.register("_mp_dataset_batch", pl.concat(tables))
        try:
            con.execute(
                f"INSERT INTO {events_sql} SELECT event, time::TIMESTAMP, distinct_id, "  # noqa: S608  (quoted identifier)
                "insert_id, mp_processing_time_ms, properties::JSON FROM _mp_dataset_batch"
            ).fetchall()
        finally:
            con.unregister("_mp_dataset_batch")

    rows = 0
    try:
        con.execute("BEGIN TRANSACTION").fetchall()
        con.execute(
            f"CREATE OR REPLACE TABLE {events_sql} (event VARCHAR NOT NULL, "
            "time TIMESTAMP NOT NULL, distinct_id VARCHAR, insert_id VARCHAR, "
            "mp_processing_time_ms BIGINT, properties JSON)"
        ).fetchall()
        pending: list[Any] = []
        pending_rows = 0
        for events, to_utc in days:
            if not events:
                continue
            pending.append(_day_frame(pl, events, to_utc))
            pending_rows += len(events)
            if pending_rows >= _BATCH_ROWS:
                flush(pending)
                rows += pending_rows
                pending, pending_rows = [], 0
        if pending:
            flush(pending)
            rows += pending_rows
        con.execute(
            f"CREATE OR REPLACE TABLE {users_sql} (distinct_id VARCHAR, properties JSON)"
        ).fetchall()
        if profiles:
            users = pl.DataFrame(
                {
                    "distinct_id": _strings(pl, [p["$distinct_id"] for p in profiles]),
                    "properties": _json_texts(pl, [p["$properties"] for p in profiles]),
                }
            )
            con.register("_mp_dataset_users", users)
            try:
                con.execute(
                    f"INSERT INTO {users_sql} SELECT distinct_id, properties::JSON "  # noqa: S608  (quoted identifier)
                    "FROM _mp_dataset_users"
                ).fetchall()
            finally:
                con.unregister("_mp_dataset_users")
        con.execute("COMMIT").fetchall()
    except duckdb.Error as exc:
        # If no transaction is left to roll back, the original error is still what matters.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK").fetchall()
        raise StorageError(
            f"could not load the dataset into tables {table!r} and {users_table!r}: {exc}",
            hint="pass a connection that is not read-only and not inside a transaction",
        ) from exc
    return rows
