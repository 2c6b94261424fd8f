"""The fetch services' storage side: ingest decoders and store writers behind the sinks.

:class:`EventsStore` implements the events fetch's sink: export bodies are split into lines
and decoded into typed Arrow batches by :class:`~mixpanel_data.ingest.EventDecoder` (one per
worker thread: decoding runs in DuckDB, which releases the GIL, so it overlaps with the
writer), and each chunk is stored by ``store._writer.write_events_chunk`` in one transaction
together with its fetch-log row. :class:`UsersStore` does the same for Engage pages with
:class:`~mixpanel_data.ingest.ProfileDecoder` and the users upsert writer. A ``replace``
fetch writes into the writer's staging table and swaps it in at the end.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING, Any

from mixpanel_data._fetch_events import DECODE_SLOTS, ChunkStats
from mixpanel_data._types_fetch import EventList, EventSummary
from mixpanel_data.exceptions import StorageError
from mixpanel_data.ingest import EventDecoder, ProfileDecoder, iter_line_blocks
from mixpanel_data.store._introspect import resolve_table
from mixpanel_data.store._metadata import completed_days_at, ensure_metadata
from mixpanel_data.store._sql import quote_ident
from mixpanel_data.store._writer import (
    abort_replace,
    begin_replace,
    create_events_table,
    deferred_checkpoints,
    finish_replace,
    write_events_chunk,
)
from mixpanel_data.store._writer_tx import transaction
from mixpanel_data.store._writer_users import create_users_table, write_users

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from contextlib import AbstractContextManager

    from mixpanel_data._credentials import Credentials
    from mixpanel_data._fetch_runner import Chunk
    from mixpanel_data.api.engage import Profile
    from mixpanel_data.ingest import EventBatch
    from mixpanel_data.store import Database

__all__ = ["EventsStore", "UsersStore", "list_events"]

log = logging.getLogger(__name__)

BATCH_LINES = 50_000
"""Export lines per decoded batch: each batch has a fixed cost in the decoder and the
writer, so smaller batches are slower (20k lines: about 25% slower than 50k)."""
BATCH_BYTES = 16 * 1024 * 1024
"""Soft cap on the NDJSON bytes of one batch: the decoder's memory peaks at about ten times
the batch's bytes, so this bounds it whatever the width of the events."""
DECODER_THREADS: int | None = 1
"""DuckDB threads per decoder: one, so decoding and storing each keep a core."""
FETCH_SETTINGS: dict[str, str] = {
    # DuckDB keeps up to 80% of RAM of written pages cached: without a cap, memory grows
    # with the export instead of staying bounded by the batch. 256 MB halved the writer's
    # speed in our measurements; 384 MB keeps a 5M-event fetch near 1 GB.
    "memory_limit": "384MB",
}
"""DuckDB settings on the workspace database while a fetch writes (restored after).

Checkpoints are deferred to the end of the fetch as well (``deferred_checkpoints``)."""


def _utc_now() -> dt.datetime:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _stats(stats: Any) -> ChunkStats:
    return ChunkStats(
        rows_received=stats.rows_received,
        rows_added=stats.rows_added,
        rows_updated=stats.rows_updated,
        duplicates_dropped=stats.duplicates_dropped,
    )


