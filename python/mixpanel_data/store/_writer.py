"""Store decoded export batches in DuckDB: one transaction per chunk, deduplicated.

The events table::

    event VARCHAR NOT NULL, time TIMESTAMP NOT NULL, distinct_id VARCHAR, insert_id VARCHAR,
    mp_processing_time_ms BIGINT, properties JSON, _fetched_at TIMESTAMP,
    <one typed column per property key …>

:func:`write_events_chunk` stores one chunk (usually one export day) atomically: it creates or
evolves the table, inserts the batches, removes duplicates on Mixpanel's key
``(event, distinct_id, time, insert_id)`` keeping the copy with the highest
``mp_processing_time_ms`` (Mixpanel docs, event-deduplication: reports show the most recently
processed copy; raw export does not deduplicate), records the days in ``_mp_fetch_log`` and
refreshes ``_mp_tables``, then commits. Anything failing on the way (a truncated stream, a bad
line, the disk) rolls the whole chunk back. Re-fetching a day therefore never duplicates, and
fetches with different event filters compose in one table.

``replace`` fetches build a staging table (:func:`begin_replace`) and swap it in at the end
(:func:`finish_replace`); the old table stays readable until that last transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pyarrow.compute as pc

from mixpanel_data.ingest._batch import EVENT_COLUMNS
from mixpanel_data.ingest._flatten import MAX_PROPERTY_COLUMNS
from mixpanel_data.ingest._sql import quote_ident, quote_literal
from mixpanel_data.store._metadata import (
    drop_table_records,
    ensure_metadata,
    record_days,
    rename_table_records,
    update_table_record,
)
from mixpanel_data.store._writer_append import append_batch
from mixpanel_data.store._writer_columns import TableColumns, catalog_name
from mixpanel_data.store._writer_tx import transaction

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from mixpanel_data.ingest._batch import EventBatch

__all__ = [
    "EVENTS_DDL",
    "STAGING_PREFIX",
    "WriteStats",
    "abort_replace",
    "begin_replace",
    "create_events_table",
    "deferred_checkpoints",
    "finish_replace",
    "staging_name",
    "write_events_chunk",
]

STAGING_PREFIX = "_mp_staging_"
"""Prefix of the staging table a ``replace`` fetch builds (hidden like all ``_mp_`` tables)."""

EVENTS_DDL = (
    "event VARCHAR NOT NULL, time TIMESTAMP NOT NULL, distinct_id VARCHAR, insert_id VARCHAR, "
    "mp_processing_time_ms BIGINT, properties JSON, _fetched_at TIMESTAMP"
)

Kind = Literal["events", "users"]

log = logging.getLogger(__name__)

DEFERRED_CHECKPOINT_THRESHOLD = "128MB"
"""WAL size that triggers a checkpoint inside :func:`deferred_checkpoints`.

About three export days of 33k events: each checkpoint then compresses whole row groups
(122,880 rows) instead of re-compressing a partly filled one at every commit, and it runs
while the decoding threads work ahead, instead of all at the end (measured on 10 days of
33k events: 1GB left a 4.3 s checkpoint at the end and was 3-17% slower overall, with ~80 MB
more memory)."""


@contextmanager
def deferred_checkpoints(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Checkpoint every few chunks of a multi-chunk fetch instead of at every commit.

    By default DuckDB checkpoints whenever the WAL passes 16 MiB, which with one transaction
    per export day means re-compressing the table's last, partly filled row group at nearly
    every commit (measured: 1.7x slower writes for days of ~7k events). Inside this block
    commits append to the WAL until it reaches :data:`DEFERRED_CHECKPOINT_THRESHOLD` (still
    durable: a crash replays it on the next open); at the end the previous threshold is
    restored and one ``CHECKPOINT`` writes the rest. The threshold is a database-wide
    setting, so use this around a whole fetch, from the writing connection.
    """
    old = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute(f"SET checkpoint_threshold = '{DEFERRED_CHECKPOINT_THRESHOLD}'").fetchall()
    try:
        yield
    finally:
        try:
            con.execute(f"SET checkpoint_threshold = {quote_literal(str(old))}").fetchall()
            con.execute("CHECKPOINT").fetchall()
        except duckdb.Error as exc:
            # The data is committed in the WAL either way; DuckDB checkpoints it later.
            log.warning("checkpoint after the fetch failed: %s", exc)


