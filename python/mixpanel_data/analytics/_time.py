"""Dates, time zones and time buckets for the reports.

Mixpanel's Query API buckets results in the project's time zone, with ``from_date`` and
``to_date`` both inclusive local days (Mixpanel docs, query.openapi.yaml: "yyyy-mm-dd,
inclusive"; managing-projects: changing the project time zone changes how results are shown).

The events table stores ``time`` as a naive UTC timestamp. The local wall-clock time of an
event is ``timezone(tz, timezone('UTC', time))``: the inner call reads the naive value as UTC
(independent of the connection's ``TimeZone`` setting), the outer one gives the naive local
time in ``tz`` with DST applied by ICU. Buckets are then plain ``date_trunc`` calls on naive
local timestamps, so a DST day has 23 or 25 hours and still yields one day bucket.

Bucket keys (design choice where Mixpanel does not document them):

- ``day``, ``week``, ``month`` and ``interval`` buckets: ``yyyy-mm-dd`` of the local day the
  bucket starts (Mixpanel's documented date keys).
- ``hour``: ``yyyy-mm-dd HH:00:00``; ``minute``: ``yyyy-mm-dd HH:MM:00`` (Mixpanel leaves the
  format of sub-day keys undocumented; local wall-clock time, so the repeated hour of a DST
  fall-back day is one bucket and the skipped hour of a spring-forward day has no key).
- Weeks start on Monday (ISO weeks, DuckDB's ``date_trunc('week', …)``); the examples in
  Mixpanel's API reference use Monday week keys (2024-05-27, 2024-06-03).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mixpanel_data.analytics._sql import date_lit, lit
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Buckets",
    "Unit",
    "check_choice",
    "check_day",
    "check_positive",
    "check_range",
    "check_tz",
    "coarse_utc",
    "iso_key",
    "local_sql",
    "unit_diff_sql",
]

Unit = Literal["minute", "hour", "day", "week", "month"]

_UTC = dt.UTC
# No time zone is more than 14 hours away from UTC; two days of slack keep the coarse UTC
# range safe for any zone while still letting DuckDB prune on the raw ``time`` column.
_SLACK = dt.timedelta(days=2)


def check_day(value: dt.date | str, name: str) -> dt.date:
    """Return ``value`` as a date, accepting a ``yyyy-mm-dd`` string.

    Raises
    ------
    ValidationError
        When ``value`` is neither a date nor a ``yyyy-mm-dd`` string.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            if len(value) != 10:
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(
        f"{name} must be a date or a 'yyyy-mm-dd' string, got {value!r}",
        hint=f"pass {name} like '2024-06-01'",
    )


def check_range(from_date: dt.date | str, to_date: dt.date | str) -> tuple[dt.date, dt.date]:
    """Validate an inclusive local date range."""
    start = check_day(from_date, "from_date")
    end = check_day(to_date, "to_date")
    if end < start:
        raise ValidationError(
            f"to_date {end.isoformat()} is before from_date {start.isoformat()}",
            hint="swap the two dates",
        )
    return start, end


def check_tz(tz: str) -> zoneinfo.ZoneInfo:
    """Return the zone named ``tz`` (an IANA name such as ``America/Los_Angeles``)."""
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationError(
            f"unknown time zone {tz!r}",
            hint="use an IANA time zone name such as 'UTC' or 'America/Los_Angeles'",
        ) from exc


def check_choice(value: str, name: str, allowed: Sequence[str]) -> str:
    """Check that ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValidationError(
            f"{name} must be one of {', '.join(allowed)}; got {value!r}",
            hint=f"pass {name}={allowed[0]!r} or another listed value",
        )
    return value


def check_positive(value: object, name: str) -> int:
    """Check that ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{name} must be a whole number >= 1, got {value!r}", hint=f"pass {name}=1 or more"
        )
    return value


def local_sql(tz: str, column: str) -> str:
    """SQL for the naive local time in ``tz`` of a naive UTC timestamp column."""
    return f"timezone({lit(tz)}, timezone('UTC', {column}))"


def coarse_utc(
    start: dt.date, end: dt.date, *, after: dt.timedelta = dt.timedelta(0)
) -> tuple[dt.datetime, dt.datetime]:
    """Naive UTC bounds that surely contain the local days ``start``..``end`` (+ ``after``).

    Used as a cheap pre-filter on the raw ``time`` column; the exact local-day test comes
    after it.
    """
    lo = dt.datetime.combine(start, dt.time()) - _SLACK
    hi = dt.datetime.combine(end, dt.time()) + dt.timedelta(days=1) + _SLACK + after
    return lo, hi


def unit_diff_sql(unit: str, earlier: str, later: str) -> str:
    """SQL for the number of whole calendar ``unit`` boundaries between two local times."""
    if unit == "day":
        return f"date_diff('day', CAST({earlier} AS DATE), CAST({later} AS DATE))"
    if unit == "week":
        return (
            f"(date_diff('day', CAST(date_trunc('week', {earlier}) AS DATE), "
            f"CAST(date_trunc('week', {later}) AS DATE)) // 7)"
        )
    if unit == "month":
        return (
            f"((year({later}) * 12 + month({later})) - (year({earlier}) * 12 + month({earlier})))"
        )
    raise ValidationError(f"unit must be day, week or month, got {unit!r}")


