"""Static types: the set of types an expression can evaluate to, over every possible event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixpanel_data.analytics.expr._ast import (
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
)

if TYPE_CHECKING:
    from mixpanel_data.analytics.expr._ast import Expr

__all__ = ["ALL_TYPES", "JSON_TYPES", "static_types"]

# What a JSON property value can be.
JSON_TYPES = frozenset({"string", "number", "boolean", "null", "list", "object"})
ALL_TYPES = JSON_TYPES | {"datetime", "undefined"}

EVENT_TIME_NAMES = frozenset({"$time", "time"})
EVENT_NAME_NAMES = frozenset({"$name", "name", "$event_name", "event"})

_U = frozenset({"undefined"})
_BOOL = frozenset({"boolean"})
_NUM = frozenset({"number"}) | _U


def static_types(expr: Expr) -> frozenset[str]:
    """Every type ``expr`` can take (``"undefined"`` included when it can be undefined)."""
    if isinstance(expr, String):
        return frozenset({"string"})
    if isinstance(expr, Number):
        return frozenset({"number"})
    if isinstance(expr, Boolean):
        return _BOOL
    if isinstance(expr, Null):
        return frozenset({"null"})
    if isinstance(expr, ListLiteral):
        return frozenset({"list"})
    if isinstance(expr, Property):
        if expr.source == "event" and expr.name in EVENT_TIME_NAMES:
            return frozenset({"datetime"}) | _U
        if expr.source == "event" and expr.name in EVENT_NAME_NAMES:
            return frozenset({"string"}) | _U
        return JSON_TYPES | _U
    if isinstance(expr, Variable):
        return JSON_TYPES
    if isinstance(expr, Unary):
        return _BOOL | _U if expr.op == "not" else _NUM
    if isinstance(expr, Binary):
        return _binary_types(expr)
    if isinstance(expr, Call):
        return _call_types(expr)
    if isinstance(expr, Quantifier):
        return _BOOL | _U
    raise TypeError(f"not an expression node: {expr!r}")


def _binary_types(expr: Binary) -> frozenset[str]:
    if expr.op in ("==", "!=", "and", "or"):
        return _BOOL
    if expr.op in (">", ">=", "<", "<=", "in"):
        return _BOOL | _U
    if expr.op == "+":
        left, right = static_types(expr.left), static_types(expr.right)
        return (left & right & {"number", "string"}) | _U
    return _NUM


def _call_types(expr: Call) -> frozenset[str]:
    func = expr.func
    if func in ("defined", "boolean"):
        return _BOOL
    if func in ("floor", "round", "ceil", "number"):
        base = _NUM
    elif func == "string":
        base = frozenset({"string", "null"}) | _U
    else:  # datetime
        base = frozenset({"datetime"}) | _U
    if len(expr.args) == 2:
        return (base - _U) | static_types(expr.args[1])
    return base
