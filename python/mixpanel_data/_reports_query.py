"""The validated parameters of each report, shared by the live and the local computation.

A query is built once from the caller's arguments (every check happens here, before any
I/O), then handed to :mod:`mixpanel_data._reports_live` or :mod:`mixpanel_data._reports_local`,
which must produce the same result type from it. Names follow the CLI: ``measure`` is
``count|unique|average|sum`` (Mixpanel's ``type`` general/unique/average, or the sum/average
endpoints with ``property``); ``unit`` is the ``--by`` bucket.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from mixpanel_data.exceptions import ValidationError

__all__ = [
    "MEASURE_TYPES",
    "ActivityQuery",
    "Bucket",
    "CountMeasure",
    "EventCountsQuery",
    "FrequencyQuery",
    "FunnelQuery",
    "InsightsQuery",
    "NumericMeasure",
    "NumericQuery",
    "PropertyCountsQuery",
    "RetentionQuery",
    "RetentionType",
    "SegmentationMeasure",
    "SegmentationQuery",
    "check_choice",
    "check_expression",
    "check_limit",
    "check_names",
    "check_range",
    "group_expression",
    "parse_buckets",
    "parse_window",
    "property_expression",
    "to_date_value",
    "window_text",
]

MEASURE_TYPES = {"count": "general", "unique": "unique", "average": "average"}
"""CLI measures → Mixpanel's ``type`` parameter."""

# Mixpanel docs (/funnels): the conversion window "length" may be at most 90 days.
_MAX_WINDOW_SECONDS = 90 * 86_400
_WINDOW = re.compile(r"\A\s*(\d+)\s*([a-z]*)\s*\Z", re.IGNORECASE)
_WINDOW_UNITS = {
    "": ("day", 1),
    "d": ("day", 1),
    "day": ("day", 1),
    "days": ("day", 1),
    "w": ("day", 7),
    "week": ("day", 7),
    "weeks": ("day", 7),
    "h": ("hour", 1),
    "hour": ("hour", 1),
    "hours": ("hour", 1),
    "m": ("minute", 1),
    "min": ("minute", 1),
    "minute": ("minute", 1),
    "minutes": ("minute", 1),
    "s": ("second", 1),
    "second": ("second", 1),
    "seconds": ("second", 1),
}
_UNIT_SECONDS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}
_UNIT_LETTER = {"day": "d", "hour": "h", "minute": "m", "second": "s"}
_EXPRESSION_START = ("properties[", "user[", "event[")


def to_date_value(value: dt.date | str, name: str) -> dt.date:
    """A date from a ``datetime.date`` or a ``yyyy-mm-dd`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(
        f"{name} must be a date (yyyy-mm-dd), got {value!r}", hint="for example 2024-01-31"
    )


def check_range(
    from_date: dt.date | str, to_date: dt.date | str | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The inclusive day range, ``to_date`` defaulting to ``today`` (in the project's zone)."""
    start = to_date_value(from_date, "from_date")
    end = to_date_value(to_date, "to_date") if to_date is not None else max(today, start)
    if end < start:
        raise ValidationError(
            f"the date range is backwards: to_date {end} is before from_date {start}",
            hint="pass the earlier day as --from",
        )
    return start, end


def check_choice(value: str, name: str, allowed: tuple[str, ...], *, hint: str = "") -> str:
    """``value`` when it is one of ``allowed``."""
    if value not in allowed:
        choices = ", ".join(allowed)
        raise ValidationError(
            f"{name} must be one of {choices}, got {value!r}", hint=hint or f"use one of {choices}"
        )
    return value


def check_limit(value: int | None, name: str = "limit", maximum: int = 10_000) -> int | None:
    """A positive integer (Mixpanel caps segment limits at 10,000), or None."""
    if value is None:
        return None
    item: object = value  # checked at runtime: callers may not be type-checked
    if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= maximum:
        raise ValidationError(
            f"{name} must be an integer from 1 to {maximum}, got {value!r}",
            hint=f"Mixpanel returns at most {maximum:,} segments",
        )
    return value


def check_names(values: object, name: str) -> list[str]:
    """A non-empty list of non-empty strings (duplicates dropped, order kept)."""
    items = list(values) if isinstance(values, list | tuple | set | frozenset) else None
    if not items:
        raise ValidationError(
            f"{name} must be a non-empty list of names, got {values!r}",
            hint=f"pass at least one {name.rstrip('s')} (a list, even for one)",
        )
    out: list[str] = []
    for value in items:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{name}: {value!r} is not a non-empty name")
        out.append(value)
    return list(dict.fromkeys(out))


def check_expression(text: str | None, name: str) -> str | None:
    """Parse a segmentation expression now, so a typo fails before any request.

    Raises
    ------
    ExpressionError
        With the position of the problem.
    ValidationError
        For a blank expression.
    """
    if text is None:
        return None
    if not text.strip():
        raise ValidationError(f"the {name} expression is empty", hint=f"drop {name} or fill it in")
    from mixpanel_data.analytics.expr import parse

    parse(text)
    return text


def property_expression(name: str, option: str = "property") -> str:
    """The expression reading a property: ``plan`` → ``properties["plan"]``.

    Text that already is an expression (``properties["x"]``, ``user["y"]``, a function
    call) is checked and kept as it is.
    """
    text = name.strip()
    if not text:
        raise ValidationError(f"the {option} name is empty", hint="pass a property name")
    if text.startswith(_EXPRESSION_START) or "(" in text:
        checked = check_expression(text, option)
        assert checked is not None
        return checked
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'properties["{escaped}"]'