@dataclass(frozen=True, slots=True)
class WriteStats:
    """What storing one chunk (or one page of profiles) did.

    Attributes
    ----------
    rows_received
        Rows decoded from the stream.
    rows_added
        Rows the table gained.
    rows_updated
        Rows already stored that a newer copy replaced (higher ``mp_processing_time_ms`` for
        events; any re-fetched profile).
    duplicates_dropped
        Received rows dropped as duplicates (of each other or of stored rows).
    nbytes
        NDJSON bytes decoded.
    table_rows
        Rows in the table after the commit.
    """

    rows_received: int = 0
    rows_added: int = 0
    rows_updated: int = 0
    duplicates_dropped: int = 0
    nbytes: int = 0
    table_rows: int = 0


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def create_events_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create an empty events table (its top-level columns only) unless it exists."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} ({EVENTS_DDL})").fetchall()


def _time_range(batch: EventBatch) -> tuple[dt.datetime, dt.datetime] | None:
    if batch.rows == 0:
        return None
    bounds = pc.min_max(batch.data.column("time"))
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    if low is None or high is None:
        return None
    return low, high


def _deduplicate(
    con: duckdb.DuckDBPyConnection, table: str, low: dt.datetime, high: dt.datetime, last_old: int
) -> tuple[int, int]:
    """Delete all but the latest processed copy per dedup key in ``[low, high]``.

    Returns (incoming rows dropped, stored rows replaced). Ties on ``mp_processing_time_ms``
    keep the copy stored first (earliest ``_fetched_at``, then insertion order), so re-fetching
    an unchanged day changes nothing.
    """
    quoted = quote_ident(table)
    deleted = con.execute(
        f"DELETE FROM {quoted} WHERE rowid IN ("  # noqa: S608 - quoted identifier
        f"SELECT rowid FROM {quoted} WHERE time BETWEEN ? AND ? "
        "QUALIFY row_number() OVER (PARTITION BY event, distinct_id, time, insert_id "
        "ORDER BY mp_processing_time_ms DESC NULLS LAST, _fetched_at ASC NULLS LAST, rowid ASC"
        ") > 1) RETURNING rowid",
        [low, high],
    ).fetchall()
    # Rows inserted by this transaction have rowids past every stored row's.
    incoming = sum(1 for (rowid,) in deleted if rowid > last_old)
    return incoming, len(deleted) - incoming


