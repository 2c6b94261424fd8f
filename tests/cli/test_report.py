"""``mp report`` end to end: argv in, stdout/stderr and exit code out, against the demo emulator."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import demo_emulator

FROM, TO = "2024-05-20", "2024-05-26"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the demo project's events (what a fetch would have stored)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    # Copy the tables the demo emulator already loaded (generating them again is slow).
    con = demo_emulator().state.cursor()
    try:
        con.execute("ATTACH ? AS copy", [str(path)]).fetchall()
        for table in ("events", "users"):
            con.execute(f"CREATE TABLE copy.{table} AS SELECT * FROM {table}").fetchall()
        con.execute("DETACH copy").fetchall()
    finally:
        con.close()
    return path


def run_json(run_cli, *argv: str) -> dict:
    code, out, err = run_cli("--demo", *argv, "-f", "json")
    assert code == 0, err
    return json.loads(out)


def test_segmentation_json_is_a_header_and_flat_rows(run_cli) -> None:
    body = run_json(
        run_cli,
        "report",
        "segmentation",
        "Sign Up",
        "--from",
        FROM,
        "--to",
        TO,
        "--group-by",
        "plan",
    )
    assert body["report"] == "segmentation"
    assert body["source"] == "live"
    assert body["from_date"] == FROM
    assert body["group_by"] == "plan"
    assert set(body["rows"][0]) == {"date", "segment", "value"}
    assert all(not isinstance(v, dict | list) for row in body["rows"] for v in row.values())


def test_table_output_shows_the_parameters(run_cli) -> None:
    code, out, _ = run_cli(
        "--demo",
        "report",
        "funnel",
        "--id",
        "Signup funnel",
        "--from",
        FROM,
        "--to",
        TO,
        "-f",
        "table",
    )
    assert code == 0
    assert "funnel_id: 7509" in out
    assert "Signup funnel" in out
    assert "users" in out


@pytest.mark.parametrize(
    ("argv", "columns"),
    [
        (
            ["funnel", "--id", "7509", "--window", "7d", "--by", "week"],
            {"date", "step", "event", "users"},
        ),
        (
            ["retention", "--born", "Sign Up", "--return", "Login", "--periods", "2"],
            {"cohort", "period", "users", "rate"},
        ),
        (["frequency", "Login", "--buckets", "1,2-3,4+"], {"date", "bucket", "users"}),
        (["event-counts", "Login", "Purchase", "--measure", "unique"], {"date", "event", "value"}),
        (
            ["property-counts", "Purchase", "currency", "--value", "USD", "--value", "EUR"],
            {"date", "segment", "value"},
        ),
        (["numeric", "Purchase", "--property", "amount"], {"date", "bucket", "value"}),
        (
            ["numeric", "Purchase", "--property", "amount", "--measure", "average"],
            {"date", "value"},
        ),
        (
            [
                "segmentation",
                "Purchase",
                "--measure",
                "sum",
                "--property",
                "amount",
                "--by",
                "week",
            ],
            {"date", "value"},
        ),
    ],
)
def test_every_report_live(run_cli, argv, columns) -> None:
    body = run_json(run_cli, "report", *argv, "--from", FROM, "--to", TO)
    assert body["rows"]
    assert columns <= set(body["rows"][0])


def test_insights_and_activity_live(run_cli) -> None:
    body = run_json(run_cli, "report", "insights", "41003")
    assert body["headers"] == ["$event", "$browser"]
    assert set(body["rows"][0]) == {
        "event",
        "$browser",
        "date",
        "value",
    }
    _, out, _ = run_cli("--demo", "raw", "engage", "--property", "plan")
    user = json.loads(out.splitlines()[0])["$distinct_id"]
    feed = run_json(
        run_cli, "report", "activity", user, "--from", "2024-05-02", "--to", "2024-05-31"
    )
    assert all(row["distinct_id"] == user for row in feed["rows"])


def test_local_and_compare(run_cli, demo_db) -> None:
    db = ["--db", str(demo_db)]
    live = run_json(
        run_cli, *db, "report", "segmentation", "Login", "--from", FROM, "--to", TO, "--by", "week"
    )
    local = run_json(
        run_cli,
        *db,
        "report",
        "segmentation",
        "Login",
        "--from",
        FROM,
        "--to",
        TO,
        "--by",
        "week",
        "--local",
    )
    assert local["source"] == "local"
    assert local["rows"] == live["rows"]
    cmp = run_json(
        run_cli,
        *db,
        "report",
        "retention",
        "--born",
        "Sign Up",
        "--from",
        FROM,
        "--to",
        "2024-05-22",
        "--compare",
    )
    assert cmp["differing_rows"] == 0
    assert all(row["agree"] for row in cmp["rows"])
    assert {"users_live", "users_local", "users_diff"} <= set(cmp["rows"][0])
    steps = run_json(
        run_cli,
        *db,
        "report",
        "funnel",
        "Sign Up",
        "Onboarding Started",
        "--from",
        FROM,
        "--to",
        TO,
        "--local",
    )
    assert steps["source"] == "local"
    assert [r["step"] for r in steps["rows"]] == [1, 2]
    code, _, err = run_cli(
        "--demo", *db, "report", "event-counts", "Login", "--from", FROM, "--local", "--compare"
    )
    assert code == 2
    assert "contradict" in err


@pytest.mark.parametrize(("bookmark", "extra"), [("41002", ["--measure", "unique"]), ("41003", [])])
def test_insights_compare_learns_the_definition(run_cli, demo_db, bookmark, extra) -> None:
    cmp = run_json(
        run_cli, "--db", str(demo_db), "report", "insights", bookmark, *extra, "--compare"
    )
    assert cmp["differing_rows"] == 0
    assert cmp["rows"]
    assert all(row["agree"] for row in cmp["rows"])


def test_save_as_then_query(run_cli, demo_db, tmp_path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    code, _, err = run_cli(
        "--demo",
        "--db",
        str(db),
        "report",
        "funnel",
        "--id",
        "9070",
        "--from",
        FROM,
        "--to",
        TO,
        "--save-as",
        "checkout",
        "-f",
        "json",
    )
    assert code == 0, err
    code, out, err = run_cli(
        "--db", str(db), "query", "SELECT step, users FROM checkout ORDER BY step", "-f", "json"
    )
    assert code == 0, err
    assert [row["step"] for row in json.loads(out)] == [1, 2, 3, 4]
    code, out, _ = run_cli("--db", str(db), "db", "tables", "-f", "json")
    kinds = {t["name"]: t["kind"] for t in json.loads(out)}
    assert kinds["checkout"] == "report"


def test_mixpanel_400_is_one_clear_line(run_cli) -> None:
    # After the demo project's last day: Mixpanel refuses a to_date later than today.
    code, out, err = run_cli(
        "--demo", "report", "segmentation", "Login", "--from", "2024-06-05", "-f", "table"
    )
    assert code == 1
    assert out == ""
    assert "to_date cannot be later than today" in err
    assert err.startswith("error:")


@pytest.mark.parametrize(
    ("status", "exit_code", "text"),
    [(402, 3, "plan"), (403, 3, "access"), (429, 4, "rate limit"), (503, 4, "503")],
)
def test_api_errors_map_to_exit_codes(run_cli, monkeypatch, status, exit_code, text) -> None:
    import mixpanel_data.emulator as emulator

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"request": request.url.path, "error": f"{status}: no {text} for you"}
        return httpx.Response(status, json=body, headers={"Retry-After": "0"})

    def client() -> MixpanelClient:
        return MixpanelClient(
            emulator.demo_credentials(),
            transport=httpx.MockTransport(handler),
            limits=RateLimits.unlimited(),
            sleep=lambda _: None,
        )

    monkeypatch.setattr(emulator, "demo_client", client)
    code, out, err = run_cli(
        "--demo", "report", "event-counts", "Login", "--from", FROM, "--to", TO, "-f", "json"
    )
    assert code == exit_code
    assert out == ""
    error = json.loads(err)["error"]
    assert error["status_code"] == status
    assert text in error["message"]


def test_usage_errors(run_cli) -> None:
    code, _, err = run_cli(
        "--demo", "report", "segmentation", "Login", "--from", FROM, "--measure", "sum"
    )
    assert code == 2
    assert "property" in err
    code, _, err = run_cli("--demo", "report", "funnel", "--from", FROM)
    assert code == 2
    assert "steps" in err
    code, _, err = run_cli(
        "--demo", "report", "segmentation", "Login", "--from", FROM, "--where", 'properties["x" =='
    )
    assert code == 2
    code, _, _ = run_cli("--demo", "report", "segmentation", "Login", "--from", "yesterday")
    assert code == 2
