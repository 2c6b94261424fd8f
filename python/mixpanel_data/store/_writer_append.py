"""Append a decoded batch to a table: evolve the columns, convert, insert (no commit).

Shared by the events and the users writers. A property column only widens (see
:mod:`mixpanel_data.ingest._types`); when it does, its existing values are re-derived from
each row's ``properties`` JSON (``ALTER COLUMN … TYPE … USING``), so the widened column holds
exactly what a fresh decode would give, e.g. ``'1'`` and ``'a'`` after ``1`` met ``"a"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixpanel_data.ingest._sql import json_pointer, quote_ident, quote_literal
from mixpanel_data.ingest._types import ColumnType, Kind, join_types

if TYPE_CHECKING:
    import duckdb

    from mixpanel_data.ingest._batch import EventBatch, PropertyColumn
    from mixpanel_data.store._writer_columns import TableColumns

__all__ = ["INCOMING", "append_batch", "insert_select"]

INCOMING = "_mp_incoming"
"""Name under which a batch's Arrow table is registered while it is inserted."""

_DOUBLE_EXACT = 10**15
"""Integers below this magnitude are exact as DOUBLE (15 digits; doubles hold 2**53)."""


def _from_properties(properties: str, key: str, column_type: ColumnType, present: str) -> str:
    """Expression re-reading ``key`` from a ``properties`` JSON column as ``column_type``.

    ``present`` is the old value: rows where it is NULL (key absent or JSON null) stay NULL.
    """
    pointer = quote_literal(json_pointer(key))
    if column_type is ColumnType.JSON:
        value = f"json_extract({properties}, {pointer})"
    elif column_type is ColumnType.VARCHAR:
        value = f"json_extract_string({properties}, {pointer})"
    else:
        value = f"TRY_CAST({present} AS {column_type.value})"
    return f"CASE WHEN {present} IS NULL THEN NULL ELSE {value} END"


def _exact_in_double(
    con: duckdb.DuckDBPyConnection,
    table: str,
    name: str,
    current: ColumnType,
    column: PropertyColumn,
) -> bool:
    """Whether every integer on the BIGINT side of a BIGINT/DOUBLE join is exact as a DOUBLE."""
    if column.type is ColumnType.BIGINT:
        return not column.kinds & Kind.WIDE_INT
    if current is ColumnType.BIGINT:
        row = con.execute(
            f"SELECT max(abs({quote_ident(name)})) FROM {quote_ident(table)}"  # noqa: S608 - quoted identifiers
        ).fetchall()[0]
        return row[0] is None or int(row[0]) < _DOUBLE_EXACT
    return True


def _widen(
    con: duckdb.DuckDBPyConnection, columns: TableColumns, name: str, column: PropertyColumn
) -> ColumnType:
    """Widen the table column ``name`` so it can take ``column``'s values; return its type."""
    current = columns.types[name]
    if current is column.type:
        return current
    exact = _exact_in_double(con, columns.table, name, current, column)
    wanted = join_types(current, column.type, exact_in_double=exact)
    if wanted is not current:
        quoted = quote_ident(name)
        using = _from_properties("properties", column.key, wanted, quoted)
        con.execute(
            f"ALTER TABLE {quote_ident(columns.table)} ALTER COLUMN {quoted} "
            f"SET DATA TYPE {wanted.value} USING {using}"
        ).fetchall()
        columns.types[name] = wanted
    return wanted


def _convert(position: int, column: PropertyColumn, wanted: ColumnType) -> str:
    """Expression for batch column ``p<position>`` as the table column's type ``wanted``."""
    source = f"p{position}"
    if wanted is column.type:
        return source
    if wanted is ColumnType.DOUBLE:
        return f"{source}::DOUBLE"
    return _from_properties("properties", column.key, wanted, source)


def insert_select(
    con: duckdb.DuckDBPyConnection, columns: TableColumns, batch: EventBatch
) -> tuple[list[str], list[str]]:
    """Evolve the table for ``batch``; return (target columns, select expressions).

    Top-level columns come first, by name; property columns follow, mapped by key.
    """
    targets = [quote_ident(name) for name in columns.top_level]
    select = list(targets)
    for position, column in enumerate(batch.columns):
        name = columns.column_for(con, column.key, column.type)
        if name is None:
            continue
        wanted = _widen(con, columns, name, column)
        targets.append(quote_ident(name))
        select.append(_convert(position, column, wanted))
    return targets, select


def append_batch(con: duckdb.DuckDBPyConnection, columns: TableColumns, batch: EventBatch) -> None:
    """Insert ``batch`` into ``columns.table`` (inside the caller's transaction)."""
    if batch.rows == 0:
        return
    targets, select = insert_select(con, columns, batch)
    con.register(INCOMING, batch.data)
    try:
        con.execute(
            f"INSERT INTO {quote_ident(columns.table)} ({', '.join(targets)}) "  # noqa: S608 - quoted identifiers
            f"SELECT {', '.join(select)} FROM {INCOMING}"
        ).fetchall()
    finally:
        con.unregister(INCOMING)
