"""Mixpanel's segmentation expression language: parse, evaluate, compile to DuckDB SQL.

Expressions are what Mixpanel takes in ``where``, ``on`` and ``born_where`` (Query API), the
engage ``where`` and the export ``where`` (Mixpanel docs, segmentation-expressions)::

    properties["$os"] == "Linux" and number(properties["amount"]) >= 10
    defined(properties["coupon"]) or user["plan"] in ["pro", "team"]
    event["$time"] >= datetime("2024-01-01T00:00:00")
    any(X, properties["tags"], X == "beta")

:func:`parse` builds a tree (raising :class:`~mixpanel_data.exceptions.ExpressionError` with
the 0-based ``position`` of the problem); :func:`evaluate`/:func:`matches` compute it for one
event in Python; :func:`compile_filter`, :func:`compile_segment` and :func:`compile_number`
turn it into DuckDB SQL over a table holding the raw properties as JSON. The Python and SQL
forms agree on every input (a property test checks it).

Semantics follow Mixpanel's docs: ``==`` is false across types; ``> >= < <=`` compare only
numbers (and datetimes), else undefined; ``+`` adds numbers or joins strings; ``- * / %``
need numbers, ``/`` and ``%`` by 0 are undefined; ``a in b`` is substring or list membership;
``and``/``or`` read undefined as false and reject other non-booleans; ``not undefined`` is
true. Choices where the docs are silent are marked "design choice" in the code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    source_text,
    to_source,
)
from mixpanel_data.analytics.expr._compile import Compiler, SqlContext
from mixpanel_data.analytics.expr._evaluate import Env, compile_python
from mixpanel_data.analytics.expr._parser import parse
from mixpanel_data.analytics.expr._sql import ERROR_PREFIX
from mixpanel_data.analytics.expr._values import UNDEFINED, Undefined, segment_label
from mixpanel_data.exceptions import ExpressionError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ERROR_PREFIX",
    "UNDEFINED",
    "Binary",
    "Boolean",
    "Call",
    "Expr",
    "ListLiteral",
    "Null",
    "Number",
    "Property",
    "Quantifier",
    "SqlContext",
    "String",
    "Unary",
    "Undefined",
    "Variable",
    "compile_filter",
    "compile_number",
    "compile_segment",
    "evaluate",
    "expression_error_from_sql",
    "matches",
    "parse",
    "referenced_properties",
    "segment_label",
    "to_source",
]

_DEFAULT_CONTEXT = SqlContext()


def _tree(expr: Expr | str) -> Expr:
    return parse(expr) if isinstance(expr, str) else expr


def evaluate(
    expr: Expr | str,
    properties: Mapping[str, Any],
    *,
    user: Mapping[str, Any] | None = None,
    event_name: str | None = None,
    time_ms: int | None = None,
) -> Any:
    """Compute ``expr`` for one event (or profile).

    Parameters
    ----------
    expr
        A tree from :func:`parse`, or the expression text.
    properties
        What ``properties["k"]`` reads: the event's raw properties (as decoded from JSON), or
        the profile's properties for engage.
    user
        What ``user["k"]`` reads: the profile's properties (``None``: every key undefined).
    event_name, time_ms
        What ``event["$name"]`` and ``event["$time"]`` read (UTC epoch milliseconds).

    Returns
    -------
    Any
        ``str``, ``float``, ``bool``, ``None`` (null), ``list``, ``dict``, a UTC
        ``datetime``, or :data:`UNDEFINED`.

    Raises
    ------
    ExpressionError
        When the text does not parse, or when ``and``/``or`` meets a non-boolean value
        (Mixpanel rejects those).
    ValidationError
        When a property holds something JSON cannot (a set, an arbitrary object...).
    """
    tree = _tree(expr)
    env = Env(
        properties=properties,
        user=user,
        event_name=event_name,
        time_ms=time_ms,
        text=source_text(tree),
        variables={},
    )
    return compile_python(tree)(env)


def matches(
    expr: Expr | str,
    properties: Mapping[str, Any],
    *,
    user: Mapping[str, Any] | None = None,
    event_name: str | None = None,
    time_ms: int | None = None,
) -> bool:
    """Whether Mixpanel keeps this event for ``where=expr``: the result is exactly ``true``."""
    result = evaluate(expr, properties, user=user, event_name=event_name, time_ms=time_ms)
    return result is True


def compile_filter(expr: Expr | str, ctx: SqlContext = _DEFAULT_CONTEXT) -> str:
    """A DuckDB BOOLEAN expression, TRUE exactly where Mixpanel keeps the row (never NULL).

    Raises
    ------
    ExpressionError
        When the text does not parse, or reads a column ``ctx`` does not have.
    """
    return Compiler(_tree(expr), ctx).filter()


def compile_segment(expr: Expr | str, ctx: SqlContext = _DEFAULT_CONTEXT) -> str:
    """A DuckDB VARCHAR expression: the segment label of the row (see :func:`segment_label`)."""
    return Compiler(_tree(expr), ctx).segment()


def compile_number(expr: Expr | str, ctx: SqlContext = _DEFAULT_CONTEXT) -> str:
    """A DuckDB DOUBLE expression: the value where it is a number, else NULL."""
    return Compiler(_tree(expr), ctx).number()


def expression_error_from_sql(error: BaseException, expression: str) -> ExpressionError | None:
    """The :class:`ExpressionError` behind a DuckDB error raised by compiled SQL, if it is one.

    Compiled SQL fails the query (through DuckDB's ``error()``) where Mixpanel would reject
    the expression for a row, e.g. ``and`` over a string property. Returns ``None`` for
    other errors.
    """
    message = str(error)
    start = message.find(ERROR_PREFIX)
    if start < 0:
        return None
    text = message[start:].splitlines()[0]
    position = 0
    marker = " at position "
    at = text.find(marker)
    if at >= 0:
        digits = text[at + len(marker) :].split(":", 1)[0]
        position = int(digits) if digits.isdigit() else 0
    return ExpressionError(text, expression=expression, position=position)


def referenced_properties(expr: Expr | str) -> frozenset[tuple[str, str]]:
    """Every ``(source, name)`` the expression reads, e.g. ``("properties", "$os")``."""
    found: set[tuple[str, str]] = set()
    stack: list[Expr] = [_tree(expr)]
    while stack:
        node = stack.pop()
        if isinstance(node, Property):
            found.add((node.source, node.name))
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.left, node.right))
        elif isinstance(node, Call):
            stack.extend(node.args)
        elif isinstance(node, ListLiteral):
            stack.extend(node.items)
        elif isinstance(node, Quantifier):
            stack.extend((node.source, node.predicate))
    return frozenset(found)
