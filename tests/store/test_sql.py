"""Statement classification with DuckDB's parser, quoting, statement bodies."""

from __future__ import annotations

import duckdb
import pytest

from mixpanel_data.exceptions import ReadOnlyError, SQLError, ValidationError
from mixpanel_data.store._results import check_writes, parse_script
from mixpanel_data.store._sql import quote_ident, quote_literal, statement_body


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("events", '"events"'), ("$browser", '"$browser"'), ('a"b', '"a""b"'), ("", '""')],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert quoted == quote_ident(name)


def test_quote_ident_round_trips_through_duckdb() -> None:
    con = duckdb.connect()
    name = 'odd "name" with $ and spaces'
    con.execute(f"CREATE TABLE {quote_ident(name)} (x INT)")
    assert [(name,)] == con.execute("SELECT table_name FROM duckdb_tables()").fetchall()


def test_quote_literal() -> None:
    assert quote_literal("it's") == "'it''s'"


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("select 1;", "select 1"),
        ("select 1; -- trailing comment\n", "select 1"),
        ("select ';' /* c */ ;  /* d */ ", "select ';'"),
        ("\n  select 2", "\n  select 2"),
        ("select 1 -- c", "select 1"),
    ],
)
def test_statement_body(text: str, body: str) -> None:
    assert body == statement_body(text)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "FROM events",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "DESCRIBE events",
        "SHOW TABLES",
        "SUMMARIZE events",
        "EXPLAIN SELECT 1",
        "PRAGMA table_info('events')",
        "SET threads = 2",
        "BEGIN; SELECT 1; COMMIT",
        "SELECT 'DROP TABLE events'",
        "-- DELETE FROM events\nSELECT 1",
    ],
)
def test_reading_statements_pass(sql: str) -> None:
    check_writes(parse_script(sql), write=False, path=None)


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("INSERT INTO events VALUES (1)", "INSERT"),
        ("UPDATE events SET a = 1", "UPDATE"),
        ("DELETE FROM events", "DELETE"),
        ("DROP TABLE events", "DROP"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("ALTER TABLE events ADD COLUMN x INT", "ALTER"),
        ("COPY events TO 'x.csv'", "COPY"),
        ("ATTACH 'other.duckdb' AS o", "ATTACH"),
        ("SELECT 1; DROP TABLE events", "DROP"),
        ("VACUUM", "VACUUM"),
        ("UPDATE EXTENSIONS", "UNKNOWN"),
    ],
)
def test_writing_statements_need_write(sql: str, kind: str) -> None:
    statements = parse_script(sql)
    with pytest.raises(ReadOnlyError) as info:
        check_writes(statements, write=False, path=None)
    assert f"a {kind} statement" in info.value.message
    assert "--write" in (info.value.hint or "")
    check_writes(statements, write=True, path=None)


def test_statement_offsets_point_into_the_script() -> None:
    sql = "select 1;\n  select 2; select 3"
    offsets = [s.offset for s in parse_script(sql)]
    assert offsets == [0, 9, 21]
    assert sql[21:].startswith(" select 3")


@pytest.mark.parametrize("sql", ["", "   ", "\n"])
def test_empty_sql_is_a_validation_error(sql: str) -> None:
    with pytest.raises(ValidationError, match="no SQL"):
        parse_script(sql)


def test_comment_only_sql_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="only comments"):
        parse_script("-- nothing here")


def test_parse_error_has_duckdb_message_and_position() -> None:
    with pytest.raises(SQLError) as info:
        parse_script("select 1;\nselect * FORM events")
    assert info.value.message.startswith('Parser Error: syntax error at or near "events"')
    assert info.value.position == 24
    assert "line 2, column 15" in info.value.message
