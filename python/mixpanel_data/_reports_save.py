"""``--save-as``: store a report's tidy frame as a table, registered as a report.

The table is replaced whole each time (a report is a snapshot), in one transaction with its
row in the ``_mp_tables`` registry (``kind = 'report'``, ``source`` = the report's parameters
as JSON), so ``mp db tables`` lists it and ``mp query`` reads it. A table that mp did not
write as a report (events, users, a user's own table) is never overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import duckdb
import orjson

from mixpanel_data.exceptions import TableExistsError, ValidationError
from mixpanel_data.store._errors import storage_error

if TYPE_CHECKING:
    import polars

    from mixpanel_data._result import Result
    from mixpanel_data.store._database import Database

__all__ = ["check_table_name", "save_report"]

_STAGING = "_mp_report_frame"


def check_table_name(name: str) -> str:
    """A table name fit for ``--save-as`` (not blank, not one of mp's ``_mp_`` tables)."""
    given: object = name  # checked at runtime: callers may not be type-checked
    text = given.strip() if isinstance(given, str) else ""
    if not text:
        raise ValidationError("the --save-as table name is empty", hint="pass a table name")
    if text.lower().startswith("_mp_"):
        raise ValidationError(
            f"table names starting with _mp_ are mp's own: {text!r}",
            hint="choose another name for the report table",
        )
    if any(ch in text for ch in "\x00\n\r"):
        raise ValidationError(f"the table name {text!r} contains a control character")
    return text


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def save_report(db: Database, name: str, result: Result) -> int:
    """Write ``result``'s frame to table ``name`` and register it; returns the row count.

    Raises
    ------
    TableExistsError
        A table or view of that name exists and is not a report table mp wrote.
    """
    from mixpanel_data.store._introspect import ensure_metadata_tables

    table = check_table_name(name)
    frame = result._rows()
    header = result._header() or {}
    source = orjson.dumps(header, default=_json_default).decode()
    ensure_metadata_tables(db)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        return _write(db, table, frame, source, now)
    except duckdb.Error as exc:
        raise storage_error(exc, path=db.label, doing=f"saving the report as {table!r}") from exc


def _write(db: Database, table: str, frame: polars.DataFrame, source: str, now: dt.datetime) -> int:
    with db.transaction() as con:
        existing = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND lower(table_name) = lower(?) "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = "
            "current_database() AND schema_name = 'main' AND NOT internal "
            "AND lower(view_name) = lower(?)",
            [table, table],
        ).fetchall()
        registered = con.execute(
            "SELECT kind, created_at FROM _mp_tables WHERE lower(name) = lower(?)", [table]
        ).fetchall()
        if existing and (not registered or registered[0][0] != "report"):
            kind = registered[0][0] if registered else "table"
            raise TableExistsError(
                f"a {kind} table called {existing[0][0]!r} already exists; --save-as only "
                "replaces report tables",
                path=db.label,
                hint="choose another name, or drop that table first",
            )
        if existing:
            table = existing[0][0]
            con.execute(f"DROP TABLE IF EXISTS {_quote(table)}").fetchall()
        created = registered[0][1] if registered else now
        con.register(_STAGING, frame.to_arrow())
        try:
            con.execute(
                f"CREATE TABLE {_quote(table)} AS SELECT * FROM {_STAGING}"  # noqa: S608 - quoted
            ).fetchall()
        finally:
            con.unregister(_STAGING)
        con.execute("DELETE FROM _mp_tables WHERE lower(name) = lower(?)", [table]).fetchall()
        con.execute(
            "INSERT INTO _mp_tables (name, kind, source, rows, first_time, last_time, "
            "created_at, updated_at) VALUES (?, 'report', ?, ?, NULL, NULL, ?, ?)",
            [table, source, frame.height, created, now],
        ).fetchall()
    return frame.height
