"""Hand-worked answers over HTTP: a dozen events replayed into the emulator, every expected
number worked out by hand below (not by running the code).

The project is in America/New_York (UTC-5 in early March 2024): reports count local days,
while the export counts UTC days. One Purchase is sent twice under Mixpanel's dedup key
(event, distinct_id, time, $insert_id) with another amount: reports show the later-processed
copy, the export shows both.

Events (UTC → New York local):

====  =====  ==========  ====================  ===================  ==================
 #    user   event       UTC                   local                properties
====  =====  ==========  ====================  ===================  ==================
 1    u1     Sign Up     03-01 15:00:00        03-01 10:00          $browser Chrome
 2    u1     View        03-01 15:10:00        03-01 10:10          $browser Chrome
 3    u1     Purchase    03-01 16:00:00        03-01 11:00          amount 10
 3b   u1     Purchase    (same key, processed a minute later)       amount 12
 4    u1     View        03-02 04:30:00        03-01 23:30          $browser Chrome
 5    u1     View        03-02 05:30:00        03-02 00:30          $browser Chrome
 6    u2     View        03-01 14:00:00        03-01 09:00          $browser Firefox
 7    u2     Sign Up     03-01 17:00:00        03-01 12:00          $browser Firefox
 8    u2     Purchase    03-01 17:30:00        03-01 12:30          amount 5.5
 9    u2     View        03-03 16:00:00        03-03 11:00          $browser Firefox
 10   u3     Sign Up     03-02 18:00:00        03-02 13:00
 11   u3     View        03-03 18:00:00        03-03 13:00
 12   u3     Purchase    03-03 18:00:01        03-03 13:00:01       amount 2
 13   ""     View        03-02 12:00:00        03-02 07:00          (no user)
====  =====  ==========  ====================  ===================  ==================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import (
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    Dataset,
    Emulator,
    SavedFunnel,
)

AUTH = (DEMO_USERNAME, DEMO_SECRET)
RANGE = {"from_date": "2024-03-01", "to_date": "2024-03-03"}
D1, D2, D3 = "2024-03-01", "2024-03-02", "2024-03-03"

# (id, user, event, UTC time, properties)
EVENTS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("1", "u1", "Sign Up", "2024-03-01T15:00:00", {"$browser": "Chrome"}),
    ("2", "u1", "View", "2024-03-01T15:10:00", {"$browser": "Chrome"}),
    ("3", "u1", "Purchase", "2024-03-01T16:00:00", {"amount": 10}),
    ("4", "u1", "View", "2024-03-02T04:30:00", {"$browser": "Chrome"}),
    ("5", "u1", "View", "2024-03-02T05:30:00", {"$browser": "Chrome"}),
    ("6", "u2", "View", "2024-03-01T14:00:00", {"$browser": "Firefox"}),
    ("7", "u2", "Sign Up", "2024-03-01T17:00:00", {"$browser": "Firefox"}),
    ("8", "u2", "Purchase", "2024-03-01T17:30:00", {"amount": 5.5}),
    ("9", "u2", "View", "2024-03-03T16:00:00", {"$browser": "Firefox"}),
    ("10", "u3", "Sign Up", "2024-03-02T18:00:00", {}),
    ("11", "u3", "View", "2024-03-03T18:00:00", {}),
    ("12", "u3", "Purchase", "2024-03-03T18:00:01", {"amount": 2}),
    ("13", "", "View", "2024-03-02T12:00:00", {}),
]
FUNNEL = SavedFunnel(
    funnel_id=1,
    name="Sign Up, View, Purchase",
    steps=("Sign Up", "View", "Purchase"),
    length=1,
    length_unit="day",
)


def _line(
    insert_id: str, user: str, event: str, utc: str, extra: dict[str, Any], late: int
) -> bytes:
    seconds = int(dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC).timestamp())
    properties = {
        "time": seconds,
        "distinct_id": user,
        "$insert_id": f"ins-{insert_id}",
        "mp_processing_time_ms": seconds * 1000 + 500 + late,
        **extra,
    }
    return orjson.dumps({"event": event, "properties": properties}) + b"\n"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path: Path = tmp_path_factory.mktemp("handworked") / "export.ndjson"
    lines = [_line(*row, late=0) for row in EVENTS]
    # 3b: event 3 again under the same dedup key, processed a minute later, amount 12.
    lines.insert(
        3, _line("3", "u1", "Purchase", "2024-03-01T16:00:00", {"amount": 12}, late=60_000)
    )
    path.write_bytes(b"".join(lines))
    made = Emulator(
        Dataset.from_files(path, timezone="America/New_York", time_unit="s", saved_funnels=[FUNNEL])
    )
    yield made
    made.close()


@pytest.fixture(scope="module")
def mp(emulator: Emulator) -> Iterator[MixpanelClient]:
    client = MixpanelClient(
        emulator.client_credentials(),
        transport=emulator.transport(),
        limits=RateLimits.unlimited(),
        max_retries=0,
    )
    yield client
    client.close()


def query(mp: MixpanelClient, endpoint: str, **params: Any) -> Any:
    return mp.get_json("query", f"/api/query/{endpoint}", params)


def test_today_is_the_last_day_of_data(emulator: Emulator) -> None:
    assert emulator.today == dt.date(2024, 3, 3)


# -- segmentation: general vs unique, local days, "undefined" ------------------------------


def test_segmentation_general_counts_every_event_by_local_day(mp: MixpanelClient) -> None:
    body = query(mp, "segmentation", event="View", **RANGE)
    # Local 03-01: #2, #4 (23:30 local), #6. 03-02: #5, #13 (no user still counts). 03-03: #9, #11.
    assert body["data"]["values"] == {"View": {D1: 3, D2: 2, D3: 2}}
    assert sorted(body["data"]["series"]) == [D1, D2, D3]
    assert body["legend_size"] == 1


def test_segmentation_unique_counts_users_not_events(mp: MixpanelClient) -> None:
    body = query(mp, "segmentation", event="View", type="unique", **RANGE)
    # 03-01: u1 (twice) and u2. 03-02: u1 only (#13 has no user). 03-03: u2, u3.
    assert body["data"]["values"] == {"View": {D1: 2, D2: 1, D3: 2}}


def test_segmentation_on_browser_general_and_unique(mp: MixpanelClient) -> None:
    general = query(mp, "segmentation", event="View", on='properties["$browser"]', **RANGE)
    # Chrome: #2 #4 (03-01), #5 (03-02) = 3. Firefox: #6 (03-01), #9 (03-03) = 2.
    # undefined: #13 (03-02), #11 (03-03) = 2; the tie with Firefox goes by label.
    assert general["data"]["values"] == {
        "Chrome": {D1: 2, D2: 1},
        "Firefox": {D1: 1, D3: 1},
        "undefined": {D2: 1, D3: 1},
    }
    assert list(general["data"]["values"]) == ["Chrome", "Firefox", "undefined"]
    assert general["legend_size"] == 3
    unique = query(
        mp, "segmentation", event="View", on='properties["$browser"]', type="unique", **RANGE
    )
    # Unique: the user-less #13 drops out of "undefined" on 03-02.
    assert unique["data"]["values"] == {
        "Chrome": {D1: 1, D2: 1},
        "Firefox": {D1: 1, D3: 1},
        "undefined": {D3: 1},
    }


def test_sum_and_average_use_the_latest_copy_of_a_duplicate(mp: MixpanelClient) -> None:
    total = query(mp, "segmentation/sum", event="Purchase", on='properties["amount"]', **RANGE)
    mean = query(mp, "segmentation/average", event="Purchase", on='properties["amount"]', **RANGE)
    # 03-01: 12 (the later copy of #3, not 10) + 5.5 = 17.5. 03-03: 2 (a whole number: an int).
    assert total["results"] == {D1: 17.5, D3: 2}
    assert type(total["results"][D3]) is int
    assert mean["results"] == {D1: 8.75, D3: 2}


def test_events_counts(mp: MixpanelClient) -> None:
    body = query(mp, "events", event=["View", "Purchase"], type="general", unit="day", **RANGE)
    # Purchase: #3 once (deduplicated) and #8 on 03-01, #12 on 03-03.
    assert body["data"]["values"] == {
        "View": {D1: 3, D2: 2, D3: 2},
        "Purchase": {D1: 2, D3: 1},
    }
    assert body["legend_size"] == 2


# -- funnels: out-of-order steps, no re-entry, the window's inclusive end -------------------


def test_funnel_by_hand(mp: MixpanelClient) -> None:
    body = query(mp, "funnels", funnel_id=1, **RANGE)
    # u1 (03-01): Sign Up 15:00 -> View 15:10 (600 s) -> Purchase 16:00 (3000 s; 3600 from start).
    # u2 (03-01): Sign Up 17:00; the View at 14:00 came before (out of order, beyond the 2 s
    #   grace), the one on 03-03 16:00 is 47 h later (outside the 1-day window).
    # u3 (03-02): Sign Up 18:00 -> View exactly 24 h later (the window's end counts) ->
    #   Purchase one second past the window: not converted.
    assert body["meta"] == {"dates": [D1, D2, D3]}
    assert body["data"][D1] == {
        "steps": [
            _step(2, None, None, 1, 1, "Sign Up"),
            _step(1, 600, 600, 0.5, 0.5, "View"),
            _step(1, 3000, 3600, 1, 0.5, "Purchase"),
        ],
        "analysis": {"completion": 1, "starting_amount": 2, "steps": 3, "worst": 1},
    }
    assert body["data"][D2] == {
        "steps": [
            _step(1, None, None, 1, 1, "Sign Up"),
            _step(1, 86400, 86400, 1, 1, "View"),
            _step(0, None, None, 0, 0, "Purchase"),
        ],
        "analysis": {"completion": 0, "starting_amount": 1, "steps": 3, "worst": 2},
    }
    assert [step["count"] for step in body["data"][D3]["steps"]] == [0, 0, 0]


def _step(
    count: int,
    avg_time: int | None,
    from_start: int | None,
    step_ratio: float,
    overall_ratio: float,
    event: str,
) -> dict[str, Any]:
    return {
        "count": count,
        "avg_time": avg_time,
        "avg_time_from_start": from_start,
        "step_conv_ratio": step_ratio,
        "overall_conv_ratio": overall_ratio,
        "goal": event,
        "event": event,
    }


# -- retention: calendar days in the project zone vs 24-hour periods ------------------------


def test_retention_calendar_days_turn_at_local_midnight(mp: MixpanelClient) -> None:
    body = query(
        mp, "retention", born_event="Sign Up", event="View", unit="day", interval_count=2, **RANGE
    )
    # Cohort 03-01: u1, u2. u1's Views at 10:10 and 23:30 local are day 0, the one at 00:30
    # local on 03-02 (14.5 h after birth) is day 1. u2's 09:00 View came before birth; the
    # 03-03 one is day 2. Cohort 03-02: u3, back on 03-03 (day 1); day 2 (03-04) is after
    # today, so the array stops at day 1.
    assert body == {
        D1: {"counts": [1, 1, 1], "first": 2},
        D2: {"counts": [0, 1], "first": 1},
    }


def test_retention_without_unit_counts_24_hour_periods(mp: MixpanelClient) -> None:
    body = query(mp, "retention", born_event="Sign Up", event="View", interval_count=2, **RANGE)
    # From each user's birth time: u1's Views are all within 24 h (day 0); u2's 03-03 View is
    # 47 h after birth (day 1); u3's View exactly 24 h after birth is day 1.
    assert body == {
        D1: {"counts": [1, 1, 0], "first": 2},
        D2: {"counts": [0, 1], "first": 1},
    }


def test_addiction_by_local_hour(mp: MixpanelClient) -> None:
    body = query(
        mp, "retention/addiction", event="View", unit="day", addiction_unit="hour", **RANGE
    )
    # 03-01: u1 active in hours 10 and 23, u2 in hour 9 -> 2 users >= 1 hour, 1 user >= 2.
    # 03-02: u1 at hour 0 (#13 has no user). 03-03: u2 at 11, u3 at 13.
    assert body == {
        "data": {
            D1: [2, 1] + [0] * 22,
            D2: [1] + [0] * 23,
            D3: [2] + [0] * 23,
        }
    }


# -- event listings ------------------------------------------------------------------------------


def test_top_events_and_names(mp: MixpanelClient) -> None:
    top = query(mp, "events/top", type="general")
    # Today (03-03 local): View #9 #11, Purchase #12. Yesterday: View #5 #13, Sign Up #10.
    assert top == {
        "events": [
            {"amount": 2, "event": "View", "percent_change": 0},
            {"amount": 1, "event": "Purchase", "percent_change": 1},
        ],
        "type": "general",
    }
    # Last 31 days: View 7, then Purchase 3 and Sign Up 3 (a tie, by name).
    assert query(mp, "events/names", type="general") == ["View", "Purchase", "Sign Up"]


def test_property_listings(mp: MixpanelClient) -> None:
    assert query(mp, "events/properties/top", event="Purchase") == {"amount": {"count": 3}}
    assert query(mp, "events/properties/values", event="View", name="$browser") == [
        "Chrome",
        "Firefox",
    ]
    by_value = query(
        mp,
        "events/properties",
        event="View",
        name="$browser",
        type="general",
        unit="day",
        values=["Firefox", "Safari"],
        **RANGE,
    )
    assert by_value["data"]["values"] == {"Firefox": {D1: 1, D3: 1}, "Safari": {}}


def test_stream_query_shows_a_user_oldest_first(mp: MixpanelClient) -> None:
    body = query(mp, "stream/query", distinct_ids=["u3"], **RANGE)
    events = body["results"]["events"]
    assert [e["event"] for e in events] == ["Sign Up", "View", "Purchase"]
    assert [e["properties"]["time"] for e in events] == [1709402400, 1709488800, 1709488801]


# -- the export counts UTC days and keeps duplicates -------------------------------------


def _export(emulator: Emulator, **params: Any) -> list[dict[str, Any]]:
    with httpx.Client(transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH) as c:
        response = c.get("/api/2.0/export", params={"project_id": DEMO_PROJECT_ID, **params})
    assert response.status_code == 200
    return [orjson.loads(line) for line in response.content.splitlines()]


def test_export_days_are_utc_days_and_duplicates_stay(emulator: Emulator) -> None:
    day1 = _export(emulator, from_date=D1, to_date=D1)
    day2 = _export(emulator, from_date=D2, to_date=D2)
    day3 = _export(emulator, from_date=D3, to_date=D3)
    # UTC 03-01: #1 #2 #3 #3b #6 #7 #8. UTC 03-02: #4 #5 (local 03-01/03-02) #10 #13. UTC 03-03: #9 #11 #12.
    assert len(day1) == 7
    assert sorted(r["properties"]["$insert_id"] for r in day2) == [
        "ins-10",
        "ins-13",
        "ins-4",
        "ins-5",
    ]
    assert len(day3) == 3
    amounts = sorted(
        r["properties"]["amount"] for r in day1 if r["properties"]["$insert_id"] == "ins-3"
    )
    assert amounts == [10, 12]
    chrome = _export(emulator, from_date=D2, to_date=D2, where='properties["$browser"] == "Chrome"')
    assert [r["properties"]["$insert_id"] for r in chrome] == ["ins-4", "ins-5"]