class EventsStore:
    """Decode export bodies and store them in an events table (the events fetch's sink).

    Parameters
    ----------
    database
        The workspace's database (written from the calling thread only).
    table
        The events table.
    credentials
        Whose export this is: legacy-time-zone projects get their ``time`` converted to UTC.
    time_in_ms
        Whether the export was requested with millisecond times.
    source
        The fetch parameters recorded in the table registry.
    decoders
        Most decoders (scratch DuckDB instances) the worker threads share; as many as
        bodies are decoded at once.
    """

    def __init__(
        self,
        database: Database,
        table: str,
        *,
        credentials: Credentials,
        time_in_ms: bool,
        source: Mapping[str, Any] | None = None,
        decoders: int = DECODE_SLOTS,
    ) -> None:
        self._database = database
        self._table = table
        self._target = table
        self._timezone = credentials.timezone if credentials.legacy_timezone else None
        self._time_in_ms = time_in_ms
        self._source = dict(source) if source is not None else None
        self._fetched_at = _utc_now()
        # A small pool of decoders shared by the worker threads: only ``DECODE_SLOTS`` bodies
        # are decoded at once, so more decoders would only hold memory (each is a DuckDB
        # instance), and fewer decoders learn the property types fewer times.
        self._pool_size = max(1, decoders)
        self._created = 0
        self._idle: list[EventDecoder] = []
        self._closed = False
        self._pool = threading.Condition()
        self._table_rows: int | None = None
        self._settings: dict[str, str] | None = None
        self._deferred: AbstractContextManager[None] | None = None

    # -- planning ---------------------------------------------------------------------------

    def completed(self, filters: Mapping[str, str]) -> dict[dt.date, dt.datetime | None]:
        """Days completed with these filters, or by an unfiltered fetch (which covers them)."""
        with self._database.writing() as con:
            done: dict[dt.date, dt.datetime | None] = dict(
                completed_days_at(con, self._table, dict(filters))
            )
            if filters:
                for day, at in completed_days_at(con, self._table, None).items():
                    known = done.get(day)
                    if known is None or at > known:
                        done[day] = at
        return done

    # -- decoding (worker threads) ------------------------------------------------------------

    def _checkout(self) -> EventDecoder:
        """Take an idle decoder (creating one while the pool is not full), else wait."""
        with self._pool:
            while True:
                if self._closed:
                    raise StorageError("the fetch was stopped; this body is abandoned")
                if self._idle:
                    return self._idle.pop()
                if self._created < self._pool_size:
                    decoder = EventDecoder(
                        time_in_ms=self._time_in_ms,
                        timezone=self._timezone,
                        fetched_at=self._fetched_at,
                        threads=DECODER_THREADS,
                    )
                    self._created += 1  # only once it exists: a failed one frees its place
                    return decoder
                self._pool.wait()

    def _checkin(self, decoder: EventDecoder) -> None:
        with self._pool:
            if self._closed:
                # The fetch ended while this worker was still decoding (it was abandoned).
                decoder.close()
                return
            self._idle.append(decoder)
            self._pool.notify()

    def decode(self, body: Iterator[bytes], chunk: Chunk) -> Iterator[EventBatch]:  # noqa: ARG002 - the decoders serve every chunk
        """Split a body into complete lines and decode them, batch by batch.

        Raises (from the iterator) ``ExportTruncatedError`` for a body cut short and
        ``APIDecodeError`` for a malformed line.
        """
        for block in iter_line_blocks(body, batch_lines=BATCH_LINES, batch_bytes=BATCH_BYTES):
            decoder = self._checkout()
            try:
                batch = decoder.decode(block)
            finally:
                self._checkin(decoder)
            yield batch

    @staticmethod
    def rows_in(batch: EventBatch) -> int:
        """Rows of a decoded batch."""
        return batch.rows

    # -- writing (the calling thread) ---------------------------------------------------------

    def begin(self, *, replace: bool) -> None:
        """Create the table (or, to replace it, a fresh staging table beside it)."""
        with self._database.writing() as con:
            self._settings = _apply_settings(con)
            self._deferred = deferred_checkpoints(con)
            self._deferred.__enter__()
            if replace:
                self._target = begin_replace(con, self._table, kind="events")
                return
            with transaction(con, doing=f"creating {self._table}"):
                ensure_metadata(con)
                create_events_table(con, self._table)

    def write(
        self, chunk: Chunk, batches: Iterator[EventBatch], filters: Mapping[str, str]
    ) -> ChunkStats:
        """Store one chunk and its fetch-log rows in one transaction."""
        with self._database.writing() as con:
            stats = write_events_chunk(
                con,
                self._target,
                batches,
                day=chunk.from_date,
                last_day=chunk.to_date,
                filters=dict(filters),
                source=self._source,
            )
        self._table_rows = stats.table_rows
        return _stats(stats)

    def finish(self, *, replace: bool, complete: bool) -> int:
        """Swap the staging table in (a complete replace); return the table's row count."""
        self._close_decoders()
        with self._database.writing() as con:
            try:
                if replace and complete:
                    return finish_replace(con, self._table, kind="events", source=self._source)
                if replace:
                    log.warning(
                        "%s was not replaced: some days failed; the previous table is unchanged",
                        self._table,
                    )
                    abort_replace(con, self._table)
                return _count(con, self._table)
            finally:
                self._end_deferred()
                _restore_settings(con, self._settings)

    def abort(self, *, replace: bool) -> None:
        """Drop a replace's staging table after an error; release the decoders."""
        self._close_decoders()
        with self._database.writing() as con:
            try:
                if replace:
                    abort_replace(con, self._table)
            finally:
                self._end_deferred()
                _restore_settings(con, self._settings)

    def _end_deferred(self) -> None:
        """Checkpoint once, now that the fetch's commits are done."""
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred.__exit__(None, None, None)

    def _close_decoders(self) -> None:
        """Close the idle decoders; one still decoding is closed when its worker returns it."""
        with self._pool:
            self._closed = True
            idle, self._idle = self._idle, []
            self._pool.notify_all()
        for decoder in idle:
            decoder.close()


