"""Funnels: entry, order, window edges, re-entry, repeated steps, buckets.

Expected values are worked out by hand in the comments. Unless a test says otherwise the
range is 2024-06-01..2024-06-01 (UTC) and the window the default 7 days.
"""

from __future__ import annotations

import duckdb
import pytest

from mixpanel_data.analytics import Funnel, FunnelStep, funnel
from mixpanel_data.exceptions import ValidationError

DAY = ("2024-06-01", "2024-06-01")


def counts(result: Funnel, date: str | None = None) -> list[int]:
    return [step.count for step in result.bucket(date).steps]


def test_simple_conversion_and_times(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1: A 10:00 -> B 10:10 (600 s) -> C 11:00 (3000 s more, 3600 s from start).
    # u2: A 12:00 -> B 12:20 (1200 s), no C.  u3: A only.
    add("A", "2024-06-01 10:00:00", "u1")
    add("B", "2024-06-01 10:10:00", "u1")
    add("C", "2024-06-01 11:00:00", "u1")
    add("A", "2024-06-01 12:00:00", "u2")
    add("B", "2024-06-01 12:20:00", "u2")
    add("A", "2024-06-01 13:00:00", "u3")
    result = funnel(con, ["A", "B", "C"], *DAY)
    whole = result.bucket(None)
    assert [s.count for s in whole.steps] == [3, 2, 1]
    # avg_time B = (600 + 1200) / 2 = 900; C = 3000; from start: B 900, C 3600.
    assert [s.avg_time for s in whole.steps] == [None, 900.0, 3000.0]
    assert [s.avg_time_from_start for s in whole.steps] == [None, 900.0, 3600.0]
    assert [s.step_conv_ratio for s in whole.steps] == [1.0, 2 / 3, 0.5]
    assert [s.overall_conv_ratio for s in whole.steps] == [1.0, 2 / 3, 1 / 3]
    # Largest relative drop: B->C (0.5) beats A->B (0.667).
    assert (whole.analysis.completion, whole.analysis.starting_amount) == (1, 3)
    assert (whole.analysis.steps, whole.analysis.worst) == (3, 2)
    # One day, one bucket: identical to the whole range.
    assert counts(result, "2024-06-01") == [3, 2, 1]
    assert result.dates == ("2024-06-01",)
    assert result.segments is None
    assert [s.event for s in whole.steps] == ["A", "B", "C"]


def test_window_starts_at_first_entry_like_mixpanels_example(
    con: duckdb.DuckDBPyConnection, add
) -> None:
    # Mixpanel's own example (funnels-advanced, Conversion Window): A 13:00, A 13:30,
    # B 13:45, C 14:15, window 1 hour. Entry is the first A; B (45 min) converts, C (75 min)
    # is outside the window even though it is 45 min after the second A.
    add("A", "2024-06-01 13:00:00", "u1")
    add("A", "2024-06-01 13:30:00", "u1")
    add("B", "2024-06-01 13:45:00", "u1")
    add("C", "2024-06-01 14:15:00", "u1")
    result = funnel(con, ["A", "B", "C"], *DAY, length=1, length_unit="hour")
    assert counts(result) == [1, 1, 0]
    assert result.bucket(None).steps[1].avg_time == 2700.0


def test_no_re_entry_after_a_failed_first_attempt(con: duckdb.DuckDBPyConnection, add) -> None:
    # Window 1 hour. First A at 10:00 has no B within the hour; the second A at 12:00 is
    # followed by B at 12:30, which would convert a re-entry. Mixpanel's default mode "only
    # considers the user's first funnel entry": not converted.
    add("A", "2024-06-01 10:00:00", "u1")
    add("A", "2024-06-01 12:00:00", "u1")
    add("B", "2024-06-01 12:30:00", "u1")
    result = funnel(con, ["A", "B"], *DAY, length=1, length_unit="hour")
    assert counts(result) == [1, 0]


def test_out_of_order_steps_do_not_count(con: duckdb.DuckDBPyConnection, add) -> None:
    # B a minute before A: outside the two-second grace period, so not a conversion.
    add("B", "2024-06-01 09:59:00", "u1")
    add("A", "2024-06-01 10:00:00", "u1")
    assert counts(funnel(con, ["A", "B"], *DAY)) == [1, 0]


def test_grace_period_accepts_a_step_just_before_the_previous(
    con: duckdb.DuckDBPyConnection, add
) -> None:
    # B one second before A: within Mixpanel's two-second grace period, so A -> B counts,
    # with a time of 0 s (times run on the latest step so far). With grace 0 it does not.
    add("B", "2024-06-01 09:59:59", "u1")
    add("A", "2024-06-01 10:00:00", "u1")
    graced = funnel(con, ["A", "B"], *DAY)
    assert counts(graced) == [1, 1]
    assert graced.bucket(None).steps[1].avg_time == 0.0
    assert counts(funnel(con, ["A", "B"], *DAY, grace_seconds=0)) == [1, 0]


def test_event_exactly_at_the_window_end_counts(con: duckdb.DuckDBPyConnection, add) -> None:
    # Window 1 hour from A at 10:00:00.000: B at 11:00:00.000 is in (inclusive end),
    # B at 11:00:00.001 (another user) is out.
    add("A", "2024-06-01 10:00:00", "u1")
    add("B", "2024-06-01 11:00:00", "u1")
    add("A", "2024-06-01 10:00:00", "u2")
    add("B", "2024-06-01 11:00:00.001", "u2")
    result = funnel(con, ["A", "B"], *DAY, length=1, length_unit="hour")
    assert counts(result) == [2, 1]


@pytest.mark.parametrize(
    ("length", "unit", "converted"),
    [
        (86400, "second", 1),
        (1440, "minute", 1),
        (24, "hour", 1),
        (1, "day", 1),
        (86399, "second", 0),
    ],
)
def test_length_units(
    con: duckdb.DuckDBPyConnection, add, length: int, unit: str, converted: int
) -> None:
    # B exactly one day after A: inside any window of >= 1 day, outside 86399 s.
    add("A", "2024-06-01 10:00:00", "u1")
    add("B", "2024-06-02 10:00:00", "u1")
    assert counts(funnel(con, ["A", "B"], *DAY, length=length, length_unit=unit)) == [1, converted]


def test_repeated_event_steps_need_another_occurrence(con: duckdb.DuckDBPyConnection, add) -> None:
    # A -> A: u1 did A once (no second step); u2 twice, even at the same millisecond as
    # another copy with a different insert_id (a distinct event).
    add("A", "2024-06-01 10:00:00", "u1")
    add("A", "2024-06-01 10:00:00", "u2")
    add("A", "2024-06-01 10:00:00", "u2")
    assert counts(funnel(con, ["A", "A"], *DAY)) == [2, 1]


def test_a_b_a_uses_three_distinct_events(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1: A, B, A -> full conversion. u2: A, B -> stops after B (its only A is step 1).
    for user in ("u1", "u2"):
        add("A", "2024-06-01 10:00:00", user)
        add("B", "2024-06-01 10:05:00", user)
    add("A", "2024-06-01 10:10:00", "u1")
    result = funnel(con, ["A", "B", "A"], *DAY)
    assert counts(result) == [2, 2, 1]
    assert result.bucket(None).steps[2].avg_time_from_start == 600.0


def test_events_without_a_user_never_enter(con: duckdb.DuckDBPyConnection, add) -> None:
    # Anonymous events cannot form a user's funnel, even with matching steps.
    for user in ("", None):
        add("A", "2024-06-01 10:00:00", user)
        add("B", "2024-06-01 10:05:00", user)
    add("A", "2024-06-01 11:00:00", "u1")
    assert counts(funnel(con, ["A", "B"], *DAY)) == [1, 0]


def test_completions_are_looked_for_past_to_date(con: duckdb.DuckDBPyConnection, add) -> None:
    # Entry on the last day of the range, B the next day: still a conversion.
    add("A", "2024-06-01 23:00:00", "u1")
    add("B", "2024-06-02 01:00:00", "u1")
    assert counts(funnel(con, ["A", "B"], *DAY)) == [1, 1]


def test_entry_must_be_inside_the_range(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1's only A is on 05-31 (before the range): not in the funnel although B is in range.
    # u2 has an A on 05-31 and one on 06-01: the entry is the 06-01 one (first in range),
    # so avg_time is measured from 06-01 10:00.
    add("A", "2024-05-31 23:00:00", "u1")
    add("B", "2024-06-01 09:00:00", "u1")
    add("A", "2024-05-31 23:00:00", "u2")
    add("A", "2024-06-01 10:00:00", "u2")
    add("B", "2024-06-01 10:30:00", "u2")
    result = funnel(con, ["A", "B"], *DAY)
    assert counts(result) == [1, 1]
    assert result.bucket(None).steps[1].avg_time == 1800.0


def test_buckets_follow_the_entry_day(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1 enters 06-01 and converts 06-02; u2 enters 06-02 and does not convert.
    # Bucket 06-01: [1, 1]; 06-02: [1, 0]; 06-03: nobody, zeros; whole range [2, 1].
    add("A", "2024-06-01 10:00:00", "u1")
    add("B", "2024-06-02 10:00:00", "u1")
    add("A", "2024-06-02 12:00:00", "u2")
    result = funnel(con, ["A", "B"], "2024-06-01", "2024-06-03")
    assert result.dates == ("2024-06-01", "2024-06-02", "2024-06-03")
    assert [b.date for b in result.buckets] == list(result.dates)
    assert counts(result, "2024-06-01") == [1, 1]
    assert counts(result, "2024-06-02") == [1, 0]
    empty = result.bucket("2024-06-03")
    assert [s.count for s in empty.steps] == [0, 0]
    assert [s.step_conv_ratio for s in empty.steps] == [0.0, 0.0]
    assert [s.avg_time for s in empty.steps] == [None, None]
    assert counts(result) == [2, 1]
    frame = result.frame()
    assert frame.height == 8  # (3 dates + whole range) x 2 steps
    assert frame.filter(frame["date"].is_null())["count"].to_list() == [2, 1]


def test_week_buckets_and_time_zone(con: duckdb.DuckDBPyConnection, add) -> None:
    # 2024-06-03 03:00 UTC is Sunday 06-02 20:00 in Los Angeles: week of 05-27 there,
    # week of 06-03 in UTC.
    add("A", "2024-06-03 03:00:00", "u1")
    la = funnel(con, ["A", "B"], "2024-06-01", "2024-06-09", unit="week", tz="America/Los_Angeles")
    assert la.dates == ("2024-05-27", "2024-06-03")
    assert counts(la, "2024-05-27") == [1, 0]
    utc = funnel(con, ["A", "B"], "2024-06-01", "2024-06-09", unit="week")
    assert counts(utc, "2024-06-03") == [1, 0]


def test_duplicate_step_events_are_deduplicated(con: duckdb.DuckDBPyConnection, add) -> None:
    # Two copies of the same B (same dedup key) are one event: with A -> B -> B the second
    # B step cannot use the duplicate.
    add("A", "2024-06-01 10:00:00", "u1")
    add("B", "2024-06-01 10:01:00", "u1", insert_id="b", processed=1)
    add("B", "2024-06-01 10:01:00", "u1", insert_id="b", processed=2)
    assert counts(funnel(con, ["A", "B", "B"], *DAY)) == [1, 1, 0]


def test_step_labels(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1")
    result = funnel(con, [FunnelStep("A", label="Opened"), "B"], *DAY)
    assert [(s.event, s.label) for s in result.bucket(None).steps] == [("A", "Opened"), ("B", "B")]


def test_single_step_funnel(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1")
    whole = funnel(con, ["A"], *DAY).bucket(None)
    assert [s.count for s in whole.steps] == [1]
    assert whole.analysis.worst == 0


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"steps": []}, "steps must be"),
        ({"steps": "A"}, "steps must be"),
        ({"steps": ["A", 3]}, r"steps\[1\]"),
        ({"length": 0}, "length must be"),
        ({"length_unit": "week"}, "length_unit must be"),
        ({"unit": "hour"}, "unit must be"),
        ({"grace_seconds": -1}, "grace_seconds"),
        ({"interval": 0}, "interval must be"),
    ],
)
def test_bad_arguments(con: duckdb.DuckDBPyConnection, kwargs: dict, fragment: str) -> None:
    call = {"steps": ["A", "B"], "from_date": "2024-06-01", "to_date": "2024-06-01", **kwargs}
    with pytest.raises(ValidationError, match=fragment):
        funnel(con, **call)


def test_interval_and_month_buckets(con: duckdb.DuckDBPyConnection, add) -> None:
    # interval=2 from 06-01: buckets 06-01 (06-01..02) and 06-03 (06-03..04).
    # u1 enters 06-02 -> bucket 06-01; u2 enters 06-04 -> bucket 06-03.
    add("A", "2024-06-02 10:00:00", "u1")
    add("A", "2024-06-04 10:00:00", "u2")
    pairs = funnel(con, ["A", "B"], "2024-06-01", "2024-06-04", interval=2, unit="week")
    assert pairs.unit == "interval"
    assert pairs.dates == ("2024-06-01", "2024-06-03")
    assert counts(pairs, "2024-06-01") == [1, 0]
    assert counts(pairs, "2024-06-03") == [1, 0]
    # Monthly: both in the June bucket.
    months = funnel(con, ["A", "B"], "2024-06-01", "2024-06-04", unit="month")
    assert months.dates == ("2024-06-01",)
    assert counts(months, "2024-06-01") == [2, 0]
