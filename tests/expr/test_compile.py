"""The SQL compiler: shape of the SQL, contexts, and use inside real queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from mixpanel_data.analytics.expr import (
    SqlContext,
    compile_filter,
    compile_number,
    compile_segment,
    matches,
    parse,
)
from mixpanel_data.exceptions import ExpressionError

EVENTS: list[dict[str, Any]] = [
    {"event": "Purchase", "time": 1704067200000, "properties": {"$browser": "Chrome", "amount": 5}},
    {
        "event": "Purchase",
        "time": 1704067260000,
        "properties": {"$browser": "Chrome", "amount": 5.5},
    },
    {
        "event": "Purchase",
        "time": 1704153600000,
        "properties": {"$browser": "Firefox", "amount": "7"},
    },
    {"event": "Signed up", "time": 1704153600500, "properties": {"$browser": True, "amount": None}},
    {"event": "Signed up", "time": 1704240000000, "properties": {"$browser": None}},
    {"event": "Signed up", "time": 1704240000000, "properties": {"$browser": ["a", 1]}},
    {"event": "Signed up", "time": 1704240000000, "properties": {}},
]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(
        'CREATE TABLE events (event VARCHAR NOT NULL, "time" TIMESTAMP NOT NULL, properties JSON)'
    )
    connection.executemany(
        "INSERT INTO events VALUES (?, epoch_ms(?), ?)",
        [(e["event"], e["time"], json.dumps(e["properties"])) for e in EVENTS],
    )
    connection.execute("CREATE TABLE users (distinct_id VARCHAR, properties JSON)")
    connection.execute("""INSERT INTO users VALUES ('u1', '{"plan": "pro"}')""")
    yield connection
    connection.close()


def test_simple_filter_is_compact() -> None:
    sql = compile_filter('properties["$os"] == "Linux"')
    # One read of the property, compared as JSON text (a JSON string never equals a number).
    assert sql == (
        'coalesce(json_extract("properties", \'$."$os"\') = CAST(\'"Linux"\' AS JSON), false)'
    )
    membership = compile_filter('properties["$os"] in ["Linux", "Mac OS X", true]')
    assert membership.count("json_extract") == 1


def test_defined_filters_are_plain_null_tests() -> None:
    assert compile_filter('defined(properties["x"])') == (
        'json_extract("properties", \'$."x"\') IS NOT NULL'
    )
    assert compile_filter('not defined(properties["x"])') == (
        'NOT (json_extract("properties", \'$."x"\') IS NOT NULL)'
    )


def test_datetime_literals_become_timestamp_literals() -> None:
    sql = compile_filter('event["$time"] >= datetime("2024-01-01T00:00:00")')
    assert sql == "coalesce(\"time\" >= (TIMESTAMP '2024-01-01 00:00:00.000'), false)"
    assert "TIMESTAMP '1970-01-01 00:00:01.000'" in compile_filter(
        'event["$time"] > datetime(1000)'
    )


def test_quotes_in_keys_and_strings_are_escaped() -> None:
    sql = compile_filter('properties["it\'s \\"q\\" \\\\"] == "a\'b"')
    assert "'$.\"it''s \\\"q\\\" \\\\\"'" in sql
    assert "CAST('\"a''b\"' AS JSON)" in sql


def test_filter_in_a_where_clause(con: duckdb.DuckDBPyConnection) -> None:
    where = compile_filter(
        'event["$name"] == "Purchase" and number(properties["amount"]) > 5'
        ' and event["$time"] < datetime("2024-01-02T00:00:00")'
    )
    rows = con.execute(f"SELECT properties->>'$.amount' FROM events WHERE {where}").fetchall()
    assert rows == [("5.5",)]


def test_segments_group_like_mixpanel(con: duckdb.DuckDBPyConnection) -> None:
    seg = compile_segment('properties["$browser"]')
    rows = con.execute(
        f"SELECT {seg} AS seg, count(*) FROM events GROUP BY seg ORDER BY seg"
    ).fetchall()
    assert rows == [
        ("Chrome", 2),
        ("Firefox", 1),
        ('["a",1]', 1),
        ("null", 1),
        ("true", 1),
        ("undefined", 1),
    ]


def test_numbers_for_sums(con: duckdb.DuckDBPyConnection) -> None:
    num = compile_number('properties["amount"]')
    total, counted = con.execute(f"SELECT sum({num}), count({num}) FROM events").fetchall()[0]
    assert (total, counted) == (10.5, 2)  # "7" is a string, not a number
    casted = compile_number('number(properties["amount"])')
    assert con.execute(f"SELECT sum({casted}) FROM events").fetchall()[0][0] == 17.5


def test_segment_numbers_print_like_mixpanel(con: duckdb.DuckDBPyConnection) -> None:
    seg = compile_segment('properties["amount"] * 2')
    rows = con.execute(f"SELECT DISTINCT {seg} AS s FROM events ORDER BY s").fetchall()
    assert rows == [("10",), ("11",), ("undefined",)]


def test_aliased_columns_and_a_user_column(con: duckdb.DuckDBPyConnection) -> None:
    ctx = SqlContext(
        properties='e."properties"', user='u."properties"', event='e."event"', time='e."time"'
    )
    where = compile_filter('user["plan"] == "pro" and properties["$browser"] == "Chrome"', ctx)
    count = con.execute(
        f"SELECT count(*) FROM events AS e CROSS JOIN users AS u WHERE {where}"
    ).fetchall()[0][0]
    assert count == 2


def test_engage_context_reads_profile_properties(con: duckdb.DuckDBPyConnection) -> None:
    ctx = SqlContext(properties='"properties"', user='"properties"', event=None, time=None)
    where = compile_filter('properties["plan"] == "pro" and user["plan"] == "pro"', ctx)
    assert con.execute(f"SELECT distinct_id FROM users WHERE {where}").fetchall() == [("u1",)]


def test_a_null_user_column_reads_every_key_as_unset(con: duckdb.DuckDBPyConnection) -> None:
    ctx = SqlContext(user="CAST(NULL AS JSON)")
    seg = compile_segment('user["plan"]', ctx)
    assert con.execute(f"SELECT DISTINCT {seg} FROM events").fetchall() == [("undefined",)]


@pytest.mark.parametrize(
    ("text", "ctx", "position", "words"),
    [
        ('properties["a"] == 1 or user["plan"] == "pro"', SqlContext(), 24, "profile properties"),
        ('event["$time"] > datetime(0)', SqlContext(time=None), 0, "time column"),
        ('1 == 1 and event["$name"] == "x"', SqlContext(event=None), 11, "event-name column"),
    ],
)
def test_missing_columns_are_reported(
    text: str, ctx: SqlContext, position: int, words: str
) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_filter(text, ctx)
    assert info.value.position == position
    assert words in info.value.message
    assert info.value.expression == text


def test_user_column_is_only_referenced_when_used() -> None:
    ctx = SqlContext(user='_u."properties"')
    assert '_u."properties"' not in compile_filter('properties["a"] == 1', ctx)
    assert '_u."properties"' in compile_filter('user["a"] == 1', ctx)


def test_unparseable_text_raises_before_any_sql() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_segment('properties["a"')
    assert info.value.position == 14


def test_hot_shard_selector_stays_small(con: duckdb.DuckDBPyConnection) -> None:
    """Mixpanel's own export selector (hot-shard-limits docs) compiles to modest SQL."""
    selector = (
        '((defined (properties["company"])) AND ((any(X, properties["company"], X="acme")) OR'
        ' (string(properties["company"], "undefined") == "acme"))) AND'
        ' (number(properties["mp_processing_time_ms"]) < 1700000000000)'
    )
    sql = compile_filter(selector)
    assert len(sql) < 3000
    con.execute(
        "INSERT INTO events VALUES ('x', epoch_ms(0), ?), ('x', epoch_ms(0), ?),"
        " ('x', epoch_ms(0), ?)",
        [
            json.dumps({"company": ["acme", "b"], "mp_processing_time_ms": 1}),
            json.dumps({"company": "acme", "mp_processing_time_ms": 1}),
            json.dumps({"company": "acme", "mp_processing_time_ms": 1800000000000}),
        ],
    )
    kept = con.execute(f"SELECT count(*) FROM events WHERE {sql}").fetchall()[0][0]
    assert kept == 2
    assert matches(parse(selector), {"company": ["acme"], "mp_processing_time_ms": 1})