class UsersStore:
    """Decode Engage pages and upsert them into a users table (the profiles fetch's sink)."""

    def __init__(
        self, database: Database, table: str, *, source: Mapping[str, Any] | None = None
    ) -> None:
        self._database = database
        self._table = table
        self._target = table
        self._source = dict(source) if source is not None else None
        self._decoder: ProfileDecoder | None = None

    def begin(self, *, replace: bool) -> None:
        """Create the table (or a fresh staging table to replace it)."""
        self._decoder = ProfileDecoder(fetched_at=_utc_now())
        with self._database.writing() as con:
            if replace:
                self._target = begin_replace(con, self._table, kind="users")
                return
            with transaction(con, doing=f"creating {self._table}"):
                ensure_metadata(con)
                create_users_table(con, self._table)

    def write(self, profiles: Sequence[Profile], filters: dict[str, str]) -> ChunkStats:  # noqa: ARG002 - profiles are not logged per filter set
        """Upsert one page of profiles."""
        if self._decoder is None:
            raise RuntimeError("UsersStore.write() before begin()")
        if not profiles:
            # The documented loop may end with an empty page: nothing to store.
            return ChunkStats()
        batch = self._decoder.decode(profiles)
        with self._database.writing() as con:
            stats = write_users(con, self._target, [batch], source=self._source)
        return _stats(stats)

    def finish(self, *, replace: bool, filters: dict[str, str]) -> int:  # noqa: ARG002 - see write
        """Swap the staging table in (``replace``); return the table's row count."""
        self._close()
        with self._database.writing() as con:
            if replace:
                return finish_replace(con, self._table, kind="users", source=self._source)
            return _count(con, self._table)

    def abort(self, *, replace: bool) -> None:
        """Drop a replace's staging table after an error."""
        self._close()
        if replace:
            with self._database.writing() as con:
                abort_replace(con, self._table)

    def _close(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None


def _apply_settings(con: Any) -> dict[str, str]:
    """Apply :data:`FETCH_SETTINGS` for the fetch; return the values to restore after."""
    previous: dict[str, str] = {}
    for name, value in FETCH_SETTINGS.items():
        current = con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]
        previous[name] = str(current)
        con.execute(f"SET {name} = '{value}'").fetchall()
    return previous


def _restore_settings(con: Any, previous: dict[str, str] | None) -> None:
    for name, value in (previous or {}).items():
        # DuckDB shows sizes rounded ('18.8 GiB'): setting that text back is not exact, so
        # a default is restored with RESET and only a custom value is set again.
        con.execute(f"RESET {name}").fetchall()
        default = con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]
        if str(default) != value:
            con.execute(f"SET {name} = ?", [value]).fetchall()


def _count(con: Any, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchall()[0][0])  # noqa: S608 - quoted identifier


def list_events(database: Database, table: str) -> EventList:
    """The events of a local table with counts, distinct users, first and last time.

    Raises
    ------
    TableNotFoundError
        When there is no such table.
    """
    stored = resolve_table(database, table)
    quoted = quote_ident(stored)
    users = "count(DISTINCT CASE WHEN distinct_id <> '' THEN distinct_id END)"
    sql = f"SELECT event, count(*) AS n, {users}, min(time), max(time) FROM {quoted} GROUP BY event ORDER BY n DESC, event"  # noqa: S608 - quoted identifier
    rows = database.fetchall(sql)
    return EventList(
        table=stored,
        events=[
            EventSummary(
                event=str(event),
                count=int(count),
                users=int(users),
                first_seen=first,
                last_seen=last,
            )
            for event, count, users, first, last in rows
        ],
    )
