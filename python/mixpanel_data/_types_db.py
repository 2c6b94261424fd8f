"""Result types of the local database: tables, schemas, statistics, workspaces, files.

All are frozen, keyword-only msgspec Structs (see :mod:`mixpanel_data._result`): ``.pl`` is
the tidy polars frame, ``.df`` the pandas one, ``.to_dict()`` plain builtins. Times are
naive UTC ``datetime`` values, as stored.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (msgspec reads field types at runtime)
from collections.abc import Iterator  # noqa: TC003
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from mixpanel_data._result import Record, Result

if TYPE_CHECKING:
    import polars

__all__ = [
    "ColumnDescription",
    "ColumnInfo",
    "ColumnStats",
    "DatabaseSize",
    "ExportResult",
    "PropertyKey",
    "PropertyKeys",
    "PruneResult",
    "PrunedFile",
    "ResetResult",
    "TableInfo",
    "TableList",
    "TableMetadata",
    "TableSchema",
    "TableStats",
    "VacuumResult",
    "ValueCount",
    "WorkspaceInfo",
    "WorkspaceList",
]


def _frame(records: list[Any], schema: dict[str, Any]) -> polars.DataFrame:
    """A frame of Structs' fields with a fixed schema (so an empty list keeps its columns)."""
    import polars

    rows = [{name: getattr(r, name) for name in schema} for r in records]
    return (
        polars.DataFrame(rows, schema=schema, orient="row")
        if rows
        else polars.DataFrame(schema=schema)
    )


def human_bytes(size: int) -> str:
    """``36.5 MiB``: a byte count for people."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


# -- tables ------------------------------------------------------------------------------------


class TableInfo(Record, frozen=True, kw_only=True, dict=True):
    """One table (or view) of the workspace, as ``mp db tables`` lists it.

    ``kind`` is ``events``, ``users`` or ``report`` for tables mp wrote, ``table`` for one a
    user created (``mp query --write``) and ``view`` for views. Times are ``None`` where
    they do not apply.
    """

    name: str
    kind: str
    rows: int | None
    columns: int
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class TableList(Result, frozen=True, kw_only=True, dict=True):
    """The tables of a workspace. Iterates over :class:`TableInfo`; ``"events" in tables``."""

    tables: list[TableInfo] = msgspec.field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The table names, in listing order."""
        return [t.name for t in self.tables]

    def __iter__(self) -> Iterator[TableInfo]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in {n.lower() for n in self.names}

    def __getitem__(self, name: str) -> TableInfo:
        for table in self.tables:
            if table.name.lower() == name.lower():
                return table
        raise KeyError(name)

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.tables,
            {
                "name": polars.String,
                "kind": polars.String,
                "rows": polars.Int64,
                "columns": polars.Int64,
                "first_time": polars.Datetime("us"),
                "last_time": polars.Datetime("us"),
                "updated_at": polars.Datetime("us"),
            },
        )


class ColumnInfo(Record, frozen=True, kw_only=True, dict=True):
    """One column of a table: its name, DuckDB type and whether it may hold NULL.

    ``property`` is the Mixpanel property a flattened column holds (``event`` for the column
    ``prop_event``, ``Plan`` for ``Plan_2``); ``None`` for the other columns.
    """

    name: str
    type: str
    nullable: bool
    primary_key: bool = False
    property: str | None = None


class TableSchema(Result, frozen=True, kw_only=True, dict=True):
    """The columns of one table, in order. Iterates over :class:`ColumnInfo`."""

    table: str
    columns: list[ColumnInfo] = msgspec.field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self.columns]

    def __iter__(self) -> Iterator[ColumnInfo]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __getitem__(self, name: str) -> ColumnInfo:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.columns,
            {
                "name": polars.String,
                "type": polars.String,
                "nullable": polars.Boolean,
                "primary_key": polars.Boolean,
                "property": polars.String,
            },
        )


class TableMetadata(Record, frozen=True, kw_only=True, dict=True):
    """What mp recorded about a table it wrote (a row of ``_mp_tables``).

    ``source`` holds the parameters of the fetch or report that produced it.
    """

    name: str
    kind: str
    source: dict[str, Any] | None = None
    rows: int | None = None
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


# -- statistics --------------------------------------------------------------------------------


class ColumnStats(Record, frozen=True, kw_only=True, dict=True):
    """Null rate and distinct count of one column."""

    name: str
    type: str
    nulls: int
    null_rate: float
    distinct: int


class TableStats(Result, frozen=True, kw_only=True, dict=True):
    """Summary statistics of a table; the rows are per-column statistics.

    ``first_time``/``last_time`` come from a ``time`` column, ``distinct_users`` from
    ``distinct_id``, ``distinct_events`` from ``event`` (``None`` when the table has no
    such column). ``approximate`` is True when distinct counts were estimated
    (HyperLogLog) because the table is large.
    """

    table: str
    row_count: int
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    distinct_users: int | None = None
    distinct_events: int | None = None
    approximate: bool = False
    columns: list[ColumnStats] = msgspec.field(default_factory=list)

    def _header(self) -> dict[str, Any] | None:
        data = self.to_dict()
        data.pop("columns")
        return data

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.columns,
            {
                "name": polars.String,
                "type": polars.String,
                "nulls": polars.Int64,
                "null_rate": polars.Float64,
                "distinct": polars.Int64,
            },
        )


