"""Values of the expression language in Python: types, casts, text forms.

Mixpanel's types are string, number, boolean and (in practice) list, object and datetime;
``null`` and ``undefined`` exist internally (Mixpanel docs, segmentation-expressions). Here:

=========  =============================================================
type       Python value
=========  =============================================================
string     ``str``
number     ``float`` (numbers are doubles; JSON integers are read as such)
boolean    ``bool``
null       ``None``
list       ``list`` (the property's own list, items untouched)
object     ``dict``
datetime   ``datetime.datetime`` in UTC, millisecond precision
undefined  :data:`UNDEFINED`
=========  =============================================================

The SQL compiler reproduces every rule here in DuckDB; the two are checked against each other
by a property test, so a change here needs the same change in ``_sql.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from numbers import Real
from typing import Any, Final

from mixpanel_data.exceptions import ValidationError

__all__ = [
    "DATETIME_PATTERN",
    "NUMBER_PATTERN",
    "UNDEFINED",
    "Undefined",
    "canonical_json",
    "datetime_from_ms",
    "format_datetime",
    "format_number",
    "normalize",
    "parse_datetime",
    "parse_number",
    "segment_label",
    "to_boolean",
    "to_number",
    "to_string",
    "type_name",
]


class Undefined:
    """The type of :data:`UNDEFINED`: a missing property, or an operation with no result.

    Falsy, so ``if evaluate(...)`` reads naturally; use :func:`matches` to test a filter.
    """

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = Undefined()

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Datetimes are kept within years 1..9999 (Python's range). In epoch milliseconds:
MIN_MS: Final = -62135596800000
MAX_MS: Final = 253402300799999

# Strings that number() reads (design choice: Mixpanel says only "interprets the string as a
# decimal"): optional ASCII blanks around an optionally signed decimal with an optional
# exponent. No hex, no "inf"/"nan", no digit separators. Shared verbatim with the SQL side
# (RE2 and Python agree on this syntax).
NUMBER_PATTERN: Final = r"[ \t\n\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\r]*"
_NUMBER_RE = re.compile(NUMBER_PATTERN)

# Strings that datetime() reads (design choice): Mixpanel's date format YYYY-MM-DDTHH:MM:SS
# (UTC), with the time, the seconds and a fraction optional, 'T' or a space as separator and an
# optional trailing 'Z'. Fractions are cut to milliseconds.
DATETIME_PATTERN: Final = (
    r"([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})"
    r"([T ]([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])(\.([0-9]{1,6}))?)?Z?)?"
)
_DATETIME_RE = re.compile(DATETIME_PATTERN)


def type_name(value: Any) -> str:
    """The expression-language type of a normalised value."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, dt.datetime):
        return "datetime"
    raise TypeError(f"not an expression value: {value!r}")


def normalize(value: Any) -> Any:
    """A property value (as decoded from JSON) as an expression value.

    Integers become doubles, tuples lists, naive datetimes UTC ones. Raises TypeError for
    anything JSON cannot hold.
    """
    if value is None or value is UNDEFINED or isinstance(value, (bool, str, list, dict)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            # Past the float range; copysign would convert the huge int (and overflow) again.
            return math.inf if value > 0 else -math.inf
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, Real):
        return float(value)
    raise ValidationError(
        f"a property value of type {type(value).__name__} is not JSON data: {value!r:.80}",
        hint="pass properties as decoded from JSON (str, int, float, bool, None, list, dict)",
    )


