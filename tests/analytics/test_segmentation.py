"""Segmentation without expressions: measures, dedup, buckets, time zones.

Every expected value is worked out by hand in the comment above it.
"""

from __future__ import annotations

import duckdb
import pytest

from mixpanel_data.analytics import segmentation
from mixpanel_data.exceptions import TableNotFoundError, ValidationError


def test_general_unique_average(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1")
    add("A", "2024-06-01 11:00:00", "u1")
    add("A", "2024-06-01 12:00:00", "u2")
    add("A", "2024-06-01 13:00:00", "")  # not attributable
    add("A", "2024-06-01 14:00:00", None)  # not attributable
    add("A", "2024-06-02 09:00:00", "u1")
    add("B", "2024-06-01 09:00:00", "u3")  # another event: never counted for A

    # 06-01: 5 events of A in total; users u1, u2 -> 2 uniques;
    # average = attributable events (3) / users (2) = 1.5. 06-02: one event by u1.
    general = segmentation(con, "A", "2024-06-01", "2024-06-03")
    assert general.dates == ("2024-06-01", "2024-06-02", "2024-06-03")
    assert general.segments == ("A",)
    assert general.values() == {"A": {"2024-06-01": 5, "2024-06-02": 1}}
    unique = segmentation(con, "A", "2024-06-01", "2024-06-03", type="unique")
    assert unique.values() == {"A": {"2024-06-01": 2, "2024-06-02": 1}}
    average = segmentation(con, "A", "2024-06-01", "2024-06-03", type="average")
    assert average.values() == {"A": {"2024-06-01": 1.5, "2024-06-02": 1.0}}


def test_frame_columns_and_types(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1")
    series = segmentation(con, "A", "2024-06-01", "2024-06-01")
    assert series.frame.columns == ["date", "segment", "value"]
    assert series.frame.rows() == [("2024-06-01", "A", 1)]
    assert series.unit == "day"


def test_only_anonymous_events_give_no_unique_cell(con: duckdb.DuckDBPyConnection, add) -> None:
    # Two events, both without a user: 2 in total, 0 users -> the unique cell is absent.
    add("A", "2024-06-01 10:00:00", "")
    add("A", "2024-06-01 11:00:00", None)
    assert segmentation(con, "A", "2024-06-01", "2024-06-01").values() == {"A": {"2024-06-01": 2}}
    unique = segmentation(con, "A", "2024-06-01", "2024-06-01", type="unique")
    assert unique.values() == {}
    assert unique.segments == ()


def test_duplicates_collapse_to_one_event(con: duckdb.DuckDBPyConnection, add) -> None:
    # Same (event, distinct_id, time, insert_id) three times -> one event.
    for processed in (100, 300, 200):
        add("A", "2024-06-01 10:00:00", "u1", insert_id="x", processed=processed)
    # Same insert_id but another time, or another insert_id: distinct events.
    add("A", "2024-06-01 10:00:01", "u1", insert_id="x")
    add("A", "2024-06-01 10:00:00", "u1", insert_id="y")
    # 1 (the triple) + 1 + 1 = 3
    assert segmentation(con, "A", "2024-06-01", "2024-06-01").values() == {"A": {"2024-06-01": 3}}


def test_dates_bound_local_days_in_the_time_zone(con: duckdb.DuckDBPyConnection, add) -> None:
    # America/Los_Angeles is UTC-7 in June (PDT).
    add("A", "2024-06-01 05:00:00", "u1")  # 05-31 22:00 local: before the range
    add("A", "2024-06-01 07:00:00", "u1")  # 06-01 00:00 local: first instant of the range
    add("A", "2024-06-02 03:00:00", "u1")  # 06-01 20:00 local
    add("A", "2024-06-02 06:59:59.999", "u1")  # 06-01 23:59:59.999 local: last instant
    add("A", "2024-06-02 07:00:00", "u1")  # 06-02 00:00 local: after the range
    la = segmentation(con, "A", "2024-06-01", "2024-06-01", tz="America/Los_Angeles")
    assert la.values() == {"A": {"2024-06-01": 3}}
    # In UTC the same rows fall on 06-01 (two) and 06-02 (three).
    utc = segmentation(con, "A", "2024-06-01", "2024-06-02")
    assert utc.values() == {"A": {"2024-06-01": 2, "2024-06-02": 3}}


def test_hour_buckets_across_spring_forward(con: duckdb.DuckDBPyConnection, add) -> None:
    # New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT, so the day has 23 hours and no
    # "02:00" key. 06:30 UTC = 01:30 EST; 07:30 UTC = 03:30 EDT.
    add("A", "2024-03-10 06:30:00", "u1")
    add("A", "2024-03-10 07:30:00", "u1")
    series = segmentation(con, "A", "2024-03-10", "2024-03-10", unit="hour", tz="America/New_York")
    assert len(series.dates) == 23
    assert "2024-03-10 02:00:00" not in series.dates
    assert series.dates[:3] == ("2024-03-10 00:00:00", "2024-03-10 01:00:00", "2024-03-10 03:00:00")
    assert series.values() == {"A": {"2024-03-10 01:00:00": 1, "2024-03-10 03:00:00": 1}}


def test_hour_buckets_across_fall_back(con: duckdb.DuckDBPyConnection, add) -> None:
    # New York, 2024-11-03: 01:00-02:00 happens twice (EDT, then EST). 05:30 UTC = 01:30 EDT,
    # 06:30 UTC = 01:30 EST: both are wall-clock 01:xx, so they share one hour bucket.
    add("A", "2024-11-03 05:30:00", "u1")
    add("A", "2024-11-03 06:30:00", "u1")
    # 2024-11-04 04:30 UTC = 2024-11-03 23:30 EST: still the 3rd locally.
    add("A", "2024-11-04 04:30:00", "u1")
    hours = segmentation(con, "A", "2024-11-03", "2024-11-03", unit="hour", tz="America/New_York")
    assert len(hours.dates) == 24
    assert hours.values() == {"A": {"2024-11-03 01:00:00": 2, "2024-11-03 23:00:00": 1}}
    days = segmentation(con, "A", "2024-11-03", "2024-11-04", tz="America/New_York")
    assert days.values() == {"A": {"2024-11-03": 3}}


def test_minute_week_month_and_interval_buckets(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:30", "u1")  # Saturday
    add("A", "2024-06-03 10:00:00", "u1")  # Monday
    add("A", "2024-07-01 00:00:00", "u1")
    minutes = segmentation(con, "A", "2024-06-01", "2024-06-01", unit="minute")
    assert len(minutes.dates) == 1440
    assert minutes.values() == {"A": {"2024-06-01 10:00:00": 1}}
    # Weeks start on Monday: 06-01 is in the week of 05-27, 06-03 starts a new one.
    weeks = segmentation(con, "A", "2024-06-01", "2024-06-09", unit="week")
    assert weeks.dates == ("2024-05-27", "2024-06-03")
    assert weeks.values() == {"A": {"2024-05-27": 1, "2024-06-03": 1}}
    months = segmentation(con, "A", "2024-06-01", "2024-07-31", unit="month")
    assert months.dates == ("2024-06-01", "2024-07-01")
    assert months.values() == {"A": {"2024-06-01": 2, "2024-07-01": 1}}
    # interval=2: buckets of two days from from_date: 06-01..02, 06-03..04.
    pairs = segmentation(con, "A", "2024-06-01", "2024-06-04", interval=2)
    assert pairs.unit == "interval"
    assert pairs.dates == ("2024-06-01", "2024-06-03")
    assert pairs.values() == {"A": {"2024-06-01": 1, "2024-06-03": 1}}


def test_custom_table_name(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1")
    con.execute("CREATE TABLE other AS SELECT * FROM events")
    con.execute("DELETE FROM events")
    series = segmentation(con, "A", "2024-06-01", "2024-06-01", table="other")
    assert series.values() == {"A": {"2024-06-01": 1}}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"from_date": "2024-06-02", "to_date": "2024-06-01"}, "before from_date"),
        ({"from_date": "2024/06/01"}, "from_date must be"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"unit": "fortnight"}, "unit must be one of"),
        ({"type": "median"}, "type must be one of"),
        ({"limit": 0}, "limit must be"),
        ({"event": ""}, "event must be"),
    ],
)
def test_bad_arguments(con: duckdb.DuckDBPyConnection, kwargs: dict, fragment: str) -> None:
    call = {"event": "A", "from_date": "2024-06-01", "to_date": "2024-06-01", **kwargs}
    with pytest.raises(ValidationError, match=fragment):
        segmentation(con, **call)


def test_missing_table(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(TableNotFoundError):
        segmentation(con, "A", "2024-06-01", "2024-06-01", table="nope")


def test_names_with_quotes_are_safe(con: duckdb.DuckDBPyConnection, add) -> None:
    add('O\'Brien "x"', "2024-06-01 10:00:00", "u'1")
    series = segmentation(con, 'O\'Brien "x"', "2024-06-01", "2024-06-01", type="unique")
    assert series.values() == {'O\'Brien "x"': {"2024-06-01": 1}}


def test_session_time_zone_does_not_matter(con: duckdb.DuckDBPyConnection, add) -> None:
    # The naive UTC column is read as UTC whatever the connection's TimeZone setting:
    # 2024-06-01 23:30 UTC stays on 06-01 in UTC even with the session in Tokyo (UTC+9).
    add("A", "2024-06-01 23:30:00", "u1")
    con.execute("SET TimeZone = 'Asia/Tokyo'")
    assert segmentation(con, "A", "2024-06-01", "2024-06-02").values() == {"A": {"2024-06-01": 1}}
    la = segmentation(con, "A", "2024-06-01", "2024-06-02", tz="America/Los_Angeles")
    assert la.values() == {"A": {"2024-06-01": 1}}  # 16:30 PDT