class ValueCount(Record, frozen=True, kw_only=True, dict=True):
    """One value of a column, how many rows have it, and their share (0-100)."""

    value: Any
    count: int
    percent: float


class ColumnDescription(Result, frozen=True, kw_only=True, dict=True):
    """The distribution of one column's values: the most frequent first.

    ``others`` counts the rows whose value is not among ``values`` (beyond the limit).
    ``min``/``max`` are set for numeric and time columns.
    """

    table: str
    column: str
    type: str
    row_count: int
    nulls: int
    distinct: int
    others: int = 0
    min: Any = None
    max: Any = None
    values: list[ValueCount] = msgspec.field(default_factory=list)

    def _header(self) -> dict[str, Any] | None:
        data = self.to_dict()
        data.pop("values")
        return data

    def _to_frame(self) -> polars.DataFrame:
        import polars

        rows = [{"value": v.value, "count": v.count, "percent": v.percent} for v in self.values]
        if not rows:
            return polars.DataFrame(
                schema={"value": polars.String, "count": polars.Int64, "percent": polars.Float64}
            )
        return polars.DataFrame(rows, strict=False)


class PropertyKey(Record, frozen=True, kw_only=True, dict=True):
    """One key of a JSON column: the JSON types seen for it, and the rows that have it."""

    key: str
    types: list[str]
    count: int
    percent: float


class PropertyKeys(Result, frozen=True, kw_only=True, dict=True):
    """The keys found in a JSON column (``properties``), the most common first."""

    table: str
    column: str
    row_count: int
    keys: list[PropertyKey] = msgspec.field(default_factory=list)

    def _header(self) -> dict[str, Any] | None:
        return {"table": self.table, "column": self.column, "row_count": self.row_count}

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.keys,
            {
                "key": polars.String,
                "types": polars.List(polars.String),
                "count": polars.Int64,
                "percent": polars.Float64,
            },
        )


# -- files and workspaces ----------------------------------------------------------------------


class WorkspaceInfo(Record, frozen=True, kw_only=True, dict=True):
    """One workspace: its name, file and state.

    ``project_id`` is ``None`` for a database opened by path. ``tables`` is ``None`` when
    the file was not opened (listing workspaces does not open them).
    """

    name: str
    path: str
    project_id: int | None = None
    account: str | None = None
    exists: bool = False
    current: bool = False
    read_only: bool = False
    ephemeral: bool = False
    size_bytes: int = 0
    modified: dt.datetime | None = None
    tables: int | None = None


class WorkspaceList(Result, frozen=True, kw_only=True, dict=True):
    """The workspaces of a project."""

    project_id: int | None
    workspaces: list[WorkspaceInfo] = msgspec.field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The workspace names."""
        return [w.name for w in self.workspaces]

    def __iter__(self) -> Iterator[WorkspaceInfo]:
        return iter(self.workspaces)

    def __len__(self) -> int:
        return len(self.workspaces)

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.workspaces,
            {
                "name": polars.String,
                "current": polars.Boolean,
                "size_bytes": polars.Int64,
                "modified": polars.Datetime("us"),
                "path": polars.String,
            },
        )


class DatabaseSize(Record, frozen=True, kw_only=True, dict=True):
    """The size of a database on disk: the file, its write-ahead log and their total."""

    path: str
    file_bytes: int
    wal_bytes: int
    total_bytes: int
    total: str


class ExportResult(Record, frozen=True, kw_only=True, dict=True):
    """A table or query written to a file."""

    path: str
    format: str
    rows: int
    bytes: int


class VacuumResult(Record, frozen=True, kw_only=True, dict=True):
    """A database rewritten compactly: its size before and after."""

    path: str
    bytes_before: int
    bytes_after: int
    reclaimed: str


class ResetResult(Record, frozen=True, kw_only=True, dict=True):
    """A database emptied: the tables and views it had."""

    path: str
    dropped: list[str]


class PrunedFile(Record, frozen=True, kw_only=True, dict=True):
    """A database file ``prune`` removed (or, in a dry run, would remove), and why."""

    path: str
    kind: Literal["temp", "workspace"]
    bytes: int
    reason: str


class PruneResult(Result, frozen=True, kw_only=True, dict=True):
    """What ``prune`` removed (``dry_run``: what it would remove) and what it spared."""

    dry_run: bool = False
    removed: list[PrunedFile] = msgspec.field(default_factory=list)
    spared: list[PrunedFile] = msgspec.field(default_factory=list)

    @property
    def freed_bytes(self) -> int:
        """Bytes freed (or that would be)."""
        return sum(f.bytes for f in self.removed)

    def _header(self) -> dict[str, Any] | None:
        return {
            "dry_run": self.dry_run,
            "removed": len(self.removed),
            "freed": human_bytes(self.freed_bytes),
            "spared": len(self.spared),
        }

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.removed,
            {
                "path": polars.String,
                "kind": polars.String,
                "bytes": polars.Int64,
                "reason": polars.String,
            },
        )