def _last_rowid(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT max(rowid) FROM {quote_ident(table)}").fetchall()[0]  # noqa: S608 - quoted identifier
    return -1 if row[0] is None else int(row[0])


def write_events_chunk(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batches: Iterable[EventBatch],
    *,
    day: dt.date,
    filters: Mapping[str, Any] | str | None,
    last_day: dt.date | None = None,
    source: Mapping[str, Any] | None = None,
    max_columns: int = MAX_PROPERTY_COLUMNS,
) -> WriteStats:
    """Store one export chunk in ``table``, in one transaction.

    Parameters
    ----------
    con
        A read-write connection with no transaction open (this function begins and commits
        its own).
    table
        The events table (created on first use).
    batches
        The chunk's decoded batches, consumed lazily inside the transaction; an exception
        raised while iterating (e.g. :class:`~mixpanel_data.exceptions.ExportTruncatedError`)
        rolls the whole chunk back and propagates.
    day, last_day
        The export days the chunk covers (``last_day`` defaults to ``day``); each is recorded
        as complete in ``_mp_fetch_log``.
    filters
        The fetch's filters (see :func:`~mixpanel_data.store._metadata.canonical_filters`);
        resuming skips days recorded with equal filters.
    source
        Fetch parameters to record in ``_mp_tables.source`` (kept from before when ``None``).
    max_columns
        Most property columns the table may have; later keys stay in ``properties`` only.

    Returns
    -------
    WriteStats
        Rows received, added, replaced by newer copies, dropped as duplicates.

    Raises
    ------
    StorageError
        When DuckDB fails (the chunk is rolled back).
    """
    days = _days(day, last_day)
    rows_received = 0
    nbytes = 0
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    with transaction(con, doing=f"storing {table} for {day.isoformat()}"):
        ensure_metadata(con)
        create_events_table(con, table)
        table = catalog_name(con, table)
        columns = TableColumns.load(con, table, top_level=EVENT_COLUMNS, max_columns=max_columns)
        last_old = _last_rowid(con, table)
        for batch in batches:
            append_batch(con, columns, batch)
            rows_received += batch.rows
            nbytes += batch.nbytes
            bounds = _time_range(batch)
            if bounds is not None:
                low = bounds[0] if low is None else min(low, bounds[0])
                high = bounds[1] if high is None else max(high, bounds[1])
        dropped = replaced = 0
        if low is not None and high is not None:
            dropped, replaced = _deduplicate(con, table, low, high, last_old)
        added = rows_received - dropped - replaced
        record_days(
            con,
            table,
            days,
            filters,
            rows_received=rows_received,
            rows_added=added,
            duplicates=dropped,
            nbytes=nbytes,
            fetched_at=_utc_now(),
        )
        table_rows = update_table_record(
            con, table, kind="events", source=source, time_column="time", change=(added, low, high)
        )
    return WriteStats(
        rows_received=rows_received,
        rows_added=added,
        rows_updated=replaced,
        duplicates_dropped=dropped,
        nbytes=nbytes,
        table_rows=table_rows,
    )


def _days(day: dt.date, last_day: dt.date | None) -> list[dt.date]:
    last = last_day or day
    if last < day:
        raise ValueError(f"last_day {last} is before day {day}")
    return [day + dt.timedelta(days=n) for n in range((last - day).days + 1)]


# -- replace ------------------------------------------------------------------------------


def staging_name(table: str) -> str:
    """Name of the staging table a ``replace`` fetch of ``table`` builds."""
    return f"{STAGING_PREFIX}{table}"


def begin_replace(con: duckdb.DuckDBPyConnection, table: str, *, kind: Kind = "events") -> str:
    """Start rebuilding ``table``: create an empty staging table; return its name.

    Write the fetch into the returned table (with :func:`write_events_chunk` or
    :func:`~mixpanel_data.store._writer_users.write_users`), then call :func:`finish_replace`
    (or :func:`abort_replace`). A staging table left by an interrupted run is dropped first.
    """
    from mixpanel_data.store._writer_users import create_users_table

    staging = staging_name(table)
    with transaction(con, doing=f"preparing to replace {table}"):
        ensure_metadata(con)
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(staging)}").fetchall()
        drop_table_records(con, staging)
        if kind == "events":
            create_events_table(con, staging)
        else:
            create_users_table(con, staging)
    return staging


def finish_replace(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    kind: Kind = "events",
    source: Mapping[str, Any] | None = None,
) -> int:
    """Swap the staging table in place of ``table`` atomically; return its row count.

    In one transaction: drop ``table``, rename the staging table to it, and move the staging
    table's registry and fetch-log rows to ``table`` (the old ones are dropped).
    """
    staging = staging_name(table)
    with transaction(con, doing=f"replacing {table}"):
        ensure_metadata(con)
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}").fetchall()
        con.execute(f"ALTER TABLE {quote_ident(staging)} RENAME TO {quote_ident(table)}").fetchall()
        rename_table_records(con, staging, table)
        time_column = "time" if kind == "events" else None
        return update_table_record(con, table, kind=kind, source=source, time_column=time_column)


def abort_replace(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop the staging table of an abandoned ``replace`` of ``table`` (the table is untouched)."""
    staging = staging_name(table)
    with transaction(con, doing=f"cleaning up the replace of {table}"):
        ensure_metadata(con)
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(staging)}").fetchall()
        drop_table_records(con, staging)
