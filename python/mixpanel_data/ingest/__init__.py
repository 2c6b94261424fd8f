"""Ingest layer: NDJSON bytes → complete lines → typed, flattened Arrow batches.

The fetch path (DESIGN §2)::

    HTTP chunks ──► iter_line_blocks (complete lines, "terminated early" check)
                ──► EventDecoder.decode (DuckDB: parse, learn types, flatten)
                ──► EventBatch (Arrow) ──► store writer

Typical use, one day of export::

    with EventDecoder(time_in_ms=True) as decoder:
        batches = iter_event_batches(body_chunks, decoder)
        write_events_chunk(con, "events", batches, day=day, filters=filters)
"""

from __future__ import annotations

from mixpanel_data.ingest._batch import EVENT_COLUMNS, PROFILE_COLUMNS, EventBatch, PropertyColumn
from mixpanel_data.ingest._decode import EVENT_RESERVED_KEYS, EventDecoder
from mixpanel_data.ingest._flatten import MAX_PROPERTY_COLUMNS
from mixpanel_data.ingest._lines import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_BATCH_LINES,
    LineBlock,
    LineSplitter,
    check_last_line,
    iter_line_blocks,
    split_lines,
)
from mixpanel_data.ingest._pipeline import iter_event_batches, prefetch
from mixpanel_data.ingest._profiles import ProfileDecoder
from mixpanel_data.ingest._types import ColumnType, Kind, join_types, type_of_kinds

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_BATCH_LINES",
    "EVENT_COLUMNS",
    "EVENT_RESERVED_KEYS",
    "MAX_PROPERTY_COLUMNS",
    "PROFILE_COLUMNS",
    "ColumnType",
    "EventBatch",
    "EventDecoder",
    "Kind",
    "LineBlock",
    "LineSplitter",
    "ProfileDecoder",
    "PropertyColumn",
    "check_last_line",
    "iter_event_batches",
    "iter_line_blocks",
    "join_types",
    "prefetch",
    "split_lines",
    "type_of_kinds",
]
