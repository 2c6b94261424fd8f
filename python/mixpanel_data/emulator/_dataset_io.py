"""Render a day as Mixpanel's export body, and load a dataset into DuckDB through Arrow."""

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
    import pyarrow as pa

    events_sql = quote_identifier(table)
    users_sql = quote_identifier(users_table)
    dumps = orjson.dumps

    def flush(cols: dict[str, list[Any]]) -> None:
        batch = pa.table(
            {
                "event": pa.array(cols["event"], pa.string()),
                "time": pa.array(cols["time"], pa.timestamp("ms")),
                "distinct_id": pa.array(cols["distinct_id"], pa.string()),
                "insert_id": pa.array(cols["insert_id"], pa.string()),
                "mp_processing_time_ms": pa.array(cols["mp_processing_time_ms"], pa.int64()),
                # orjson gives UTF-8 bytes; Arrow validates them as text without a Python copy.
                "properties": pa.array(cols["properties"], pa.binary()).cast(pa.string()),
            }
        )
        con.register("_mp_dataset_batch", batch)
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
        cols: dict[str, list[Any]] = _empty_columns()
        for events, to_utc in days:
            for event in events:
                props = event["properties"]
                cols["event"].append(event["event"])
                cols["time"].append(to_utc(props["time"]))
                cols["distinct_id"].append(_text(props.get("distinct_id")))
                cols["insert_id"].append(_text(props.get("$insert_id")))
                cols["mp_processing_time_ms"].append(_int(props.get("mp_processing_time_ms")))
                cols["properties"].append(dumps(props))
            if len(cols["event"]) >= _BATCH_ROWS:
                rows += len(cols["event"])
                flush(cols)
                cols = _empty_columns()
        if cols["event"]:
            rows += len(cols["event"])
            flush(cols)
        con.execute(
            f"CREATE OR REPLACE TABLE {users_sql} (distinct_id VARCHAR, properties JSON)"
        ).fetchall()
        if profiles:
            users = pa.table(
                {
                    "distinct_id": pa.array([p["$distinct_id"] for p in profiles], pa.string()),
                    "properties": pa.array(
                        [dumps(p["$properties"]) for p in profiles], pa.binary()
                    ).cast(pa.string()),
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


def _empty_columns() -> dict[str, list[Any]]:
    return {
        name: []
        for name in (
            "event",
            "time",
            "distinct_id",
            "insert_id",
            "mp_processing_time_ms",
            "properties",
        )
    }
