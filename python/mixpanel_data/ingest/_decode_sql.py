"""SQL building blocks for the event decoder (DuckDB does the JSON parsing and typing).

Values come out of ``json_transform(properties, <all keys as JSON>)`` as minified JSON text,
one struct field per key, and are classified and cast with the expressions below. A JSON
``null`` becomes SQL ``NULL`` there; a key that is absent is ``NULL`` too (the raw
``properties`` column still tells them apart).
"""

from __future__ import annotations

from mixpanel_data.ingest._sql import json_pointer, quote_literal
from mixpanel_data.ingest._types import ColumnType, Kind

__all__ = [
    "DRIFT_MARKER",
    "KIND_MACRO",
    "TIME_MARKER",
    "cast_expr",
    "checked_cast_expr",
    "pending_check_expr",
    "pointer_value_expr",
    "synthetic_insert_id_expr",
]

DRIFT_MARKER = "mp-ingest-drift:"
"""Prefix of the error a checked cast raises when a value does not fit its column's type."""
TIME_MARKER = "mp-ingest-bad-time"
"""Error raised when an event has no usable ``properties.time``."""

# Kind of one JSON value (as minified JSON text, so strings start with '"', numbers are bare
# digits and floats always carry '.', 'e' or 'E'). Integers of up to 15 digits are exact in a
# DOUBLE; 16-19 digits may fit BIGINT but not a DOUBLE; longer ones only fit text.
KIND_MACRO = f"""
CREATE OR REPLACE TEMP MACRO _mp_kind(v) AS CASE
  WHEN v IS NULL THEN {Kind.NONE.value}
  ELSE CASE ascii(v::VARCHAR)
    WHEN 34 THEN {Kind.STRING.value}
    WHEN 116 THEN {Kind.BOOL.value}
    WHEN 102 THEN {Kind.BOOL.value}
    WHEN 123 THEN {Kind.NESTED.value}
    WHEN 91 THEN {Kind.NESTED.value}
    WHEN 110 THEN {Kind.NONE.value}
    ELSE CASE
      WHEN NOT regexp_full_match(v::VARCHAR, '-?[0-9]+') THEN {Kind.FLOAT.value}
      WHEN length(v::VARCHAR) - (ascii(v::VARCHAR) = 45)::INTEGER <= 15 THEN {Kind.INT.value}
      WHEN TRY_CAST(v::VARCHAR AS BIGINT) IS NOT NULL THEN {Kind.WIDE_INT.value}
      ELSE {Kind.BIG_NUMBER.value}
    END
  END
END
"""


def pointer_value_expr(properties: str, key: str) -> str:
    """Return an expression for ``key``'s value in ``properties`` as JSON text, ``NULL`` for null.

    Used for keys that cannot go through ``json_transform`` (DuckDB rejects two keys differing
    only in case in one structure, e.g. ``Plan`` and ``plan``); JSON pointers are case-sensitive.
    """
    raw = f"json_extract({properties}, {quote_literal(json_pointer(key))})"
    return f"CASE WHEN {raw}::VARCHAR = 'null' THEN NULL ELSE {raw} END"


def cast_expr(value: str, column_type: ColumnType) -> str:
    """Return an expression converting JSON text ``value`` to ``column_type``, unchecked."""
    if column_type is ColumnType.JSON:
        return value
    if column_type is ColumnType.VARCHAR:
        return f"json_extract_string({value}, '$')"
    if column_type is ColumnType.BOOLEAN:
        return f"({value}::VARCHAR = 'true')"
    return f"TRY_CAST({value}::VARCHAR AS {column_type.value})"


def checked_cast_expr(value: str, column_type: ColumnType, kinds: Kind, position: int) -> str:
    """Like :func:`cast_expr`, but raise :data:`DRIFT_MARKER` when a value does not fit.

    "Fits" means its kind is already among ``kinds`` (the kinds the column has seen): a value
    of a new kind sends the block back to classification, so the decoder's record of kinds
    stays exact (the writer relies on it to widen without losing digits). The checks are
    written out rather than through ``_mp_kind`` to keep the per-block query cheap to plan.
    ``position`` goes into the error for debugging.
    """
    fail = f"error('{DRIFT_MARKER}{position}')"
    text = f"{value}::VARCHAR"
    if column_type is ColumnType.JSON:
        return value
    if column_type is ColumnType.VARCHAR:
        # Any scalar fits VARCHAR; only a list or an object would need JSON.
        return f"CASE WHEN ascii({text}) IN (123, 91) THEN {fail} ELSE {cast_expr(value, column_type)} END"
    if column_type is ColumnType.BOOLEAN:
        return (
            f"CASE WHEN {value} IS NULL THEN NULL WHEN {text} = 'true' THEN true "
            f"WHEN {text} = 'false' THEN false ELSE {fail} END"
        )
    if column_type is ColumnType.BIGINT:
        digits = "1,19" if kinds & Kind.WIDE_INT else "1,15"
        return (
            f"CASE WHEN {value} IS NULL THEN NULL "
            f"WHEN regexp_full_match({text}, '-?[0-9]{{{digits}}}') "
            f"THEN coalesce(TRY_CAST({text} AS BIGINT), {fail}) ELSE {fail} END"
        )
    # DOUBLE: any number except an integer too long to be exact as a double.
    return (
        f"CASE WHEN {value} IS NULL THEN NULL "
        f"WHEN ascii({text}) IN (34, 116, 102, 123, 91) THEN {fail} "
        f"WHEN length({text}) > 15 AND regexp_full_match({text}, '-?[0-9]+') THEN {fail} "
        f"ELSE coalesce(TRY_CAST({text} AS DOUBLE), {fail}) END"
    )


def pending_check_expr(value: str, position: int) -> str:
    """Return a check raising :data:`DRIFT_MARKER` when a so far null-only key has a value."""
    return f"CASE WHEN _mp_kind({value}) <> 0 THEN error('{DRIFT_MARKER}{position}') END"


def synthetic_insert_id_expr(event: str, properties: str) -> str:
    """Return an expression for a stable insert id derived from the event's content.

    Mixpanel deduplicates on ``$insert_id``; an event exported without one gets
    ``'mpd-' || md5(...)`` over its name and its properties with the top-level keys sorted
    (nested values as DuckDB's minified JSON), so re-fetching the same event yields the same id
    and the dedup stays idempotent. The properties hold ``time`` and ``distinct_id`` too.
    """
    pairs = (
        f"list_transform(list_sort(json_keys({properties})), lambda k: "
        f"to_json(k) || ':' || "
        f"json_extract({properties}, '/' || replace(replace(k, '~', '~0'), '/', '~1')))"
    )
    return f"'mpd-' || md5(to_json({event}) || '{{' || array_to_string({pairs}, ',') || '}}')"
