"""SQL text helpers and the one place where analytics queries run.

Every report builds one SQL statement from trusted pieces: identifiers go through
:func:`ident`, values through :func:`lit` (standard SQL quoting; DuckDB strings have no
backslash escapes), and expressions come from the expression compiler. Running a statement
goes through :func:`frame` or :func:`rows`, which turn DuckDB errors into the library's own
exceptions, so no ``duckdb.Error`` leaks out of a report function.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import duckdb

from mixpanel_data.exceptions import SQLError, TableNotFoundError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl

__all__ = ["date_lit", "frame", "ident", "lit", "rows", "ts_lit"]


def ident(name: str) -> str:
    """Quote an SQL identifier (a table or column name)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string as an SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def date_lit(value: dt.date) -> str:
    """An SQL ``DATE`` literal."""
    return f"DATE '{value.isoformat()}'"


def ts_lit(value: dt.datetime | dt.date) -> str:
    """An SQL ``TIMESTAMP`` literal (naive: the caller knows which clock it is on)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return f"TIMESTAMP '{value.replace(tzinfo=None).isoformat(sep=' ')}'"


def _expression_error(exc: duckdb.Error, expressions: Sequence[str]) -> Exception | None:
    """The ExpressionError behind a runtime failure of compiled expression SQL, if any."""
    if not expressions:
        return None
    from mixpanel_data.analytics.expr import expression_error_from_sql

    # The message quotes the failing operand; blame the expression containing it.
    quoted = re.findall(r"\(([^()]*)\)", str(exc))
    culprit = next(
        (text for text in expressions for part in quoted if part and part in text),
        expressions[0],
    )
    return expression_error_from_sql(exc, culprit)


def _translate(exc: duckdb.Error, expressions: Sequence[str]) -> Exception:
    expression_error = _expression_error(exc, expressions)
    if expression_error is not None:
        return expression_error
    if isinstance(exc, duckdb.CatalogException):
        return TableNotFoundError(
            f"analytics query refers to a table or column that does not exist: {exc}",
            hint="fetch events first (`mp events fetch`) or pass the right table name",
        )
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return SQLError(
        f"analytics query failed: {first}",
        hint="check the table holds events in the documented schema; "
        "otherwise report it as a bug in mixpanel_data.analytics",
    )


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, expressions: Sequence[str] = ()
) -> pl.DataFrame:
    """Run ``sql`` and return the result as a polars frame.

    ``expressions`` are the Mixpanel expressions compiled into ``sql``; a row they reject
    (e.g. ``and`` over a string) fails the query, which becomes an ``ExpressionError``.
    """
    try:
        result: pl.DataFrame = con.sql(sql).pl()
    except duckdb.Error as exc:
        raise _translate(exc, expressions) from exc
    return result


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, expressions: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Run ``sql`` and return all result rows (for small results); see :func:`frame`."""
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise _translate(exc, expressions) from exc
