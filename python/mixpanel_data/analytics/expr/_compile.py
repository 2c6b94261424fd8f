"""Compile an expression to DuckDB SQL with exactly the evaluator's semantics."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
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
from mixpanel_data.analytics.expr._evaluate import _literal_value
from mixpanel_data.analytics.expr._sql import (
    ERROR_PREFIX,
    FALSE,
    TRUE,
    Slot,
    Val,
    all_of,
    any_of,
    combine,
    datetime_label,
    dynamic,
    finite_sql,
    json_literal_sql,
    json_path,
    ms_to_timestamp_sql,
    number_label,
    number_sql,
    paren,
    parse_datetime_sql,
    parse_number_sql,
    string_sql,
    timestamp_sql,
)
from mixpanel_data.analytics.expr._types import EVENT_NAME_NAMES, EVENT_TIME_NAMES
from mixpanel_data.analytics.expr._values import (
    UNDEFINED,
    canonical_json,
    datetime_from_ms,
    parse_datetime,
)
from mixpanel_data.exceptions import ExpressionError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Compiler", "SqlContext"]

_BOOL_ONLY = Val(slots={"b": Slot(FALSE, TRUE)}, maybe_undef=False)


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


_UNDEFINED_VAL = Val(slots={}, maybe_undef=True, undef=TRUE)


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
            items = [_literal_value(item) for item in node.items]
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
                return _with_errors(_UNDEFINED_VAL, a)
            return Val(slots={"n": combine([n], lambda v: f"-({v[0]})")}, errors=a.errors)
        # Mixpanel docs: not true/false; not undefined is true; not of another type undefined.
        if not a.has_other_than(["b"]):
            truth = f"NOT {paren(a.truth_or_false())}"
            return _boolean(truth, a.errors)
        b = a.slot("b")
        whens = f"WHEN {b.present()} THEN NOT ({b.val}) " if b else ""
        undefined = a.undefined()
        whens += f"WHEN {undefined} THEN TRUE " if undefined != FALSE else ""
        if not whens:
            return _with_errors(_UNDEFINED_VAL, a)
        return Val(slots={"b": Slot(f"CASE {whens}END", None)}, errors=a.errors)

    def binary(self, node: Binary) -> Val:
        a, b = self.compile(node.left), self.compile(node.right)
        errors = a.errors + b.errors
        op = node.op
        if op in ("==", "!="):
            eq = equal_sql(a, b)
            if op == "!=":
                return _boolean(f"NOT coalesce({eq}, false)", errors)
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
            return _union_bool(alternatives, errors)
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
            return _boolean(truth, errors)
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
        return _union_bool(alternatives, errors)

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
            if value is UNDEFINED:
                return _UNDEFINED_VAL
            return _static_val("t", timestamp_sql(value))  # type: ignore[arg-type]
        a = self.compile(first)
        if func == "defined":
            return _boolean(a.defined(), a.errors)
        if func in ("floor", "ceil", "round"):
            n = a.slot("n")
            if n is None:
                return _with_errors(_UNDEFINED_VAL, a)
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
        return _with_errors(result, a)

    def quantifier(self, node: Quantifier) -> Val:
        src = self.compile(node.source)
        lst = src.slot("l")
        if lst is None:
            return _with_errors(_UNDEFINED_VAL, src)
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

    def list_aggregate(self, list_json: str, predicate: object, agg: str, empty: str) -> str:
        self.lambdas += 1
        param = f"_mp_x{self.lambdas}"
        item = dynamic(param, maybe_undef=False)
        cond = predicate(item)  # type: ignore[operator]
        return (
            f"coalesce({agg}(list_transform(json_extract({list_json}, '$[*]'),"
            f" lambda {param}: coalesce({cond}, false))), {empty.lower()})"
        )


def _with_errors(val: Val, source: Val) -> Val:
    if not source.errors:
        return val
    return Val(
        slots=val.slots,
        null=val.null,
        undef=val.undef,
        maybe_undef=val.maybe_undef,
        truth=val.truth,
        defined_sql=val.defined_sql,
        errors=source.errors + val.errors,
        literal=val.literal,
    )


def _boolean(truth: str, errors: tuple[tuple[str, str], ...]) -> Val:
    """A value that is always a boolean, ``truth`` being a never-NULL condition."""
    return Val(
        slots={"b": Slot(truth, TRUE)}, maybe_undef=False, truth=truth, exact=True, errors=errors
    )


def _union_bool(alternatives: list[Slot], errors: tuple[tuple[str, str], ...]) -> Val:
    """A boolean-or-undefined value that is the first present alternative."""
    if not alternatives:
        return Val(slots={}, undef=TRUE, errors=errors)
    if len(alternatives) == 1:
        return Val(slots={"b": alternatives[0]}, errors=errors)
    merged = "coalesce(" + ", ".join(slot.value() for slot in alternatives) + ")"
    return Val(slots={"b": Slot(merged, None)}, errors=errors)


def equal_sql(a: Val, b: Val) -> str:
    """A condition TRUE exactly where ``a == b`` (FALSE or NULL elsewhere)."""
    # A property against a string or boolean literal: one JSON comparison. DuckDB writes the
    # extracted value back as minified JSON, the same text canonical_json gives the literal,
    # and a JSON string never equals a JSON number or boolean.
    if a.json_sql is not None and b.literal_json is not None:
        return f"{a.json_sql} = {json_literal_sql(b.literal_json)}"
    if b.json_sql is not None and a.literal_json is not None:
        return f"{b.json_sql} = {json_literal_sql(a.literal_json)}"
    terms: list[str] = []
    for key in ("s", "n", "b", "t"):
        sa, sb = a.slot(key), b.slot(key)
        if sa is not None and sb is not None:
            terms.append(_truth(combine([sa, sb], lambda v: f"{paren(v[0])} = {paren(v[1])}")))
    for key in ("l", "o"):
        sa, sb = a.slot(key), b.slot(key)
        if sa is not None and sb is not None:
            terms.append(
                _truth(
                    combine(
                        [sa, sb],
                        lambda v: f"CAST(json({v[0]}) AS VARCHAR) = CAST(json({v[1]}) AS VARCHAR)",
                    )
                )
            )
    if a.null is not None and b.null is not None:
        terms.append(all_of([a.null, b.null]))
    if a.maybe_undef and b.maybe_undef:
        terms.append(all_of([a.undefined(), b.undefined()]))
    return any_of(terms)


def _truth(slot: Slot) -> str:
    if slot.cond is None or slot.cond == TRUE:
        return slot.val
    return f"{paren(slot.cond)} AND {paren(slot.val)}"


def literal_membership_sql(a: Val, items: list[object]) -> str:
    """A condition TRUE exactly where ``a`` equals one of the literal ``items``."""
    terms: list[str] = []
    groups: dict[str, list[str]] = {"s": [], "n": [], "b": [], "l": []}
    texts: list[str] = []  # strings and booleans as JSON, for a property read once
    has_null = False
    for item in items:
        if item is None:
            has_null = True
        elif isinstance(item, bool):
            groups["b"].append(TRUE if item else FALSE)
            texts.append(json_literal_sql(canonical_json(item)))
        elif isinstance(item, (int, float)):
            groups["n"].append(number_sql(float(item)))
        elif isinstance(item, str):
            groups["s"].append(string_sql(item))
            texts.append(json_literal_sql(canonical_json(item)))
        else:
            groups["l"].append(string_sql(canonical_json(item)))
    if a.json_sql is not None and texts:
        terms.append(f"{a.json_sql} IN ({', '.join(dict.fromkeys(texts))})")
        groups["s"] = groups["b"] = []
    for key, values in groups.items():
        slot = a.slot(key)
        if slot is None or not values:
            continue
        listed = ", ".join(dict.fromkeys(values))
        template = "CAST(json({}) AS VARCHAR) IN ({})" if key == "l" else "{} IN ({})"
        terms.append(_truth(combine([slot], partial(_fill, template, listed))))
    if has_null and a.null is not None:
        terms.append(a.null)
    return any_of(terms)


def cast_number(a: Val) -> Val:
    """``number(a)``."""
    parts: list[str] = []
    if (n := a.slot("n")) is not None:
        parts.append(n.value())
    if (s := a.slot("s")) is not None:
        parts.append(parse_number_sql(s.value()))
    if (b := a.slot("b")) is not None:
        parts.append(f"CAST({b.value()} AS DOUBLE)")
    if (t := a.slot("t")) is not None:
        parts.append(f"CAST(epoch_ms({t.value()}) AS DOUBLE)")
    if not parts:
        return _UNDEFINED_VAL
    if len(parts) == 1 and n is not None:
        return Val(slots={"n": n})
    return Val(slots={"n": Slot(_coalesce(parts), None)})


def cast_string(a: Val) -> Val:
    """``string(a)``: null stays null."""
    parts: list[str] = []
    if (s := a.slot("s")) is not None:
        parts.append(s.value())
    if (n := a.slot("n")) is not None:
        parts.append(number_label(n.value()))
    if (b := a.slot("b")) is not None:
        parts.append(f"CASE {b.value()} WHEN TRUE THEN 'true' WHEN FALSE THEN 'false' END")
    if (t := a.slot("t")) is not None:
        parts.append(datetime_label(t.value()))
    slots = {"s": Slot(_coalesce(parts), None)} if parts else {}
    if len(parts) == 1 and s is not None:
        slots = {"s": s}
    # Undefined exactly where the source is not a string, number, boolean, datetime or null;
    # testing the source's type conditions is cheaper than testing the built text.
    if not a.maybe_undef and not a.has_other_than(["s", "n", "b", "t", "z"]):
        return Val(slots=slots, null=a.null, maybe_undef=False)
    castable = [slot.present() for key, slot in a.slots.items() if key in "snbt"]
    if a.null is not None:
        castable.append(a.null)
    return Val(slots=slots, null=a.null, undef=f"NOT coalesce({any_of(castable)}, false)")


def cast_boolean(a: Val) -> Val:
    """``boolean(a)``: "false", "", 0, null and undefined are false, anything else true."""
    parts: list[str] = []
    if (b := a.slot("b")) is not None:
        parts.append(b.value())
    if (s := a.slot("s")) is not None:
        parts.append(f"{paren(s.value())} NOT IN ('false', '')")
    if (n := a.slot("n")) is not None:
        parts.append(f"{paren(n.value())} <> 0")
    for key in ("t", "l", "o"):
        if (other := a.slot(key)) is not None:
            parts.append(f"CASE WHEN {other.present()} THEN TRUE END")
    parts.append(FALSE)
    truth = _coalesce(parts)
    return _boolean(truth, ())


def cast_datetime(a: Val) -> Val:
    """``datetime(a)``: datetimes, date strings and epoch milliseconds."""
    parts: list[str] = []
    if (t := a.slot("t")) is not None:
        parts.append(t.value())
    if (s := a.slot("s")) is not None:
        parts.append(parse_datetime_sql(s.value()))
    if (n := a.slot("n")) is not None:
        parts.append(ms_to_timestamp_sql(n.value()))
    if not parts:
        return _UNDEFINED_VAL
    return Val(slots={"t": Slot(_coalesce(parts), None)})


def with_default(cast: Val, default: Val) -> Val:
    """``cast`` where it is defined, else ``default`` (two-argument casts)."""
    if not cast.maybe_undef:
        return _with_errors(cast, default)
    missing = cast.undefined()
    single = len(cast.slots) == 1
    slots: dict[str, Slot] = {}
    for key in ("s", "n", "b", "t", "l", "o"):
        mine, theirs = cast.slot(key), default.slot(key)
        fallback = None if theirs is None else f"CASE WHEN {missing} THEN {theirs.value()} END"
        if mine is not None and theirs is not None and single:
            # The cast is undefined exactly where its only slot is absent and it is not null.
            merged = f"coalesce({mine.value()}, {theirs.value()})"
            if cast.null is not None:
                merged = f"CASE WHEN {cast.null} THEN NULL ELSE {merged} END"
            slots[key] = Slot(merged, None)
        elif mine is not None and fallback is not None:
            slots[key] = Slot(f"coalesce({mine.value()}, {fallback})", None)
        elif mine is not None:
            slots[key] = mine
        elif fallback is not None:
            slots[key] = Slot(fallback, None)
    nulls = [cast.null] if cast.null is not None else []
    if default.null is not None:
        nulls.append(all_of([missing, default.null]))
    return Val(
        slots=slots,
        null=any_of(nulls) if nulls else None,
        maybe_undef=default.maybe_undef,
        errors=default.errors,
    )


def _fill(template: str, listed: str, vals: list[str]) -> str:
    return template.format(paren(vals[0]), listed)


def _coalesce(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "coalesce(" + ", ".join(parts) + ")"


def label_sql(val: Val) -> str:
    """The VARCHAR segment label of ``val`` (see segment_label).

    One ``coalesce`` over the slots (each label function maps NULL to NULL), so each slot's
    SQL appears once.
    """
    makers: dict[str, Callable[[str], str]] = {
        "s": lambda v: v,
        "n": number_label,
        "b": lambda v: f"CASE {v} WHEN TRUE THEN 'true' WHEN FALSE THEN 'false' END",
        "t": datetime_label,
        "l": lambda v: f"CAST(json({v}) AS VARCHAR)",
        "o": lambda v: f"CAST(json({v}) AS VARCHAR)",
    }
    parts: list[str] = []
    always = False
    for key, make in makers.items():
        slot = val.slot(key)
        if slot is None:
            continue
        if slot.cond is None or slot.cond == TRUE:
            parts.append(make(slot.val))
            always = always or slot.cond == TRUE
        else:
            parts.append(f"CASE WHEN {slot.cond} THEN {make(slot.val)} END")
    if val.null is not None:
        parts.append("'null'" if val.null == TRUE else f"CASE WHEN {val.null} THEN 'null' END")
        always = always or val.null == TRUE
    if not always:
        parts.append("'undefined'")
    return _coalesce(parts)
