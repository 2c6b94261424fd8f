"""Reading positions and lock holders out of DuckDB's messages; mapping its exceptions."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from mixpanel_data.exceptions import DatabaseLockedError, ReadOnlyError, SQLError, StorageError
from mixpanel_data.store._errors import (
    describe_process,
    error_position,
    lock_holder,
    sql_error,
    storage_error,
)


def _duckdb_error(sql: str) -> duckdb.Error:
    con = duckdb.connect()
    con.execute("CREATE TABLE events (event VARCHAR, n INT)")
    try:
        con.execute(sql).fetchall()
    except duckdb.Error as exc:
        return exc
    raise AssertionError(f"{sql!r} did not fail")


@pytest.mark.parametrize(
    ("sql", "target"),
    [
        ("select nope from events", "nope"),
        ("select event,\n  nope from events", "nope"),
        ("select * from nowhere", "nowhere"),
        ("select " + ", ".join(f"event AS c{i}" for i in range(60)) + ", nope FROM events", "nope"),
    ],
)
def test_error_position_points_at_the_culprit(sql: str, target: str) -> None:
    exc = _duckdb_error(sql)
    assert sql.index(target) == error_position(str(exc), sql)


def test_error_position_with_statement_offset() -> None:
    statement = "\nselect nope from events"
    script = "select 1;" + statement
    exc = _duckdb_error(statement)
    assert script.index("nope") == error_position(str(exc), script, offset=9)


def test_error_position_is_none_without_an_excerpt() -> None:
    assert error_position("Binder Error: something", "select 1") is None


def test_sql_error_keeps_duckdb_message_and_adds_position() -> None:
    sql = "select nope from events"
    error = sql_error(_duckdb_error(sql), sql, path="/x.duckdb")
    assert isinstance(error, SQLError)
    assert error.position == 7
    assert error.path == "/x.duckdb"
    assert error.message == (
        'Binder Error: Referenced column "nope" not found in FROM clause! '
        'Candidate bindings: "n" (at line 1, column 8: "nope from events")'
    )


def test_missing_table_hints_at_mp_db_tables() -> None:
    sql = "select * from nowhere"
    error = sql_error(_duckdb_error(sql), sql)
    assert isinstance(error, SQLError)
    assert "mp db tables" in (error.hint or "")


def test_read_only_violation_becomes_read_only_error(tmp_path: Path) -> None:
    path = str(tmp_path / "ro.duckdb")
    duckdb.connect(path).close()
    con = duckdb.connect(path, read_only=True)
    try:
        con.execute("CREATE TABLE t (x INT)")
    except duckdb.Error as exc:
        error = sql_error(exc, "CREATE TABLE t (x INT)")
    finally:
        con.close()
    assert isinstance(error, ReadOnlyError)
    assert "--write" in (error.hint or "")


def test_interrupt_becomes_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt):
        sql_error(duckdb.InterruptException("INTERRUPT Error: Interrupted!"), "select 1")


LOCK_WRITER = (
    'IO Error: Could not set lock on file "/d/x.duckdb": Conflicting lock is held in '
    "/usr/bin/python3.11 (PID 4242). See also https://duckdb.org/docs/current/connect/concurrency"
)
LOCK_READER = (
    'IO Error: Could not set lock on file "/d/x.duckdb": Conflicting lock is held in '
    "/usr/bin/python3.11 (PID 77). However, you would be able to open this database in "
    "read-only mode, e.g. by using the -readonly parameter in the CLI."
)


def test_lock_holder_reads_pid_and_role() -> None:
    writer = lock_holder(duckdb.IOException(LOCK_WRITER))
    reader = lock_holder(duckdb.IOException(LOCK_READER))
    assert (writer.pid, writer.reader) == (4242, False)
    assert (reader.pid, reader.reader) == (77, True)


def test_lock_conflict_becomes_database_locked_error() -> None:
    error = storage_error(duckdb.IOException(LOCK_WRITER), path="/d/x.duckdb")
    assert isinstance(error, DatabaseLockedError)
    assert "process 4242" in error.message
    assert "writing" in error.message
    assert "wait for process 4242" in (error.hint or "")


def test_other_io_errors_are_storage_errors() -> None:
    error = storage_error(duckdb.IOException("IO Error: disk full"), path="/d/x.duckdb")
    assert type(error) is StorageError
    assert "disk full" in error.message


def test_describe_process_shows_command_words_only() -> None:
    words = describe_process(os.getpid())
    assert words  # this very process: pytest (or python -m pytest)
    assert "--" not in words
    assert "=" not in words


def test_describe_process_of_a_missing_pid_is_empty() -> None:
    assert describe_process(2**22 + 12345) == ""
