"""mp's bookkeeping tables: the table registry and the fetch log.

``_mp_tables``
    One row per table mp wrote: its kind (``events``, ``users``, ``report``), the parameters
    of the fetch that last wrote it (``source``), its row count and event time range.
``_mp_fetch_log``
    One row per stored day of an events table (per distinct filter set): written in the same
    transaction as the day's rows, so a day listed here is complete, and a re-run resumes by
    skipping the days listed (:func:`completed_days`).

Every function takes a DuckDB connection and runs inside the caller's transaction (none of
them commits).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import duckdb

__all__ = [
    "METADATA_DDL",
    "canonical_filters",
    "completed_days",
    "completed_days_at",
    "drop_table_records",
    "ensure_metadata",
    "record_days",
    "rename_table_records",
    "update_table_record",
]

METADATA_DDL = (
    "CREATE TABLE IF NOT EXISTS _mp_tables ("
    "name VARCHAR PRIMARY KEY, "
    "kind VARCHAR NOT NULL, "  # 'events' | 'users' | 'report'
    "source JSON, "  # the fetch parameters: from/to, events, where, report type...
    "rows BIGINT, "
    "first_time TIMESTAMP, "
    "last_time TIMESTAMP, "
    "created_at TIMESTAMP NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS _mp_fetch_log ("
    "table_name VARCHAR NOT NULL, "
    "day DATE NOT NULL, "
    "filters VARCHAR NOT NULL, "  # canonical JSON of the filters, '' for none
    "rows_received BIGINT, "
    "rows_added BIGINT, "
    "duplicates BIGINT, "
    "bytes BIGINT, "
    "status VARCHAR NOT NULL, "  # 'complete'
    "fetched_at TIMESTAMP NOT NULL, "
    "PRIMARY KEY (table_name, day, filters))",
)


def ensure_metadata(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``_mp_tables`` and ``_mp_fetch_log`` when missing (idempotent)."""
    for statement in METADATA_DDL:
        con.execute(statement).fetchall()


def canonical_filters(filters: Mapping[str, Any] | str | None) -> str:
    """Return the fetch log's text for a filter set: sorted-key JSON, ``''`` for none.

    Two fetches resume each other only when their filters are equal, so the caller should
    include everything that changes the stored rows (event names, ``where``, ``limit``, and
    time settings such as ``time_in_ms``). A string is taken as already canonical.
    """
    if filters is None:
        return ""
    if isinstance(filters, str):
        return filters
    if not filters:
        return ""
    return orjson.dumps(dict(filters), option=orjson.OPT_SORT_KEYS).decode()


def completed_days(
    con: duckdb.DuckDBPyConnection, table: str, filters: Mapping[str, Any] | str | None
) -> set[dt.date]:
    """Return the days of ``table`` stored completely by fetches with exactly these filters."""
    return set(completed_days_at(con, table, filters))


def completed_days_at(
    con: duckdb.DuckDBPyConnection, table: str, filters: Mapping[str, Any] | str | None
) -> dict[dt.date, dt.datetime]:
    """Like :func:`completed_days`, with when each day was fetched."""
    if not _has_metadata(con):
        return {}
    rows = con.execute(
        "SELECT day, fetched_at FROM _mp_fetch_log "
        "WHERE lower(table_name) = lower(?) AND filters = ? AND status = 'complete'",
        [table, canonical_filters(filters)],
    ).fetchall()
    return dict(rows)


def _has_metadata(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE table_name = '_mp_fetch_log' AND database_name = current_database() "
        "AND schema_name = current_schema()"
    ).fetchall()
    return bool(rows[0][0])


def record_days(
    con: duckdb.DuckDBPyConnection,
    table: str,
    days: Iterable[dt.date],
    filters: Mapping[str, Any] | str | None,
    *,
    rows_received: int,
    rows_added: int,
    duplicates: int,
    nbytes: int,
    fetched_at: dt.datetime,
) -> None:
    """Mark ``days`` of ``table`` complete for these filters (replacing earlier records).

    A chunk spanning several days records its counts on its first day and zeros on the rest.
    """
    text = canonical_filters(filters)
    for i, day in enumerate(sorted(days)):
        counts = (rows_received, rows_added, duplicates, nbytes) if i == 0 else (0, 0, 0, 0)
        con.execute(
            "INSERT OR REPLACE INTO _mp_fetch_log (table_name, day, filters, rows_received, "
            "rows_added, duplicates, bytes, status, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'complete', ?)",
            [table, day, text, *counts, fetched_at],
        ).fetchall()


def update_table_record(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    kind: str,
    source: Mapping[str, Any] | None = None,
    time_column: str | None = None,
    change: tuple[int, dt.datetime | None, dt.datetime | None] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Refresh ``table``'s registry row (row count, time range); return the row count.

    Parameters
    ----------
    kind
        ``events``, ``users`` or ``report``.
    source
        Replaces the recorded fetch parameters when given (kept otherwise).
    time_column
        The column whose range becomes ``first_time``/``last_time``.
    change
        ``(rows added, lowest time, highest time)`` of what was just written: when the table
        already has a registry row, it is updated from these instead of scanning the table
        (writes only add rows, and deduplication keeps one copy of each time).
    now
        The ``updated_at`` stamp (default: now, UTC).
    """
    from mixpanel_data.ingest._sql import quote_ident

    stamp = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    existing = con.execute(
        "SELECT created_at, source, rows, first_time, last_time FROM _mp_tables WHERE name = ?",
        [table],
    ).fetchall()
    quoted = quote_ident(table)
    if existing and change is not None and existing[0][2] is not None:
        added, low, high = change
        rows = int(existing[0][2]) + added
        first = min((t for t in (existing[0][3], low) if t is not None), default=None)
        last = max((t for t in (existing[0][4], high) if t is not None), default=None)
    elif time_column is not None:
        column = quote_ident(time_column)
        rows, first, last = con.execute(
            f"SELECT count(*), min({column}), max({column}) FROM {quoted}"  # noqa: S608 - quoted identifiers
        ).fetchall()[0]
    else:
        rows = con.execute(f"SELECT count(*) FROM {quoted}").fetchall()[0][0]  # noqa: S608 - quoted identifier
        first = last = None
    created = existing[0][0] if existing else stamp
    source_text = (
        orjson.dumps(dict(source), option=orjson.OPT_SORT_KEYS).decode()
        if source is not None
        else (existing[0][1] if existing else None)
    )
    con.execute(
        "INSERT OR REPLACE INTO _mp_tables (name, kind, source, rows, first_time, last_time, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [table, kind, source_text, rows, first, last, created, stamp],
    ).fetchall()
    return int(rows)


def rename_table_records(con: duckdb.DuckDBPyConnection, old: str, new: str) -> None:
    """Move the registry row and fetch-log rows of table ``old`` to ``new`` (dropping ``new``'s)."""
    drop_table_records(con, new)
    con.execute("UPDATE _mp_tables SET name = ? WHERE name = ?", [new, old]).fetchall()
    con.execute(
        "UPDATE _mp_fetch_log SET table_name = ? WHERE table_name = ?", [new, old]
    ).fetchall()


def drop_table_records(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Forget ``table`` in the registry and the fetch log."""
    con.execute("DELETE FROM _mp_tables WHERE name = ?", [table]).fetchall()
    con.execute("DELETE FROM _mp_fetch_log WHERE table_name = ?", [table]).fetchall()
