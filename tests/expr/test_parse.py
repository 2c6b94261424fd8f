"""Parsing: the valid corpus round-trips through to_source; invalid text fails at the right spot."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mixpanel_data.analytics.expr as expr_module
from mixpanel_data.analytics.expr import (
    Binary,
    Boolean,
    Call,
    ListLiteral,
    Null,
    Number,
    Property,
    Quantifier,
    String,
    Unary,
    Variable,
    parse,
    referenced_properties,
    to_source,
)
from mixpanel_data.exceptions import ExpressionError, MixpanelDataError

# Mixpanel's documentation examples (segmentation-expressions, raw export, engage) and the
# expressions its own hot-shard scripts build, plus the rest of the grammar.
VALID = [
    'properties["$os"]=="Linux"',
    'properties["account_id"] in [1,2,3,4]',
    'user["$email"] == "allison@example.com"',
    'defined(properties["My Prop"])',
    'not defined(properties["city"])',
    'properties["id"] in [1,2,3]',
    'event["$time"] >= datetime("2024-01-01T00:00:00")',
    'any(X, properties["company"], X="acme")',
    'string(properties["company"], "undefined") == "acme"',
    'number(properties["mp_processing_time_ms"]) < 1700000000000',
    '((defined (properties["company"])) AND\n        (\n            (any(X, properties["company"],'
    ' X="acme")) OR\n            (string(properties["company"], "undefined") == "acme")\n'
    "        ))",
    '(defined(properties["a"])) OR (defined(properties["b"])) AND (number(properties['
    '"mp_processing_time_ms"]) < 1700000000000)',
    'properties["plan"] == "pro"',
    'boolean(properties["signed up"])',
    "properties['single'] == 'quotes'",
    'properties["a"] + properties["b"] * 2 - 3 / 4 % 5',
    '-properties["n"] > -1.5e3',
    'floor(properties["x"]) + round(1.5) + ceil(.5) == 5.',
    "not not true",
    'NOT properties["flag"] AND TRUE OR FALSE',
    '"sub" IN properties["title"]',
    'properties["x"] == null',
    'properties["tags"] == [["a", 1], [], -2, null, true, "x"]',
    'all(item, properties["scores"], item >= 0 and item < 100)',
    'any(X, properties["lists"], any(Y, X, Y == 1))',
    'datetime(1700000000000) < event["time"]',
    'datetime(properties["signup"]) > datetime("2024-01-01")',
    'event["$name"] == "Purchase" and event["amount"] > 10',
    'number("12") == 12 and string(1.5) == "1.5"',
    'properties["unicode ünï \\"quoted\\" \\\\ key"] != "é\\n\\t\\u00e9\\ud83d\\ude00"',
    'properties["a"] == 1 == true',
    "(1 + 2) * 3 == 9",
    "1 - (2 - 3) == 2",
    'properties["$browser"] in ["Chrome", "Firefox"]',
]


@pytest.mark.parametrize("text", VALID)
def test_valid_expressions_round_trip(text: str) -> None:
    tree = parse(text)
    canonical = to_source(tree)
    assert parse(canonical) == tree
    # The canonical text is a fixed point.
    assert to_source(parse(canonical)) == canonical


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        (
            'properties["$os"]=="Linux"',
            Binary("==", Property("properties", "$os"), String("Linux")),
        ),
        (
            'any(X, properties["k"], X="v")',
            Quantifier(
                "any", "X", Property("properties", "k"), Binary("==", Variable("X"), String("v"))
            ),
        ),
        (
            'not defined(properties["x"])',
            Unary("not", Call("defined", (Property("properties", "x"),))),
        ),
        (
            'properties["a"] or properties["b"] and not properties["c"]',
            Binary(
                "or",
                Property("properties", "a"),
                Binary(
                    "and", Property("properties", "b"), Unary("not", Property("properties", "c"))
                ),
            ),
        ),
        (
            'not properties["a"] == 1',
            Unary("not", Binary("==", Property("properties", "a"), Number(1.0, True))),
        ),
        (
            "1 + 2 * -3",
            Binary(
                "+",
                Number(1.0, True),
                Binary("*", Number(2.0, True), Unary("-", Number(3.0, True))),
            ),
        ),
        (
            "1 - 2 - 3",
            Binary("-", Binary("-", Number(1.0, True), Number(2.0, True)), Number(3.0, True)),
        ),
        (
            '[1, -2.5, "a", true, null, []]',
            ListLiteral(
                (
                    Number(1.0, True),
                    Number(-2.5),
                    String("a"),
                    Boolean(True),
                    Null(),
                    ListLiteral(()),
                )
            ),
        ),
        ('"a" in "abc"', Binary("in", String("a"), String("abc"))),
        ("TRUE AND False", Binary("and", Boolean(True), Boolean(False))),
        ("'it\\'s'", String("it's")),
        ('"\\ud83d\\ude00"', String("\U0001f600")),
    ],
)
def test_trees(text: str, tree: object) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('properties["$os"]=="Linux"', 'properties["$os"] == "Linux"'),
        ("properties['a']", 'properties["a"]'),
        ('(properties["a"]) AND (properties["b"])', 'properties["a"] and properties["b"]'),
        ('any(X, properties["k"], X="v")', 'any(X, properties["k"], X == "v")'),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ('(not properties["a"]) == true', '(not properties["a"]) == true'),
        ('properties["a"] == (not true)', 'properties["a"] == (not true)'),
        ("-(-1)", "--1"),
        ("1.50", "1.5"),
        ("1e3", "1000.0"),
        ("100000000000000000000000", "99999999999999991611392"),  # the double's digits
        ('"tab\there"', '"tab\\there"'),
        ("[ 1 ,2 ]", "[1, 2]"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    assert to_source(parse(text)) == canonical


# (text, position, words the message must contain)
INVALID = [
    ('properties["a"', 14, "expected ']'"),
    ('properties["a" == 1', 15, "expected ']'"),
    ("", 0, "empty expression"),
    ("   ", 0, "empty expression"),
    ("properties[a]", 11, "quoted property name"),
    ('properties["a"] ==', 18, "expected a value"),
    ('(properties["a"] == 1', 21, "expected ')'"),
    ("foo(1)", 0, "unknown function 'foo'"),
    ("x == 1", 0, "unknown name 'x'"),
    ('properties["a"] == "abc', 19, "unterminated string"),
    ('properties["a"] && true', 16, "unexpected character '&'"),
    ("defined()", 0, "defined() takes 1 argument, got 0"),
    ("string(1, 2, 3)", 0, "string() takes 1 or 2 arguments, got 3"),
    ('any(1, properties["l"], true)', 4, "variable name"),
    ('any(X, properties["l"])', 22, "expected ','"),
    ('"a" and true', 0, "'and' needs boolean operands"),
    ('user["x"] == 1 or 5', 18, "'or' needs boolean operands"),
    ("null and true", 0, "'and' needs boolean operands"),
    ('properties["a"] == 1 2', 21, "expected an operator or the end"),
    ('[properties["a"]]', 1, "list items must be literals"),
    ('datetime("nope")', 9, "invalid datetime"),
    ('datetime("2024-02-30")', 9, "invalid datetime"),
    ("1 + not true", 4, "'not' cannot follow"),
    ('"\\q"', 1, "unknown escape"),
    ('"\\u12"', 1, "4 hex digits"),
    ('"\\ud800"', 1, "unpaired surrogate"),
    ("properties", 10, "expected '['"),
    ("and", 0, "unexpected 'and'"),
    ('properties["a"] !! 1', 16, "unexpected character '!'"),
    ("defined", 7, "expected '('"),
    ("1abc", 1, "after the number"),
    (")", 0, "unexpected ')'"),
    ('properties["a"] ==  ]', 20, "unexpected ']'"),
    ('any(X, properties["l"], X == 1) and X', 36, "unknown name 'X'"),
    ("any(and, [1], true)", 4, "variable name"),
]


@pytest.mark.parametrize(("text", "position", "words"), INVALID)
def test_invalid_expressions(text: str, position: int, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    error = info.value
    assert error.position == position
    assert words in error.message
    assert f"at position {position}" in error.message
    assert error.expression == text
    assert isinstance(error, MixpanelDataError)


def test_non_string_input_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="must be a string"):
        parse(42)  # type: ignore[arg-type]


def test_positions_and_text_do_not_affect_equality() -> None:
    tree = parse('  properties["a"]   ==   1')
    assert tree == parse('properties["a"] == 1')
    assert tree.text == '  properties["a"]   ==   1'
    assert isinstance(tree, Binary)
    assert tree.op_pos == 20
    assert tree.left.pos == 2


def test_true_is_not_one() -> None:
    assert parse("true") != parse("1")
    assert parse("[1]") != parse("[true]")
    assert parse("1") != parse("1.0")  # the JSON text of a list literal tells them apart


def test_referenced_properties() -> None:
    found = referenced_properties(
        'defined(user["$email"]) and any(X, properties["tags"], X == properties["tag"])'
        ' and event["$time"] > datetime(0)'
    )
    assert found == {
        ("user", "$email"),
        ("properties", "tags"),
        ("properties", "tag"),
        ("event", "$time"),
    }


def test_public_names() -> None:
    assert len(set(expr_module.__all__)) == len(expr_module.__all__)
    for name in expr_module.__all__:
        assert hasattr(expr_module, name), name


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_string_literals_round_trip(value: str) -> None:
    if any(0xD800 <= ord(ch) < 0xE000 for ch in value):
        return  # lone surrogates cannot be written in an expression
    tree = String(value)
    assert parse(to_source(tree)) == tree
    assert parse(to_source(Property("properties", value))) == Property("properties", value)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_number_literals_round_trip(value: float) -> None:
    tree = Number(value)
    assert parse(to_source(tree)) == tree


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="properties[]\"'() =!<>+-*/%andortuefls,.0123 \\", max_size=25))
def test_garbage_never_crashes(text: str) -> None:
    """Arbitrary text either parses (and round-trips) or raises ExpressionError in range."""
    try:
        tree = parse(text)
    except ExpressionError as error:
        position = error.position
    else:
        assert parse(to_source(tree)) == tree
        return
    assert 0 <= position <= len(text)


def test_deep_nesting_is_an_expression_error_not_a_crash() -> None:
    from mixpanel_data.exceptions import ExpressionError

    text = "(" * 2000 + "1" + ")" * 2000
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert "nested too deeply" in info.value.message
