"""Looking inside a workspace: its tables, their columns, statistics and value distributions.

Reads DuckDB's catalog functions (``duckdb_tables()``, ``duckdb_columns()``, ...) and the
``_mp_tables`` registry the fetchers keep. Tables whose names start with ``_mp_`` are mp's
own bookkeeping and are not listed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import orjson

from mixpanel_data._types_db import (
    ColumnDescription,
    ColumnInfo,
    ColumnStats,
    PropertyKey,
    PropertyKeys,
    TableInfo,
    TableList,
    TableMetadata,
    TableSchema,
    TableStats,
    ValueCount,
)
from mixpanel_data.exceptions import TableNotFoundError, ValidationError
from mixpanel_data.store._sql import quote_ident
from mixpanel_data.store._writer_columns import property_of_comment

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    import duckdb

    from mixpanel_data.store._database import Database

__all__ = [
    "APPROXIMATE_ABOVE",
    "METADATA_DDL",
    "describe_column",
    "ensure_metadata_tables",
    "list_tables",
    "metadata_exists",
    "resolve_table",
    "sample_query",
    "table_metadata",
    "table_schema",
    "table_stats",
]

APPROXIMATE_ABOVE = 1_000_000
"""Above this many rows, distinct counts are estimated (HyperLogLog) rather than exact."""

_META_PREFIX = "_mp_"
_TIME_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE")
_ORDERED = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMP_S",
)
# DuckDB's json_type names, as JSON's own type names.
_JSON_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "integer",
    "UBIGINT": "integer",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "NULL": "null",
    "ARRAY": "array",
    "OBJECT": "object",
}

_CATALOG = "database_name = current_database() AND schema_name = 'main' AND NOT internal"


def metadata_exists(db: Database) -> bool:
    """Whether the ``_mp_tables`` registry exists in this database."""
    rows = db.fetchall(
        f"SELECT count(*) FROM duckdb_tables() WHERE {_CATALOG} AND table_name = '_mp_tables'"  # noqa: S608 - constant text
    )
    return bool(rows[0][0])


def _relations(db: Database) -> list[tuple[str, bool, int]]:
    """(name, is_view, column count) of the user's tables and views, by name."""
    return [
        (str(name), bool(is_view), int(columns))
        for name, is_view, columns in db.fetchall(
            f"SELECT table_name, false, column_count FROM duckdb_tables() WHERE {_CATALOG} "  # noqa: S608 - constant text
            f"AND NOT temporary AND NOT starts_with(table_name, '{_META_PREFIX}') "
            f"UNION ALL SELECT view_name, true, column_count FROM duckdb_views() WHERE {_CATALOG} "
            "AND NOT temporary ORDER BY 1"
        )
    ]


def resolve_table(db: Database, name: str) -> str:
    """The stored spelling of a table or view name (names are case-insensitive).

    Raises
    ------
    TableNotFoundError
        No such table; the message lists the tables there are.
    """
    relations = _relations(db)
    for stored, _, _ in relations:
        if stored == name:
            return stored
    for stored, _, _ in relations:
        if stored.lower() == name.lower():
            return stored
    known = ", ".join(r[0] for r in relations) or "none yet"
    raise TableNotFoundError(
        f"no table {name!r} in {db.label or 'the database'} (tables: {known})",
        path=db.label,
        hint="`mp db tables` lists the tables; `mp events fetch` creates `events`",
    )


def table_metadata(db: Database, name: str) -> TableMetadata | None:
    """The ``_mp_tables`` row of a table, or ``None`` when mp did not write it."""
    if not metadata_exists(db):
        return None
    rows = db.fetchall(
        "SELECT name, kind, source, rows, first_time, last_time, created_at, updated_at "
        "FROM _mp_tables WHERE lower(name) = lower(?)",
        [name],
    )
    if not rows:
        return None
    stored, kind, source, count, first, last, created, updated = rows[0]
    return TableMetadata(
        name=stored,
        kind=kind,
        source=orjson.loads(source) if source else None,
        rows=count,
        first_time=first,
        last_time=last,
        created_at=created,
        updated_at=updated,
    )


def _columns(db: Database, table: str) -> list[tuple[str, str, bool]]:
    return [
        (str(n), str(t), bool(nullable))
        for n, t, nullable in db.fetchall(
            f"SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE {_CATALOG} "  # noqa: S608 - constant text
            "AND table_name = ? ORDER BY column_index",
            [table],
        )
    ]


