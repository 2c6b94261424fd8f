"""Planning: days, skipping completed days, time zones, the budget estimate."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mixpanel_data._credentials import Credentials
from mixpanel_data._fetch_plan import (
    day_end_utc,
    describe_budget,
    estimate_seconds,
    event_filters,
    export_zone,
    plan_days,
)
from mixpanel_data._fetch_runner import Chunk
from mixpanel_data.api import RateBudget, RateLimits
from mixpanel_data.exceptions import ConfigError, ValidationError

D = dt.date(2024, 3, 1)


def days(n: int, start: dt.date = D) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_one_chunk_per_day():
    plan = plan_days(D, D + dt.timedelta(days=2), today=D + dt.timedelta(days=9))
    assert plan.to_fetch == days(3)
    assert plan.chunks == [Chunk(d, d) for d in days(3)]
    assert plan.skipped == []


def test_completed_days_are_skipped():
    plan = plan_days(
        D,
        D + dt.timedelta(days=3),
        today=D + dt.timedelta(days=9),
        completed={D + dt.timedelta(days=1), D + dt.timedelta(days=3)},
    )
    assert plan.to_fetch == [D, D + dt.timedelta(days=2)]
    assert plan.skipped == [D + dt.timedelta(days=1), D + dt.timedelta(days=3)]


def test_a_day_fetched_before_it_ended_is_fetched_again():
    zone = ZoneInfo("America/Los_Angeles")
    # 2024-03-01 ends at 08:00 UTC on 03-02 in Los Angeles (PST).
    assert day_end_utc(D, zone) == dt.datetime(2024, 3, 2, 8, 0)
    early = {D: dt.datetime(2024, 3, 2, 7, 59)}
    late = {D: dt.datetime(2024, 3, 2, 8, 0)}
    today = D + dt.timedelta(days=5)
    assert plan_days(D, D, today=today, completed=early, zone=zone, late_days=0).to_fetch == [D]
    assert plan_days(D, D, today=today, completed=late, zone=zone, late_days=0).to_fetch == []


def test_a_day_fetched_while_late_events_may_arrive_is_fetched_again():
    # Mixpanel accepts events up to 5 days late: by default a day counts as complete only
    # when it was fetched 5 days after its end or later.
    end = dt.datetime(2024, 3, 2, 0, 0)
    today = D + dt.timedelta(days=30)
    for fetched_at, to_fetch in [
        (end + dt.timedelta(days=4, hours=23), [D]),
        (end + dt.timedelta(days=5), []),
        (end + dt.timedelta(days=40), []),
    ]:
        plan = plan_days(D, D, today=today, completed={D: fetched_at})
        assert plan.to_fetch == to_fetch, fetched_at
        assert plan.refreshed == to_fetch  # fetched again only for late events
    # A day fetched before it ended is incomplete, not refreshed.
    early = plan_days(D, D, today=today, completed={D: end - dt.timedelta(hours=1)})
    assert (early.to_fetch, early.refreshed) == ([D], [])
    soon = {D: end + dt.timedelta(hours=1)}
    assert plan_days(D, D, today=today, completed=soon, late_days=0).to_fetch == []
    assert plan_days(D, D, today=today, completed=soon, late_days=1).to_fetch == [D]


def test_dst_day_end():
    zone = ZoneInfo("America/New_York")
    # 2024-03-10 is 23 hours long in New York: it ends at 04:00 UTC (EDT), not 05:00.
    assert day_end_utc(dt.date(2024, 3, 10), zone) == dt.datetime(2024, 3, 11, 4, 0)
    assert day_end_utc(dt.date(2024, 3, 9), zone) == dt.datetime(2024, 3, 10, 5, 0)


def test_single_chunk_for_a_limit():
    plan = plan_days(D, D + dt.timedelta(days=4), today=D + dt.timedelta(days=9), single_chunk=True)
    assert plan.chunks == [Chunk(D, D + dt.timedelta(days=4))]
    assert len(plan.to_fetch) == 5


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [(D, D - dt.timedelta(days=1), "backwards"), (D, D + dt.timedelta(days=30), "after today")],
)
def test_bad_ranges(start, end, match):
    with pytest.raises(ValidationError, match=match):
        plan_days(start, end, today=D + dt.timedelta(days=2))


def test_export_zone():
    base = {"secret": "s", "username": "u", "project_id": 1}
    assert export_zone(Credentials(**base)) == ZoneInfo("UTC")
    assert export_zone(Credentials(**base, timezone="Europe/Paris")) == ZoneInfo("UTC")
    legacy = Credentials(**base, timezone="Europe/Paris", legacy_timezone=True)
    assert export_zone(legacy) == ZoneInfo("Europe/Paris")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        export_zone(Credentials(**base, timezone="Mars/Olympus", legacy_timezone=True))


def test_event_filters_are_order_free():
    assert event_filters(["b", "a", "b"], None, None) == {"events": '["a","b"]'}
    assert event_filters(None, None, None) == {}
    assert event_filters(None, 'properties["x"] == 1', 5) == {
        "where": 'properties["x"] == 1',
        "limit": "5",
    }


def test_budget_estimate():
    budget = RateLimits.mixpanel_defaults().export
    assert describe_budget(budget) == "60/hour, 3/s, 100 concurrent"
    assert describe_budget(RateBudget.unlimited()) == "unlimited"
    assert estimate_seconds(0, budget) == 0
    assert estimate_seconds(3, budget) == 0
    assert estimate_seconds(30, budget) == 9
    assert estimate_seconds(365, budget) == 6 * 3600
