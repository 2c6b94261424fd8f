"""Mixpanel's expression semantics, rule by rule, in the evaluator AND in the compiled SQL.

Each row is (expression, properties, expected value). The expected value is checked against
``evaluate``; then the same expression runs in DuckDB over the same properties and must give
the same filter decision, segment label and number.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

import duckdb
import pytest

from mixpanel_data.analytics.expr import (
    UNDEFINED,
    SqlContext,
    compile_filter,
    compile_number,
    compile_segment,
    evaluate,
    expression_error_from_sql,
    matches,
    parse,
    segment_label,
)
from mixpanel_data.exceptions import ExpressionError, ValidationError

U = UNDEFINED
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
P = {
    "s": "abc",
    "n": 5,
    "f": 2.5,
    "t": True,
    "z": None,
    "l": ["a", 1, True, None],
    "o": {"k": "v"},
    "num_text": "12",
    "date": "2024-01-01T00:00:00",
}

ROWS: list[tuple[str, dict[str, Any], Any]] = [
    # == is false across types, never an error; != is its negation.
    ('1 == "1"', {}, False),
    ("true == 1", {}, False),
    ('null == "null"', {}, False),
    ('properties["missing"] == 1', P, False),
    ('properties["n"] == 5', P, True),
    ("1 == 1.0", {}, True),
    ('properties["s"] == "abc"', P, True),
    ('properties["s"] == "ABC"', P, False),
    ('properties["z"] == null', P, True),
    ('properties["missing"] == null', P, False),
    ('properties["l"] == ["a", 1, true, null]', P, True),
    ('properties["l"] == ["a", 1.0, true, null]', P, False),  # design choice: JSON texts
    ('properties["missing"] == properties["gone"]', P, True),  # design choice
    ('1 != "1"', {}, True),
    ('properties["n"] != 5', P, False),
    # > >= < <= compare numbers only (and datetimes); otherwise undefined.
    ("2 > 1", {}, True),
    ("1 >= 1", {}, True),
    ("1 < 1", {}, False),
    ('"b" > "a"', {}, U),
    ('properties["num_text"] > 1', P, U),
    ('properties["missing"] < 1', P, U),
    ("true > false", {}, U),
    ('datetime("2024-01-02") > datetime("2024-01-01")', {}, True),
    ('event["$time"] >= datetime("2024-01-01T00:00:00")', {}, True),
    ('event["$time"] > datetime("2024-01-01T00:00:00")', {}, False),
    # + adds numbers or joins strings; other mixes are undefined.
    ("1 + 2", {}, 3.0),
    ('"a" + "b"', {}, "ab"),
    ('1 + "a"', {}, U),
    ('properties["s"] + properties["missing"]', P, U),
    ("true + 1", {}, U),
    # - * / % need numbers; division by 0 is undefined; the remainder has the dividend's sign.
    ("7 - 2 * 3", {}, 1.0),
    ("7 / 2", {}, 3.5),
    ("1 / 0", {}, U),
    ("1 % 0", {}, U),
    ("-7 % 3", {}, -1.0),
    ("7 % -3", {}, 1.0),
    ("5.5 % 2", {}, 1.5),
    ('"6" / 2', {}, U),
    ("1e308 * 10", {}, U),  # design choice: overflow is undefined
    ('-properties["n"]', P, -5.0),
    ('-properties["s"]', P, U),
    # in: substring of strings, membership of lists, undefined otherwise.
    ('"b" in "abc"', {}, True),
    ('"" in "abc"', {}, True),
    ('"x" in "abc"', {}, False),
    ('1 in "123"', {}, U),
    ('properties["n"] in [1, 5, 7]', P, True),
    ('properties["num_text"] in [12]', P, False),
    ('"a" in properties["l"]', P, True),
    ("null in [null]", {}, True),
    ("true in [1]", {}, False),
    ('properties["missing"] in [1]', P, False),
    ('"x" in properties["missing"]', P, U),
    ("[1] in [[1], 2]", {}, True),
    ('"k" in properties["o"]', P, U),
    # and/or read undefined as false; not undefined is true; not of other types undefined.
    ('properties["missing"] and true', P, False),
    ('properties["missing"] or true', P, True),
    ("1 > 0 and 2 > 1", {}, True),
    ('not properties["missing"]', P, True),
    ('not properties["t"]', P, False),
    ('not properties["s"]', P, U),
    ("not null", {}, U),
    ('not "a" > 1', {}, True),
    # defined
    ('defined(properties["s"])', P, True),
    ('defined(properties["missing"])', P, False),
    ('defined(properties["z"])', P, True),  # design choice: a null property is set
    ('not defined(properties["missing"])', P, True),
    ("defined(1 / 0)", {}, False),
    # number()
    ('number("12")', {}, 12.0),
    ('number(" 12 ")', {}, 12.0),
    ('number("-1.5e3")', {}, -1500.0),
    ('number(".5")', {}, 0.5),
    ('number("abc")', {}, U),
    ('number("0x10")', {}, U),
    ('number("inf")', {}, U),
    ('number("1e999")', {}, U),
    ("number(true)", {}, 1.0),
    ("number(false)", {}, 0.0),
    ("number(null)", {}, U),
    ('number(properties["missing"])', P, U),
    ('number(properties["l"])', P, U),
    ('number(datetime("1970-01-01T00:00:01"))', {}, 1000.0),
    ('number(properties["num_text"]) < 1700000000000', P, True),
    # string()
    ("string(1.0)", {}, "1"),
    ("string(1.5)", {}, "1.5"),
    ("string(1700000000000)", {}, "1700000000000"),
    ("string(1e21)", {}, "1e+21"),
    ("string(0.0000001)", {}, "1e-7"),
    ("string(-0.0)", {}, "0"),
    ("string(true)", {}, "true"),
    ("string(null)", {}, None),
    ('string(properties["missing"])', P, U),
    ('string(properties["l"])', P, U),
    ('string(datetime("2024-01-02T03:04:05.678"))', {}, "2024-01-02T03:04:05.678"),
    ('string(properties["missing"], "undefined")', P, "undefined"),
    ('string(properties["n"], "undefined")', P, "5"),
    ('string(properties["z"], "undefined")', P, None),
    ('number(properties["s"], -1)', P, -1.0),
    # boolean(): "false", 0, null, undefined and "" are false; any other value true.
    ('boolean("false")', {}, False),
    ('boolean("")', {}, False),
    ("boolean(0)", {}, False),
    ("boolean(null)", {}, False),
    ('boolean(properties["missing"])', P, False),
    ('boolean("true")', {}, True),
    ('boolean("0")', {}, True),
    ('boolean("False")', {}, True),
    ("boolean(2)", {}, True),
    ("boolean([])", {}, True),
    ('boolean(properties["o"])', P, True),
    # floor / round / ceil
    ("floor(2.7)", {}, 2.0),
    ("ceil(2.1)", {}, 3.0),
    ("round(2.5)", {}, 3.0),
    ("round(-2.5)", {}, -3.0),
    ("round(0.49999999999999994)", {}, 0.0),
    ('floor("2.5")', {}, U),
    # datetime()
    ('datetime("2024-01-01")', {}, T0),
    ('datetime("2024-01-01 00:00")', {}, T0),
    ('datetime("2024-01-01T00:00:00Z")', {}, T0),
    ("datetime(1704067200000)", {}, T0),
    ("datetime(1704067200000.9)", {}, T0),
    ('datetime(properties["date"])', P, T0),
    ('datetime(properties["s"])', P, U),
    ('datetime(properties["t"])', P, U),
    # any / all over list properties
    ('any(X, properties["l"], X == "a")', P, True),
    ('any(X, properties["l"], X="a")', P, True),
    ('any(X, properties["l"], X == "b")', P, False),
    ('all(X, properties["l"], defined(X))', P, True),
    ("all(X, [], false)", {}, True),
    ("any(X, [], true)", {}, False),
    ('any(X, properties["s"], X == "abc")', P, U),
    ('any(X, properties["missing"], true)', P, U),
    ("any(X, [[1, 2], [3]], any(Y, X, Y == 3))", {}, True),
    ("any(X, [1, 2], X > 1 and X < 3)", {}, True),
    # event[...] and user[...]
    ('event["$name"] == "Purchase"', {}, True),
    ('event["name"] == "Purchase"', {}, True),
    ('event["s"] == "abc"', P, True),
    ('user["plan"] == "pro"', {}, True),
    ('defined(user["missing"])', {}, False),
]

CTX = SqlContext(properties='"properties"', user='"u"', event='"event"', time='"time"')
USER = {"plan": "pro"}
NAME = "Purchase"
TIME_MS = 1704067200000  # 2024-01-01T00:00:00Z


def _evaluate(text: str, props: dict[str, Any]) -> Any:
    return evaluate(text, props, user=USER, event_name=NAME, time_ms=TIME_MS)


@functools.cache
def _con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _sql_row(text: str, props: dict[str, Any]) -> tuple[Any, ...]:
    row = (
        _con()
        .execute(
            f"SELECT {compile_filter(text, CTX)}, {compile_segment(text, CTX)},"
            f" {compile_number(text, CTX)} FROM (SELECT CAST(? AS JSON) AS properties,"
            " CAST(? AS JSON) AS u, ? AS event, epoch_ms(?) AS time)",
            [json.dumps(props), json.dumps(USER), NAME, TIME_MS],
        )
        .fetchall()
    )
    return tuple(row[0])


@pytest.mark.parametrize(("text", "props", "expected"), ROWS)
def test_rule(text: str, props: dict[str, Any], expected: Any) -> None:
    value = _evaluate(text, props)
    if expected is UNDEFINED:
        assert value is UNDEFINED
    else:
        assert type(value) is type(expected)
        assert value == expected
    kept, label, number = _sql_row(text, props)
    assert kept is (expected is True)
    assert label == segment_label(expected)
    assert number == (expected if isinstance(expected, float) else None)


def test_and_or_reject_non_booleans_at_run_time() -> None:
    text = 'properties["t"] and properties["s"]'
    with pytest.raises(ExpressionError) as info:
        _evaluate(text, P)
    assert info.value.position == 16
    assert "'and' needs boolean operands" in info.value.message
    assert "right operand" in info.value.message
    # The same row in SQL fails the query with an error that maps back.
    with pytest.raises(duckdb.Error) as sql_info:
        _sql_row(text, P)
    mapped = expression_error_from_sql(sql_info.value, text)
    assert mapped is not None
    assert mapped.position == 16
    assert mapped.expression == text
    # Rows where the operand is boolean or unset are fine.
    assert _evaluate(text, {"t": True, "s": False}) is False
    assert _sql_row(text, {"t": True})[0] is False


def test_expression_error_from_sql_ignores_other_errors() -> None:
    assert expression_error_from_sql(RuntimeError("Binder Error: x"), "true") is None


def test_evaluate_accepts_a_tree_and_reports_its_own_text() -> None:
    tree = parse('  properties["s"]  or  false')
    with pytest.raises(ExpressionError) as info:
        evaluate(tree, P)
    assert info.value.expression == '  properties["s"]  or  false'
    assert info.value.position == 19


def test_matches_is_exactly_true() -> None:
    assert matches('properties["t"]', P)
    assert not matches('properties["s"]', P)  # a string is not true
    assert not matches('properties["missing"]', P)
    assert not matches("1", {})


def test_missing_context_reads_undefined() -> None:
    assert evaluate('event["$time"]', {}) is UNDEFINED
    assert evaluate('event["$name"]', {}) is UNDEFINED
    assert evaluate('user["plan"]', {}) is UNDEFINED


def test_values_come_back_as_python_values() -> None:
    assert evaluate('properties["n"]', P) == 5.0
    assert evaluate('properties["l"]', P) == ["a", 1, True, None]
    assert evaluate('properties["o"]', P) == {"k": "v"}
    assert evaluate('event["$time"]', {}, time_ms=TIME_MS) == T0


def test_non_json_property_values_are_rejected() -> None:
    with pytest.raises(ValidationError, match="not JSON data"):
        evaluate('properties["x"]', {"x": {1, 2}})


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("Chrome", "Chrome"),
        (5, "5"),
        (5.0, "5"),
        (49.99, "49.99"),
        (1e21, "1e+21"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (UNDEFINED, "undefined"),
        (["a", 1, 2.5], '["a",1,2.5]'),
        ({"k": [1]}, '{"k":[1]}'),
        (T0, "2024-01-01T00:00:00"),
    ],
)
def test_segment_labels(value: Any, label: str) -> None:
    assert segment_label(value) == label


def test_integers_beyond_the_float_range_normalise_to_infinity() -> None:
    import math

    from mixpanel_data.analytics.expr._values import normalize

    assert normalize(10**400) == math.inf
    assert normalize(-(10**400)) == -math.inf
