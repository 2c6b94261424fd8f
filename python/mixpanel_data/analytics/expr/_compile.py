"""Compile an expression to DuckDB SQL with exactly the evaluator's semantics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
from mixpanel_data.analytics.expr._casts import (
    UNDEFINED_VAL,
    boolean_val,
    cast_boolean,
    cast_datetime,
    cast_number,
    cast_string,
    equal_sql,
    label_sql,
    literal_membership_sql,
    union_bool,
    with_default,
    with_errors_of,
)
from mixpanel_data.analytics.expr._evaluate import literal_value
from mixpanel_data.analytics.expr._sql import (
    ERROR_PREFIX,
    FALSE,
    TRUE,
    Slot,
    Val,
    any_of,
    combine,
    dynamic,
    finite_sql,
    json_path,
    number_sql,
    paren,
    string_sql,
    timestamp_sql,
)
from mixpanel_data.analytics.expr._types import EVENT_NAME_NAMES, EVENT_TIME_NAMES
from mixpanel_data.analytics.expr._values import (
    canonical_json,
    datetime_from_ms,
    parse_datetime,
)
from mixpanel_data.exceptions import ExpressionError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Compiler", "SqlContext"]


@dataclass(frozen=True, slots=True)
class SqlContext:
    """Where compiled SQL reads an event from.

    Each field is a SQL expression (a quoted column name, or ``alias."column"``).

    Parameters
    ----------
    properties
        The JSON column of raw properties that ``properties["k"]`` reads.
    user
        The JSON column of profile properties that ``user["k"]`` reads; ``None`` when there
        is none (then ``user[...]`` is a compile error).
    event
        The VARCHAR event-name column (``event["$name"]``); ``None`` when there is none.
    time
        The UTC TIMESTAMP time column (``event["$time"]``); ``None`` when there is none.
    """

    properties: str = '"properties"'
    user: str | None = None
    event: str | None = '"event"'
    time: str | None = '"time"'


def _static_val(slot_key: str, sql: str) -> Val:
    return Val(slots={slot_key: Slot(sql, TRUE)}, maybe_undef=False)


class Compiler:
    """Compiles one expression tree against one :class:`SqlContext`."""

    def __init__(self, expr: Expr, ctx: SqlContext) -> None:
        self.expr = expr
        self.ctx = ctx
        self.text = source_text(expr)
        self.scope: dict[str, Val] = {}
        self.lambdas = 0

    def fail(self, message: str, pos: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(
            f"{message} at position {pos}", expression=self.text, position=pos, hint=hint
        )

    # -- entry points --------------------------------------------------------------------
    def filter(self) -> str:
        val = self.compile(self.expr)
        return self.with_errors(val, val.truth_or_false())

    def segment(self) -> str:
        val = self.compile(self.expr)
        return self.with_errors(val, label_sql(val))

    def number(self) -> str:
        val = self.compile(self.expr)
        n = val.slot("n")
        return self.with_errors(val, n.value() if n else "CAST(NULL AS DOUBLE)")

    def with_errors(self, val: Val, sql: str) -> str:
        if not val.errors:
            return sql
        whens = " ".join(
            f"WHEN {cond} THEN error({string_sql(message)})" for cond, message in val.errors
        )
        return f"CASE {whens} ELSE {sql} END"

    # -- nodes ---------------------------------------------------------------------------
    def compile(self, node: Expr) -> Val:
        if isinstance(node, String):
            return Val(
                slots={"s": Slot(string_sql(node.value), TRUE)},
                maybe_undef=False,
                literal_json=canonical_json(node.value),
            )
        if isinstance(node, Number):
            return _static_val("n", number_sql(node.value))
        if isinstance(node, Boolean):
            return Val(
                slots={"b": Slot(TRUE if node.value else FALSE, TRUE)},
                maybe_undef=False,
                truth=TRUE if node.value else FALSE,
                exact=True,
                literal_json=canonical_json(node.value),
            )
        if isinstance(node, Null):
            return Val(slots={}, null=TRUE, maybe_undef=False)
        if isinstance(node, ListLiteral):
            items = [literal_value(item) for item in node.items]
            json_sql = f"CAST({string_sql(canonical_json(items))} AS JSON)"
            return Val(slots={"l": Slot(json_sql, TRUE)}, maybe_undef=False, literal=items)
        if isinstance(node, Property):
            return self.property(node)
        if isinstance(node, Variable):
            bound = self.scope.get(node.name)
            if bound is None:
                raise self.fail(f"unknown name '{node.name}'", node.pos)
            return bound
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Call):
            return self.call(node)
        return self.quantifier(node)

    def property(self, node: Property) -> Val:
        ctx = self.ctx
        if node.source == "event" and node.name in EVENT_TIME_NAMES:
            if ctx.time is None:
                raise self.fail(f"{to_source(node)} needs a time column here", node.pos)
            return Val(slots={"t": Slot(ctx.time, None)})
        if node.source == "event" and node.name in EVENT_NAME_NAMES:
            if ctx.event is None:
                raise self.fail(f"{to_source(node)} needs an event-name column here", node.pos)
            return Val(slots={"s": Slot(ctx.event, None)})
        column = ctx.properties
        if node.source == "user":
            if ctx.user is None:
                raise self.fail(
                    f"{to_source(node)} reads profile properties, which are not available here",
                    node.pos,
                    hint="use properties[...] for event properties",
                )
            column = ctx.user
        return dynamic(f"json_extract({column}, {json_path(node.name)})")

    def unary(self, node: Unary) -> Val:
        a = self.compile(node.operand)
        if node.op == "-":
            n = a.slot("n")
            if n is None:
                return with_errors_of(UNDEFINED_VAL, a)
            return Val(slots={"n": combine([n], lambda v: f"-({v[0]})")}, errors=a.errors)
        # Mixpanel docs: not true/false; not undefined is true; not of another type undefined.
        if not a.has_other_than(["b"]):
            truth = f"NOT {paren(a.truth_or_false())}"
            return boolean_val(truth, a.errors)
        b = a.slot("b")
        whens = f"WHEN {b.present()} THEN NOT {paren(b.val)} " if b else ""
        undefined = a.undefined()
        whens += f"WHEN {undefined} THEN TRUE " if undefined != FALSE else ""
        if not whens:
            return with_errors_of(UNDEFINED_VAL, a)
        return Val(slots={"b": Slot(f"CASE {whens}END", None)}, errors=a.errors)

    def binary(self, node: Binary) -> Val:
        a, b = self.compile(node.left), self.compile(node.right)
        errors = a.errors + b.errors
        op = node.op
        if op in ("==", "!="):
            eq = equal_sql(a, b)
            if op == "!=":
                return boolean_val(f"NOT coalesce({eq}, false)", errors)
            return Val(
                slots={"b": Slot(f"coalesce({eq}, false)", TRUE)},
                maybe_undef=False,
                truth=eq,
                errors=errors,
            )
        if op in ("and", "or"):
            return self.logic(node, a, b, errors)
        if op in (">", ">=", "<", "<="):
            alternatives = [
                combine([sa, sb], lambda v: f"{paren(v[0])} {op} {paren(v[1])}")
                for key in ("n", "t")
                if (sa := a.slot(key)) is not None and (sb := b.slot(key)) is not None
            ]
            return union_bool(alternatives, errors)
        if op == "in":
            return self.contains(a, b, errors)
        return self.arithmetic(op, a, b, errors)

    def logic(self, node: Binary, a: Val, b: Val, errors: tuple[tuple[str, str], ...]) -> Val:
        joiner = " AND " if node.op == "and" else " OR "
        truth = joiner.join(paren(v.is_true()) for v in (a, b))
        for side, operand, val in (("left", node.left, a), ("right", node.right, b)):
            if not val.has_other_than(["b"]):
                continue
            bad = [slot.present() for key, slot in val.slots.items() if key != "b"]
            if val.null is not None:
                bad.append(val.null)
            message = (
                f"{ERROR_PREFIX} at position {node.op_pos}: '{node.op}' needs boolean operands,"
                f" but its {side} operand ({to_source(operand)}) is not a boolean for some row"
            )
            errors += ((f"coalesce({any_of(bad)}, false)", message),)
        if a.exact and b.exact:
            return boolean_val(truth, errors)
        return Val(
            slots={"b": Slot(f"coalesce({truth}, false)", TRUE)},
            maybe_undef=False,
            truth=truth,
            errors=errors,
        )

    def contains(self, a: Val, b: Val, errors: tuple[tuple[str, str], ...]) -> Val:
        alternatives: list[Slot] = []
        bl = b.slot("l")
        if bl is not None:
            if b.literal is not None and bl.cond == TRUE:
                # A literal list: the answer is always a boolean.
                member = literal_membership_sql(a, b.literal)
                return Val(
                    slots={"b": Slot(f"coalesce({member}, false)", TRUE)},
                    maybe_undef=False,
                    truth=member,
                    errors=errors,
                )
            member = self.list_aggregate(
                bl.val, lambda item: equal_sql(a, item), "list_bool_or", FALSE
            )
            alternatives.append(Slot(member, bl.present()))
        sa, sb = a.slot("s"), b.slot("s")
        if sa is not None and sb is not None:
            alternatives.append(combine([sb, sa], lambda v: f"contains({v[0]}, {v[1]})"))
        return union_bool(alternatives, errors)

    def arithmetic(self, op: str, a: Val, b: Val, errors: tuple[tuple[str, str], ...]) -> Val:
        slots: dict[str, Slot] = {}
        na, nb = a.slot("n"), b.slot("n")
        if na is not None and nb is not None:
            if op in ("+", "-", "*"):
                slots["n"] = combine(
                    [na, nb],
                    lambda v: finite_sql(f"{paren(v[0])} {op} {paren(v[1])}"),
                    nullable=True,
                )
            else:
                # Mixpanel docs: division by 0 is undefined (design choice: remainder too).
                # DuckDB's % on doubles keeps the dividend's sign, as Mixpanel's remainder
                # does (its fmod() does not: fmod(-7, 3) is 2 there).
                slots["n"] = combine(
                    [na, nb],
                    lambda v: (
                        f"{paren(v[0])} % {paren(v[1])}"
                        if op == "%"
                        else finite_sql(f"{paren(v[0])} / {paren(v[1])}")
                    ),
                    guard=f"{paren(nb.val)} <> 0",
                    nullable=True,
                )
        sa, sb = a.slot("s"), b.slot("s")
        if op == "+" and sa is not None and sb is not None:
            slots["s"] = combine([sa, sb], lambda v: f"{paren(v[0])} || {paren(v[1])}")
        if not slots:
            return Val(slots={}, undef=TRUE, errors=errors)
        return Val(slots=slots, errors=errors)

    def call(self, node: Call) -> Val:
        func = node.func
        first = node.args[0]
        if func == "datetime" and isinstance(first, (String, Number)):
            value = (
                parse_datetime(first.value)
                if isinstance(first, String)
                else datetime_from_ms(first.value)
            )
            if isinstance(value, dt.datetime):
                return _static_val("t", timestamp_sql(value))
            return UNDEFINED_VAL
        a = self.compile(first)
        if func == "defined":
            return boolean_val(a.defined(), a.errors)
        if func in ("floor", "ceil", "round"):
            n = a.slot("n")
            if n is None:
                return with_errors_of(UNDEFINED_VAL, a)
            return Val(slots={"n": combine([n], lambda v: f"{func}({v[0]})")}, errors=a.errors)
        if func == "datetime":
            result = cast_datetime(a)
        elif func == "number":
            result = cast_number(a)
        elif func == "string":
            result = cast_string(a)
        else:
            result = cast_boolean(a)
        if len(node.args) == 2:
            result = with_default(result, self.compile(node.args[1]))
        return with_errors_of(result, a)

    def quantifier(self, node: Quantifier) -> Val:
        src = self.compile(node.source)
        lst = src.slot("l")
        if lst is None:
            return with_errors_of(UNDEFINED_VAL, src)
        self.lambdas += 1
        param = f"_mp_x{self.lambdas}"
        outer = self.scope.get(node.var)
        self.scope[node.var] = dynamic(param, maybe_undef=False)
        try:
            pred = self.compile(node.predicate)
        finally:
            if outer is None:
                del self.scope[node.var]
            else:
                self.scope[node.var] = outer
        # Not an array: json_extract(x, '$[*]') is an empty list, and the slot's condition
        # masks the result anyway.
        items = f"json_extract({lst.val}, '$[*]')"
        agg, empty = ("list_bool_or", FALSE) if node.kind == "any" else ("list_bool_and", TRUE)
        body = f"coalesce({agg}(list_transform({items}, lambda {param}: coalesce({pred.is_true()}, false))), {empty.lower()})"
        errors = src.errors + tuple(
            (
                f"coalesce(list_bool_or(list_transform({items}, lambda {param}:"
                f" coalesce({cond}, false))), false)",
                message,
            )
            for cond, message in pred.errors
        )
        slot = Slot(body, lst.present())
        return Val(slots={"b": slot}, maybe_undef=lst.cond != TRUE, errors=errors)

    def list_aggregate(
        self, list_json: str, predicate: Callable[[Val], str], agg: str, empty: str
    ) -> str:
        """``agg`` (list_bool_or/and) of ``predicate`` over the items of a JSON array."""
        self.lambdas += 1
        param = f"_mp_x{self.lambdas}"
        item = dynamic(param, maybe_undef=False)
        cond = predicate(item)
        return (
            f"coalesce({agg}(list_transform(json_extract({list_json}, '$[*]'),"
            f" lambda {param}: coalesce({cond}, false))), {empty.lower()})"
        )
