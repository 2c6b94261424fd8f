"""Live report calls against canned answers shaped exactly like Mixpanel's documented bodies.

Each test checks the request the library sends (path, parameters, JSON encoding) and how the
answer is decoded: unsorted ``series``, dates missing from a map (0), unknown keys, the
``data`` wrapper of ``/retention/addiction`` present or not, ``is_visible`` as 0/1, ...
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from mixpanel_data import _reports_live as live
from mixpanel_data._reports_query import (
    EventCountsQuery,
    FrequencyQuery,
    FunnelQuery,
    InsightsQuery,
    NumericQuery,
    PropertyCountsQuery,
    RetentionQuery,
    SegmentationQuery,
)
from mixpanel_data.api import reports as api
from mixpanel_data.exceptions import APIDecodeError

D1, D3 = dt.date(2024, 6, 1), dt.date(2024, 6, 3)


def answer(body: object, seen: list[httpx.Request] | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(200, json=body)

    return handler


def test_segmentation_sorts_series_and_fills_missing_dates(canned) -> None:
    seen: list[httpx.Request] = []
    body = {
        "data": {
            "series": ["2024-06-02", "2024-06-03", "2024-06-01"],
            "values": {"Purchase": {"2024-06-01": 120, "2024-06-03": 143}},
        },
        "legend_size": 1,
        "some_new_key": {"ignored": True},
    }
    client = canned(answer(body, seen))
    result = live.segmentation(
        client, SegmentationQuery(event="Purchase", from_date=D1, to_date=D3)
    )
    assert [(r.date, r.value) for r in result.rows] == [
        ("2024-06-01", 120),
        ("2024-06-02", 0),
        ("2024-06-03", 143),
    ]
    assert result.pl.columns == ["date", "value"]
    assert result.pl["date"].to_list() == [D1, dt.date(2024, 6, 2), D3]
    params = seen[0].url.params
    assert seen[0].url.path == "/api/query/segmentation"
    assert params["event"] == "Purchase"  # a plain string here, not JSON
    assert params["type"] == "general"
    assert params["unit"] == "day"
    assert params["from_date"] == "2024-06-01"
    assert params["to_date"] == "2024-06-03"
    assert params["project_id"] == "4242"
    assert result.total == 263


def test_segmentation_grouped_keeps_segment_order_and_undefined(canned) -> None:
    seen: list[httpx.Request] = []
    body = {
        "data": {
            "series": ["2024-06-01", "2024-06-02"],
            "values": {
                "Chrome": {"2024-06-01": 5, "2024-06-02": 7},
                "undefined": {"2024-06-02": 1},
            },
        },
        "legend_size": 2,
    }
    client = canned(answer(body, seen))
    query = SegmentationQuery(
        event="Sign Up", from_date=D1, to_date=dt.date(2024, 6, 2), group_by="$browser", limit=5
    )
    result = live.segmentation(client, query)
    assert seen[0].url.params["on"] == 'properties["$browser"]'
    assert seen[0].url.params["limit"] == "5"
    assert [(r.date, r.segment, r.value) for r in result.rows] == [
        ("2024-06-01", "Chrome", 5),
        ("2024-06-01", "undefined", 0),
        ("2024-06-02", "Chrome", 7),
        ("2024-06-02", "undefined", 1),
    ]
    assert result.pl.columns == ["date", "segment", "value"]


def test_segmentation_week_counts_are_added_up_from_days(canned) -> None:
    seen: list[httpx.Request] = []
    body = {
        "data": {
            "series": ["2024-06-02", "2024-06-03", "2024-06-04"],
            "values": {"E": {"2024-06-02": 1, "2024-06-03": 2, "2024-06-04": 3}},
        }
    }
    client = canned(answer(body, seen))
    query = SegmentationQuery(
        event="E", from_date=dt.date(2024, 6, 2), to_date=dt.date(2024, 6, 4), unit="week"
    )
    result = live.segmentation(client, query)
    # /segmentation has no week unit: days are asked for and added into Monday weeks.
    assert seen[0].url.params["unit"] == "day"
    assert [(r.date, r.value) for r in result.rows] == [("2024-05-27", 1), ("2024-06-03", 5)]


def test_sum_and_average_bodies(canned) -> None:
    seen: list[httpx.Request] = []
    client = canned(
        answer(
            {
                "status": "ok",
                "computed_at": "2024-06-11T02:03:04.123456+00:00",
                "results": {"2024-06-01": 5120.75, "2024-06-02": 4390},
            },
            seen,
        )
    )
    query = NumericQuery(
        event="Purchase",
        property="amount",
        from_date=D1,
        to_date=dt.date(2024, 6, 2),
        measure="sum",
    )
    result = live.numeric(client, query)
    assert seen[0].url.path == "/api/query/segmentation/sum"
    assert seen[0].url.params["on"] == 'properties["amount"]'
    assert [r.value for r in result.rows] == [5120.75, 4390]
    assert result.pl.schema["value"].is_float()

    client = canned(answer({"results": {"2024-06-01": 42.6729}, "status": "ok"}))
    query = NumericQuery(
        event="Purchase",
        property="amount",
        from_date=D1,
        to_date=dt.date(2024, 6, 2),
        measure="average",
    )
    result = live.numeric(client, query)
    # No events on the second day: no mean (not 0).
    assert [(r.date, r.value) for r in result.rows] == [
        ("2024-06-01", 42.6729),
        ("2024-06-02", None),
    ]


def test_numeric_buckets(canned) -> None:
    body = {
        "data": {
            "series": ["2024-06-01", "2024-06-02"],
            "values": {
                "0 - 10": {"2024-06-01": 31, "2024-06-02": 12},
                "10 - 20": {"2024-06-01": 7},
                "2,000 - 2,100": {"2024-06-02": 1},
            },
        },
        "legend_size": 3,
    }
    client = canned(answer(body))
    query = NumericQuery(event="E", property="n", from_date=D1, to_date=dt.date(2024, 6, 2))
    result = live.numeric(client, query)
    frame = result.pl
    assert frame.columns == ["date", "bucket", "value"]
    assert frame.filter(frame["bucket"] == "2,000 - 2,100")["value"].to_list() == [0, 1]


FUNNEL_STEPS = [
    {
        "count": 1200,
        "avg_time": None,
        "avg_time_from_start": None,
        "step_conv_ratio": 1,
        "overall_conv_ratio": 1,
        "goal": "App Open",
        "event": "App Open",
    },
    {
        "count": 540,
        "avg_time": 131,
        "avg_time_from_start": 131,
        "step_conv_ratio": 0.45,
        "overall_conv_ratio": 0.45,
        "goal": "Purchase",
        "event": "Purchase",
    },
]
ANALYSIS = {"completion": 540, "starting_amount": 1200, "steps": 2, "worst": 1}


def test_saved_funnel_over_the_whole_range(canned) -> None:
    seen: list[httpx.Request] = []
    body = {
        "meta": {"dates": ["2024-06-01"]},
        "data": {"2024-06-01": {"steps": FUNNEL_STEPS, "analysis": ANALYSIS}},
    }
    client = canned(answer(body, seen))
    query = FunnelQuery(from_date=D1, to_date=D3, funnel_id=7509, window=(2, "hour"))
    result = live.funnel(client, query)
    params = seen[0].url.params
    assert params["funnel_id"] == "7509"
    # One bucket as long as the range gives the funnel of every entry in it.
    assert params["interval"] == "3"
    assert "unit" not in params
    assert params["length"] == "2"
    assert params["length_unit"] == "hour"
    assert result.events == ["App Open", "Purchase"]
    assert [(s.step, s.users, s.conversion_rate) for s in result.steps] == [
        (1, 1200, 1.0),
        (2, 540, 0.45),
    ]
    assert result.steps[1].avg_time == 131
    assert result.conversion_rate == pytest.approx(0.45)
    assert result.pl.columns[:3] == ["step", "event", "users"]


def test_funnel_by_day_sums_overall_and_skips_non_date_keys(canned) -> None:
    half = [dict(FUNNEL_STEPS[0], count=600), dict(FUNNEL_STEPS[1], count=270, avg_time=100)]
    other = [dict(FUNNEL_STEPS[0], count=600), dict(FUNNEL_STEPS[1], count=270, avg_time=200)]
    body = {
        "meta": {"dates": ["2024-06-01", "2024-06-02"]},
        "data": {
            "2024-06-02": {"steps": other, "analysis": ANALYSIS},
            "2024-06-01": {"steps": half, "analysis": ANALYSIS},
            "$overall": {"whatever": 1},
        },
    }
    decoded = api.decode_funnel(body, endpoint="/api/query/funnels", unit="day")
    assert [b.date for b in decoded.buckets] == ["2024-06-01", "2024-06-02"]
    overall = decoded.overall[0].steps
    assert overall[1].count == 540
    assert overall[1].avg_time == pytest.approx(150.0)  # weighted by the users at the step


def test_segmented_funnel_shape(canned) -> None:
    body = {
        "meta": {"dates": ["2024-06-01"], "property_values": ["US", "FR"]},
        "data": {
            "2024-06-01": {
                "$overall": {"steps": FUNNEL_STEPS, "analysis": ANALYSIS},
                "FR": {"steps": FUNNEL_STEPS, "analysis": ANALYSIS},
                "US": {"steps": FUNNEL_STEPS, "analysis": ANALYSIS},
            }
        },
    }
    client = canned(answer(body))
    query = FunnelQuery(from_date=D1, to_date=D1, funnel_id=1, group_by="country")
    result = live.funnel(client, query)
    assert [s.segment for s in result.steps] == ["US", "US", "FR", "FR"]
    assert result.pl.columns[:2] == ["segment", "step"]


def test_funnel_by_name_resolves_the_id(canned) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/funnels/list"):
            return httpx.Response(200, json=[{"funnel_id": 7509, "name": "Signup funnel"}])
        return httpx.Response(
            200,
            json={
                "meta": {"dates": ["2024-06-01"]},
                "data": {"2024-06-01": {"steps": FUNNEL_STEPS}},
            },
        )

    result = live.funnel(
        canned(handler), FunnelQuery(from_date=D1, to_date=D1, name="signup FUNNEL")
    )
    assert result.funnel_id == 7509
    assert result.name == "Signup funnel"
    assert seen[1].url.params["funnel_id"] == "7509"


def test_retention_top_level_and_wrapped(canned) -> None:
    body = {
        "2024-06-01": {"counts": [52, 31, 27], "first": 60},
        "2024-06-02": {"counts": [40, 22, 25], "first": 47},
    }
    query = RetentionQuery(
        born_event="Sign Up",
        return_event=None,
        from_date=D1,
        to_date=dt.date(2024, 6, 2),
        periods=2,
    )
    for payload in (body, {"data": body}):
        seen: list[httpx.Request] = []
        result = live.retention(canned(answer(payload, seen)), query)
        assert [(r.cohort, r.period, r.users, r.cohort_size) for r in result.rows][:3] == [
            ("2024-06-01", 0, 52, 60),
            ("2024-06-01", 1, 31, 60),
            ("2024-06-01", 2, 27, 60),
        ]
        assert result.pl["rate"][0] == pytest.approx(52 / 60)
    params = seen[0].url.params
    assert params["born_event"] == "Sign Up"
    assert "event" not in params
    assert params["interval_count"] == "2"
    assert params["unit"] == "day"


def test_retention_segmented(canned) -> None:
    body = {
        "US": {"2024-06-01": {"counts": [5, 3], "first": 6}},
        "FR": {"2024-06-01": {"counts": [9, 1], "first": 10}},
    }
    query = RetentionQuery(
        born_event="A", return_event="B", from_date=D1, to_date=D1, periods=1, group_by="country"
    )
    result = live.retention(canned(answer(body)), query)
    assert [(r.segment, r.period, r.users) for r in result.rows] == [
        ("FR", 0, 9),
        ("FR", 1, 1),
        ("US", 0, 5),
        ("US", 1, 3),
    ]


@pytest.mark.parametrize("wrapped", [True, False])
def test_addiction_with_or_without_data(canned, wrapped: bool) -> None:
    arrays = {"2024-06-01": [5, 3, 1, 0, 0, 0, 0], "2024-06-08": [4, 0, 0, 0, 0, 0, 0]}
    seen: list[httpx.Request] = []
    client = canned(answer({"data": arrays} if wrapped else arrays, seen))
    query = FrequencyQuery(
        event="Login", from_date=D1, to_date=dt.date(2024, 6, 14), unit="week", count_by="day"
    )
    result = live.frequency(client, query)
    assert seen[0].url.path == "/api/query/retention/addiction"
    assert seen[0].url.params["addiction_unit"] == "day"
    # Exactly-n users from the at-least-n arrays; buckets 1..3 (the most anyone reached).
    assert [(r.date, r.bucket, r.users) for r in result.rows] == [
        ("2024-06-01", "1", 2),
        ("2024-06-01", "2", 2),
        ("2024-06-01", "3", 1),
        ("2024-06-08", "1", 4),
        ("2024-06-08", "2", 0),
        ("2024-06-08", "3", 0),
    ]
    query = FrequencyQuery(
        event="Login",
        from_date=D1,
        to_date=dt.date(2024, 6, 14),
        unit="week",
        count_by="day",
        buckets="1,2-5,6+",
    )
    rows = live.frequency(canned(answer(arrays)), query).rows
    assert [(r.bucket, r.users) for r in rows[:3]] == [("1", 2), ("2-5", 3), ("6+", 0)]


def test_insights_one_and_two_levels(canned) -> None:
    body = {
        "computed_at": "2024-06-11T02:03:04.123456+00:00",
        "date_range": {
            "from_date": "2024-05-27T00:00:00-07:00",
            "to_date": "2024-06-09T23:59:59.999000-07:00",
        },
        "headers": ["$event"],
        "series": {
            "Logged in": {"2024-05-27T00:00:00-07:00": 9852, "2024-06-03T00:00:00-07:00": 4325},
            "Viewed page": {"2024-05-27T00:00:00-07:00": 10246, "2024-06-03T00:00:00-07:00": 11432},
        },
    }
    result = live.insights(canned(answer(body)), InsightsQuery(bookmark_id=41001))
    assert result.from_date == dt.date(2024, 5, 27)
    assert result.to_date == dt.date(2024, 6, 9)
    assert result.pl.columns == ["event", "date", "value"]
    assert result.pl.row(0) == ("Logged in", dt.date(2024, 5, 27), 9852.0)

    body["headers"] = ["$event", "$browser"]
    body["series"] = {"Viewed page": {"Chrome": {"2024-05-27T00:00:00-07:00": 7}}}
    result = live.insights(canned(answer(body)), InsightsQuery(bookmark_id=41001))
    assert result.pl.columns == ["event", "$browser", "date", "value"]
    assert result.pl.row(0) == ("Viewed page", "Chrome", dt.date(2024, 5, 27), 7.0)


def test_event_counts_sends_a_json_array(canned) -> None:
    seen: list[httpx.Request] = []
    body = {
        "data": {
            "series": ["2024-06-01", "2024-06-02"],
            "values": {
                "log in": {"2024-06-01": 1},
                "play song": {"2024-06-01": 6, "2024-06-02": 4},
            },
        },
        "legend_size": 2,
    }
    query = EventCountsQuery(
        events=("play song", "log in", "quit"), from_date=D1, to_date=dt.date(2024, 6, 2)
    )
    result = live.event_counts(canned(answer(body, seen)), query)
    assert json.loads(seen[0].url.params["event"]) == ["play song", "log in", "quit"]
    # Every requested event has its rows, in the order asked, even without data.
    assert [(r.date, r.segment, r.value) for r in result.rows[:3]] == [
        ("2024-06-01", "play song", 6),
        ("2024-06-01", "log in", 1),
        ("2024-06-01", "quit", 0),
    ]
    assert result.pl.columns == ["date", "event", "value"]


def test_property_counts_with_values(canned) -> None:
    seen: list[httpx.Request] = []
    body = {
        "data": {
            "series": ["2024-06-01", "2024-06-02"],
            "values": {"female": {"2024-06-01": 6, "2024-06-02": 4}, "unknown": {"2024-06-02": 1}},
        },
        "legend_size": 2,
    }
    query = PropertyCountsQuery(
        event="Sign Up",
        property="gender",
        from_date=D1,
        to_date=dt.date(2024, 6, 2),
        values=("female", "unknown", "male"),
    )
    result = live.property_counts(canned(answer(body, seen)), query)
    params = seen[0].url.params
    assert params["name"] == "gender"
    assert json.loads(params["values"]) == [
        "female",
        "unknown",
        "male",
    ]
    assert {r.segment for r in result.rows} == {"female", "unknown", "male"}


def test_listings_decode(canned) -> None:
    client = canned(
        answer(
            {
                "events": [{"amount": 75, "event": "pages", "percent_change": -0.2021}],
                "type": "unique",
            }
        )
    )
    assert api.top_events(client, type="unique")[0].percent_change == pytest.approx(-0.2021)
    assert api.event_names(canned(answer(["battle", "View homepage"]))) == [
        "battle",
        "View homepage",
    ]
    pairs = api.property_names(
        canned(answer({"user type": {"count": 91}, "ad version": {"count": 295}})), "E"
    )
    assert pairs == [("ad version", 295), ("user type", 91)]
    assert api.property_values(canned(answer(["cat", 3, True, None])), "E", "p") == [
        "cat",
        "3",
        "true",
        "null",
    ]
    assert (
        api.funnel_list(canned(answer([{"funnel_id": 7509, "name": "Signup funnel"}])))[0].funnel_id
        == 7509
    )


def test_cohorts_list_is_a_post(canned) -> None:
    seen: list[httpx.Request] = []
    body = [
        {
            "count": 150,
            "is_visible": 1,
            "description": "Paid users in the last 30 days",
            "created": "2024-03-19 23:49:51",
            "project_id": 1234567,
            "id": 1000,
            "name": "Paid 30d",
        }
    ]
    cohorts = api.cohorts(canned(answer(body, seen)))
    assert seen[0].method == "POST"
    assert seen[0].url.params["project_id"] == "4242"
    assert cohorts[0].is_visible == 1
    assert cohorts[0].created == "2024-03-19 23:49:51"


def test_activity_accepts_both_distinct_id_keys(canned) -> None:
    seen: list[httpx.Request] = []
    body = {
        "status": "ok",
        "results": {
            "events": [
                {
                    "event": "Viewed Page",
                    "properties": {"time": 1718031901, "distinct_id": "u_81f3", "page": "/pricing"},
                },
                {
                    "event": "Game Played",
                    "properties": {"time": 1718031845, "$distinct_id": "u_81f3", "level": 3},
                },
            ]
        },
    }
    from mixpanel_data._reports_query import ActivityQuery

    result = live.activity(
        canned(answer(body, seen)),
        ActivityQuery(distinct_ids=("u_81f3",), from_date=D1, to_date=D3),
    )
    assert json.loads(seen[0].url.params["distinct_ids"]) == ["u_81f3"]
    assert [e.event for e in result.events] == ["Game Played", "Viewed Page"]  # oldest first
    assert result.events[0].time == dt.datetime(2024, 6, 10, 15, 4, 5)
    assert result.events[0].properties == {"level": 3}
    assert json.loads(result.pl["properties"][1]) == {"page": "/pricing"}


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("segmentation", {"data": {"values": {"E": {"2024-06-01": "many"}}}}),
        ("segmentation", ["not", "an", "object"]),
        ("retention", {"2024-06-01": {"counts": "x", "first": 1}}),
    ],
)
def test_bodies_of_the_wrong_shape_are_decode_errors(canned, endpoint: str, body: object) -> None:
    client = canned(answer(body))

    def call() -> object:
        if endpoint == "segmentation":
            return api.segmentation(client, "E", D1, D1)
        return api.retention(client, D1, D1, born_event="A")

    with pytest.raises(APIDecodeError) as caught:
        call()
    assert f"/api/query/{endpoint}" in str(caught.value)
