"""The DuckDB choke point: opening, modes, transactions, releasing the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mixpanel_data.exceptions import DatabaseLockedError, ReadOnlyError, SQLError, StorageError
from mixpanel_data.store._database import Database


def test_in_memory_database_reads_and_writes() -> None:
    db = Database(None)
    db.execute("CREATE TABLE t AS SELECT 42 AS x")
    assert db.fetchall("SELECT x FROM t") == [(42,)]
    assert db.label is None
    db.close()


def test_writer_creates_the_file_and_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "x.duckdb"
    db = Database(path)
    db.execute("CREATE TABLE t (x INT)")
    db.close()
    assert path.exists()


def test_reader_of_a_missing_file_sees_an_empty_database_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "missing.duckdb"
    db = Database(path, read_only=True)
    assert db.fetchall("SELECT table_name FROM duckdb_tables()") == []
    db.close()
    assert not path.exists()


def test_reader_that_must_find_the_file_says_so(tmp_path: Path) -> None:
    db = Database(tmp_path / "typo.duckdb", read_only=True, must_exist=True)
    with pytest.raises(StorageError, match="no database file at"):
        db.fetchall("SELECT 1")


def test_read_only_database_refuses_writes(sample_db: Path) -> None:
    db = Database(sample_db, read_only=True)
    with pytest.raises(ReadOnlyError):
        db.execute("DELETE FROM notes")
    assert db.fetchall("SELECT count(*) FROM notes") == [(2,)]
    db.close()


def test_transaction_commits(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.duckdb")
    with db.transaction() as con:
        con.execute("CREATE TABLE t (x INT)")
        con.execute("INSERT INTO t VALUES (1), (2)")
    assert db.fetchall("SELECT count(*) FROM t") == [(2,)]
    db.close()


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.duckdb")
    db.execute("CREATE TABLE t (x INT)")

    def insert_then_fail() -> None:
        with db.transaction() as con:
            con.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    assert db.fetchall("SELECT count(*) FROM t") == [(0,)]
    assert not db.in_transaction
    db.close()


def test_nested_transactions_join_the_outer_one(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.duckdb")
    db.execute("CREATE TABLE t (x INT)")

    def nested_then_fail() -> None:
        with db.transaction() as outer:
            outer.execute("INSERT INTO t VALUES (1)")
            with db.transaction() as inner:
                inner.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("the outer block fails after the inner one finished")

    with pytest.raises(RuntimeError):
        nested_then_fail()
    assert db.fetchall("SELECT count(*) FROM t") == [(0,)]
    db.close()


def test_sql_errors_from_internal_statements_are_sql_errors(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.duckdb")
    with pytest.raises(SQLError, match="nope"):
        db.fetchall("SELECT * FROM nope")
    db.close()


def test_frame_returns_polars(sample_db: Path) -> None:
    db = Database(sample_db, read_only=True)
    frame = db.frame("SELECT count(*) AS n FROM events WHERE event = ?", ["Sign Up"])
    assert frame.to_dicts() == [{"n": 2}]
    db.close()


def test_keep_open_false_releases_the_file_after_each_call(sample_db: Path) -> None:
    db = Database(sample_db, keep_open=False)
    assert db.fetchall("SELECT count(*) FROM notes") == [(2,)]
    assert not db.is_open
    db.execute("INSERT INTO notes VALUES (3, 'x')")
    assert not db.is_open
    assert db.fetchall("SELECT count(*) FROM notes") == [(3,)]


def test_keep_open_holds_the_connection(sample_db: Path) -> None:
    db = Database(sample_db)
    db.fetchall("SELECT 1")
    assert db.is_open
    db.release()
    assert not db.is_open


def test_raw_connection_is_held_until_release(sample_db: Path) -> None:
    db = Database(sample_db, keep_open=False)
    con = db.connection
    assert con.execute("SELECT count(*) FROM notes").fetchall() == [(2,)]
    db.fetchall("SELECT 1")
    assert db.is_open  # pinned: the raw connection stays usable
    db.release()
    assert not db.is_open


def test_reader_shares_this_process_read_write_instance(sample_db: Path) -> None:
    writer = Database(sample_db)
    writer.execute("INSERT INTO notes VALUES (3, 'new')")
    reader = Database(sample_db, read_only=True)
    assert reader.fetchall("SELECT count(*) FROM notes") == [(3,)]
    with pytest.raises(ReadOnlyError):
        reader.execute("DELETE FROM notes")
    reader.close()
    writer.close()


def test_writer_cannot_open_a_file_this_process_reads(sample_db: Path) -> None:
    reader = Database(sample_db, read_only=True)
    reader.fetchall("SELECT 1")
    writer = Database(sample_db)
    with pytest.raises(DatabaseLockedError, match="already has"):
        writer.execute("DELETE FROM notes")
    reader.close()
    writer.close()


def test_writing_after_reading_reopens_read_write(sample_db: Path) -> None:
    db = Database(sample_db, keep_open=False)
    with db.reading():
        pass
    db.execute("DELETE FROM notes")
    assert db.fetchall("SELECT count(*) FROM notes") == [(0,)]


def test_times_are_rendered_in_utc(tmp_path: Path) -> None:
    db = Database(None)
    value = db.fetchall("SELECT TIMESTAMPTZ '2024-01-01 02:00:00+02'::VARCHAR")[0][0]
    assert value == "2024-01-01 00:00:00+00"
    db.close()


def test_not_a_database_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.duckdb"
    path.write_bytes(b"this is not duckdb" * 1000)
    db = Database(path)
    with pytest.raises(StorageError, match="not a valid DuckDB database"):
        db.fetchall("SELECT 1")
