"""Retention: births, calendar and rolling units, unbounded, compounded, truncation.

Expected values are worked out by hand in the comments. ``S`` is the birth event, ``X`` the
returning event.
"""

from __future__ import annotations

import duckdb
import pytest

from mixpanel_data.analytics import Retention, retention
from mixpanel_data.exceptions import ValidationError


def cohorts(result: Retention) -> list[tuple[str, int, tuple[int, ...]]]:
    return [(c.date, c.first, c.counts) for c in result.cohorts]


def test_day_boundary_is_local_midnight(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1 returns at 23:59:59.999 on its birth day -> interval 0.
    # u2 returns at 00:00:00.000 the next day -> interval 1.
    add("S", "2024-06-01 10:00:00", "u1")
    add("X", "2024-06-01 23:59:59.999", "u1")
    add("S", "2024-06-01 10:00:00", "u2")
    add("X", "2024-06-02 00:00:00", "u2")
    result = retention(con, "S", "2024-06-01", "2024-06-01", event="X", interval_count=2)
    assert cohorts(result) == [("2024-06-01", 2, (1, 1, 0))]
    assert result.dates == ("2024-06-01",)


def test_day_boundary_in_a_time_zone(con: duckdb.DuckDBPyConnection, add) -> None:
    # Los Angeles (UTC-7): birth 2024-06-02 03:00 UTC = 06-01 20:00 local (cohort 06-01);
    # X at 06-02 06:59:59.999 UTC = 06-01 23:59:59.999 local -> interval 0;
    # X at 06-02 07:00 UTC (u2) = 06-02 00:00 local -> interval 1.
    add("S", "2024-06-02 03:00:00", "u1")
    add("X", "2024-06-02 06:59:59.999", "u1")
    add("S", "2024-06-02 03:00:00", "u2")
    add("X", "2024-06-02 07:00:00", "u2")
    result = retention(con, "S", "2024-06-01", "2024-06-01", event="X", tz="America/Los_Angeles")
    assert cohorts(result) == [("2024-06-01", 2, (1, 1))]


def test_birth_is_the_first_born_event_ever(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1 first did S on 05-20 (before the range), so it is not born on 06-01.
    # u2 is born 06-01.
    add("S", "2024-05-20 10:00:00", "u1")
    add("S", "2024-06-01 10:00:00", "u1")
    add("S", "2024-06-01 10:00:00", "u2")
    result = retention(con, "S", "2024-06-01", "2024-06-01", event="X")
    assert cohorts(result) == [("2024-06-01", 1, (0, 0))]


def test_birth_event_is_not_its_own_return(con: duckdb.DuckDBPyConnection, add) -> None:
    # Returning event = birth event. u1 did S once: no return. u2 did S twice the same day:
    # the second is a return in interval 0. u3 did S and, at the very same millisecond, X:
    # with "any event" the X counts (a different event), the birth S itself does not.
    add("S", "2024-06-01 10:00:00", "u1")
    add("S", "2024-06-01 10:00:00", "u2")
    add("S", "2024-06-01 11:00:00", "u2")
    add("S", "2024-06-01 10:00:00", "u3")
    add("X", "2024-06-01 10:00:00", "u3")
    same = retention(con, "S", "2024-06-01", "2024-06-01", event="S")
    assert cohorts(same) == [("2024-06-01", 3, (1, 0))]
    any_event = retention(con, "S", "2024-06-01", "2024-06-01")
    assert cohorts(any_event) == [("2024-06-01", 3, (2, 0))]


def test_week_boundary_is_monday(con: duckdb.DuckDBPyConnection, add) -> None:
    # 2024-06-02 is a Sunday (week of 05-27). u1 returns Sunday 23:59 (week 0),
    # u2 returns Monday 06-03 00:00 (week 1).
    add("S", "2024-06-02 10:00:00", "u1")
    add("X", "2024-06-02 23:59:00", "u1")
    add("S", "2024-06-02 10:00:00", "u2")
    add("X", "2024-06-03 00:00:00", "u2")
    result = retention(con, "S", "2024-06-01", "2024-06-02", event="X", unit="week")
    assert result.dates == ("2024-05-27",)
    assert cohorts(result) == [("2024-05-27", 2, (1, 1))]


def test_month_boundary(con: duckdb.DuckDBPyConnection, add) -> None:
    # Born 01-31 10:00; a return on 02-01 00:00 is calendar month 1 (14 hours later),
    # a return on 03-30 is month 2.
    add("S", "2024-01-31 10:00:00", "u1")
    add("X", "2024-02-01 00:00:00", "u1")
    add("X", "2024-03-30 00:00:00", "u1")
    result = retention(
        con, "S", "2024-01-01", "2024-01-31", event="X", unit="month", interval_count=2
    )
    assert cohorts(result) == [("2024-01-01", 1, (0, 1, 1))]


def test_rolling_mode_counts_from_the_birth_time(con: duckdb.DuckDBPyConnection, add) -> None:
    # Born 06-01 10:00. Return at 06-02 09:59:59 is 23:59:59 later: rolling day 0, although
    # it is the next calendar day. Return at 06-03 10:00 is exactly 48 h later: rolling day 2.
    add("S", "2024-06-01 10:00:00", "u1")
    add("X", "2024-06-02 09:59:59", "u1")
    add("X", "2024-06-03 10:00:00", "u1")
    rolling = retention(
        con, "S", "2024-06-01", "2024-06-01", event="X", interval_count=2, mode="rolling"
    )
    assert cohorts(rolling) == [("2024-06-01", 1, (1, 0, 1))]
    calendar = retention(con, "S", "2024-06-01", "2024-06-01", event="X", interval_count=2)
    assert cohorts(calendar) == [("2024-06-01", 1, (0, 1, 1))]


def test_rolling_month_is_thirty_days(con: duckdb.DuckDBPyConnection, add) -> None:
    # Born 01-31 10:00; 02-01 is month 0 (rolling), 03-01 10:00 is exactly 30 days -> month 1.
    add("S", "2024-01-31 10:00:00", "u1")
    add("X", "2024-02-01 00:00:00", "u1")
    add("X", "2024-03-01 10:00:00", "u1")
    result = retention(
        con, "S", "2024-01-31", "2024-01-31", event="X", unit="month", mode="rolling"
    )
    assert cohorts(result) == [("2024-01-01", 1, (1, 1))]


def test_interval_groups_units(con: duckdb.DuckDBPyConnection, add) -> None:
    # interval=2 days: day 0-1 -> interval 0, day 2-3 -> 1, day 4-5 -> 2.
    # u1 returns on day 1 and day 4; u2 on day 3.
    add("S", "2024-06-01 10:00:00", "u1")
    add("X", "2024-06-02 10:00:00", "u1")
    add("X", "2024-06-05 10:00:00", "u1")
    add("S", "2024-06-01 10:00:00", "u2")
    add("X", "2024-06-04 10:00:00", "u2")
    result = retention(
        con, "S", "2024-06-01", "2024-06-01", event="X", interval=2, interval_count=2
    )
    assert cohorts(result) == [("2024-06-01", 2, (1, 1, 1))]


def test_unbounded_counts_returns_on_or_after(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1 returns on day 2 only; u2 on day 0 only; u3 on day 5 (past interval_count=2).
    # Bounded: [1 (u2), 0, 1 (u1)]. On-or-after: day 0: all three; day 1: u1, u3;
    # day 2: u1, u3 (u3's day 5 counts as "or later").
    add("S", "2024-06-01 10:00:00", "u1")
    add("X", "2024-06-03 10:00:00", "u1")
    add("S", "2024-06-01 10:00:00", "u2")
    add("X", "2024-06-01 12:00:00", "u2")
    add("S", "2024-06-01 10:00:00", "u3")
    add("X", "2024-06-06 10:00:00", "u3")
    bounded = retention(con, "S", "2024-06-01", "2024-06-01", event="X", interval_count=2)
    assert cohorts(bounded) == [("2024-06-01", 3, (1, 0, 1))]
    unbounded = retention(
        con, "S", "2024-06-01", "2024-06-01", event="X", interval_count=2, unbounded=True
    )
    assert cohorts(unbounded) == [("2024-06-01", 3, (3, 2, 2))]


def test_compounded_every_active_day_is_a_cohort(con: duckdb.DuckDBPyConnection, add) -> None:
    # Recurring retention on X: u1 does X on 06-01 and 06-02 -> in both cohorts.
    # Cohort 06-01: u1, returns 06-02 (day 1). Cohort 06-02: u1, no later X -> zeros.
    # u2 does X twice on 06-02: cohort 06-02 includes u2, whose second X is a day-0 return.
    add("X", "2024-06-01 10:00:00", "u1")
    add("X", "2024-06-02 10:00:00", "u1")
    add("X", "2024-06-02 08:00:00", "u2")
    add("X", "2024-06-02 09:00:00", "u2")
    result = retention(
        con, None, "2024-06-01", "2024-06-02", event="X", retention_type="compounded"
    )
    assert cohorts(result) == [("2024-06-01", 1, (0, 1)), ("2024-06-02", 2, (1, 0))]


def test_today_drops_intervals_not_started(con: duckdb.DuckDBPyConnection, add) -> None:
    # Cohorts 06-01 and 06-02, interval_count 3, today 06-03: cohort 06-01 has days 0..2
    # started (3 counts), cohort 06-02 days 0..1 (2 counts).
    add("S", "2024-06-01 10:00:00", "u1")
    add("S", "2024-06-02 10:00:00", "u2")
    add("X", "2024-06-03 10:00:00", "u2")
    result = retention(
        con, "S", "2024-06-01", "2024-06-02", event="X", interval_count=3, today="2024-06-03"
    )
    assert cohorts(result) == [("2024-06-01", 1, (0, 0, 0)), ("2024-06-02", 1, (0, 1))]
    frame = result.frame()
    assert frame.columns == ["date", "segment", "first", "interval", "count"]
    assert frame.height == 5


def test_anonymous_events_are_ignored(con: duckdb.DuckDBPyConnection, add) -> None:
    # Births and returns without a user: no cohort at all.
    add("S", "2024-06-01 10:00:00", "")
    add("X", "2024-06-01 11:00:00", "")
    add("S", "2024-06-01 10:00:00", None)
    assert retention(con, "S", "2024-06-01", "2024-06-01", event="X").cohorts == ()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"born_event": None}, "born_event is required"),
        ({"unit": "hour"}, "unit must be"),
        ({"retention_type": "first"}, "retention_type must be"),
        ({"mode": "sliding"}, "mode must be"),
        ({"interval": 0}, "interval must be"),
        ({"interval_count": -1}, "interval_count must be"),
        ({"today": "tomorrow"}, "today must be"),
    ],
)
def test_bad_arguments(con: duckdb.DuckDBPyConnection, kwargs: dict, fragment: str) -> None:
    call = {"born_event": "S", "from_date": "2024-06-01", "to_date": "2024-06-01", **kwargs}
    with pytest.raises(ValidationError, match=fragment):
        retention(con, **call)
