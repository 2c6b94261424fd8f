"""The reference evaluator: Mixpanel's expression semantics in plain Python.

Each tree is turned once into nested closures (cached per tree), so evaluating one expression
over many events costs no tree walking.

Every operand is evaluated, even where the result is already known (no short-circuit), and
the default of a two-argument cast is evaluated always: evaluation order then never decides
whether an ``and``/``or`` type error is raised, which keeps this evaluator and the compiled
SQL in step.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mixpanel_data.analytics.expr._ast import (
    Binary,
    Boolean,
    Call,
    Expr,
    ListLiteral,
    Null,
    Number,
    Property,
    Quantifier,
    String,
    Unary,
    Variable,
    to_source,
)
from mixpanel_data.analytics.expr._types import EVENT_NAME_NAMES, EVENT_TIME_NAMES
from mixpanel_data.analytics.expr._values import (
    UNDEFINED,
    canonical_json,
    datetime_from_ms,
    normalize,
    parse_datetime,
    to_boolean,
    to_number,
    to_string,
    type_name,
)
from mixpanel_data.exceptions import ExpressionError

__all__ = ["Env", "compile_python", "equals", "literal_value", "round_half_away"]


@dataclass(slots=True)
class Env:
    """What an expression reads: the event's (or profile's) properties and context."""

    properties: Mapping[str, Any]
    user: Mapping[str, Any] | None
    event_name: str | None
    time_ms: int | None
    text: str
    variables: dict[str, Any]


Fn = Callable[[Env], Any]


def equals(a: Any, b: Any) -> bool:
    """``a == b``: false across types, never an error (Mixpanel docs,
    segmentation-expressions). Design choices: null == null and undefined == undefined are
    true; lists and objects are equal when their JSON texts are (see canonical_json).
    """
    ta, tb = type_name(a), type_name(b)
    if ta != tb:
        return False
    if ta in ("list", "object"):
        return canonical_json(a) == canonical_json(b)
    if ta in ("null", "undefined"):
        return True
    return bool(a == b)


def round_half_away(x: float) -> float:
    """``round``: halves away from zero (as C's round() and DuckDB's round on doubles)."""
    whole = math.floor(abs(x))
    if abs(x) - whole >= 0.5:
        whole += 1
    return math.copysign(float(whole), x)


def _finite(x: float) -> float | Any:
    # Design choice: a result too large for a double is undefined, not Infinity.
    return x if math.isfinite(x) else UNDEFINED


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if type_name(a) != "number" or type_name(b) != "number":
        return UNDEFINED
    if op == "+":
        return _finite(a + b)
    if op == "-":
        return _finite(a - b)
    if op == "*":
        return _finite(a * b)
    if b == 0:
        # Mixpanel docs: division by 0 is undefined. Design choice: so is remainder by 0.
        return UNDEFINED
    if op == "/":
        return _finite(a / b)
    return math.fmod(a, b)  # Mixpanel docs: the remainder has the sign of the dividend.


def _compare(op: str, a: Any, b: Any) -> Any:
    ta, tb = type_name(a), type_name(b)
    # Mixpanel docs: only numbers compare. Design choice: datetimes compare too (export
    # filters compare event["$time"] with datetime(...)).
    if ta != tb or ta not in ("number", "datetime"):
        return UNDEFINED
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "<":
        return a < b
    return a <= b


def _contains(a: Any, b: Any) -> Any:
    if isinstance(b, list):
        # List membership (Mixpanel docs example: properties["account_id"] in [1,2,3,4]),
        # with == between the items. Design choice: an undefined left side is in no list
        # (false, not undefined).
        return any(equals(a, normalize(item)) for item in b)
    if isinstance(a, str) and isinstance(b, str):
        return a in b  # substring
    return UNDEFINED


def _logic_operand(env: Env, node: Binary, side: str, value: Any) -> bool:
    if value is UNDEFINED:
        return False
    if isinstance(value, bool):
        return value
    operand = node.left if side == "left" else node.right
    raise ExpressionError(
        f"'{node.op}' needs boolean operands, but its {side} operand ({to_source(operand)})"
        f" is a {type_name(value)} for this row, at position {node.op_pos}",
        expression=env.text,
        position=node.op_pos,
        hint="Mixpanel rejects non-boolean operands of and/or; compare or cast the value",
    )


def _compile(node: Expr) -> Fn:
    if isinstance(node, (String, Number, Boolean, Null)):
        value = None if isinstance(node, Null) else node.value
        return lambda _env: value
    if isinstance(node, ListLiteral):
        items = [literal_value(item) for item in node.items]
        return lambda _env: items
    if isinstance(node, Property):
        return _compile_property(node)
    if isinstance(node, Variable):
        name = node.name
        return lambda env: env.variables[name]
    if isinstance(node, Unary):
        operand = _compile(node.operand)
        if node.op == "-":
            return lambda env: _negate(operand(env))
        return lambda env: _not(operand(env))
    if isinstance(node, Binary):
        return _compile_binary(node)
    if isinstance(node, Call):
        return _compile_call(node)
    return _compile_quantifier(node)


def literal_value(node: Expr) -> Any:
    if isinstance(node, Number):
        return int(node.value) if node.integer else node.value
    if isinstance(node, ListLiteral):
        return [literal_value(item) for item in node.items]
    if isinstance(node, Null):
        return None
    if isinstance(node, (String, Boolean)):
        return node.value
    raise TypeError(f"not a literal: {node!r}")


def _negate(value: Any) -> Any:
    return -value if type_name(value) == "number" else UNDEFINED


def _not(value: Any) -> Any:
    # Mixpanel docs: not of undefined is true; not of a non-boolean is undefined.
    if isinstance(value, bool):
        return not value
    return True if value is UNDEFINED else UNDEFINED


def _compile_property(node: Property) -> Fn:
    name = node.name
    if node.source == "properties":
        return lambda env: normalize(env.properties.get(name, UNDEFINED))
    if node.source == "user":
        return lambda env: (
            UNDEFINED if env.user is None else normalize(env.user.get(name, UNDEFINED))
        )
    # Design choice: event["$time"]/event["time"] is the event's time, event["$name"] (also
    # "name", "$event_name", "event") its name; any other event["k"] reads property k.
    if name in EVENT_TIME_NAMES:
        return lambda env: UNDEFINED if env.time_ms is None else datetime_from_ms(env.time_ms)
    if name in EVENT_NAME_NAMES:
        return lambda env: UNDEFINED if env.event_name is None else env.event_name
    return lambda env: normalize(env.properties.get(name, UNDEFINED))


def _compile_binary(node: Binary) -> Fn:
    left, right, op = _compile(node.left), _compile(node.right), node.op
    if op == "==":
        return lambda env: equals(left(env), right(env))
    if op == "!=":
        return lambda env: not equals(left(env), right(env))
    if op in (">", ">=", "<", "<="):
        return lambda env: _compare(op, left(env), right(env))
    if op == "in":
        return lambda env: _contains(left(env), right(env))
    if op in ("and", "or"):

        def logic(env: Env) -> bool:
            a = _logic_operand(env, node, "left", left(env))
            b = _logic_operand(env, node, "right", right(env))
            return (a and b) if op == "and" else (a or b)

        return logic
    return lambda env: _arith(op, left(env), right(env))


def _compile_call(node: Call) -> Fn:
    args = [_compile(arg) for arg in node.args]
    arg = args[0]
    func = node.func
    if func == "defined":
        # Mixpanel docs: defined() is "is set". Design choice: a property set to JSON null is
        # set (it is present; null and undefined are distinct values).
        return lambda env: arg(env) is not UNDEFINED
    if func in ("floor", "round", "ceil"):
        ops: dict[str, Callable[[float], float]] = {
            "floor": math.floor,
            "ceil": math.ceil,
            "round": round_half_away,
        }
        op = ops[func]
        return lambda env: _math(op, arg(env))
    if func == "datetime":
        return lambda env: _to_datetime(arg(env))
    cast_fn: Callable[[Any], Any] = {
        "boolean": to_boolean,
        "number": to_number,
        "string": to_string,
    }[func]
    if len(args) == 1:
        return lambda env: cast_fn(arg(env))
    default = args[1]

    def cast_with_default(env: Env) -> Any:
        # Design choice: string(x, d) is d where string(x) is undefined (Mixpanel's scripts
        # use string(properties["k"], "undefined")); likewise number() and boolean().
        value = cast_fn(arg(env))
        fallback = default(env)
        return fallback if value is UNDEFINED else value

    return cast_with_default


def _math(op: Callable[[float], Any], value: Any) -> Any:
    if type_name(value) != "number":
        return UNDEFINED
    return float(op(value))


def _to_datetime(value: Any) -> Any:
    # Design choice: datetime() reads Mixpanel's ISO date strings and epoch milliseconds.
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value)
    if type_name(value) == "number":
        return datetime_from_ms(value)
    return UNDEFINED


def _compile_quantifier(node: Quantifier) -> Fn:
    source, predicate, var = _compile(node.source), _compile(node.predicate), node.var
    want_any = node.kind == "any"

    def quantify(env: Env) -> Any:
        items = source(env)
        if not isinstance(items, list):
            # Design choice: any()/all() over something that is not a list is undefined.
            return UNDEFINED
        saved = env.variables.get(var, UNDEFINED)
        results = []
        try:
            for item in items:
                env.variables[var] = normalize(item)
                results.append(predicate(env) is True)
        finally:
            if saved is UNDEFINED:
                env.variables.pop(var, None)
            else:
                env.variables[var] = saved
        # Design choice: all() over an empty list is true, any() false (as in logic).
        return any(results) if want_any else all(results)

    return quantify


# Cached by identity, not equality: equal trees can carry different positions (error messages
# must point into the text each was parsed from). The tree is kept alive with its function.
_CACHE: OrderedDict[int, tuple[Expr, Fn]] = OrderedDict()
_CACHE_SIZE = 256
_CACHE_LOCK = threading.Lock()


def compile_python(expr: Expr) -> Fn:
    """A function of an :class:`Env` computing ``expr`` (cached per tree object)."""
    key = id(expr)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is expr:
            _CACHE.move_to_end(key)
            return hit[1]
    fn = _compile(expr)
    with _CACHE_LOCK:
        _CACHE[key] = (expr, fn)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return fn
