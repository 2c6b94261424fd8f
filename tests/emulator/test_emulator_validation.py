"""Parameter validation: Mixpanel-style 400 bodies naming what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from mixpanel_data.emulator import DEMO_PROJECT_ID, Emulator

DAYS = {"from_date": "2024-03-01", "to_date": "2024-03-02"}


def error_of(response) -> str:
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["request", "error"]
    return body["error"]


def test_request_field_echoes_path_and_query(get):
    response = get("/api/2.0/segmentation", **DAYS)
    assert response.json() == {
        "request": (
            f"/api/2.0/segmentation?from_date=2024-03-01&to_date=2024-03-02"
            f"&project_id={DEMO_PROJECT_ID}"
        ),
        "error": "'event' is a required parameter",
    }


@pytest.mark.parametrize(
    ("path", "params", "missing"),
    [
        ("/api/query/segmentation", {"event": "Login"}, "from_date"),
        ("/api/query/segmentation", {"event": "Login", "from_date": "2024-03-01"}, "to_date"),
        ("/api/query/segmentation/numeric", {"event": "Purchase", **DAYS}, "on"),
        ("/api/query/funnels", DAYS, "funnel_id"),
        ("/api/query/insights", {}, "bookmark_id"),
        ("/api/query/events", {"type": "general", "unit": "day", **DAYS}, "event"),
        ("/api/query/events", {"event": '["Login"]', "unit": "day", **DAYS}, "type"),
        (
            "/api/query/events/properties",
            {"event": "Login", "type": "general", "unit": "day", **DAYS},
            "name",
        ),
        ("/api/query/events/names", {}, "type"),
        ("/api/query/retention/addiction", {"addiction_unit": "hour", **DAYS}, "unit"),
        ("/api/query/stream/query", DAYS, "distinct_ids"),
        ("/api/query/jql", {}, "script"),
    ],
)
def test_missing_required_parameter(get, path, params, missing):
    assert error_of(get(path, **params)) == f"'{missing}' is a required parameter"


@pytest.mark.parametrize("bad", ["2024-3-01", "2024-02-30", "yesterday", "2024-03-01T00:00"])
def test_bad_date(get, bad):
    error = error_of(
        get("/api/query/segmentation", event="Login", from_date=bad, to_date="2024-03-02")
    )
    assert error == f"'from_date' is not a valid date: {bad!r} (expected the format yyyy-mm-dd)"


def test_to_date_later_than_today(get):
    error = error_of(
        get("/api/query/segmentation", event="Login", from_date="2024-03-01", to_date="2024-03-05")
    )
    assert error == "to_date cannot be later than today"


def test_today_is_configurable(small_dataset, client_factory):
    emulator = Emulator(small_dataset, today=dt.date(2024, 3, 2))
    with client_factory(emulator, auth=("demo.user.mp-service-account", "demo-secret")) as c:
        late = c.get(
            "/api/query/segmentation",
            params={
                "project_id": DEMO_PROJECT_ID,
                "event": "Login",
                "from_date": "2024-03-01",
                "to_date": "2024-03-03",
            },
        )
        fine = c.get(
            "/api/query/segmentation",
            params={"project_id": DEMO_PROJECT_ID, "event": "Login", **DAYS},
        )
    assert error_of(late) == "to_date cannot be later than today"
    assert fine.status_code == 200
    assert emulator.today == dt.date(2024, 3, 2)


def test_from_date_after_to_date(get):
    error = error_of(
        get("/api/query/segmentation", event="Login", from_date="2024-03-02", to_date="2024-03-01")
    )
    assert error == "from_date cannot be later than to_date"


def test_bare_event_name_where_a_json_array_is_expected(get):
    error = error_of(get("/api/query/events", event="Login", type="general", unit="day", **DAYS))
    assert error == "Invalid JSON Format: event"


def test_json_of_the_wrong_type(get):
    error = error_of(get("/api/query/events", event='{"a": 1}', type="general", unit="day", **DAYS))
    assert error == "Invalid JSON Format: event"


def test_bad_expression_names_parameter_and_position(get):
    error = error_of(
        get("/api/query/segmentation", event="Login", where='properties["a" == 1', **DAYS)
    )
    assert error == "Invalid expression in 'where': expected ']', found '==' at position 15"


def test_bad_on_expression(get):
    error = error_of(get("/api/query/segmentation", event="Login", on="properties[", **DAYS))
    assert error.startswith("Invalid expression in 'on': ")
    assert "at position" in error


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("unit", "week", "'unit' must be one of 'minute', 'hour', 'day', 'month', got 'week'"),
        ("type", "total", "'type' must be one of 'general', 'unique', 'average', got 'total'"),
        ("limit", "ten", "'limit' must be an integer, got 'ten'"),
        ("limit", "10001", "'limit' must be at most 10000, got 10001"),
        ("interval", "0", "'interval' must be at least 1, got 0"),
    ],
)
def test_segmentation_enumerations_and_integers(get, name, value, message):
    assert (
        error_of(get("/api/query/segmentation", event="Login", **DAYS, **{name: value})) == message
    )


def test_hourly_uniques_are_refused(get):
    error = error_of(
        get("/api/query/events", event='["Login"]', type="unique", unit="hour", **DAYS)
    )
    assert error == "unique counts are not available by hour: use unit=day, week or month"


def test_unknown_saved_objects(get):
    assert error_of(get("/api/query/funnels", funnel_id=1, **DAYS)) == (
        "funnel_id 1 does not exist in this project"
    )
    assert error_of(get("/api/query/insights", bookmark_id=1)) == (
        "bookmark_id 1 does not exist in this project"
    )


def test_funnel_length_over_90_days(get):
    error = error_of(
        get("/api/query/funnels", funnel_id=9070, length=91, length_unit="day", **DAYS)
    )
    assert error == "'length' may not be greater than 90 days"


def test_birth_retention_needs_born_event(get):
    error = error_of(get("/api/query/retention", **DAYS))
    assert error == "'born_event' is a required parameter when retention_type is birth"


def test_stream_query_window(small_dataset, client_factory):
    emulator = Emulator(small_dataset, today=dt.date(2024, 3, 4))
    with client_factory(emulator, auth=("demo.user.mp-service-account", "demo-secret")) as c:
        response = c.get(
            "/api/query/stream/query",
            params={
                "project_id": DEMO_PROJECT_ID,
                "distinct_ids": '["u"]',
                "from_date": "2023-03-01",
                "to_date": "2024-03-01",
            },
        )
    assert error_of(response) == "Date range exceeds 365 days into the past"
