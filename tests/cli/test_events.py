"""`mp events fetch` and `mp events list`, end to end against the demo emulator."""

from __future__ import annotations

import io
import json

import pytest

from mixpanel_data._types_fetch import FetchProgress
from mixpanel_data.cli._progress import FetchProgressBar, format_bytes, format_rate

DAY1, DAY2 = "2024-05-02", "2024-05-03"


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cli.duckdb")


def test_fetch_prints_the_result_as_json(run_cli, db):
    code, out, err = run_cli(
        "--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY2, "--format", "json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["kind"] == "events"
    assert result["table"] == "events"
    assert result["days_fetched"] == 2
    assert result["table_rows"] == result["rows_added"] > 0
    assert result["failures"] == []
    # stdout carries the data only; without a terminal no progress is drawn.
    assert err == ""


def test_fetch_again_skips_and_list_shows_the_events(run_cli, db):
    run_cli("--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY1, "-f", "json")
    code, out, _ = run_cli(
        "--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY1, "-f", "json"
    )
    assert code == 0
    assert json.loads(out)["days_skipped"] == 1
    code, out, _ = run_cli("--db", db, "events", "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {"event", "count", "users", "first_seen", "last_seen"} == set(rows[0])
    assert rows == sorted(rows, key=lambda r: (-r["count"], r["event"]))
    code, out, _ = run_cli("--db", db, "events", "list", "--format", "csv")
    assert out.splitlines()[0] == "event,count,users,first_seen,last_seen"


def test_fetch_into_named_table_with_filters(run_cli, db):
    code, out, err = run_cli(
        "--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY1,
        "--event", "Page View", "--event", "Search", "--table", "some_events",
        "--where", 'properties["$os"] != "nope"', "--workers", "2", "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["table"] == "some_events"
    code, out, _ = run_cli("--db", db, "events", "list", "--table", "some_events", "-f", "json")
    assert {r["event"] for r in json.loads(out)} == {"Page View", "Search"}


def test_dry_run_sends_nothing(run_cli, db):
    code, out, _ = run_cli(
        "--db", db, "--demo", "events", "fetch", "--from", "2024-05-02", "--to", "2024-05-31",
        "--dry-run", "-f", "json",
    )  # fmt: skip
    assert code == 0
    plan = json.loads(out)
    assert (plan["days_total"], plan["days_to_fetch"], plan["requests"]) == (30, 30, 30)
    # The demo emulator has no rate budget to keep to (Mixpanel's is in tests/fetch).
    assert plan["budget"] == "unlimited"
    assert plan["estimated_seconds"] == 0.0
    code, out, _ = run_cli("--db", db, "events", "list", "-f", "json")
    assert code == 1  # no table: nothing was fetched


def test_replace(run_cli, db):
    run_cli("--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY2, "-f", "json")
    code, out, _ = run_cli(
        "--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY1, "--replace",
        "-f", "json",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["mode"] == "replace"
    assert result["table_rows"] == result["rows_added"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--append", "--replace"], "contradict"),
        (["--limit", "0"], "limit"),
        (["--to", "2024-05-01"], "backwards"),
        (["--to", "2024-06-30"], "after today"),
        (["--workers", "0"], "workers"),
        (["--table", "_mp_x"], "_mp_"),
    ],
)
def test_usage_errors(run_cli, db, args, message):
    code, _, err = run_cli(
        "--db", db, "--demo", "events", "fetch", "--from", DAY1, *args, "-f", "json"
    )
    assert code == 2
    assert message in json.loads(err)["error"]["message"]


def test_missing_from_is_a_usage_error(run_cli, db):
    code, _, err = run_cli("--db", db, "--demo", "events", "fetch")
    assert code == 2
    assert "--from" in err


def test_bad_where_is_mixpanels_400(run_cli, db):
    code, _, err = run_cli(
        "--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY1,
        "--where", 'properties["x" ==', "-f", "json",
    )  # fmt: skip
    assert code == 1
    error = json.loads(err)["error"]
    assert error["type"] == "BadRequestError"
    assert error["status_code"] == 400


def test_help_mentions_every_option(run_cli):
    code, out, _ = run_cli("events", "fetch", "--help")
    assert code == 0
    for option in (
        "--from", "--to", "--event", "--where", "--limit", "--append", "--replace", "--table",
        "--dry-run", "--workers",
    ):  # fmt: skip
        assert option in out


def test_progress_bar_draws_days_rows_size_rate_eta():
    stream = io.StringIO()
    snapshots = [
        FetchProgress(kind="events", table="events", stage="started", units_total=4),
        FetchProgress(
            kind="events", table="events", stage="committed", units_total=4, units_done=2,
            rows=12_345, bytes=5_600_000, elapsed=2.0,
        ),
        FetchProgress(
            kind="events", table="events", stage="retrying", units_total=4, units_done=2,
            rows=12_345, bytes=5_600_000, elapsed=3.0, day=None, message="cut",
        ),
    ]  # fmt: skip
    with FetchProgressBar(stream, unit="days", force_terminal=True) as bar:
        for snapshot in snapshots:
            bar(snapshot)
    text = stream.getvalue()
    assert "2/4 days" in text
    assert "12,345 events" in text
    assert "5.6 MB" in text
    assert bar.updates == 3


def test_progress_is_drawn_only_on_a_terminal(run_cli, db, monkeypatch):
    calls = []
    monkeypatch.setattr(FetchProgressBar, "__call__", lambda self, s: calls.append(s.stage))
    monkeypatch.setattr(
        "mixpanel_data.cli._context.Context.show_progress", property(lambda s: True)
    )
    code, _, _ = run_cli("--db", db, "--demo", "events", "fetch", "--from", DAY1, "--to", DAY1)
    assert code == 0
    assert calls[0] == "started"
    assert calls[-1] == "finished"


def test_quiet_draws_nothing(run_cli, db, monkeypatch):
    monkeypatch.setattr(
        "mixpanel_data.cli._context.Context.stderr_is_tty", property(lambda s: True)
    )
    code, _, err = run_cli(
        "--db", db, "--demo", "--quiet", "events", "fetch", "--from", DAY1, "--to", DAY1,
        "-f", "json",
    )  # fmt: skip
    assert code == 0
    assert err == ""


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 B"), (999, "999 B"), (1500, "1.5 kB"), (2_500_000_000, "2.5 GB")]
)
def test_format_bytes(count, text):
    assert format_bytes(count) == text


def test_format_rate():
    assert (format_rate(12), format_rate(5600), format_rate(2_300_000)) == (
        "12/s",
        "5.6k/s",
        "2.3M/s",
    )
