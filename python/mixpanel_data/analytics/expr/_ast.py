"""The syntax tree of a segmentation expression, and its canonical source text.

Nodes are frozen, hashable dataclasses. Two trees compare equal when they mean the same
expression: the ``pos`` fields (0-based offsets into the parsed text, used in error messages)
and ``text`` (the whole parsed text, set on the root by ``parse``) take no part in equality,
so ``parse(to_source(e)) == e`` holds for every tree ``parse`` returns.

Literals get one class per type (not one class holding a Python value) so that ``true`` and
``1`` never compare equal the way ``True == 1`` does in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

__all__ = [
    "BINARY_OPERATORS",
    "FUNCTIONS",
    "Binary",
    "Boolean",
    "Call",
    "Expr",
    "ListLiteral",
    "Null",
    "Number",
    "Property",
    "Quantifier",
    "String",
    "Unary",
    "Variable",
    "quote_string",
    "source_text",
    "to_source",
]

# Mixpanel docs (segmentation-expressions): <binary op> ::= + - * / % == != > >= < <= in and or
BINARY_OPERATORS = ("or", "and", "==", "!=", ">", ">=", "<", "<=", "in", "+", "-", "*", "/", "%")

# name -> (fewest, most) arguments. defined/any/all come from Mixpanel's examples and scripts;
# datetime from the export examples; the two-argument casts from Mixpanel's hot-shard scripts.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "defined": (1, 1),
    "floor": (1, 1),
    "round": (1, 1),
    "ceil": (1, 1),
    "boolean": (1, 2),
    "number": (1, 2),
    "string": (1, 2),
    "datetime": (1, 1),
}

Source = TypingLiteral["properties", "user", "event"]
UnaryOp = TypingLiteral["not", "-"]
BinaryOp = TypingLiteral[
    "or", "and", "==", "!=", ">", ">=", "<", "<=", "in", "+", "-", "*", "/", "%"
]


@dataclass(frozen=True, slots=True)
class String:
    """A string literal."""

    value: str
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Number:
    """A number literal.

    ``value`` is the number as a double (Mixpanel numbers are doubles); ``integer`` records
    whether it was written as an integer, which only matters for the JSON text of a list
    literal (``[1]`` and ``[1.0]`` are different JSON texts).
    """

    value: float
    integer: bool = False
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Boolean:
    """``true`` or ``false``."""

    value: bool
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Null:
    """The ``null`` literal."""

    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ListLiteral:
    """A list of literals, e.g. ``[1, 2, "a"]``."""

    items: tuple[Expr, ...]
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Property:
    """``properties["name"]``, ``user["name"]`` or ``event["name"]``."""

    source: Source
    name: str
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Variable:
    """The element variable bound by ``any(X, ...)`` / ``all(X, ...)``."""

    name: str
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """``not x`` or ``-x``."""

    op: UnaryOp
    operand: Expr
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Binary:
    """``left <op> right``; ``op_pos`` is where the operator was written."""

    op: BinaryOp
    left: Expr
    right: Expr
    pos: int = field(default=0, compare=False, repr=False)
    op_pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A function: ``defined``, ``floor``/``round``/``ceil``, the casts, ``datetime``."""

    func: str
    args: tuple[Expr, ...]
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Quantifier:
    """``any(X, list, predicate)`` or ``all(X, list, predicate)``."""

    kind: TypingLiteral["any", "all"]
    var: str
    source: Expr
    predicate: Expr
    pos: int = field(default=0, compare=False, repr=False)
    text: str = field(default="", compare=False, repr=False)


Expr = (
    String | Number | Boolean | Null | ListLiteral | Property | Variable | Unary | Binary | Call
) | Quantifier

# Binding strength, loosest first: or < and < not < comparison/in < additive < multiplicative
# < unary minus < primary.
_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_ATOM = range(8)
_BINARY_PREC = {
    "or": _PREC_OR,
    "and": _PREC_AND,
    "==": _PREC_CMP,
    "!=": _PREC_CMP,
    ">": _PREC_CMP,
    ">=": _PREC_CMP,
    "<": _PREC_CMP,
    "<=": _PREC_CMP,
    "in": _PREC_CMP,
    "+": _PREC_ADD,
    "-": _PREC_ADD,
    "*": _PREC_MUL,
    "/": _PREC_MUL,
    "%": _PREC_MUL,
}

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def quote_string(text: str) -> str:
    """``text`` as a double-quoted expression string literal (JSON-style escapes)."""
    out = []
    for ch in text:
        escaped = _ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _number_source(node: Number) -> str:
    value = node.value
    if node.integer and math.isfinite(value):
        return str(int(value))
    # repr is the shortest text that reads back as the same double, and always has a '.' or
    # an exponent, so it reads back as a non-integer literal.
    return repr(value)


def _prec(node: Expr) -> int:
    if isinstance(node, Binary):
        return _BINARY_PREC[node.op]
    if isinstance(node, Unary):
        return _PREC_NOT if node.op == "not" else _PREC_NEG
    if isinstance(node, Number) and (node.value < 0 or math.copysign(1.0, node.value) < 0):
        # A negative number (only list items hold one) prints with a leading '-'.
        return _PREC_NEG
    return _PREC_ATOM


def _wrap(node: Expr, at_least: int) -> str:
    text = to_source(node)
    return f"({text})" if _prec(node) < at_least else text


def source_text(expr: Expr) -> str:
    """The text ``expr`` was parsed from (positions refer to it), else its canonical text."""
    return expr.text or to_source(expr)


def to_source(expr: Expr) -> str:
    """The canonical text of ``expr``; ``parse(to_source(e)) == e``.

    Keywords are lower case, strings double-quoted, binary operators spaced, and parentheses
    appear only where precedence needs them.
    """
    if isinstance(expr, String):
        return quote_string(expr.value)
    if isinstance(expr, Number):
        return _number_source(expr)
    if isinstance(expr, Boolean):
        return "true" if expr.value else "false"
    if isinstance(expr, Null):
        return "null"
    if isinstance(expr, ListLiteral):
        return "[" + ", ".join(to_source(item) for item in expr.items) + "]"
    if isinstance(expr, Property):
        return f"{expr.source}[{quote_string(expr.name)}]"
    if isinstance(expr, Variable):
        return expr.name
    if isinstance(expr, Unary):
        if expr.op == "not":
            return "not " + _wrap(expr.operand, _PREC_NOT)
        return "-" + _wrap(expr.operand, _PREC_NEG)
    if isinstance(expr, Binary):
        prec = _BINARY_PREC[expr.op]
        # Every binary operator is left-associative: the right operand needs parentheses
        # when it binds no tighter than the operator itself.
        left = _wrap(expr.left, prec)
        right = _wrap(expr.right, prec + 1)
        return f"{left} {expr.op} {right}"
    if isinstance(expr, Call):
        return f"{expr.func}(" + ", ".join(to_source(arg) for arg in expr.args) + ")"
    return f"{expr.kind}({expr.var}, {to_source(expr.source)}, {to_source(expr.predicate)})"
