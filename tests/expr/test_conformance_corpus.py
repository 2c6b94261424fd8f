"""Conformance corpus for Mixpanel's segmentation expressions.

- Mixpanel's documented examples (segmentation-expressions, the raw export and engage
  references, the typecast example) and every production of the documented grammar parse,
  round-trip through ``to_source`` and mean what the docs say, in the Python evaluator
  (export and engage filters) and in the compiled DuckDB SQL (reports) alike.
- Invalid text is refused with an :class:`ExpressionError` at the 0-based position worked
  out by hand in each row.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import duckdb
import pytest

from mixpanel_data.analytics.expr import (
    SqlContext,
    compile_filter,
    matches,
    parse,
    to_source,
)
from mixpanel_data.exceptions import ExpressionError

# Each production of the documented grammar (segmentation-expressions):
#   expr := properties["name"] | expr binop expr | unop expr | mathop(expr) | cast(expr)
#         | (expr) | boolean | number | string
GRAMMAR = [
    'properties["$browser"]',
    'properties["a"] + 1',
    'properties["a"] - 1',
    'properties["a"] * 2',
    'properties["a"] / 2',
    'properties["a"] % 2 == 0',
    'properties["a"] != "x"',
    'properties["a"] > 1',
    'properties["a"] >= 1',
    'properties["a"] < 1',
    'properties["a"] <= 1',
    '"sub" in properties["title"]',
    'properties["a"] > 1 and properties["b"] < 2',
    'properties["a"] > 1 or properties["b"] < 2',
    '-properties["a"]',
    'not properties["flag"]',
    'floor(properties["a"])',
    'round(properties["a"])',
    'ceil(properties["a"])',
    'boolean(properties["a"])',
    'number(properties["a"])',
    'string(properties["a"])',
    '(properties["a"])',
    "true",
    "false",
    "42",
    "-1.5e-3",
    '"a string"',
]

# Mixpanel's own examples, word for word, and forms its docs and scripts use.
DOCUMENTED = [
    # segmentation-expressions: the examples table and the typecast example
    'properties["account_id"] in [1,2,3,4]',
    'user["$email"] == "allison@example.com"',
    'defined(properties["My Prop"])',
    'not defined(properties["city"])',
    'boolean(properties["signed up"])',
    # raw export reference (where) and the query reference (born_where/where)
    'properties["$os"]=="Linux"',
    'event["$time"] >= datetime("2024-01-01T00:00:00")',
    # engage reference (where on profiles)
    'properties["plan"] == "pro"',
    # hot-shard export scripts
    'any(X, properties["company"], X="acme")',
    'string(properties["company"], "undefined") == "acme"',
    'number(properties["mp_processing_time_ms"]) < 1700000000000',
    '(defined(properties["company"])) AND ((any(X, properties["company"], X="acme"))'
    ' OR (string(properties["company"], "undefined") == "acme"))',
    # everyday variants: single quotes, spacing, case of keywords, nesting
    "properties['$os'] == 'Mac OS X'",
    '  properties [ "a" ]\t==\n1  ',
    'NOT (properties["a"] > 1) Or FALSE',
    'properties["plan"] in ["pro", "enterprise"] and user["$email"] != ""',
    '"Linux" == properties["$os"]',
    'properties["a"] != null',
    'string(properties["width"]) + "px" == "1280px"',
    "1.5e-3 < 2E+3",
    'datetime("2024-01-01T00:00:00") <= event["$time"]',
    '((((properties["deep"]))))',
]


@pytest.mark.parametrize("text", GRAMMAR + DOCUMENTED)
def test_corpus_round_trips(text: str) -> None:
    tree = parse(text)
    canonical = to_source(tree)
    again = parse(canonical)
    assert again == tree
    assert to_source(again) == canonical


# -- what the documented examples mean --------------------------------------------------

CTX = SqlContext(properties='"properties"', user='"u"', event='"event"', time='"time"')
JAN_2 = 1704153600000  # 2024-01-02T00:00:00Z in ms

# (expression, event properties, profile properties, kept?) — from the docs' descriptions.
MEANINGS: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # "Returns true if account_id event property is 1, 2, 3, or 4, otherwise false."
    ('properties["account_id"] in [1,2,3,4]', {"account_id": 3}, {}, True),
    ('properties["account_id"] in [1,2,3,4]', {"account_id": 5}, {}, False),
    ('properties["account_id"] in [1,2,3,4]', {}, {}, False),
    # "Returns true if $email user property is allison@example.com"
    ('user["$email"] == "allison@example.com"', {}, {"$email": "allison@example.com"}, True),
    ('user["$email"] == "allison@example.com"', {}, {"$email": "bob@example.com"}, False),
    ('user["$email"] == "allison@example.com"', {"$email": "allison@example.com"}, {}, False),
    # "defined ... is the same as 'is set' in the UI"; "not defined ... 'is not set'"
    ('defined(properties["My Prop"])', {"My Prop": "x"}, {}, True),
    ('defined(properties["My Prop"])', {"My Prop": 0}, {}, True),
    ('defined(properties["My Prop"])', {"my prop": "x"}, {}, False),
    ('not defined(properties["city"])', {}, {}, True),
    ('not defined(properties["city"])', {"city": "Paris"}, {}, False),
    # Typecast example: "signed up" holds "true"/"false" strings, boolean() reads them.
    ('boolean(properties["signed up"])', {"signed up": "true"}, {}, True),
    ('boolean(properties["signed up"])', {"signed up": "false"}, {}, False),
    # Equality across types is false; a string is not the number it spells.
    ('properties["$os"]=="Linux"', {"$os": "Linux"}, {}, True),
    ('properties["$os"]=="Linux"', {"$os": "linux"}, {}, False),
    ('properties["n"] == 1', {"n": "1"}, {}, False),
    # Comparisons only between numbers: otherwise undefined, and undefined is not kept.
    ('properties["n"] > 1', {"n": "5"}, {}, False),
    ('number(properties["n"]) > 1', {"n": "5"}, {}, True),
    # "The in operator returns true if ... the first string is a substring of the second."
    ('"ell" in properties["s"]', {"s": "hello"}, {}, True),
    ('"xyz" in properties["s"]', {"s": "hello"}, {}, False),
    # "An operand with type undefined evaluates as false" in and/or.
    ('properties["missing"] or properties["t"]', {"t": True}, {}, True),
    ('properties["missing"] and properties["t"]', {"t": True}, {}, False),
    # "not ... will also evaluate an operand of type undefined as true."
    ('not properties["missing"]', {}, {}, True),
    # "The division operator will return undefined if the divisor is 0."
    ('defined(properties["n"] / 0)', {"n": 4}, {}, False),
    # "The sign of the value of the remainder will be equivalent to the dividend."
    ('properties["n"] % 3 == -1', {"n": -7}, {}, True),
    # "+ ... if its two operands are of type string, it will concatenate the two strings."
    ('properties["a"] + properties["b"] == "foobar"', {"a": "foo", "b": "bar"}, {}, True),
    ('defined(properties["a"] + properties["n"])', {"a": "foo", "n": 1}, {}, False),
    # Casting to number: strings parse as decimals, true is 1.0; null is undefined.
    ('number(properties["s"]) == 12.5', {"s": "12.5"}, {}, True),
    ('number(properties["t"]) == 1', {"t": True}, {}, True),
    ('defined(number(properties["z"]))', {"z": None}, {}, False),
    # Casting to string: numbers in decimal, booleans as "true"/"false".
    ('string(properties["n"]) == "3"', {"n": 3}, {}, True),
    ('string(properties["t"]) == "false"', {"t": False}, {}, True),
    # floor/round/ceil on numbers; other types give undefined.
    ('floor(properties["n"]) == 2 and ceil(properties["n"]) == 3', {"n": 2.5}, {}, True),
    ('defined(round(properties["s"]))', {"s": "2.5"}, {}, False),
    # The export's time filter reads the event's UTC time.
    ('event["$time"] >= datetime("2024-01-01T00:00:00")', {}, {}, True),
    ('event["$time"] >= datetime("2024-01-03T00:00:00")', {}, {}, False),
    # Mixpanel's hot-shard script filter.
    ('any(X, properties["company"], X="acme")', {"company": ["beta", "acme"]}, {}, True),
    ('string(properties["company"], "undefined") == "acme"', {"company": "acme"}, {}, True),
    ('string(properties["company"], "undefined") == "undefined"', {}, {}, True),
]


@functools.cache
def _con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _kept_by_sql(text: str, props: dict[str, Any], user: dict[str, Any]) -> bool:
    row = (
        _con()
        .execute(
            f"SELECT {compile_filter(text, CTX)} FROM (SELECT CAST(? AS JSON) AS properties,"
            " CAST(? AS JSON) AS u, ? AS event, epoch_ms(?) AS time)",
            [json.dumps(props), json.dumps(user), "Purchase", JAN_2],
        )
        .fetchall()
    )
    value = row[0][0]
    assert isinstance(value, bool)
    return value


@pytest.mark.parametrize(("text", "props", "user", "kept"), MEANINGS)
def test_documented_meaning_in_python_and_sql(
    text: str, props: dict[str, Any], user: dict[str, Any], kept: bool
) -> None:
    in_python = matches(text, props, user=user, event_name="Purchase", time_ms=JAN_2)
    assert in_python is kept
    assert _kept_by_sql(text, props, user) is kept


# -- invalid text: refused at the right position ------------------------------------------

# (text, 0-based position, words the message must contain); positions counted by hand.
INVALID: list[tuple[str, int, str]] = [
    # the list is never closed: the end of the text (24 characters)
    ('properties["a"] in [1, 2', 24, "expected ']'"),
    # round takes one argument; the call starts at 0
    ("round(1, 2)", 0, "round() takes 1 argument"),
    ("floor()", 0, "floor() takes 1 argument"),
    ("number()", 0, "number() takes 1 or 2 arguments"),
    # user[...] needs a quoted name: the 1 is at 5
    ("user[1]", 5, "quoted property name"),
    # nothing after "datetime(": the end, 27
    ('event["$time"] >= datetime(', 27, "expected a value"),
    # a bare "not", and an "AND"/"or"/"in" with nothing after them: the end of the text
    ("not", 3, "expected a value"),
    ('properties["a"] AND', 19, "expected a value"),
    ('properties["a"] == 1 or', 23, "expected a value"),
    ('properties["a"] in', 18, "expected a value"),
    # "*" where a value should follow "+": position 3
    ("1 +* 2", 3, "unexpected '*'"),
    # a string never closed is reported where it starts
    ('"abc', 0, "unterminated string"),
    ('properties["a"] == "x', 19, "unterminated string"),
    # a stray "]" after a complete property: 15
    ('properties["a"]]', 15, "unexpected ']'"),
    # a trailing comma leaves "]" where an item should be: 6
    ("[1, 2,]", 6, "unexpected ']'"),
    # defined( never closed: the end, 23
    ('defined(properties["a"]', 23, "expected ')'"),
    # Y is not the variable any() binds: at 24
    ('any(X, properties["l"], Y == 1)', 24, "unknown name 'Y'"),
    # empty parentheses: the ")" at 1
    ("()", 1, "unexpected ')'"),
    # dotted access is not Mixpanel syntax: the "." at 10
    ("properties.a == 1", 10, "unexpected character '.'"),
    # typographic quotes are not string quotes: at 11
    ("properties[\u201ca\u201d]", 11, "unexpected character"),
    # JavaScript operators are not in the grammar: the third "=" of "===" at 18
    ('properties["a"] === 1', 18, "expected a value"),
    ('properties["a"] || true', 16, "unexpected character '|'"),
]


@pytest.mark.parametrize(("text", "position", "words"), INVALID)
def test_invalid_text_is_refused_at_its_position(text: str, position: int, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    error = info.value
    assert error.position == position, error.message
    assert words in error.message
    assert f"at position {position}" in error.message
    assert error.expression == text