def format_number(value: float) -> str:
    """A number as Mixpanel-style text: like JavaScript's ``String(n)``.

    Integers print without ``.0`` (``5``, ``1700000000000``), others with the shortest digits
    that read back as the same double (``49.99``); exponents below 1e-6 and from 1e21 up
    (``1e-7``, ``1e+21``). Design choice: Mixpanel does not document its number text beyond
    "decimal representation"; this is the JavaScript rule its UI uses.
    """
    if value == 0:
        return "0"
    if value < 0:
        return "-" + format_number(-value)
    if math.isinf(value):
        return "Infinity"
    if math.isnan(value):
        return "NaN"
    mantissa, _, exp_text = repr(value).partition("e")
    whole, _, frac = mantissa.partition(".")
    frac = "" if frac == "0" else frac
    digits = whole + frac
    point = len(whole) + (int(exp_text) if exp_text else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    head = digits[0] + ("." + digits[1:] if count > 1 else "")
    return f"{head}e{'+' if exponent > 0 else '-'}{abs(exponent)}"


def _json_double(value: float) -> str:
    # DuckDB's JSON writer (yyjson): the JavaScript digits, exponents without '+', and '.0'
    # on numbers that would otherwise read back as integers.
    text = format_number(value).replace("e+", "e")
    if math.copysign(1.0, value) < 0 and value == 0:
        return "-0.0"
    if "." not in text and "e" not in text:
        text += ".0"
    return text


def _json_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch >= " ":
            out.append(ch)
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        else:
            out.append(f"\\u{ord(ch):04X}")
    out.append('"')
    return "".join(out)


def canonical_json(value: Any) -> str:
    """The minified JSON text DuckDB's ``json()`` gives for ``value``.

    Used to compare lists and objects (design choice: two lists or two objects are equal when
    these texts are; ``[1]`` and ``[1.0]`` differ) and as their segment label.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # DuckDB keeps an integer's digits, even past 64 bits
    if isinstance(value, float):
        return _json_double(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(_json_string(str(k)) + ":" + canonical_json(v) for k, v in value.items())
            + "}"
        )
    if isinstance(value, dt.datetime):
        return _json_string(format_datetime(value))
    raise TypeError(f"{type(value).__name__} is not a JSON value: {value!r}")


def format_datetime(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (Mixpanel's date format), plus ``.mmm`` when not whole seconds."""
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    ms = value.microsecond // 1000
    return f"{text}.{ms:03d}" if ms else text


def datetime_from_ms(ms: float) -> dt.datetime | Undefined:
    """The UTC datetime ``ms`` milliseconds after the epoch (floored), or UNDEFINED."""
    if not math.isfinite(ms) or not MIN_MS <= ms <= MAX_MS:
        return UNDEFINED
    return _EPOCH + dt.timedelta(milliseconds=math.floor(ms))


def parse_datetime(text: str) -> dt.datetime | Undefined:
    """A datetime read from ``text`` (see DATETIME_PATTERN), or UNDEFINED."""
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        return UNDEFINED
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    hour = int(match[5] or 0)
    minute = int(match[6] or 0)
    second = int(match[8] or 0)
    fraction = (match[10] or "").ljust(3, "0")[:3]
    try:
        return dt.datetime(
            year, month, day, hour, minute, second, int(fraction) * 1000, tzinfo=dt.UTC
        )
    except ValueError:
        return UNDEFINED


def parse_number(text: str) -> float | Undefined:
    """``number("...")``: the decimal in ``text`` (see NUMBER_PATTERN), or UNDEFINED."""
    if _NUMBER_RE.fullmatch(text) is None:
        return UNDEFINED
    value = float(text.strip(" \t\n\r"))
    return value if math.isfinite(value) else UNDEFINED


def to_number(value: Any) -> float | Undefined:
    """``number(x)`` (Mixpanel docs, segmentation-expressions: Casting to Number).

    Strings are parsed, ``true``/``false`` give 1/0, null and undefined give undefined.
    Design choices: a datetime gives its epoch milliseconds; lists and objects give undefined.
    """
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, dt.datetime):
        return float((value - _EPOCH) // dt.timedelta(milliseconds=1))
    return UNDEFINED


def to_string(value: Any) -> str | Undefined | None:
    """``string(x)`` (Mixpanel docs, segmentation-expressions: Casting to String).

    Numbers give their decimal text (:func:`format_number`), booleans ``"true"``/``"false"``,
    null stays null, undefined stays undefined. Design choices: a datetime gives
    :func:`format_datetime`; lists and objects give undefined.
    """
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    return UNDEFINED


def to_boolean(value: Any) -> bool:
    """``boolean(x)`` (Mixpanel docs, data-type): ``"false"``, 0, null, undefined and ``""`` are
    false, every other value is true (design choice: empty lists and objects are values, so
    true).
    """
    if isinstance(value, bool):
        return value
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, str):
        return value not in ("false", "")
    if isinstance(value, float):
        return value != 0
    return True


def segment_label(value: Any) -> str:
    """The segment name Mixpanel shows for ``value`` when segmenting ``on`` an expression.

    Strings as they are, numbers as :func:`format_number`, booleans ``"true"``/``"false"``,
    ``"null"`` and ``"undefined"`` (Mixpanel's segmentation responses key unset values as
    ``"undefined"``). Design choices: datetimes as :func:`format_datetime`, lists and objects
    as their JSON text (:func:`canonical_json`).
    """
    value = normalize(value)
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    # string(x) gives the text of every other scalar; lists and objects are left to JSON.
    text = to_string(value)
    return text if isinstance(text, str) else canonical_json(value)