def _time_range(
    db: Database, table: str, columns: list[tuple[str, str, bool]]
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if not any(n == "time" and t in _TIME_TYPES for n, t, _ in columns):
        return None, None
    first, last = db.fetchall(f'SELECT min("time"), max("time") FROM {quote_ident(table)}')[0]  # noqa: S608 - quoted identifier
    return first, last


def list_tables(db: Database) -> TableList:
    """Every user table and view, with kind, row count, time range and last update."""
    meta: dict[str, tuple[Any, ...]] = {}
    if metadata_exists(db):
        for row in db.fetchall(
            "SELECT lower(name), kind, rows, first_time, last_time, updated_at FROM _mp_tables"
        ):
            meta[row[0]] = row[1:]
    tables = []
    for name, is_view, column_count in _relations(db):
        kind, _, first, last, updated = meta.get(name.lower(), ("table", None, None, None, None))
        if is_view:
            tables.append(TableInfo(name=name, kind="view", rows=None, columns=column_count))
            continue
        count = db.fetchall(f"SELECT count(*) FROM {quote_ident(name)}")[0][0]  # noqa: S608 - quoted identifier
        live_first, live_last = _time_range(db, name, _columns(db, name))
        tables.append(
            TableInfo(
                name=name,
                kind=kind,
                rows=count,
                columns=column_count,
                first_time=live_first if live_first is not None else first,
                last_time=live_last if live_last is not None else last,
                updated_at=updated,
            )
        )
    return TableList(tables=tables)


def table_schema(db: Database, name: str) -> TableSchema:
    """The columns of a table or view: name, type, nullability, primary key."""
    table = resolve_table(db, name)
    keys: set[str] = set()
    for (names,) in db.fetchall(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE "
        "database_name = current_database() AND schema_name = 'main' "
        "AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [table],
    ):
        keys.update(names)
    properties = {
        str(column): property_of_comment(comment)
        for column, comment in db.fetchall(
            "SELECT column_name, comment FROM duckdb_columns() WHERE "
            "database_name = current_database() AND schema_name = 'main' AND table_name = ?",
            [table],
        )
    }
    return TableSchema(
        table=table,
        columns=[
            ColumnInfo(
                name=n,
                type=t,
                nullable=nullable,
                primary_key=n in keys,
                property=properties.get(n),
            )
            for n, t, nullable in _columns(db, table)
        ],
    )


def table_stats(db: Database, name: str) -> TableStats:
    """Rows, time range, distinct users and events, and per-column nulls and distinct counts."""
    table = resolve_table(db, name)
    columns = _columns(db, table)
    source = quote_ident(table)
    count = db.fetchall(f"SELECT count(*) FROM {source}")[0][0]  # noqa: S608 - quoted identifier
    approximate = count > APPROXIMATE_ABOVE
    distinct = "approx_count_distinct({})" if approximate else "count(DISTINCT {})"
    parts = []
    for column, _, _ in columns:
        ref = quote_ident(column)
        parts.append(f"count({ref})")
        parts.append(distinct.format(ref))
    values = db.fetchall(f"SELECT {', '.join(parts)} FROM {source}")[0] if parts else ()  # noqa: S608 - quoted identifiers
    stats = []
    by_name: dict[str, int] = {}
    for index, (column, kind, _) in enumerate(columns):
        non_null, distinct_count = values[2 * index], values[2 * index + 1]
        by_name[column] = distinct_count
        stats.append(
            ColumnStats(
                name=column,
                type=kind,
                nulls=count - non_null,
                null_rate=round((count - non_null) / count, 6) if count else 0.0,
                distinct=distinct_count,
            )
        )
    first, last = _time_range(db, table, columns)
    return TableStats(
        table=table,
        row_count=count,
        first_time=first,
        last_time=last,
        distinct_users=by_name.get("distinct_id"),
        distinct_events=by_name.get("event"),
        approximate=approximate,
        columns=stats,
    )


def _resolve_column(
    columns: list[tuple[str, str, bool]], table: str, column: str
) -> tuple[str, str]:
    for name, kind, _ in columns:
        if name == column:
            return name, kind
    for name, kind, _ in columns:
        if name.lower() == column.lower():
            return name, kind
    raise ValidationError(
        f"no column {column!r} in table {table!r}",
        hint="columns: " + ", ".join(n for n, _, _ in columns),
    )


def describe_column(
    db: Database, name: str, column: str, *, limit: int | None = None
) -> ColumnDescription | PropertyKeys:
    """The value distribution of a column; for a JSON column, its keys and their types.

    ``limit`` caps the values listed (default 20) or the keys (default: all of them).
    """
    if limit is not None and limit < 1:
        raise ValidationError(f"limit must be at least 1, got {limit}", hint="e.g. --limit 20")
    table = resolve_table(db, name)
    column, kind = _resolve_column(_columns(db, table), table, column)
    if kind == "JSON":
        return _json_keys(db, table, column, limit)
    return _distribution(db, table, column, kind, 20 if limit is None else limit)


def _distribution(
    db: Database, table: str, column: str, kind: str, limit: int
) -> ColumnDescription:
    source, ref = quote_ident(table), quote_ident(column)
    bounds = f", min({ref}), max({ref})" if kind in _ORDERED or kind.startswith("DECIMAL") else ""
    head = db.fetchall(
        f"SELECT count(*), count({ref}), count(DISTINCT {ref}){bounds} FROM {source}"  # noqa: S608 - quoted identifiers
    )[0]
    total, non_null, distinct = head[0], head[1], head[2]
    low, high = (head[3], head[4]) if bounds else (None, None)
    rows = db.fetchall(
        f"SELECT {ref} AS value, count(*) AS n FROM {source} WHERE {ref} IS NOT NULL "  # noqa: S608 - quoted identifiers
        "GROUP BY ALL ORDER BY n DESC, value LIMIT ?",
        [limit],
    )
    values = [
        ValueCount(value=value, count=n, percent=round(100 * n / total, 2) if total else 0.0)
        for value, n in rows
    ]
    return ColumnDescription(
        table=table,
        column=column,
        type=kind,
        row_count=total,
        nulls=total - non_null,
        distinct=distinct,
        others=non_null - sum(v.count for v in values),
        min=low,
        max=high,
        values=values,
    )


def _json_keys(db: Database, table: str, column: str, limit: int | None) -> PropertyKeys:
    source, ref = quote_ident(table), quote_ident(column)
    total = db.fetchall(f"SELECT count(*) FROM {source}")[0][0]  # noqa: S608 - quoted identifier
    cap = "LIMIT ?" if limit is not None else ""
    rows = db.fetchall(
        f"SELECT e.key, list(DISTINCT e.type ORDER BY e.type), count(*) AS n "  # noqa: S608 - quoted identifiers
        f"FROM {source} AS t, json_each(t.{ref}) AS e WHERE json_type(t.{ref}) = 'OBJECT' "
        f"GROUP BY e.key ORDER BY n DESC, e.key {cap}",
        [limit] if limit is not None else None,
    )
    keys = []
    for key, types, n in rows:
        named = sorted({_JSON_TYPES.get(t, t.lower()) for t in types})
        keys.append(
            PropertyKey(
                key=key, types=named, count=n, percent=round(100 * n / total, 2) if total else 0.0
            )
        )
    return PropertyKeys(table=table, column=column, row_count=total, keys=keys)


def sample_query(table: str, limit: int, seed: int | None) -> str:
    """SQL for a uniform random sample of ``limit`` rows (reservoir sampling).

    With a ``seed`` the same rows come back every time (for a table that did not change).
    """
    if limit < 1:
        raise ValidationError(f"limit must be at least 1, got {limit}", hint="e.g. --limit 10")
    repeat = f" REPEATABLE ({int(seed)})" if seed is not None else ""
    return f"SELECT * FROM {quote_ident(table)} USING SAMPLE reservoir({int(limit)} ROWS){repeat}"  # noqa: S608 - quoted identifier, integers


# The registry and fetch log, exactly as the fetch writer creates them (its
# ``store._metadata.ensure_metadata`` is preferred when present; both are idempotent).
METADATA_DDL = (
    "CREATE TABLE IF NOT EXISTS _mp_tables (name VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, "
    "source JSON, rows BIGINT, first_time TIMESTAMP, last_time TIMESTAMP, "
    "created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS _mp_fetch_log (table_name VARCHAR NOT NULL, day DATE NOT NULL, "
    "filters VARCHAR NOT NULL, rows_received BIGINT, rows_added BIGINT, duplicates BIGINT, "
    "bytes BIGINT, status VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL, "
    "PRIMARY KEY (table_name, day, filters))",
)


def ensure_metadata_tables(db: Database) -> None:
    """Create mp's ``_mp_tables`` and ``_mp_fetch_log`` tables when they are missing."""
    ensure = _writer_ensure_metadata()
    with db.transaction() as con:
        if ensure is not None:
            ensure(con)
            return
        for statement in METADATA_DDL:
            con.execute(statement).fetchall()


def _writer_ensure_metadata() -> Callable[[duckdb.DuckDBPyConnection], None] | None:
    """The fetch writer's ``store._metadata.ensure_metadata``, when that module is present."""
    try:
        module = importlib.import_module("mixpanel_data.store._metadata")
    except ImportError:
        return None
    ensure: Callable[[duckdb.DuckDBPyConnection], None] | None = getattr(
        module, "ensure_metadata", None
    )
    return ensure