def group_expression(group_by: str | None) -> str | None:
    """The expression of the ``group_by`` property (checked as ``group_by``), if there is one."""
    return property_expression(group_by, "group_by") if group_by is not None else None


def parse_window(window: str | int | None) -> tuple[int, str] | None:
    """A conversion window as Mixpanel's ``(length, length_unit)``.

    Accepts a number of days (``7``), or a number with a unit: ``7d``, ``2w``, ``12h``,
    ``30m``, ``45s``. At most 90 days (Mixpanel's limit).
    """
    if window is None:
        return None
    match = _WINDOW.match(str(window))
    unit_name = match.group(2).lower() if match else ""
    if match is None or unit_name not in _WINDOW_UNITS or int(match.group(1)) < 1:
        raise ValidationError(
            f"the conversion window {window!r} is not a duration",
            hint="use a number with a unit: 7d, 2w, 12h, 30m or 45s",
        )
    unit, factor = _WINDOW_UNITS[unit_name]
    length = int(match.group(1)) * factor
    if length * _UNIT_SECONDS[unit] > _MAX_WINDOW_SECONDS:
        raise ValidationError(
            f"the conversion window {window!r} is longer than 90 days",
            hint="Mixpanel's funnels allow a window of at most 90 days",
        )
    return length, unit


def window_text(window: tuple[int, str] | None) -> str | None:
    """``(7, "day")`` → ``"7d"``."""
    if window is None:
        return None
    return f"{window[0]}{_UNIT_LETTER[window[1]]}"


@dataclass(frozen=True, slots=True)
class Bucket:
    """A range of "number of active hours/days": ``low``..``high`` (``None``: no upper end)."""

    low: int
    high: int | None
    label: str


def parse_buckets(spec: str | None) -> tuple[Bucket, ...] | None:
    """``"1,2-5,6-10,11+"`` → buckets; ranges must be ascending and must not overlap."""
    if spec is None:
        return None
    out: list[Bucket] = []
    for part in (p.strip() for p in spec.split(",")):
        match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+)|(\+))?", part)
        if match is None:
            raise ValidationError(
                f"bucket {part!r} in {spec!r} is not N, N-M or N+",
                hint='write buckets like "1,2-5,6-10,11+"',
            )
        low = int(match.group(1))
        high = None if match.group(3) else int(match.group(2) or low)
        if low < 1 or (high is not None and high < low):
            raise ValidationError(f"bucket {part!r} is empty or starts below 1")
        if out and (out[-1].high is None or low <= out[-1].high):
            raise ValidationError(
                f"bucket {part!r} overlaps or comes before the previous one",
                hint="list the buckets in ascending order without overlaps",
            )
        label = f"{low}+" if high is None else (str(low) if high == low else f"{low}-{high}")
        out.append(Bucket(low=low, high=high, label=label))
    return tuple(out)


SegmentationMeasure = Literal["count", "unique", "average", "sum"]
CountMeasure = Literal["count", "unique", "average"]
NumericMeasure = Literal["buckets", "sum", "average"]
RetentionType = Literal["birth", "compounded"]


@dataclass(frozen=True, slots=True)
class SegmentationQuery:
    """``mp report segmentation``."""

    event: str
    from_date: dt.date
    to_date: dt.date
    unit: str = "day"
    measure: SegmentationMeasure = "count"
    property: str | None = None
    group_by: str | None = None
    where: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class FunnelQuery:
    """``mp report funnel``: a saved funnel (``funnel_id``) or a list of step events."""

    from_date: dt.date
    to_date: dt.date
    steps: tuple[str, ...] | None = None
    funnel_id: int | None = None
    name: str | None = None
    window: tuple[int, str] | None = None
    unit: str | None = None
    group_by: str | None = None
    where: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class RetentionQuery:
    """``mp report retention``."""

    born_event: str | None
    return_event: str | None
    from_date: dt.date
    to_date: dt.date
    unit: str = "day"
    interval: int = 1
    periods: int = 7
    retention_type: RetentionType = "birth"
    unbounded: bool = False
    group_by: str | None = None
    where: str | None = None
    born_where: str | None = None
    limit: int | None = None
    today: dt.date | None = None


@dataclass(frozen=True, slots=True)
class FrequencyQuery:
    """``mp report frequency``."""

    event: str | None
    from_date: dt.date
    to_date: dt.date
    unit: str = "week"
    count_by: str = "day"
    buckets: str | None = None
    group_by: str | None = None
    where: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class InsightsQuery:
    """``mp report insights``: a bookmark (live), or its definition (local)."""

    bookmark_id: int | None
    events: tuple[str, ...] | None = None
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    unit: str = "day"
    measure: CountMeasure = "count"
    group_by: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityQuery:
    """``mp report activity``."""

    distinct_ids: tuple[str, ...]
    from_date: dt.date
    to_date: dt.date


@dataclass(frozen=True, slots=True)
class EventCountsQuery:
    """``mp report event-counts``."""

    events: tuple[str, ...]
    from_date: dt.date
    to_date: dt.date
    unit: str = "day"
    measure: CountMeasure = "count"


@dataclass(frozen=True, slots=True)
class PropertyCountsQuery:
    """``mp report property-counts``."""

    event: str
    property: str
    from_date: dt.date
    to_date: dt.date
    unit: str = "day"
    measure: CountMeasure = "count"
    values: tuple[str, ...] | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class NumericQuery:
    """``mp report numeric``: buckets, sum or average of a numeric property."""

    event: str
    property: str
    from_date: dt.date
    to_date: dt.date
    unit: str = "day"
    measure: NumericMeasure = "buckets"
    where: str | None = None
