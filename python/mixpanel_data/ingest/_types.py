"""Property value kinds and the column type lattice used when flattening.

A property's JSON values are classified into *kinds* (string, small int, float, ...). The set of
kinds seen for a key decides its column type, and a column only ever widens::

    BIGINT ──► DOUBLE ──┐
       │                ├──► VARCHAR ──► JSON
       └──── BOOLEAN ───┘

Widening never loses a value: ``DOUBLE`` is only chosen while every integer seen fits a double
exactly (at most 15 digits), ``VARCHAR`` keeps any scalar's JSON text (``1``, ``2.5``, ``true``)
or a string's content, and ``JSON`` keeps any value as JSON text (strings quoted).
"""

from __future__ import annotations

import enum

__all__ = ["ColumnType", "Kind", "join_types", "type_of_kinds"]


class Kind(enum.IntFlag):
    """The JSON kinds a property value can have (bit flags, so sets of kinds OR together)."""

    NONE = 0
    STRING = 1
    INT = 2
    """An integer of at most 15 digits: exact in BIGINT and in DOUBLE."""
    FLOAT = 4
    BOOL = 8
    NESTED = 16
    """A list or an object."""
    WIDE_INT = 32
    """An integer that fits BIGINT but may not be exact as a DOUBLE (16 to 19 digits)."""
    BIG_NUMBER = 64
    """An integer outside the BIGINT range: only its text keeps it exactly."""


class ColumnType(enum.StrEnum):
    """DuckDB type of a flattened property column."""

    BIGINT = "BIGINT"
    DOUBLE = "DOUBLE"
    BOOLEAN = "BOOLEAN"
    VARCHAR = "VARCHAR"
    JSON = "JSON"


_FITS = {
    ColumnType.BIGINT: Kind.INT | Kind.WIDE_INT,
    ColumnType.DOUBLE: Kind.INT | Kind.FLOAT,
    ColumnType.BOOLEAN: Kind.BOOL,
    ColumnType.VARCHAR: Kind.STRING
    | Kind.INT
    | Kind.FLOAT
    | Kind.BOOL
    | Kind.WIDE_INT
    | Kind.BIG_NUMBER,
    ColumnType.JSON: Kind(127),
}


def allowed_kinds(column_type: ColumnType) -> Kind:
    """Return the kinds a column of ``column_type`` holds without losing anything."""
    return _FITS[column_type]


def type_of_kinds(kinds: Kind) -> ColumnType | None:
    """Return the narrowest column type holding every kind in ``kinds``.

    ``None`` when nothing but nulls was seen: such a key gets no column yet (its values stay in
    the ``properties`` JSON) until a typed value arrives.
    """
    if kinds == Kind.NONE:
        return None
    for column_type in (ColumnType.BIGINT, ColumnType.DOUBLE, ColumnType.BOOLEAN):
        if not kinds & ~_FITS[column_type]:
            return column_type
    if kinds & Kind.NESTED:
        return ColumnType.JSON
    return ColumnType.VARCHAR


def join_types(
    current: ColumnType, incoming: ColumnType, *, exact_in_double: bool = True
) -> ColumnType:
    """Return the type a column of type ``current`` widens to when ``incoming`` values arrive.

    Parameters
    ----------
    current, incoming
        The two column types.
    exact_in_double
        Whether every integer on the BIGINT side is exact as a DOUBLE; when not, BIGINT joined
        with DOUBLE goes to VARCHAR so no digit is lost.
    """
    if current == incoming:
        return current
    if ColumnType.JSON in (current, incoming):
        return ColumnType.JSON
    if {current, incoming} == {ColumnType.BIGINT, ColumnType.DOUBLE}:
        return ColumnType.DOUBLE if exact_in_double else ColumnType.VARCHAR
    return ColumnType.VARCHAR
