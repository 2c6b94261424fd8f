"""Store decoded Engage profiles: upsert on ``distinct_id``, the latest copy wins.

The users table::

    distinct_id VARCHAR PRIMARY KEY, properties JSON, _fetched_at TIMESTAMP,
    <one typed column per property key …>

A re-fetched profile replaces the stored row entirely (properties it no longer has become
NULL); within one write, the last copy of a profile wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from mixpanel_data.ingest._batch import PROFILE_COLUMNS, EventBatch
from mixpanel_data.ingest._flatten import MAX_PROPERTY_COLUMNS
from mixpanel_data.ingest._sql import quote_ident
from mixpanel_data.store._metadata import ensure_metadata, update_table_record
from mixpanel_data.store._writer import WriteStats
from mixpanel_data.store._writer_append import INCOMING, insert_select
from mixpanel_data.store._writer_columns import TableColumns, catalog_name
from mixpanel_data.store._writer_tx import transaction

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import duckdb

__all__ = ["USERS_DDL", "create_users_table", "write_users"]

USERS_DDL = "distinct_id VARCHAR PRIMARY KEY, properties JSON, _fetched_at TIMESTAMP"


def create_users_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create an empty users table (its top-level columns only) unless it exists."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} ({USERS_DDL})").fetchall()


def _last_copies(batch: EventBatch) -> EventBatch:
    """Keep the last copy of each distinct id (an upsert cannot touch a row twice)."""
    frame = pl.from_arrow(batch.data)
    assert isinstance(frame, pl.DataFrame)
    if frame.get_column("distinct_id").n_unique() == frame.height:
        return batch
    unique = frame.unique(subset="distinct_id", keep="last", maintain_order=True)
    return EventBatch(
        data=unique.to_arrow(),
        columns=batch.columns,
        first_line=batch.first_line,
        lines=batch.lines,
        nbytes=batch.nbytes,
    )


def _upsert(
    con: duckdb.DuckDBPyConnection, columns: TableColumns, batch: EventBatch
) -> tuple[int, int]:
    """Upsert one batch; return (rows received, rows that replaced a stored profile)."""
    batch = _last_copies(batch)
    targets, select = insert_select(con, columns, batch)
    # Every column is written, NULL where this batch has no value, so no stale property of an
    # earlier copy survives the upsert.
    named = {t.lower() for t in targets}
    for name in columns.types:
        quoted = quote_ident(name)
        if quoted.lower() not in named:
            targets.append(quoted)
            select.append("NULL")
    table = quote_ident(columns.table)
    con.register(INCOMING, batch.data)
    try:
        existing = con.execute(
            f"SELECT count(*) FROM {table} WHERE distinct_id IN (SELECT distinct_id FROM {INCOMING})"  # noqa: S608 - quoted identifiers
        ).fetchall()[0][0]
        con.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(targets)}) "  # noqa: S608 - quoted identifiers
            f"SELECT {', '.join(select)} FROM {INCOMING}"
        ).fetchall()
    finally:
        con.unregister(INCOMING)
    return batch.rows, int(existing)


def write_users(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batches: Iterable[EventBatch],
    *,
    source: Mapping[str, Any] | None = None,
    max_columns: int = MAX_PROPERTY_COLUMNS,
) -> WriteStats:
    """Upsert decoded profiles into ``table``, in one transaction.

    Parameters
    ----------
    con
        A read-write connection with no transaction open.
    table
        The users table (created on first use).
    batches
        Batches from :class:`~mixpanel_data.ingest.ProfileDecoder`.
    source
        Fetch parameters to record in ``_mp_tables.source`` (kept from before when ``None``).
    max_columns
        Most property columns the table may have.

    Returns
    -------
    WriteStats
        ``rows_added`` new profiles, ``rows_updated`` replaced ones, ``duplicates_dropped``
        repeated copies within the write.
    """
    received = kept = replaced = nbytes = 0
    with transaction(con, doing=f"storing profiles in {table}"):
        ensure_metadata(con)
        create_users_table(con, table)
        table = catalog_name(con, table)
        columns = TableColumns.load(con, table, top_level=PROFILE_COLUMNS, max_columns=max_columns)
        for batch in batches:
            received += batch.rows
            nbytes += batch.nbytes
            if batch.rows == 0:
                continue
            rows, existing = _upsert(con, columns, batch)
            kept += rows
            replaced += existing
        table_rows = update_table_record(con, table, kind="users", source=source)
    return WriteStats(
        rows_received=received,
        rows_added=kept - replaced,
        rows_updated=replaced,
        duplicates_dropped=received - kept,
        nbytes=nbytes,
        table_rows=table_rows,
    )
