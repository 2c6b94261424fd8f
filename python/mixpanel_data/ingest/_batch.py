"""The decoded batch handed from the ingest layer to the store writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from mixpanel_data.ingest._types import ColumnType, Kind

__all__ = ["EVENT_COLUMNS", "PROFILE_COLUMNS", "EventBatch", "PropertyColumn"]

EVENT_COLUMNS = (
    "event",
    "time",
    "distinct_id",
    "insert_id",
    "mp_processing_time_ms",
    "properties",
    "_fetched_at",
)
"""Top-level columns of an events batch (and table), in order."""

PROFILE_COLUMNS = ("distinct_id", "properties", "_fetched_at")
"""Top-level columns of a profiles batch (and users table), in order."""


@dataclass(frozen=True, slots=True)
class PropertyColumn:
    """One flattened property column of a batch.

    Attributes
    ----------
    key
        The property name exactly as Mixpanel sent it (``$browser``, ``Plan``, ``a.b``).
    type
        The column's DuckDB type in this batch.
    kinds
        Every kind of value seen for this key by the decoder so far (used by the writer to widen
        an existing column without losing digits).
    """

    key: str
    type: ColumnType
    kinds: Kind


@dataclass(frozen=True, slots=True)
class EventBatch:
    """A decoded batch of events (or profiles), ready for the store writer.

    Attributes
    ----------
    data
        Arrow table: the top-level columns (:data:`EVENT_COLUMNS` or :data:`PROFILE_COLUMNS`),
        then one column per entry of ``columns``, in the same order, named ``p0``, ``p1``, …
        (property names are arbitrary and may collide with each other or with the top-level
        names, so the writer maps them by position, never by name). ``properties`` holds each
        record's properties object as JSON text; it and the JSON-typed property columns use
        Arrow's ``arrow.json`` extension type (UTF-8 storage), which DuckDB reads as JSON.
    columns
        The flattened property columns.
    first_line
        1-based line number, in the stream, of the batch's first line (0 for profiles).
    lines
        Lines consumed from the stream, blank ones included.
    nbytes
        Bytes of NDJSON consumed.
    """

    data: pa.Table
    columns: tuple[PropertyColumn, ...]
    first_line: int = 0
    lines: int = 0
    nbytes: int = 0

    @property
    def rows(self) -> int:
        """Number of records in the batch."""
        return int(self.data.num_rows)
