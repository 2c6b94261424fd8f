"""Frequency (addiction): distinct active hours/days per period, cumulative arrays."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from mixpanel_data.analytics import Frequency, frequency, units_per_period
from mixpanel_data.exceptions import ValidationError


def arrays(result: Frequency) -> dict[str, tuple[int, ...]]:
    return {p.date: p.counts for p in result.periods}


def test_day_by_hour(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1: 10:05, 10:50, 11:10 -> 2 distinct hours; u2: 10:00 -> 1 hour; anonymous ignored.
    # a[0] = users with >= 1 hour = 2, a[1] = users with >= 2 hours = 1, the rest 0.
    add("A", "2024-06-01 10:05:00", "u1")
    add("A", "2024-06-01 10:50:00", "u1")
    add("A", "2024-06-01 11:10:00", "u1")
    add("A", "2024-06-01 10:00:00", "u2")
    add("A", "2024-06-01 12:00:00", "")
    result = frequency(con, "A", "2024-06-01", "2024-06-02")
    assert result.dates == ("2024-06-01", "2024-06-02")
    assert arrays(result) == {"2024-06-01": (2, 1) + (0,) * 22, "2024-06-02": (0,) * 24}


def test_week_by_day(con: duckdb.DuckDBPyConnection, add) -> None:
    # Week of Monday 06-03. u1 active Mon, Mon again, Wed, Sun -> 3 days; u2 Tue -> 1 day.
    add("A", "2024-06-03 08:00:00", "u1")
    add("A", "2024-06-03 20:00:00", "u1")
    add("A", "2024-06-05 08:00:00", "u1")
    add("A", "2024-06-09 23:00:00", "u1")
    add("A", "2024-06-04 08:00:00", "u2")
    result = frequency(con, "A", "2024-06-03", "2024-06-09", unit="week", addiction_unit="day")
    assert arrays(result) == {"2024-06-03": (2, 1, 1, 0, 0, 0, 0)}


def test_month_by_day_length_is_days_in_month(con: duckdb.DuckDBPyConnection, add) -> None:
    # February 2024 has 29 days, March 31. u1 is active two days in February.
    add("A", "2024-02-01 08:00:00", "u1")
    add("A", "2024-02-29 08:00:00", "u1")
    result = frequency(con, "A", "2024-02-01", "2024-03-31", unit="month", addiction_unit="day")
    got = arrays(result)
    assert got["2024-02-01"] == (1, 1) + (0,) * 27
    assert got["2024-03-01"] == (0,) * 31


def test_hours_are_local(con: duckdb.DuckDBPyConnection, add) -> None:
    # Tokyo is UTC+9: 2024-05-31 15:30 UTC and 16:30 UTC are 06-01 00:30 and 01:30 there,
    # two distinct hours of the local day 06-01.
    add("A", "2024-05-31 15:30:00", "u1")
    add("A", "2024-05-31 16:30:00", "u1")
    result = frequency(con, "A", "2024-06-01", "2024-06-01", tz="Asia/Tokyo")
    assert arrays(result) == {"2024-06-01": (1, 1) + (0,) * 22}


def test_any_event(con: duckdb.DuckDBPyConnection, add) -> None:
    # event=None: A at 10:00 and B at 11:00 are two active hours for u1.
    add("A", "2024-06-01 10:00:00", "u1")
    add("B", "2024-06-01 11:00:00", "u1")
    result = frequency(con, None, "2024-06-01", "2024-06-01")
    assert arrays(result)["2024-06-01"][:3] == (1, 1, 0)
    assert result.frame().height == 24


@pytest.mark.parametrize(
    ("unit", "addiction_unit", "start", "expected"),
    [
        ("day", "hour", "2024-06-01", 24),
        ("day", "day", "2024-06-01", 1),
        ("week", "day", "2024-06-03", 7),
        ("week", "hour", "2024-06-03", 168),
        ("month", "day", "2023-02-01", 28),
        ("month", "day", "2024-01-01", 31),
        ("month", "hour", "2024-04-01", 720),
    ],
)
def test_units_per_period(unit: str, addiction_unit: str, start: str, expected: int) -> None:
    assert units_per_period(unit, addiction_unit, dt.date.fromisoformat(start)) == expected


def test_bad_arguments(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValidationError, match="addiction_unit"):
        frequency(con, "A", "2024-06-01", "2024-06-01", addiction_unit="minute")
    with pytest.raises(ValidationError, match="unit must be"):
        frequency(con, "A", "2024-06-01", "2024-06-01", unit="hour")
