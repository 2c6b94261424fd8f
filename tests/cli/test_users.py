"""`mp users fetch`, end to end against the demo emulator."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "users.duckdb")


def fetch(run_cli, db, *args):
    code, out, err = run_cli("--db", db, "--demo", "users", "fetch", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def count(run_cli, db, table="users"):
    code, out, err = run_cli(
        "--db", db, "query", f"SELECT count(*) AS n FROM {table}", "-f", "json"
    )
    assert code == 0, err
    return json.loads(out)[0]["n"]


def test_fetch_all_profiles_then_upsert(run_cli, db):
    first = fetch(run_cli, db)
    assert first["kind"] == "users"
    assert first["table_rows"] == first["rows_added"] == 517
    assert first["pages"] == 1
    again = fetch(run_cli, db)
    assert (again["rows_added"], again["rows_updated"]) == (0, 517)
    assert count(run_cli, db) == 517


def test_cohort_by_name_and_id(run_cli, db):
    by_name = fetch(run_cli, db, "--cohort", "Power users", "--table", "power")
    by_id = fetch(run_cli, db, "--cohort-id", "1001", "--table", "power_by_id")
    assert by_name["table_rows"] == by_id["table_rows"] == 42


def test_unknown_cohort_is_a_usage_error(run_cli, db):
    code, _, err = run_cli(
        "--db", db, "--demo", "users", "fetch", "--cohort", "Whales", "-f", "json"
    )
    assert code == 2
    assert "Whales" in json.loads(err)["error"]["message"]


def test_properties_distinct_ids_where_active_since(run_cli, db):
    result = fetch(
        run_cli, db, "--properties", "$email", "plan", "--where", 'properties["plan"] == "free"',
        "--active-since", "2024-05-20", "--table", "free_users",
    )  # fmt: skip
    assert 0 < result["table_rows"] < 517
    _, out, _ = run_cli("--db", db, "query", "SELECT * FROM free_users LIMIT 1", "-f", "json")
    row = json.loads(out)[0]
    assert set(row) <= {"distinct_id", "properties", "_fetched_at", "$email", "plan"}
    ids = json.loads(
        run_cli("--db", db, "query", "SELECT distinct_id FROM free_users LIMIT 2", "-f", "json")[1]
    )
    picked = [r["distinct_id"] for r in ids]
    args = [x for i in picked for x in ("--distinct-id", i)]
    some = fetch(run_cli, db, *args, "--table", "picked")
    assert some["table_rows"] == len(picked)


def test_replace(run_cli, db):
    fetch(run_cli, db)
    result = fetch(run_cli, db, "--cohort-id", "1001", "--replace")
    assert result["mode"] == "replace"
    assert count(run_cli, db) == 42


def test_dry_run(run_cli, db):
    plan = fetch(run_cli, db, "--cohort", "Churn risk", "--dry-run")
    assert plan["kind"] == "users"
    assert plan["requests"] == 2
    assert plan["filters"] == {"cohort": "Churn risk"}


def test_cohort_name_and_id_together(run_cli, db):
    code, _, err = run_cli(
        "--db", db, "--demo", "users", "fetch", "--cohort", "x", "--cohort-id", "1", "-f", "json"
    )
    assert code == 2
    assert "not both" in json.loads(err)["error"]["message"]
