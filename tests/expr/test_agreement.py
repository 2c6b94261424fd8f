"""The compiled SQL and the Python evaluator agree, for random expressions over random events.

Each example draws one expression tree and a handful of events (properties with mixed types,
missing keys, nulls, lists, objects; a profile; a name and a time), runs ``compile_filter``,
``compile_segment`` and ``compile_number`` over all of them in one DuckDB query, and compares
row by row with ``matches``, ``segment_label(evaluate(...))`` and the evaluated number. When
the evaluator raises (``and``/``or`` on a non-boolean), the SQL must raise too.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mixpanel_data.analytics.expr import (
    UNDEFINED,
    Binary,
    Boolean,
    Call,
    Expr,
    ListLiteral,
    Null,
    Number,
    Property,
    Quantifier,
    SqlContext,
    String,
    Unary,
    Variable,
    compile_filter,
    compile_number,
    compile_segment,
    evaluate,
    expression_error_from_sql,
    parse,
    segment_label,
    to_source,
)
from mixpanel_data.exceptions import ExpressionError

KEYS = ["a", "b", "n", "$os", "x y", 'q"t', "b\\s", "d.k", "ünï", "l"]
TEXTS = [
    "",
    "a",
    "ab",
    "b",
    "Linux",
    "false",
    "true",
    "0",
    "12",
    " 12 ",
    "-1.5e3",
    "1e999",
    "0x10",
    "1_0",
    ".5",
    "5.",
    "nan",
    "2024-01-01",
    "2024-01-01T10:20:30",
    "2024-02-30T00:00:00",
    "2024-01-01 10:20",
    "2024-01-01T10:20:30.1234Z",
    "1970-01-01T00:00:00.5",
    "null",
    "undefined",
    "é",
    "[1]",
]
NUMBERS = [
    0.0,
    -0.0,
    1.0,
    2.0,
    -3.0,
    0.5,
    2.5,
    -2.5,
    49.99,
    1e-7,
    1e21,
    1.5e300,
    1700000000000.0,
    7.0,
]

ctx = SqlContext(properties='"properties"', user='"u"', event='"event"', time='"time"')


@functools.cache
def _con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


# -- events -------------------------------------------------------------------------------
scalars = st.one_of(
    st.sampled_from(TEXTS),
    st.text(max_size=4),
    st.integers(min_value=-5, max_value=5),
    st.sampled_from([2**63 - 1, 2**64 - 1, -(2**63), 10**20, 1700000000000]),
    st.sampled_from(NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["k", "v", "a"]), inner, max_size=2),
    ),
    max_leaves=5,
)
property_maps = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)
events = st.fixed_dictionaries(
    {
        "properties": property_maps,
        "user": property_maps,
        "name": st.sampled_from(["Purchase", "Signed up", "a", ""]),
        "time_ms": st.integers(min_value=0, max_value=2_000_000_000_000),
    }
)


# -- expressions --------------------------------------------------------------------------
def literal_list() -> st.SearchStrategy[Expr]:
    item = st.one_of(
        st.builds(String, st.sampled_from(TEXTS)),
        st.builds(lambda v: Number(float(v), True), st.integers(-3, 3)),
        st.builds(lambda v: Number(v, False), st.sampled_from(NUMBERS)),
        st.builds(Boolean, st.booleans()),
        st.just(Null()),
    )
    nested = st.builds(lambda xs: ListLiteral(tuple(xs)), st.lists(item, max_size=2))
    return st.builds(
        lambda xs: ListLiteral(tuple(xs)), st.lists(st.one_of(item, nested), max_size=4)
    )


def leaves(variables: tuple[str, ...]) -> st.SearchStrategy[Expr]:
    options: list[st.SearchStrategy[Expr]] = [
        st.builds(String, st.sampled_from(TEXTS)),
        st.builds(lambda v: Number(v, False), st.sampled_from([abs(x) for x in NUMBERS])),
        st.builds(lambda v: Number(float(v), True), st.integers(0, 10)),
        st.builds(Boolean, st.booleans()),
        st.just(Null()),
        literal_list(),
        st.builds(Property, st.just("properties"), st.sampled_from(KEYS)),
        st.builds(Property, st.just("properties"), st.sampled_from(KEYS)),
        st.builds(Property, st.just("user"), st.sampled_from(KEYS)),
        st.builds(Property, st.just("event"), st.sampled_from(["$time", "$name", "a"])),
    ]
    if variables:
        options.append(st.builds(Variable, st.sampled_from(variables)))
    return st.one_of(options)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3, variables: tuple[str, ...] = ()) -> Expr:
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(leaves(variables))
    sub = functools.partial(expressions, depth=depth - 1, variables=variables)
    kind = draw(st.sampled_from(["unary", "binary", "binary", "binary", "call", "quant"]))
    if kind == "unary":
        return Unary(draw(st.sampled_from(["not", "-"])), draw(sub()))
    if kind == "binary":
        op = draw(
            st.sampled_from(
                ["==", "!=", ">", ">=", "<", "<=", "in", "+", "-", "*", "/", "%", "and", "or"]
            )
        )
        return Binary(op, draw(sub()), draw(sub()))
    if kind == "call":
        func = draw(
            st.sampled_from(
                ["defined", "floor", "round", "ceil", "boolean", "number", "string", "datetime"]
            )
        )
        args = [draw(sub())]
        if func in ("boolean", "number", "string") and draw(st.booleans()):
            args.append(draw(sub()))
        return Call(func, tuple(args))
    var = draw(st.sampled_from(["X", "Y"]))
    source = draw(
        st.one_of(
            st.builds(Property, st.just("properties"), st.sampled_from(KEYS)),
            literal_list(),
            sub(),
        )
    )
    predicate = draw(expressions(depth=depth - 1, variables=(*variables, var)))
    return Quantifier(draw(st.sampled_from(["any", "all"])), var, source, predicate)


# -- type-directed expressions (dense in arithmetic, casts and comparisons) --------------------
numeric_values = st.one_of(
    st.integers(min_value=-10, max_value=10),
    st.sampled_from(NUMBERS),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from(["12", "-3.5", "x", "", "false", "0", "2024-01-01"]),
    st.booleans(),
    st.none(),
)
numeric_events = st.fixed_dictionaries(
    {
        "properties": st.dictionaries(st.sampled_from(KEYS), numeric_values, max_size=8),
        "user": st.dictionaries(st.sampled_from(KEYS), numeric_values, max_size=3),
        "name": st.sampled_from(["Purchase", "a"]),
        "time_ms": st.integers(min_value=-(10**12), max_value=2 * 10**12),
    }
)


@st.composite
def typed(draw: st.DrawFn, want: str, depth: int = 3) -> Expr:
    """An expression meant to produce ``want`` ("number", "string" or "boolean")."""
    prop = st.builds(
        Property, st.sampled_from(["properties", "properties", "user"]), st.sampled_from(KEYS)
    )
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if want == "number":
            literal = st.builds(
                lambda v: Number(abs(v), float(v).is_integer() and isinstance(v, int)),
                st.one_of(st.integers(0, 10), st.sampled_from(NUMBERS)),
            )
            return draw(st.one_of(literal, st.builds(lambda e: Unary("-", e), literal), prop))
        if want == "string":
            return draw(st.one_of(st.builds(String, st.sampled_from(TEXTS)), prop))
        return draw(st.one_of(st.builds(Boolean, st.booleans()), prop))
    sub = functools.partial(typed, depth=depth - 1)
    if want == "number":
        choice = draw(st.integers(0, 5))
        if choice <= 2:
            op = draw(st.sampled_from(["+", "-", "*", "/", "%"]))
            return Binary(op, draw(sub("number")), draw(sub("number")))
        if choice == 3:
            return Unary("-", draw(sub("number")))
        if choice == 4:
            func = draw(st.sampled_from(["floor", "round", "ceil"]))
            return Call(func, (draw(sub("number")),))
        source = draw(sub(draw(st.sampled_from(["string", "boolean", "number"]))))
        args = (source, draw(sub("number"))) if draw(st.booleans()) else (source,)
        return Call("number", args)
    if want == "string":
        choice = draw(st.integers(0, 2))
        if choice == 0:
            return Binary("+", draw(sub("string")), draw(sub("string")))
        source = draw(sub(draw(st.sampled_from(["number", "boolean", "string"]))))
        args = (source, draw(sub("string"))) if choice == 2 else (source,)
        return Call("string", args)
    choice = draw(st.integers(0, 5))
    if choice <= 1:
        op = draw(st.sampled_from(["==", "!=", ">", ">=", "<", "<="]))
        kind = draw(st.sampled_from(["number", "number", "string", "boolean"]))
        return Binary(op, draw(sub(kind)), draw(sub(kind)))
    if choice == 2:
        return Binary(
            draw(st.sampled_from(["and", "or"])), draw(sub("boolean")), draw(sub("boolean"))
        )
    if choice == 3:
        return Unary("not", draw(sub("boolean")))
    if choice == 4:
        return Binary("in", draw(sub("string")), draw(sub("string")))
    return Call(draw(st.sampled_from(["boolean", "defined"])), (draw(sub("number")),))


# -- running ------------------------------------------------------------------------------
def _python(expr: Expr, event: dict[str, Any]) -> tuple[bool, str, float | None]:
    value = evaluate(
        expr,
        event["properties"],
        user=event["user"],
        event_name=event["name"],
        time_ms=event["time_ms"],
    )
    number = value if isinstance(value, float) else None
    return value is True, segment_label(value), number


def _sql(exprs: list[Expr], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    columns = ", ".join(
        f"{compile_filter(e, ctx)}, {compile_segment(e, ctx)}, {compile_number(e, ctx)}"
        for e in exprs
    )
    query = (
        f"SELECT {columns} FROM ("
        " SELECT i, CAST(p AS JSON) AS properties, CAST(u AS JSON) AS u, e AS event,"
        " epoch_ms(t) AS time FROM (SELECT unnest(?) AS i, unnest(?) AS p, unnest(?) AS u,"
        " unnest(?) AS e, unnest(?) AS t)) ORDER BY i"
    )
    params = [
        list(range(len(rows))),
        [json.dumps(r["properties"]) for r in rows],
        [json.dumps(r["user"]) for r in rows],
        [r["name"] for r in rows],
        [r["time_ms"] for r in rows],
    ]
    return _con().execute(query, params).fetchall()


def _children(node: Expr) -> list[Expr]:
    if isinstance(node, Unary):
        return [node.operand]
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, Call):
        return list(node.args)
    if isinstance(node, Quantifier):
        return [node.source, node.predicate]
    return []


def _free(node: Expr) -> frozenset[str]:
    if isinstance(node, Variable):
        return frozenset({node.name})
    if isinstance(node, Quantifier):
        return _free(node.source) | (_free(node.predicate) - {node.var})
    return frozenset().union(*(_free(child) for child in _children(node)))


def closed_subtrees(node: Expr) -> list[Expr]:
    """``node`` and every part of it that uses no variable bound by an enclosing any/all."""
    found = [node] if not _free(node) and not isinstance(node, ListLiteral) else []
    for child in _children(node):
        found.extend(closed_subtrees(child))
    return list(dict.fromkeys(found))


def check_agreement(expr: Expr, rows: list[dict[str, Any]]) -> None:
    """Every closed part of ``expr`` gives the same results in Python and in DuckDB."""
    batch: list[Expr] = []
    expected: list[list[tuple[bool, str, float | None]]] = []
    for part in closed_subtrees(expr):
        try:
            expected.append([_python(part, row) for row in rows])
        except ExpressionError:
            with pytest.raises(duckdb.Error) as info:
                _sql([part], rows)
            assert expression_error_from_sql(info.value, to_source(part)) is not None, info.value
            continue
        batch.append(part)
    if not batch:
        return
    got = _sql(batch, rows)
    assert len(got) == len(rows)
    for row, values in enumerate(got):
        for k, part in enumerate(batch):
            want = expected[k][row]
            have = values[3 * k : 3 * k + 3]
            context = f"row {row}: {rows[row]!r}\n{to_source(part)}"
            assert have[0] is want[0], context
            assert have[1] == want[1], context
            assert have[2] == want[2], context


_FAST = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
_DEEP = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
any_expression = expressions()
any_events = st.lists(events, min_size=1, max_size=6)
typed_expression = st.sampled_from(["number", "string", "boolean"]).flatmap(typed)
typed_events = st.lists(numeric_events, min_size=1, max_size=6)


def _round_trip(expr: Expr) -> Expr:
    try:
        tree = parse(to_source(expr))
    except ExpressionError:
        assume(False)
        raise
    assert tree == expr
    return tree


@_FAST
@given(expr=any_expression, rows=any_events)
def test_sql_agrees_with_python(expr: Expr, rows: list[dict[str, Any]]) -> None:
    check_agreement(_round_trip(expr), rows)


@_FAST
@given(expr=typed_expression, rows=typed_events)
def test_typed_expressions_agree(expr: Expr, rows: list[dict[str, Any]]) -> None:
    """Arithmetic, casts and comparisons over mostly numeric events, part by part."""
    check_agreement(_round_trip(expr), rows)


@pytest.mark.slow
@_DEEP
@given(expr=expressions(depth=4), rows=any_events)
def test_sql_agrees_with_python_deep(expr: Expr, rows: list[dict[str, Any]]) -> None:
    check_agreement(_round_trip(expr), rows)


@pytest.mark.slow
@_DEEP
@given(
    expr=st.sampled_from(["number", "string", "boolean"]).flatmap(lambda w: typed(w, 4)),
    rows=typed_events,
)
def test_typed_expressions_agree_deep(expr: Expr, rows: list[dict[str, Any]]) -> None:
    check_agreement(_round_trip(expr), rows)


@settings(max_examples=30, deadline=None)
@given(
    key=st.text(max_size=6),
    value=st.one_of(st.text(max_size=4), st.integers(-5, 5), st.booleans(), st.none()),
)
def test_any_property_name_is_read(key: str, value: Any) -> None:
    """Keys with quotes, backslashes, dots, spaces, unicode or '$' are read exactly."""
    expr = Property("properties", key)
    rows = [
        {"properties": {key: value}, "user": {}, "name": "e", "time_ms": 0},
        {"properties": {key + "x": value}, "user": {}, "name": "e", "time_ms": 0},
    ]
    check_agreement(expr, rows)
    assert _sql([Call("defined", (expr,))], rows)[0][0] is True


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=6), other=st.text(max_size=3))
def test_string_literals_match_property_text_exactly(text: str, other: str) -> None:
    """Equality and membership against literals hold for any text (escapes, controls, unicode)."""
    assume(not any(0xD800 <= ord(ch) < 0xE000 for ch in text + other))
    rows = [
        {"properties": {"k": value}, "user": {}, "name": "e", "time_ms": 0}
        for value in (text, other, text + other, [text], True)
    ]
    for expr in (
        Binary("==", Property("properties", "k"), String(text)),
        Binary("!=", String(text), Property("properties", "k")),
        Binary("in", Property("properties", "k"), ListLiteral((String(text), Boolean(True)))),
        Binary("in", String(text), Property("properties", "k")),
    ):
        check_agreement(expr, rows)
    assert _sql([Binary("==", Property("properties", "k"), String(text))], rows)[0][0] is True


def test_undefined_is_a_falsy_singleton() -> None:
    assert not UNDEFINED
    assert repr(UNDEFINED) == "UNDEFINED"
