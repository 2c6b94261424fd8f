"""Report endpoints: Mixpanel's exact response shapes, quirks included."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from mixpanel_data import analytics

DAYS = {"from_date": "2024-03-01", "to_date": "2024-03-04"}
SORTED = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
# Mixpanel's series is not sorted (the spec's own example); the emulator rotates by half.
UNSORTED = ["2024-03-03", "2024-03-04", "2024-03-01", "2024-03-02"]


@pytest.fixture(scope="module")
def con(small_dataset):
    connection = duckdb.connect()
    small_dataset.to_duckdb(connection, "events", users_table="users")
    yield connection
    connection.close()


def ok(response) -> object:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def assert_series_shape(body, *, series=UNSORTED):
    assert list(body) == ["data", "legend_size"]
    assert list(body["data"]) == ["series", "values"]
    assert body["data"]["series"] == series
    assert body["legend_size"] == len(body["data"]["values"])
    for cells in body["data"]["values"].values():
        assert set(cells) <= set(series)


# -- segmentation -------------------------------------------------------------------------


def test_segmentation_without_on_is_keyed_by_event(get, con):
    body = ok(get("/api/query/segmentation", event="Page View", **DAYS))
    assert_series_shape(body)
    expected = analytics.segmentation(con, "Page View", "2024-03-01", "2024-03-04")
    assert body["data"]["values"] == {"Page View": expected.values()["Page View"]}
    assert all(isinstance(v, int) for v in body["data"]["values"]["Page View"].values())


def test_segmentation_on_has_undefined_and_omits_missing_dates(get):
    body = ok(
        get("/api/query/segmentation", event="Page View", on='properties["$browser"]', **DAYS)
    )
    assert_series_shape(body)
    values = body["data"]["values"]
    assert "undefined" in values
    assert any(len(cells) < 4 for cells in values.values())
    totals = [sum(cells.values()) for cells in values.values()]
    assert totals == sorted(totals, reverse=True)


def test_segmentation_limit_and_type(get):
    body = ok(
        get(
            "/api/query/segmentation",
            event="Page View",
            on='properties["$browser"]',
            limit=2,
            type="unique",
            **DAYS,
        )
    )
    assert body["legend_size"] == 2


def test_segmentation_average_type_gives_floats(get):
    body = ok(get("/api/query/segmentation", event="Page View", type="average", **DAYS))
    assert all(isinstance(v, float) for v in body["data"]["values"]["Page View"].values())


def test_segmentation_hour_keys_pass_through(get, con):
    body = ok(
        get(
            "/api/query/segmentation",
            event="Login",
            unit="hour",
            from_date="2024-03-02",
            to_date="2024-03-02",
        )
    )
    expected = analytics.segmentation(con, "Login", "2024-03-02", "2024-03-02", unit="hour")
    assert sorted(body["data"]["series"]) == list(expected.dates)
    assert len(body["data"]["series"]) == 24


def test_segmentation_csv(get):
    response = get("/api/query/segmentation", event="Login", format="csv", **DAYS)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = response.text.splitlines()
    assert rows[0] == "date,series,value"
    assert [r.split(",")[0] for r in rows[1:]] == SORTED


def test_segmentation_numeric_buckets(get):
    body = ok(
        get("/api/query/segmentation/numeric", event="Purchase", on='properties["amount"]', **DAYS)
    )
    assert_series_shape(body)
    assert body["data"]["values"]
    assert all(" - " in label for label in body["data"]["values"])


def test_segmentation_sum_shape(get, con, shared_emulator):
    body = ok(
        get("/api/query/segmentation/sum", event="Purchase", on='properties["amount"]', **DAYS)
    )
    assert list(body) == ["status", "computed_at", "results"]
    assert body["status"] == "ok"
    assert body["computed_at"] == f"{shared_emulator.today}T12:00:00.000000+00:00"
    expected = analytics.segmentation_sum(
        con, "Purchase", "2024-03-01", "2024-03-04", on='properties["amount"]'
    )
    assert body["results"] == next(iter(expected.values().values()))


def test_segmentation_sum_of_whole_numbers_is_integral(get):
    body = ok(get("/api/query/segmentation/sum", event="Purchase", on="1", **DAYS))
    assert body["results"]
    assert all(isinstance(v, int) for v in body["results"].values())


def test_segmentation_average_shape(get):
    body = ok(
        get("/api/query/segmentation/average", event="Purchase", on='properties["amount"]', **DAYS)
    )
    assert list(body) == ["results", "status"]
    assert set(body["results"]) <= set(SORTED)


# -- funnels ---------------------------------------------------------------------------------


def test_funnels_list(get):
    assert ok(get("/api/query/funnels/list")) == [
        {"funnel_id": 7509, "name": "Signup funnel"},
        {"funnel_id": 9070, "name": "Checkout"},
        {"funnel_id": 9071, "name": "Search to USD purchase"},
    ]


def test_funnel_shape(get):
    body = ok(get("/api/query/funnels", funnel_id=9070, **DAYS))
    assert list(body) == ["meta", "data"]
    assert body["meta"] == {"dates": SORTED}
    assert list(body["data"]) == SORTED
    bucket = body["data"]["2024-03-01"]
    assert list(bucket) == ["steps", "analysis"]
    names = [s["event"] for s in bucket["steps"]]
    assert names == ["View Item", "Add to Cart", "Checkout Started", "Purchase"]
    for index, step in enumerate(bucket["steps"]):
        assert list(step) == [
            "count",
            "avg_time",
            "avg_time_from_start",
            "step_conv_ratio",
            "overall_conv_ratio",
            "goal",
            "event",
        ]
        assert "custom_event" not in step
        assert step["goal"] == step["event"]
        if index == 0:
            assert step["avg_time"] is None
            assert step["step_conv_ratio"] == 1
    assert list(bucket["analysis"]) == ["completion", "starting_amount", "steps", "worst"]
    assert bucket["analysis"]["steps"] == 4
    assert bucket["analysis"]["starting_amount"] == bucket["steps"][0]["count"]
    assert bucket["analysis"]["completion"] == bucket["steps"][-1]["count"]


def test_funnel_weekly_buckets(get):
    body = ok(get("/api/query/funnels", funnel_id=7509, unit="week", **DAYS))
    assert body["meta"]["dates"] == ["2024-02-26", "2024-03-04"]


def test_funnel_segmented_by_on(get):
    body = ok(get("/api/query/funnels", funnel_id=9070, on='properties["$browser"]', **DAYS))
    values = body["meta"]["property_values"]
    assert values
    day = body["data"]["2024-03-02"]
    assert next(iter(day)) == "$overall"
    assert set(day) - {"$overall"} <= set(values)
    assert list(day["$overall"]) == ["steps", "analysis"]


# -- retention and frequency -------------------------------------------------------------


def test_retention_is_keyed_at_the_top_level(get, con):
    body = ok(
        get("/api/query/retention", born_event="Sign Up", unit="day", interval_count=2, **DAYS)
    )
    assert "data" not in body
    assert set(body) <= set(SORTED)
    for cohort in body.values():
        assert list(cohort) == ["counts", "first"]
        assert 1 <= len(cohort["counts"]) <= 3
    expected = analytics.retention(
        con, "Sign Up", "2024-03-01", "2024-03-04", interval_count=2, today=dt.date(2024, 3, 4)
    )
    assert body == {c.date: {"counts": list(c.counts), "first": c.first} for c in expected.cohorts}


def test_retention_compounded_and_on(get):
    body = ok(
        get(
            "/api/query/retention",
            retention_type="compounded",
            event="Page View",
            on='properties["$browser"]',
            **DAYS,
        )
    )
    assert body
    for dates in body.values():
        assert set(dates) <= set(SORTED)


def test_addiction_is_wrapped_in_data(get):
    body = ok(
        get(
            "/api/query/retention/addiction",
            unit="day",
            addiction_unit="hour",
            event="Page View",
            **DAYS,
        )
    )
    assert list(body) == ["data"]
    assert list(body["data"]) == SORTED
    assert all(len(counts) == 24 for counts in body["data"].values())
    for counts in body["data"].values():
        assert counts == sorted(counts, reverse=True)


def test_addiction_week_by_day(get):
    body = ok(get("/api/query/retention/addiction", unit="week", addiction_unit="day", **DAYS))
    assert all(len(counts) == 7 for counts in body["data"].values())


# -- insights ------------------------------------------------------------------------------


def test_insights_shape(get):
    body = ok(get("/api/query/insights", bookmark_id=41001))
    assert list(body) == ["computed_at", "date_range", "headers", "series"]
    assert body["headers"] == ["$event"]
    assert body["date_range"] == {
        "from_date": "2024-03-01T00:00:00+00:00",
        "to_date": "2024-03-04T23:59:59.999000+00:00",
    }
    assert set(body["series"]) == {"Sign Up", "Login"}
    for cells in body["series"].values():
        assert all(key.endswith("T00:00:00+00:00") for key in cells)


def test_insights_breakdown_nests_by_property(get):
    body = ok(get("/api/query/insights", bookmark_id=41003))
    assert body["headers"] == ["$event", "$browser"]
    by_browser = body["series"]["Page View"]
    assert "undefined" in by_browser
    assert all(isinstance(cells, dict) for cells in by_browser.values())


def test_insights_offsets_follow_the_project_zone(small_dataset, client_factory):
    from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator

    config = DatasetConfig(
        seed=5,
        start=dt.date(2024, 3, 1),
        days=3,
        events_per_day=50,
        users=10,
        timezone="America/Los_Angeles",
    )
    emulator = Emulator(Dataset.generate(config))
    with client_factory(emulator, auth=("demo.user.mp-service-account", "demo-secret")) as c:
        body = c.get(
            "/api/query/insights", params={"project_id": 1234567, "bookmark_id": 41001}
        ).json()
    assert body["date_range"]["to_date"] == "2024-03-03T23:59:59.999000-08:00"
    assert all(k.endswith("-08:00") for cells in body["series"].values() for k in cells)


# -- events ---------------------------------------------------------------------------------


def test_events_counts(get):
    body = ok(
        get("/api/query/events", event='["Login", "Purchase"]', type="general", unit="day", **DAYS)
    )
    assert_series_shape(body)
    assert set(body["data"]["values"]) == {"Login", "Purchase"}


def test_events_interval_instead_of_dates(get):
    body = ok(get("/api/query/events", event='["Login"]', type="unique", unit="day", interval=2))
    assert sorted(body["data"]["series"]) == ["2024-03-03", "2024-03-04"]


def test_events_top(get):
    body = ok(get("/api/query/events/top", type="general", limit=3))
    assert list(body) == ["events", "type"]
    assert body["type"] == "general"
    assert len(body["events"]) == 3
    for row in body["events"]:
        assert list(row) == ["amount", "event", "percent_change"]
    amounts = [row["amount"] for row in body["events"]]
    assert amounts == sorted(amounts, reverse=True)


def test_events_names(get):
    body = ok(get("/api/query/events/names", type="general", limit=5))
    assert len(body) == 5
    assert all(isinstance(name, str) for name in body)


def test_events_properties(get):
    body = ok(
        get(
            "/api/query/events/properties",
            event="Page View",
            name="$browser",
            type="general",
            unit="day",
            values='["Chrome", "Opera"]',
            **DAYS,
        )
    )
    assert_series_shape(body)
    assert set(body["data"]["values"]) == {"Chrome", "Opera"}
    assert body["data"]["values"]["Opera"] == {}


def test_events_properties_top(get):
    body = ok(get("/api/query/events/properties/top", event="Page View", limit=4))
    assert len(body) == 4
    assert all(list(v) == ["count"] and isinstance(v["count"], int) for v in body.values())


def test_events_properties_values_are_strings(get):
    body = ok(get("/api/query/events/properties/values", event="Page View", name="$screen_width"))
    assert body
    assert all(isinstance(v, str) for v in body)


# -- stream, cohorts ------------------------------------------------------------------


def test_stream_query(get, small_dataset):
    user = small_dataset.profiles[0]["$distinct_id"]
    body = ok(get("/api/query/stream/query", distinct_ids=f'["{user}"]', **DAYS))
    assert list(body) == ["status", "results"]
    events = body["results"]["events"]
    assert events
    assert all(list(e) == ["event", "properties"] for e in events)
    times = [e["properties"]["time"] for e in events]
    assert times == sorted(times)
    assert all(t < 10**11 for t in times)  # seconds, not ms
    assert {e["properties"]["distinct_id"] for e in events} == {user}


def test_cohorts_list_quirks(get):
    body = ok(get("/api/query/cohorts/list"))
    assert body
    for cohort in body:
        assert list(cohort) == [
            "count",
            "is_visible",
            "description",
            "created",
            "project_id",
            "id",
            "name",
        ]
        assert cohort["is_visible"] in (0, 1)
        assert not isinstance(cohort["is_visible"], bool)
        assert dt.datetime.strptime(cohort["created"], "%Y-%m-%d %H:%M:%S")
    assert {c["is_visible"] for c in body} == {0, 1}
