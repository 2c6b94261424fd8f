"""Compiled values: equality, membership, the casts and segment labels (see ``_sql.py``)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from mixpanel_data.analytics.expr._sql import (
    FALSE,
    TRUE,
    Slot,
    Val,
    all_of,
    any_of,
    combine,
    datetime_label,
    json_literal_sql,
    ms_to_timestamp_sql,
    number_label,
    number_sql,
    paren,
    parse_datetime_sql,
    parse_number_sql,
    string_sql,
)
from mixpanel_data.analytics.expr._values import canonical_json

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "UNDEFINED_VAL",
    "boolean_val",
    "cast_boolean",
    "cast_datetime",
    "cast_number",
    "cast_string",
    "equal_sql",
    "label_sql",
    "literal_membership_sql",
    "union_bool",
    "with_default",
    "with_errors_of",
]

UNDEFINED_VAL = Val(slots={}, maybe_undef=True, undef=TRUE)


def with_errors_of(val: Val, source: Val) -> Val:
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


def boolean_val(truth: str, errors: tuple[tuple[str, str], ...]) -> Val:
    """A value that is always a boolean, ``truth`` being a never-NULL condition."""
    return Val(
        slots={"b": Slot(truth, TRUE)}, maybe_undef=False, truth=truth, exact=True, errors=errors
    )


def union_bool(alternatives: list[Slot], errors: tuple[tuple[str, str], ...]) -> Val:
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
        return UNDEFINED_VAL
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
    return boolean_val(truth, ())


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
        return UNDEFINED_VAL
    return Val(slots={"t": Slot(_coalesce(parts), None)})


def with_default(cast: Val, default: Val) -> Val:
    """``cast`` where it is defined, else ``default`` (two-argument casts)."""
    if not cast.maybe_undef:
        return with_errors_of(cast, default)
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
