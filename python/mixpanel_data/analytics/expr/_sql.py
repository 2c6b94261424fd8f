"""Building blocks of the DuckDB translation: typed slots and SQL literals.

A compiled value (:class:`Val`) keeps one SQL expression per type it can take, a *slot*:
``s`` VARCHAR, ``n`` DOUBLE, ``b`` BOOLEAN, ``t`` TIMESTAMP, ``l`` JSON array, ``o`` JSON
object, plus a condition for null and one for undefined. On any row at most one of them
holds. A property read from the JSON column has every slot, each guarded by ``json_type``; a
literal has exactly one. Operators combine only the slots they can use, so a filter such as
``properties["$os"] == "Linux"`` becomes a single guarded comparison.

A :class:`Slot` is ``(val, cond)``:

- ``cond`` is ``None``: the value is present exactly when ``val`` is not NULL;
- ``cond`` is ``"TRUE"``: always present, ``val`` never NULL;
- otherwise present exactly when ``cond`` is TRUE, and then ``val`` is not NULL. ``val`` must
  not raise on rows where ``cond`` is false (it may be evaluated there).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mixpanel_data.analytics.expr._values import (
    DATETIME_PATTERN,
    MAX_MS,
    MIN_MS,
    NUMBER_PATTERN,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "ERROR_PREFIX",
    "TRUE",
    "Slot",
    "Val",
    "all_of",
    "any_of",
    "combine",
    "datetime_label",
    "dynamic",
    "json_literal_sql",
    "json_path",
    "ms_to_timestamp_sql",
    "number_label",
    "number_sql",
    "paren",
    "parse_datetime_sql",
    "parse_number_sql",
    "string_sql",
    "timestamp_sql",
]

TRUE = "TRUE"
FALSE = "FALSE"
# Runtime errors raised by compiled SQL (through DuckDB's error()) start with this text.
ERROR_PREFIX = "mixpanel expression error"
_SLOT_KEYS = ("s", "n", "b", "t", "l", "o")


@dataclass(frozen=True, slots=True)
class Slot:
    """One typed alternative of a value (see the module docstring)."""

    val: str
    cond: str | None = None

    def value(self) -> str:
        """The value, NULL where absent."""
        if self.cond is None or self.cond == TRUE:
            return self.val
        return f"CASE WHEN {self.cond} THEN {self.val} END"

    def present(self) -> str:
        """A condition TRUE exactly where the value is present (NULL counts as absent)."""
        if self.cond is None:
            return f"{paren(self.val)} IS NOT NULL"
        return self.cond


@dataclass(frozen=True, slots=True)
class Val:
    """A compiled expression: its typed slots, null/undefined conditions and pending errors.

    ``null`` is a condition TRUE where the value is null (``None``: never null). ``undef`` is
    a condition TRUE where it is undefined; ``None`` derives it from the slots, and
    ``maybe_undef=False`` says it is never undefined. ``truth``, when set, is a condition
    TRUE exactly where the value is the boolean true (FALSE or NULL elsewhere). ``errors`` are
    ``(condition, message)`` pairs: where a condition holds, Mixpanel would fail the query.
    ``exact`` says :meth:`is_true` is never NULL. ``literal`` keeps a literal list's items
    for compact ``IN`` lists. ``json_sql`` is the JSON expression a property value was read
    from, and ``literal_json`` the JSON text of a string or boolean literal: comparing the
    two as JSON reads the property once (DuckDB parses the document at each json_extract).
    """

    slots: dict[str, Slot] = field(default_factory=dict)
    null: str | None = None
    undef: str | None = None
    maybe_undef: bool = True
    truth: str | None = None
    exact: bool = False
    defined_sql: str | None = None
    errors: tuple[tuple[str, str], ...] = ()
    literal: list[object] | None = None
    json_sql: str | None = None
    literal_json: str | None = None

    def slot(self, key: str) -> Slot | None:
        """The slot for type ``key`` (one of s n b t l o), if the value can have that type."""
        return self.slots.get(key)

    def is_true(self) -> str:
        """A condition TRUE exactly where the value is the boolean true."""
        if self.truth is not None:
            return self.truth
        b = self.slots.get("b")
        if b is None:
            return FALSE
        if b.cond is None or b.cond == TRUE:
            return b.val
        return f"{paren(b.cond)} AND {paren(b.val)}"

    def undefined(self) -> str:
        """A condition TRUE exactly where the value is undefined (never NULL)."""
        if not self.maybe_undef:
            return FALSE
        if self.undef is not None:
            return self.undef
        present = [slot.present() for slot in self.slots.values()]
        if self.null is not None:
            present.append(self.null)
        if not present:
            return TRUE
        return f"NOT coalesce({any_of(present)}, false)"

    def defined(self) -> str:
        """A condition TRUE exactly where the value is not undefined (never NULL)."""
        if self.defined_sql is not None:
            return self.defined_sql
        undefined = self.undefined()
        if undefined == FALSE:
            return TRUE
        if undefined == TRUE:
            return FALSE
        return f"NOT {paren(undefined)}"

    def truth_or_false(self) -> str:
        """:meth:`is_true`, with NULL read as FALSE (never NULL)."""
        truth = self.is_true()
        return truth if self.exact else f"coalesce({truth}, false)"

    def has_other_than(self, keys: Sequence[str]) -> bool:
        """Whether the value can be of a type outside ``keys`` (null counted as ``"z"``)."""
        others = set(self.slots) - set(keys)
        return bool(others) or (self.null is not None and "z" not in keys)


def paren(sql: str) -> str:
    """``sql`` in parentheses unless it is already a single term.

    A single term has no blank outside quotes and parentheses and does not start with a
    sign: a column, a literal, a function call or a parenthesised expression.
    """
    if not sql or sql[0] in "+-":
        return f"({sql})"
    depth = 0
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch.isspace():
            return f"({sql})"
    return sql


def any_of(conds: Sequence[str]) -> str:
    """``c1 OR c2 ...`` (FALSE for none)."""
    conds = [c for c in conds if c != FALSE]
    if not conds:
        return FALSE
    if TRUE in conds:
        return TRUE
    return conds[0] if len(conds) == 1 else " OR ".join(paren(c) for c in conds)


def all_of(conds: Sequence[str]) -> str:
    """``c1 AND c2 ...`` (TRUE for none)."""
    conds = [c for c in conds if c != TRUE]
    if not conds:
        return TRUE
    if FALSE in conds:
        return FALSE
    return conds[0] if len(conds) == 1 else " AND ".join(paren(c) for c in conds)


def combine(
    parts: Sequence[Slot],
    build: Callable[[list[str]], str],
    *,
    guard: str | None = None,
    nullable: bool = False,
) -> Slot:
    """A slot computed from ``parts`` by ``build`` (which gets their ``val`` texts).

    The result is present where every part is (and ``guard`` holds). ``build`` must give a
    non-NULL result for non-NULL inputs unless ``nullable`` is set.
    """
    conds = [p.cond for p in parts if p.cond is not None and p.cond != TRUE]
    if guard is not None:
        conds.append(guard)
    body = build([p.val for p in parts])
    open_parts = any(p.cond is None for p in parts)
    if not open_parts and not nullable:
        return Slot(body, all_of(conds))
    if not conds:
        return Slot(body, None)
    return Slot(f"CASE WHEN {all_of(conds)} THEN {body} END", None)


def string_sql(text: str) -> str:
    """``text`` as a SQL string literal (NUL characters spliced in with chr(0))."""
    parts = text.split("\x00")
    quoted = ["'" + part.replace("'", "''") + "'" for part in parts]
    return " || chr(0) || ".join(quoted) if len(parts) > 1 else quoted[0]


def number_sql(value: float) -> str:
    """``value`` as a SQL DOUBLE literal, exact."""
    if value.is_integer() and abs(value) < 2**53:
        return f"CAST({int(value)} AS DOUBLE)"
    return f"CAST('{value!r}' AS DOUBLE)"


def timestamp_sql(value: dt.datetime) -> str:
    """A UTC datetime as a SQL TIMESTAMP literal."""
    naive = value.astimezone(dt.UTC).replace(tzinfo=None)
    return f"TIMESTAMP '{naive.isoformat(sep=' ', timespec='milliseconds')}'"


def json_path(key: str) -> str:
    """The DuckDB JSON path (as a SQL literal) selecting the top-level key ``key``."""
    if not key:
        return "'/'"  # DuckDB's $."" is a syntax error; the JSON pointer "/" is the "" key.
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return string_sql(f'$."{escaped}"')


def dynamic(j: str, *, maybe_undef: bool = True) -> Val:
    """The value of the JSON expression ``j`` (SQL NULL = undefined), typed by json_type."""
    jt = f"json_type({j})"
    return Val(
        slots={
            "s": Slot(f"({j} ->> '$')", f"{jt} = 'VARCHAR'"),
            "n": Slot(f"TRY_CAST({j} AS DOUBLE)", f"{jt} IN ('UBIGINT', 'BIGINT', 'DOUBLE')"),
            "b": Slot(f"TRY_CAST({j} AS BOOLEAN)", f"{jt} = 'BOOLEAN'"),
            "l": Slot(j, f"{jt} = 'ARRAY'"),
            "o": Slot(j, f"{jt} = 'OBJECT'"),
        },
        null=f"{jt} = 'NULL'",
        undef=f"{j} IS NULL" if maybe_undef else None,
        defined_sql=f"{j} IS NOT NULL" if maybe_undef else None,
        maybe_undef=maybe_undef,
        json_sql=j,
    )


def json_literal_sql(text: str) -> str:
    """A JSON text as a SQL JSON literal."""
    return f"CAST({string_sql(text)} AS JSON)"


def finite_sql(expr: str) -> str:
    """``expr`` (a DOUBLE), NULL where it overflowed to +-infinity."""
    return f"nullif(nullif({expr}, CAST('inf' AS DOUBLE)), CAST('-inf' AS DOUBLE))"


def parse_number_sql(text: str) -> str:
    """``number(<VARCHAR text>)``: a DOUBLE, NULL unless ``text`` is a decimal."""
    return (
        f"CASE WHEN regexp_full_match({text}, {string_sql(NUMBER_PATTERN)})"
        f" THEN {finite_sql(f'TRY_CAST({text} AS DOUBLE)')} END"
    )


def parse_datetime_sql(text: str) -> str:
    """``datetime(<VARCHAR text>)``: a TIMESTAMP, NULL unless ``text`` is a date."""
    return (
        f"CASE WHEN regexp_full_match({text}, {string_sql(DATETIME_PATTERN)}) THEN"
        f" date_trunc('millisecond', TRY_CAST(replace(replace({text}, 'T', ' '), 'Z', '')"
        " AS TIMESTAMP)) END"
    )


def ms_to_timestamp_sql(ms: str) -> str:
    """``datetime(<DOUBLE epoch ms>)``: a TIMESTAMP (floored to the millisecond)."""
    return (
        f"CASE WHEN {ms} BETWEEN {MIN_MS} AND {MAX_MS}"
        f" THEN epoch_ms(CAST(floor({ms}) AS BIGINT)) END"
    )


def number_label(n: str) -> str:
    """VARCHAR text of a DOUBLE, as :func:`format_number` writes it.

    DuckDB's JSON writer already prints the JavaScript digits; only its '.0' on whole
    numbers and the missing '+' in positive exponents differ. Adding 0.0 turns -0 into 0.
    """
    return (
        f"regexp_replace(regexp_replace(CAST(to_json({paren(n)} + 0.0) AS VARCHAR), '\\.0$', ''),"
        " 'e([0-9])', 'e+\\1')"
    )


def datetime_label(t: str) -> str:
    """VARCHAR text of a TIMESTAMP, as :func:`format_datetime` writes it."""
    ms = f"(millisecond({t}) % 1000)"
    return (
        f"(strftime({t}, '%Y-%m-%dT%H:%M:%S') || CASE WHEN {ms} <> 0"
        f" THEN '.' || lpad(CAST({ms} AS VARCHAR), 3, '0') ELSE '' END)"
    )
