"""The event endpoints without expressions: /events, /events/top, /events/names,
/events/properties/top, /stream/query, /insights."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from mixpanel_data.analytics import (
    activity,
    event_counts,
    event_names,
    insights,
    property_names,
    top_events,
)
from mixpanel_data.exceptions import ValidationError


def test_event_counts_lists_every_requested_event(con: duckdb.DuckDBPyConnection, add) -> None:
    # A: 2 on 06-01 (u1 twice), 1 on 06-02; B: 1 on 06-02; C: none (still listed, last).
    add("A", "2024-06-01 10:00:00", "u1")
    add("A", "2024-06-01 11:00:00", "u1")
    add("A", "2024-06-02 10:00:00", "u2")
    add("B", "2024-06-02 10:00:00", "u1")
    add("D", "2024-06-02 10:00:00", "u1")  # not asked for
    result = event_counts(con, ["C", "B", "A"], "2024-06-01", "2024-06-02")
    assert result.segments == ("A", "B", "C")
    assert result.values() == {
        "A": {"2024-06-01": 2, "2024-06-02": 1},
        "B": {"2024-06-02": 1},
        "C": {},
    }
    # unique: A has one user each day.
    unique = event_counts(con, ["A"], "2024-06-01", "2024-06-02", type="unique")
    assert unique.values() == {"A": {"2024-06-01": 1, "2024-06-02": 1}}


def test_event_counts_needs_a_list(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValidationError, match="events must be a non-empty list"):
        event_counts(con, "A", "2024-06-01", "2024-06-02")


def test_top_events_change_from_yesterday(con: duckdb.DuckDBPyConnection, add) -> None:
    # Yesterday (06-01): A x2. Today (06-02): A x3, B x1.
    # A: amount 3, change (3 - 2) / 2 = 0.5. B: absent yesterday -> 1.0.
    add("A", "2024-06-01 10:00:00", "u1")
    add("A", "2024-06-01 11:00:00", "u2")
    for hour in (8, 9, 10):
        add("A", f"2024-06-02 {hour:02d}:00:00", "u1")
    add("B", "2024-06-02 10:00:00", "u1")
    top = top_events(con, today="2024-06-02")
    assert top.rows() == [("A", 3, 0.5), ("B", 1, 1.0)]
    # unique: A today 1 user (u1), yesterday 2 -> -0.5.
    unique = top_events(con, today="2024-06-02", type="unique")
    assert unique.rows() == [("A", 1, -0.5), ("B", 1, 1.0)]
    assert top_events(con, today="2024-06-02", limit=1).rows() == [("A", 3, 0.5)]


def test_top_events_normalised_to_the_time_of_day(con: duckdb.DuckDBPyConnection, add) -> None:
    # now = 06-02 09:30: today so far A x2 (08:00, 09:00); yesterday up to 09:30 A x1 (the
    # 10:00 and 11:00 ones come later in the day) -> change (2 - 1) / 1 = 1.0.
    add("A", "2024-06-01 09:00:00", "u1")
    add("A", "2024-06-01 10:00:00", "u1")
    add("A", "2024-06-01 11:00:00", "u1")
    add("A", "2024-06-02 08:00:00", "u1")
    add("A", "2024-06-02 09:00:00", "u1")
    now = dt.datetime(2024, 6, 2, 9, 30, tzinfo=dt.UTC)
    assert top_events(con, today="2024-06-02", now=now).rows() == [("A", 2, 1.0)]


def test_event_names_last_31_days_most_common_first(con: duckdb.DuckDBPyConnection, add) -> None:
    # today 06-30: window 05-31..06-30. "Old" on 05-30 is outside; B x2, A x1, C x1.
    add("Old", "2024-05-30 10:00:00", "u1")
    add("A", "2024-05-31 10:00:00", "u1")
    add("B", "2024-06-10 10:00:00", "u1")
    add("B", "2024-06-11 10:00:00", "u1")
    add("C", "2024-06-30 23:00:00", "u1")
    assert event_names(con, today="2024-06-30") == ["B", "A", "C"]
    assert event_names(con, today="2024-06-30", limit=2) == ["B", "A"]


def test_property_names_counts_events_carrying_each_key(
    con: duckdb.DuckDBPyConnection, add
) -> None:
    # plan on 2 events, $browser on 1; the row keys (time, distinct_id) are left out.
    add("A", "2024-06-01 10:00:00", "u1", plan="free", **{"$browser": "Chrome"})
    add("A", "2024-06-01 11:00:00", "u1", plan=None)
    add("B", "2024-06-01 11:00:00", "u1", other=1)
    assert property_names(con, "A").rows() == [("plan", 2), ("$browser", 1)]
    assert property_names(con, "A", limit=1).rows() == [("plan", 2)]
    assert property_names(con, None).rows() == [("plan", 2), ("$browser", 1), ("other", 1)]


def test_activity_of_users_with_dedup(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1's event duplicated: the copy processed last (plan=pro) wins. u2 not asked for.
    add("A", "2024-06-01 10:00:00.250", "u1", insert_id="x", processed=1, plan="free")
    add("A", "2024-06-01 10:00:00.250", "u1", insert_id="x", processed=2, plan="pro")
    add("B", "2024-06-01 09:00:00", "u1")
    add("B", "2024-06-01 09:00:00", "u2")
    add("C", "2024-06-03 09:00:00", "u1")  # after to_date
    found = activity(con, ["u1"], "2024-06-01", "2024-06-02")
    assert found["event"].to_list() == ["B", "A"]
    # 2024-06-01 10:00:00.250 UTC = 1717236000.25 s -> 1717236000 in whole seconds.
    assert found["time"].to_list() == [1717232400, 1717236000]
    assert found["time_ms"].to_list() == [1717232400000, 1717236000250]
    assert json.loads(found["properties"][1])["plan"] == "pro"


def test_insights_keys_carry_the_utc_offset(con: duckdb.DuckDBPyConnection, add) -> None:
    # Weekly in Los Angeles: 2024-05-27 and 2024-06-03 are Mondays, PDT = -07:00.
    # 2024-05-28 10:00 UTC -> week of 05-27; 2024-06-04 10:00 UTC -> week of 06-03.
    add("Logged in", "2024-05-28 10:00:00", "u1")
    add("Logged in", "2024-06-04 10:00:00", "u1")
    add("Viewed page", "2024-06-04 11:00:00", "u1")
    result = insights(
        con,
        ["Logged in", "Viewed page"],
        "2024-05-27",
        "2024-06-09",
        unit="week",
        tz="America/Los_Angeles",
    )
    assert result.headers == ("$event",)
    assert result.from_iso == "2024-05-27T00:00:00-07:00"
    assert result.to_iso == "2024-06-09T23:59:59.999000-07:00"
    assert result.dates == ("2024-05-27T00:00:00-07:00", "2024-06-03T00:00:00-07:00")
    assert result.series() == {
        "Logged in": {"2024-05-27T00:00:00-07:00": 1, "2024-06-03T00:00:00-07:00": 1},
        "Viewed page": {"2024-06-03T00:00:00-07:00": 1},
    }


def test_insights_offsets_change_with_dst(con: duckdb.DuckDBPyConnection) -> None:
    # Los Angeles springs forward at 2024-03-10 02:00: that day starts at -08:00, the next
    # one at -07:00.
    result = insights(con, ["A"], "2024-03-10", "2024-03-11", tz="America/Los_Angeles")
    assert result.dates == ("2024-03-10T00:00:00-08:00", "2024-03-11T00:00:00-07:00")
    assert result.series() == {"A": {}}
    utc = insights(con, ["A"], "2024-03-10", "2024-03-10", unit="hour")
    assert utc.dates[1] == "2024-03-10T01:00:00+00:00"
