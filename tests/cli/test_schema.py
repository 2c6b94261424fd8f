"""``mp schema`` end to end against the demo emulator."""

from __future__ import annotations

import json

import pytest


def run_json(run_cli, *argv: str):
    code, out, err = run_cli("--demo", "schema", *argv, "-f", "json")
    assert code == 0, err
    return json.loads(out), err


def test_events_with_counts_and_the_cache(run_cli) -> None:
    rows, err = run_json(run_cli, "events", "--limit", "5")
    assert len(rows) == 5
    assert set(rows[0]) == {"event", "count_30d"}
    assert rows[0]["count_30d"] >= rows[-1]["count_30d"] > 0
    assert "cached" not in err
    again, err = run_json(run_cli, "events", "--limit", "5")
    assert again == rows
    assert "cached answer" in err
    _, err = run_json(run_cli, "events", "--limit", "5", "--refresh")
    assert "cached" not in err
    code, _, err = run_cli("--demo", "-q", "schema", "events", "--limit", "5", "-f", "json")
    assert code == 0
    assert err == ""


def test_properties_and_type_filter(run_cli) -> None:
    body, _ = run_json(run_cli, "properties", "Purchase")
    assert body["event"] == "Purchase"
    assert {"property", "type", "count", "example_values"} == set(body["rows"][0])
    numbers, _ = run_json(run_cli, "properties", "Purchase", "--type", "number")
    assert numbers["rows"]
    assert all(row["type"] == "number" for row in numbers["rows"])


def test_values_count_and_percent(run_cli) -> None:
    body, _ = run_json(run_cli, "values", "Purchase", "currency", "--limit", "2")
    assert body["property"] == "currency"
    assert body["days"] == 30
    assert len(body["rows"]) == 2
    assert set(body["rows"][0]) == {"value", "count", "percent"}


@pytest.mark.parametrize(
    ("command", "columns"),
    [
        ("funnels", {"funnel_id", "name"}),
        ("cohorts", {"id", "name", "count", "description", "created", "is_visible", "project_id"}),
    ],
)
def test_saved_objects(run_cli, command, columns) -> None:
    rows, _ = run_json(run_cli, command)
    assert rows
    assert set(rows[0]) == columns


def test_top_events_table(run_cli) -> None:
    code, out, _ = run_cli("--demo", "schema", "top-events", "--limit", "3", "-f", "table")
    assert code == 0
    assert "percent_change" in out
    assert "type: general" in out


def test_bad_type_is_a_usage_error(run_cli) -> None:
    code, _, err = run_cli("--demo", "schema", "properties", "Purchase", "--type", "float")
    assert code == 2
    assert "float" in err