def _exists(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether a naive local wall-clock time occurs in ``zone`` (not skipped by DST)."""
    there_and_back = local.replace(tzinfo=zone).astimezone(_UTC).astimezone(zone)
    return there_and_back.replace(tzinfo=None) == local


def iso_key(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """ISO-8601 text of a local time with its UTC offset, e.g. ``2024-05-27T00:00:00-07:00``.

    Mixpanel's Insights responses key dates this way (query.openapi.yaml, /insights example).
    """
    return local.replace(tzinfo=zone).isoformat()


@dataclass(frozen=True, slots=True)
class Buckets:
    """How event times are grouped: a calendar ``unit`` or ``days``-long runs from ``origin``.

    Mixpanel's ``interval`` parameter ("number of days per bucket", /segmentation and
    /funnels) gives runs of ``days`` days starting at ``from_date``.
    """

    unit: str | None
    days: int | None = None
    origin: dt.date | None = None

    @classmethod
    def of(cls, unit: str | None, interval: int | None, origin: dt.date) -> Buckets:
        """Buckets from a report's ``unit``/``interval`` parameters.

        ``interval`` wins when given ("in lieu of unit"); neither means one day.
        """
        if interval is None:
            return cls(unit=unit or "day")
        days = check_positive(interval, "interval")
        if days == 1:
            return cls(unit="day")
        return cls(unit=None, days=days, origin=origin)

    @property
    def sub_day(self) -> bool:
        """Whether keys carry a time of day."""
        return self.unit in ("hour", "minute")

    def start_sql(self, local: str) -> str:
        """SQL for the naive local start of the bucket holding ``local``."""
        if self.unit is not None:
            return f"date_trunc({lit(self.unit)}, {local})"
        assert self.days is not None
        assert self.origin is not None
        origin = date_lit(self.origin)
        return (
            f"CAST({origin} + CAST(floor(date_diff('day', {origin}, CAST({local} AS DATE)) "
            f"/ {self.days}) * {self.days} AS INTEGER) AS TIMESTAMP)"
        )

    def key_sql(self, local: str) -> str:
        """SQL for the text key of the bucket holding ``local``."""
        fmt = {"hour": "%Y-%m-%d %H:00:00", "minute": "%Y-%m-%d %H:%M:00"}.get(
            self.unit or "", "%Y-%m-%d"
        )
        return f"strftime({self.start_sql(local)}, {lit(fmt)})"

    def starts(self, start: dt.date, end: dt.date, zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
        """Every bucket start (naive local) that overlaps the local days ``start``..``end``."""
        if self.unit in ("hour", "minute"):
            return _sub_day_starts(start, end, zone, self.unit)
        days: list[dt.date] = []
        if self.unit == "day":
            days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        elif self.unit == "week":
            first = start - dt.timedelta(days=start.weekday())
            days = [first + dt.timedelta(days=7 * i) for i in range((end - first).days // 7 + 1)]
        elif self.unit == "month":
            month = start.replace(day=1)
            while month <= end:
                days.append(month)
                month = (month + dt.timedelta(days=32)).replace(day=1)
        else:
            assert self.days is not None
            assert self.origin is not None
            first = self.origin + dt.timedelta(
                days=((start - self.origin).days // self.days) * self.days
            )
            days = [
                first + dt.timedelta(days=self.days * i)
                for i in range((end - first).days // self.days + 1)
            ]
        return [dt.datetime.combine(day, dt.time()) for day in days]

    def keys(self, start: dt.date, end: dt.date, zone: zoneinfo.ZoneInfo) -> list[str]:
        """Every bucket key for the local days ``start``..``end``, ascending."""
        fmt = {"hour": "%Y-%m-%d %H:00:00", "minute": "%Y-%m-%d %H:%M:00"}.get(
            self.unit or "", "%Y-%m-%d"
        )
        return [moment.strftime(fmt) for moment in self.starts(start, end, zone)]


def _sub_day_starts(
    start: dt.date, end: dt.date, zone: zoneinfo.ZoneInfo, unit: str
) -> list[dt.datetime]:
    step = dt.timedelta(hours=1) if unit == "hour" else dt.timedelta(minutes=1)
    out: list[dt.datetime] = []
    day = start
    while day <= end:
        midnight = dt.datetime.combine(day, dt.time())
        next_midnight = midnight + dt.timedelta(days=1)
        # Only days whose UTC offset changes can skip wall-clock times; check those one by one.
        steady = midnight.replace(tzinfo=zone).utcoffset() == (
            next_midnight.replace(tzinfo=zone).utcoffset()
        ) and _exists(midnight, zone)
        moment = midnight
        while moment < next_midnight:
            # An hour bucket exists when any minute of it does (zones with 30-minute shifts).
            last = moment + step - dt.timedelta(minutes=1)
            if steady or _exists(moment, zone) or _exists(last, zone):
                out.append(moment)
            moment += step
        day += dt.timedelta(days=1)
    return out
