"""Running a user's SQL script, and turning a DuckDB result into frames, rows or files.

A script may hold several statements; they run in order and the last one's result is
returned. Reading is the default: a script with a statement that writes needs
``write=True`` (``ReadOnlyError`` otherwise, before anything runs). A writing script runs
in one transaction, so when any statement fails nothing it did is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from mixpanel_data.exceptions import ReadOnlyError, ValidationError
from mixpanel_data.store._errors import error_position, sql_error
from mixpanel_data.store._export import (
    ExportFormat,
    decode_json_value,
    export_format,
    write_batches,
)
from mixpanel_data.store._sql import ParsedStatement, quote_ident, split_statements

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from pathlib import Path

    import polars

    from mixpanel_data.store._database import Database

__all__ = [
    "BATCH_ROWS",
    "check_writes",
    "json_positions",
    "parse_script",
    "portable",
    "relation_frame",
    "run_script",
    "session",
    "stream_relation",
]

BATCH_ROWS = 65_536


def parse_script(sql: str) -> list[ParsedStatement]:
    """Split a script into statements with DuckDB's parser (no database needed).

    Raises
    ------
    ValidationError
        The script is empty.
    SQLError
        It does not parse; the message is DuckDB's, with the position.
    """
    if not sql.strip():
        raise ValidationError("no SQL to run", hint='pass a statement: mp query "SELECT ..."')
    parser = duckdb.connect(":memory:")
    try:
        statements = split_statements(parser, sql)
    except duckdb.Error as exc:
        raise sql_error(exc, sql) from exc
    finally:
        parser.close()
    if not statements:
        raise ValidationError(
            "the SQL holds only comments", hint='pass a statement: mp query "SELECT ..."'
        )
    return statements


def check_writes(statements: list[ParsedStatement], *, write: bool, path: str | None) -> None:
    """Refuse a script that writes unless ``write`` is set."""
    if write:
        return
    writers = [s for s in statements if s.writes]
    if writers:
        first = writers[0]
        raise ReadOnlyError(
            f"refusing to run a {first.kind} statement without permission to write "
            f"({first.body.strip()[:60]!r})",
            path=path,
            hint="queries are read-only by default; pass --write (write=True in the library) "
            "to change the database",
        )


def session(
    db: Database, statements: list[ParsedStatement], *, write: bool
) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The connection context a script runs in: a transaction when it writes."""
    if not write:
        return db.reading()
    if any(s.kind == "TRANSACTION" for s in statements):
        return db.writing()  # the script manages its own transactions
    return db.transaction()


def run_script(
    con: duckdb.DuckDBPyConnection,
    statements: list[ParsedStatement],
    sql: str,
    *,
    path: str | None,
) -> duckdb.DuckDBPyRelation | None:
    """Run every statement but the last, and return the last one's relation.

    A SELECT's relation is lazy (it runs when read); other statements have run already.
    """
    for statement in statements[:-1]:
        try:
            con.execute(statement.body).fetchall()
        except duckdb.Error as exc:
            raise sql_error(exc, sql, offset=statement.offset, path=path) from exc
    last = statements[-1]
    try:
        return con.sql(last.body)
    except duckdb.Error as exc:
        position = locate(con, exc, last)
        raise sql_error(exc, sql, offset=last.offset, path=path, position=position) from exc


_EXPLAIN = "EXPLAIN "


def locate(
    con: duckdb.DuckDBPyConnection, exc: duckdb.Error, statement: ParsedStatement
) -> int | None:
    """Where in the script a failed statement went wrong, when DuckDB did not say.

    DuckDB's relation API (``con.sql``) binds a SELECT without the ``LINE`` excerpt that
    carries the position; binding it again through EXPLAIN (which plans but runs nothing)
    brings the excerpt back.
    """
    if "\nLINE " in str(exc) or statement.kind != "SELECT":
        return None
    probe = _EXPLAIN + statement.body
    try:
        con.execute(probe).fetchall()
    except duckdb.Error as again:
        found = error_position(str(again), probe)
        if found is not None and found >= len(_EXPLAIN):
            return statement.offset + found - len(_EXPLAIN)
    return None


def portable(rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """Cast INTERVAL columns to text: neither polars nor Parquet-from-Arrow can take them."""
    types = [str(t) for t in rel.types]
    if not any(t == "INTERVAL" for t in types):
        return rel
    exprs = []
    for index, (name, kind) in enumerate(zip(rel.columns, types, strict=True)):
        ref = f"#{index + 1}"
        expr = f"CAST({ref} AS VARCHAR)" if kind == "INTERVAL" else ref
        exprs.append(f"{expr} AS {quote_ident(name)}")
    return rel.project(", ".join(exprs))


def json_positions(rel: duckdb.DuckDBPyRelation) -> set[int]:
    """Positions of the columns of DuckDB's JSON type."""
    return {i for i, t in enumerate(rel.types) if str(t) == "JSON"}


def relation_frame(
    rel: duckdb.DuckDBPyRelation | None,
    *,
    decode_json: bool,
    on_error: Callable[[duckdb.Error], Exception],
) -> polars.DataFrame:
    """Materialise a relation as a polars frame.

    ``decode_json`` turns JSON columns into Python values (an ``Object`` column), which is
    how they render faithfully; otherwise they stay JSON text (``String``).
    """
    import polars

    if rel is None:
        return polars.DataFrame()
    try:
        rel = portable(rel)
        positions = json_positions(rel)
        frame: polars.DataFrame = rel.pl()
    except duckdb.Error as exc:
        raise on_error(exc) from exc
    if not decode_json or not positions:
        return frame
    columns = []
    for index, name in enumerate(frame.columns):
        if index in positions:
            values: list[Any] = [decode_json_value(v) for v in frame.get_column(name).to_list()]
            columns.append(polars.Series(name, values, dtype=polars.Object))
        else:
            columns.append(frame.get_column(name))
    return polars.DataFrame(columns)


def stream_relation(
    rel: duckdb.DuckDBPyRelation | None,
    target: Path,
    *,
    fmt: str | None,
    on_error: Callable[[duckdb.Error], Exception],
) -> tuple[ExportFormat, int]:
    """Write a relation's rows to a file in batches; returns the format and the row count."""
    chosen, gz = export_format(target, fmt)
    if rel is None:
        import pyarrow

        empty = pyarrow.RecordBatchReader.from_batches(pyarrow.schema([]), [])
        return chosen, write_batches(empty, target, chosen, gz=gz)
    try:
        rel = portable(rel)
        positions = json_positions(rel)
        reader = rel.to_arrow_reader(BATCH_ROWS)
        return chosen, write_batches(reader, target, chosen, gz=gz, json_columns=positions)
    except duckdb.Error as exc:
        raise on_error(exc) from exc
