"""Which column of a stored table holds which property, and how new ones are named.

DuckDB identifiers are case-insensitive, so ``Plan`` and ``plan`` cannot both be columns, and
some property names collide with mp's own top-level columns. The rule, applied once per key
when it is first stored and then remembered:

1. A key that is one of the table's top-level column names, compared case-insensitively
   (``event``, ``Time``, ``properties``, ``_fetched_at``, …, and ``rowid``, which DuckDB
   reserves) is stored as ``prop_<key>``.
2. If that name is already taken (case-insensitively) by another column, the first free name
   among ``<name>_2``, ``<name>_3``, … is used. Keys new in the same batch are named in
   sorted order, case variants together with the all-lowercase spelling first (``plan``
   before ``Plan``), so the outcome is deterministic and the common spelling keeps the name.
3. The empty key, and keys holding a NUL character, get no column.
4. Past ``max_columns`` property columns, new keys get no column.

Keys without a column stay queryable in the ``properties`` JSON column, which keeps every key.
(Mixpanel's own ``time``, ``distinct_id``, ``$insert_id`` and ``mp_processing_time_ms`` feed the
top-level columns of an events table and never get a property column.)

The key a column holds is recorded in the column's comment (``COMMENT ON COLUMN``), as
``{"mp_property": "<key>"}``; comments follow the column through renames and type changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from mixpanel_data.ingest._sql import quote_ident, quote_literal
from mixpanel_data.ingest._types import ColumnType

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "COMMENT_KEY",
    "TableColumns",
    "catalog_name",
    "column_type_of",
    "property_of_comment",
]

log = logging.getLogger(__name__)

COMMENT_KEY = "mp_property"
"""Key, in a property column's comment (a JSON object), of the property name it holds."""

_DUCKDB_TYPES = {
    "BIGINT": ColumnType.BIGINT,
    "DOUBLE": ColumnType.DOUBLE,
    "BOOLEAN": ColumnType.BOOLEAN,
    "VARCHAR": ColumnType.VARCHAR,
    "JSON": ColumnType.JSON,
}


def catalog_name(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Return ``table`` as the catalog spells it (DuckDB names are case-insensitive).

    Writing ``Events`` into an existing ``events`` table must reuse its columns and its
    registry rows, so every writer works with the catalog's spelling.
    """
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE lower(table_name) = lower(?) "
        "AND database_name = current_database() AND schema_name = current_schema()",
        [table],
    ).fetchall()
    return str(rows[0][0]) if rows else table


def column_type_of(data_type: str) -> ColumnType | None:
    """Map a DuckDB type name from the catalog to a :class:`ColumnType` (``None``: other)."""
    return _DUCKDB_TYPES.get(data_type.upper())


@dataclass
class TableColumns:
    """The columns of one table: top-level ones, property ones (by key) and their types.

    Build it with :meth:`load`; :meth:`column_for` names (and records) columns for new keys.
    """

    table: str
    top_level: tuple[str, ...]
    max_columns: int
    by_key: dict[str, str] = field(default_factory=dict)
    types: dict[str, ColumnType] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    warned: bool = False

    @classmethod
    def load(
        cls,
        con: duckdb.DuckDBPyConnection,
        table: str,
        *,
        top_level: tuple[str, ...],
        max_columns: int,
    ) -> TableColumns:
        """Read the table's columns from the catalog (the table must exist)."""
        rows = con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE table_name = ? AND database_name = current_database() "
            "AND schema_name = current_schema() ORDER BY column_index",
            [table],
        ).fetchall()
        columns = cls(table=table, top_level=top_level, max_columns=max_columns)
        for name, data_type, comment in rows:
            columns.taken.add(name.lower())
            key = property_of_comment(comment)
            column_type = column_type_of(data_type)
            if key is not None and column_type is not None:
                columns.by_key[key] = name
                columns.types[name] = column_type
        return columns

    @property
    def reserved(self) -> frozenset[str]:
        """Lower-cased names a property column may not take as is."""
        return frozenset({*(c.lower() for c in self.top_level), "rowid"})

    def column_for(
        self, con: duckdb.DuckDBPyConnection, key: str, column_type: ColumnType
    ) -> str | None:
        """Return the column holding ``key``, adding it (typed ``column_type``) if new.

        ``None`` when the key gets no column (see the module's rules 3 and 4).
        """
        existing = self.by_key.get(key)
        if existing is not None:
            return existing
        if key in self.skipped:
            return None
        if not key or "\x00" in key:
            self.skipped.add(key)
            return None
        if len(self.by_key) >= self.max_columns:
            if not self.warned:
                self.warned = True
                log.warning(
                    "table %s has %d property columns: %r and later new keys stay in the "
                    "properties JSON only",
                    self.table,
                    self.max_columns,
                    key,
                )
            self.skipped.add(key)
            return None
        base = f"prop_{key}" if key.lower() in self.reserved else key
        name = base
        suffix = 2
        while name.lower() in self.taken:
            name = f"{base}_{suffix}"
            suffix += 1
        quoted_table = quote_ident(self.table)
        con.execute(
            f"ALTER TABLE {quoted_table} ADD COLUMN {quote_ident(name)} {column_type.value}"
        ).fetchall()
        comment = orjson.dumps({COMMENT_KEY: key}).decode()
        con.execute(
            f"COMMENT ON COLUMN {quoted_table}.{quote_ident(name)} IS {quote_literal(comment)}"
        ).fetchall()
        self.taken.add(name.lower())
        self.by_key[key] = name
        self.types[name] = column_type
        return name


def property_of_comment(comment: object) -> str | None:
    """The property a column holds, from its comment; ``None`` for other columns."""
    if not isinstance(comment, str) or COMMENT_KEY not in comment:
        return None
    try:
        parsed = orjson.loads(comment)
    except orjson.JSONDecodeError:
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get(COMMENT_KEY), str):
        return str(parsed[COMMENT_KEY])
    return None
