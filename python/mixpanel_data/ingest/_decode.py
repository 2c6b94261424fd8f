"""Decode Raw Event Export NDJSON blocks into typed, flattened Arrow batches."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import duckdb

from mixpanel_data.exceptions import ValidationError
from mixpanel_data.ingest._badline import bad_record_error
from mixpanel_data.ingest._decode_sql import TIME_MARKER, cast_expr, synthetic_insert_id_expr
from mixpanel_data.ingest._flatten import (
    DECODER_MEMORY_LIMIT,
    MAX_PROPERTY_COLUMNS,
    FlatteningDecoder,
)
from mixpanel_data.ingest._lines import LineBlock
from mixpanel_data.ingest._sql import quote_literal
from mixpanel_data.ingest._types import ColumnType

if TYPE_CHECKING:
    from mixpanel_data.ingest._batch import EventBatch

__all__ = ["EVENT_RESERVED_KEYS", "EventDecoder"]

EVENT_RESERVED_KEYS = ("time", "distinct_id", "$insert_id", "mp_processing_time_ms")
"""Keys of ``properties`` that feed the top-level columns (and get no property column)."""

_MAX_OBJECT = 64 * 1024 * 1024


def utc_now() -> dt.datetime:
    """Return the current UTC time as a naive datetime truncated to milliseconds."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class EventDecoder(FlatteningDecoder):
    """Turn blocks of export lines into :class:`EventBatch` es.

    One decoder serves one fetch (any number of streams and days): it learns the property
    types as batches go by, so every batch it returns has the types of all earlier ones or
    wider. Not thread-safe; use it from one thread at a time.

    Parameters
    ----------
    time_in_ms
        Whether the export was requested with ``time_in_ms=true`` (``properties.time`` in
        milliseconds). Otherwise ``time`` is in whole seconds. Never guessed from the values.
    timezone
        For legacy projects (created before 2023), whose export shifts ``time`` into the
        project's time zone: the IANA name of that zone; ``time`` is converted back to UTC.
        ``None`` (the default) for projects exporting UTC.
    fetched_at
        Value of ``_fetched_at`` (naive UTC); defaults to when the decoder was created.
    max_columns
        Most flattened property columns; later keys stay JSON-only (see
        :data:`MAX_PROPERTY_COLUMNS`).
    threads
        DuckDB threads for decoding (default: DuckDB's, one per core).
    memory_limit
        Memory cap of the decoder's scratch DuckDB (bigger blocks spill to a temp folder).

    Notes
    -----
    Output columns (see :data:`~mixpanel_data.ingest.EVENT_COLUMNS`):

    ``event``
        The event name.
    ``time``
        ``TIMESTAMP``, naive UTC, millisecond precision. In a legacy time zone, a local time
        that occurs twice (the hour repeated when DST ends) is read as the *second* occurrence
        (standard time), and a local time that does not exist (skipped when DST starts) is read
        with the offset in force before the jump, i.e. it lands one hour later on the
        clock; this is ICU's choice in DuckDB's ``timezone()``.
    ``distinct_id``
        ``NULL`` when the key is absent or null, ``''`` when Mixpanel sent an empty string (it
        does for events not attributable to a user, e.g. hot-shard rewrites). A number is kept
        as its text.
    ``insert_id``
        ``$insert_id``; when absent, ``'mpd-' || md5(event, sorted properties)``: stable
        across fetches, so re-fetching stays idempotent.
    ``mp_processing_time_ms``
        ``BIGINT`` or ``NULL``.
    ``properties``
        The properties object as JSON text, re-serialised by DuckDB's parser: whitespace
        dropped and escapes normalised, every key, value and digit kept (integers beyond 64
        bits included).
    ``_fetched_at``
        When the data was fetched.
    """

    _what = "event"

    def __init__(
        self,
        *,
        time_in_ms: bool,
        timezone: str | None = None,
        fetched_at: dt.datetime | None = None,
        max_columns: int = MAX_PROPERTY_COLUMNS,
        threads: int | None = None,
        memory_limit: str = DECODER_MEMORY_LIMIT,
    ) -> None:
        super().__init__(max_columns=max_columns, threads=threads, memory_limit=memory_limit)
        self.time_in_ms = time_in_ms
        self.timezone = timezone
        self.fetched_at = fetched_at or utc_now()
        if timezone is not None:
            try:
                self._con.execute(
                    "SELECT timezone(?, TIMESTAMP '2000-01-01')", [timezone]
                ).fetchall()
            except duckdb.Error as exc:
                self.close()
                raise ValidationError(
                    f"unknown time zone {timezone!r}",
                    hint="give the project's IANA time zone name, e.g. 'America/Los_Angeles'",
                ) from exc

    def decode(self, block: LineBlock | bytes) -> EventBatch:
        """Decode one block of complete export lines.

        Parameters
        ----------
        block
            A :class:`LineBlock` from :func:`iter_line_blocks`, or raw bytes of complete lines.

        Returns
        -------
        EventBatch
            The typed, flattened batch (zero rows for a block of blank lines).

        Raises
        ------
        APIDecodeError
            A line is not a JSON object with an event name, a properties object and a numeric
            ``properties.time``; the message names the line number and shows an excerpt.
        """
        if isinstance(block, bytes):
            block = LineBlock(data=block, first_line=1, lines=block.count(b"\n"))
        return self._decode_file(block.data, first_line=block.first_line, lines=block.lines)

    # -- FlatteningDecoder hooks -------------------------------------------------------------
    def _stage(self, path: str) -> str:
        return (
            "CREATE OR REPLACE TEMP TABLE _mp_b AS SELECT event, properties FROM read_ndjson("  # noqa: S608 - built from quoted identifiers and literals
            f"{quote_literal(path)}, columns={{event: 'VARCHAR', properties: 'JSON'}}, "
            f"format='newline_delimited', maximum_object_size={_MAX_OBJECT})"
        )

    def _check_rows(self) -> str:
        return "event IS NULL OR properties IS NULL OR ascii(properties::VARCHAR) <> 123"

    def _reserved_keys(self) -> tuple[str, ...]:
        return EVENT_RESERVED_KEYS

    def _error(self, data: bytes, first_line: int, detail: str | None) -> Exception:
        return bad_record_error(data, first_line=first_line, detail=detail)

    def _top_level(self, value: dict[str, str]) -> list[str]:
        scale = 1 if self.time_in_ms else 1000
        millis = f"round(TRY_CAST({value['time']}::VARCHAR AS DOUBLE) * {scale})::BIGINT"
        stamp = f"make_timestamp({millis} * 1000)"
        if self.timezone is not None:
            # Legacy projects export project-local wall time as if it were UTC.
            stamp = f"timezone('UTC', timezone({quote_literal(self.timezone)}, {stamp}))"
        time = f"coalesce({stamp}, error('{TIME_MARKER}'))"
        # CASE, not coalesce: only rows without $insert_id pay for hashing their properties.
        insert_id = (
            f"CASE WHEN {value['$insert_id']} IS NULL "
            f"THEN {synthetic_insert_id_expr('event', 'properties')} "
            f"ELSE {cast_expr(value['$insert_id'], ColumnType.VARCHAR)} END"
        )
        fetched = self.fetched_at.replace(tzinfo=None).isoformat(sep=" ")
        return [
            "event",
            f"{time} AS time",
            f"{cast_expr(value['distinct_id'], ColumnType.VARCHAR)} AS distinct_id",
            f"{insert_id} AS insert_id",
            f"TRY_CAST({value['mp_processing_time_ms']}::VARCHAR AS BIGINT) AS mp_processing_time_ms",
            "properties",
            f"TIMESTAMP {quote_literal(fetched)} AS _fetched_at",
        ]
