"""Local SQL and introspection methods of :class:`~mixpanel_data.Workspace`.

``mp query`` and ``mp db tables|schema|sample|stats|describe`` are these methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixpanel_data._types_db import (
    ColumnDescription,
    ExportResult,
    PropertyKeys,
    TableList,
    TableMetadata,
    TableSchema,
    TableStats,
)
from mixpanel_data._workspace_core import WorkspaceCore
from mixpanel_data.exceptions import TableNotFoundError
from mixpanel_data.store import _admin, _introspect
from mixpanel_data.store._errors import sql_error
from mixpanel_data.store._results import (
    check_writes,
    parse_script,
    relation_frame,
    run_script,
    session,
    stream_relation,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb
    import pandas
    import polars

    from mixpanel_data.store._sql import ParsedStatement

__all__ = ["_DatabaseMixin"]


class _DatabaseMixin(WorkspaceCore):
    """SQL on the local database, and looking at its tables."""

    # -- SQL ---------------------------------------------------------------------------------

    def query_pl(
        self, sql: str, *, write: bool = False, decode_json: bool = False
    ) -> polars.DataFrame:
        """Run SQL on the local database and return the last statement's result as polars.

        Parameters
        ----------
        sql
            One or more statements (separated by ``;``); the last one's result is returned.
        write
            Allow statements that change the database (INSERT, CREATE, DROP, COPY, ...).
            They run in one transaction: if any fails, none of their changes is kept.
        decode_json
            Return JSON columns as Python values (a polars ``Object`` column) instead of JSON
            text (``String``) — what the CLI prints.

        Returns
        -------
        polars.DataFrame
            The rows (INTERVAL values come back as text, which polars cannot hold otherwise).

        Raises
        ------
        ReadOnlyError
            A statement writes and ``write`` is False (nothing ran), or the workspace is
            read-only.
        SQLError
            DuckDB rejected the SQL; the message is DuckDB's, ``position`` the offset in
            ``sql``. The database is unchanged.

        Examples
        --------
        >>> ws.query_pl("SELECT event, count(*) AS n FROM events GROUP BY 1")  # doctest: +SKIP
        """
        statements = self._checked(sql, write=write)
        label = self.database.label
        with session(self.database, statements, write=write) as con:
            rel = run_script(con, statements, sql, path=label)
            return relation_frame(
                rel, decode_json=decode_json, on_error=self._error_for(sql, statements[-1])
            )

    def query(self, sql: str, *, write: bool = False) -> list[dict[str, Any]]:
        """Run SQL and return the rows as dicts (JSON columns decoded to Python values).

        See :meth:`query_pl` for the parameters and errors.
        """
        frame = self.query_pl(sql, write=write, decode_json=True)
        rows: list[dict[str, Any]] = frame.to_dicts()
        return rows

    def query_df(self, sql: str, *, write: bool = False) -> pandas.DataFrame:
        """Run SQL and return the result as a pandas DataFrame (needs pandas installed)."""
        from mixpanel_data._result import to_pandas

        return to_pandas(self.query_pl(sql, write=write))

    def query_to_file(
        self, sql: str, path: str | Path, *, write: bool = False, format: str | None = None
    ) -> ExportResult:
        """Run SQL and stream the last statement's rows into a file.

        The format comes from ``format`` or the file's extension: ``.parquet``, ``.csv``,
        ``.json`` (an array), ``.jsonl``/``.ndjson``; ``.gz`` compresses a text format.
        Rows are written in batches, so the result never has to fit in memory.
        """
        statements = self._checked(sql, write=write)
        target = Path(path).expanduser()
        with session(self.database, statements, write=write) as con:
            rel = run_script(con, statements, sql, path=self.database.label)
            fmt, rows = stream_relation(
                rel, target, fmt=format, on_error=self._error_for(sql, statements[-1])
            )
        return ExportResult(path=str(target), format=fmt, rows=rows, bytes=target.stat().st_size)

    def _checked(self, sql: str, *, write: bool) -> list[ParsedStatement]:
        statements = parse_script(sql)
        check_writes(statements, write=write, path=self.database.label)
        return statements

    def _error_for(
        self, sql: str, statement: ParsedStatement
    ) -> Callable[[duckdb.Error], Exception]:
        label = self.database.label

        def make(exc: duckdb.Error) -> Exception:
            return sql_error(exc, sql, offset=statement.offset, path=label)

        return make

    # -- tables ------------------------------------------------------------------------------

    def tables(self) -> TableList:
        """The tables and views of the workspace (not mp's own ``_mp_*`` tables).

        Each has its kind (``events``, ``users``, ``report`` for tables mp wrote, ``table``
        for others, ``view``), row count, first/last event time and last update.
        """
        return _introspect.list_tables(self.database)

    def table_exists(self, name: str) -> bool:
        """Whether a table or view of that name (case-insensitive) exists."""
        return self.database.relation_exists(name)

    def table_schema(self, table: str) -> TableSchema:
        """The columns of a table: name, DuckDB type, nullable, primary key.

        Raises
        ------
        TableNotFoundError
            No such table (the message lists the tables).
        """
        return _introspect.table_schema(self.database, table)

    def table_metadata(self, table: str) -> TableMetadata:
        """What mp recorded about a table it wrote: kind, source parameters, rows, times.

        Raises
        ------
        TableNotFoundError
            No such table, or mp did not write it (no record in ``_mp_tables``).
        """
        stored = _introspect.resolve_table(self.database, table)
        metadata = _introspect.table_metadata(self.database, stored)
        if metadata is None:
            raise TableNotFoundError(
                f"table {stored!r} was not written by mp, so it has no fetch metadata",
                path=self.database.label,
                hint="`mp db schema` describes any table",
            )
        return metadata

    def stats(self, table: str) -> TableStats:
        """Summary statistics: rows, time range, distinct users and events, and for each
        column its null count/rate and distinct count (estimated above a million rows)."""
        return _introspect.table_stats(self.database, table)

    def describe(
        self, table: str, column: str, *, limit: int | None = None
    ) -> ColumnDescription | PropertyKeys:
        """How a column's values are distributed.

        For a JSON column (``properties``) the result is its keys instead: the JSON types
        seen for each and the share of rows that have it (:class:`PropertyKeys`).

        Parameters
        ----------
        table, column
            What to describe (names are case-insensitive).
        limit
            The most frequent values to list (default 20), or keys (default: all).
        """
        return _introspect.describe_column(self.database, table, column, limit=limit)

    def sample(
        self, table: str, *, limit: int = 10, seed: int | None = None, decode_json: bool = False
    ) -> polars.DataFrame:
        """A uniform random sample of a table's rows (the same rows for the same ``seed``)."""
        stored = _introspect.resolve_table(self.database, table)
        sql = _introspect.sample_query(stored, limit, seed)
        statements = parse_script(sql)
        with self.database.reading() as con:
            rel = run_script(con, statements, sql, path=self.database.label)
            return relation_frame(
                rel, decode_json=decode_json, on_error=self._error_for(sql, statements[-1])
            )

    def drop_table(self, table: str, *, missing_ok: bool = False) -> bool:
        """Drop a table or view (and its ``_mp_tables`` record); returns whether it existed.

        Raises
        ------
        TableNotFoundError
            No such table and ``missing_ok`` is False.
        """
        try:
            stored = _introspect.resolve_table(self.database, table)
        except TableNotFoundError:
            if missing_ok:
                return False
            raise
        _admin.drop_relation(self.database, stored)
        return True
