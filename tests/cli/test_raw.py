"""``mp raw`` end to end: Mixpanel's own output on stdout, nothing stored."""

from __future__ import annotations

import json

from mixpanel_data.emulator import demo_emulator


def test_export_is_ndjson_on_stdout(run_cli, mp_home) -> None:
    code, out, err = run_cli(
        "--demo",
        "raw",
        "export",
        "--from",
        "2024-05-30",
        "--to",
        "2024-05-31",
        "--event",
        "Purchase",
    )
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    dataset = demo_emulator().dataset
    expected = [
        json.loads(line)
        for day in dataset.days
        if str(day) in ("2024-05-30", "2024-05-31")
        for line in dataset.export_lines(day, time_in_ms=False).splitlines()
        if json.loads(line)["event"] == "Purchase"
    ]
    assert events == expected
    assert len(events) > 0
    assert f"exported {len(events):,} events" in err
    assert not (mp_home / "data").exists()  # raw never touches a database


def test_export_limit_and_ms(run_cli) -> None:
    code, out, _ = run_cli(
        "--demo", "raw", "export", "--from", "2024-05-31", "--limit", "3", "--time-in-ms"
    )
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 3
    assert all(e["properties"]["time"] > 10**12 for e in events)


def test_get_jql_engage(run_cli) -> None:
    code, out, _ = run_cli(
        "--demo", "raw", "get", "events/names", "--param", "type=general", "--param", "limit=2"
    )
    assert code == 0
    assert len(json.loads(out)) == 2
    code, out, _ = run_cli("--demo", "raw", "get", "/api/query/funnels/list", "-f", "table")
    assert code == 0
    assert json.loads(out)[0]["funnel_id"] == 7509
    script = 'function main() { return Events({from_date: "2024-05-31", to_date: "2024-05-31"}).groupBy(["name"], mixpanel.reducer.count()); }'
    code, out, _ = run_cli("--demo", "raw", "jql", "--script", script)
    assert code == 0
    assert {"key", "value"} <= set(json.loads(out)[0])
    code, out, err = run_cli(
        "--demo", "raw", "engage", "--where", 'properties["plan"] == "pro"', "--property", "plan"
    )
    profiles = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert profiles
    assert all(p["$properties"] == {"plan": "pro"} for p in profiles)
    assert f"{len(profiles):,} profiles" in err


def test_errors(run_cli) -> None:
    code, _, err = run_cli("--demo", "raw", "get", "/api/2.0/export")
    assert code == 2
    assert "mp raw export" in err
    code, _, err = run_cli("--demo", "raw", "get", "events/names", "--param", "oops")
    assert code == 2
    assert "key=value" in err
    code, _, err = run_cli("--demo", "raw", "get", "events/names")  # type is required
    assert code == 1
    assert "'type'" in err
    code, _, err = run_cli("--demo", "raw", "jql", "--script", "x", "--params", "[1]")
    assert code == 2
    assert "object" in err
