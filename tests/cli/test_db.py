"""``mp db ...`` through the CLI: argv in; stdout, stderr and exit code out."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

SETUP = """
CREATE TABLE events (event VARCHAR NOT NULL, time TIMESTAMP NOT NULL, distinct_id VARCHAR,
                     properties JSON, "$browser" VARCHAR);
INSERT INTO events VALUES
 ('Page View', '2024-01-01 08:00:00', 'u1', '{"$browser":"Chrome","n":1}', 'Chrome'),
 ('Page View', '2024-01-01 09:00:00', 'u2', '{"$browser":"Firefox"}', 'Firefox'),
 ('Page View', '2024-01-02 10:00:00', 'u3', '{"$browser":"Chrome","n":2.5}', 'Chrome'),
 ('Sign Up', '2024-01-03 08:05:00', 'u1', '{}', NULL);
CREATE TABLE _mp_tables (name VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, source JSON, rows BIGINT,
  first_time TIMESTAMP, last_time TIMESTAMP, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
INSERT INTO _mp_tables VALUES ('events', 'events', '{}', 4, '2024-01-01 08:00:00',
  '2024-01-03 08:05:00', '2024-02-01 00:00:00', '2024-02-01 00:05:00');
CREATE TABLE notes (id INTEGER, note VARCHAR);
INSERT INTO notes VALUES (1, 'hello'), (2, NULL);
"""

ENV_CREDS = {
    "MP_USERNAME": "cli.mp-service-account",
    "MP_SECRET": "cli-secret-value-1234",
    "MP_PROJECT_ID": "777",
}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "d.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SETUP)
    con.close()
    return path


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch, mp_home: Path) -> Path:
    """Service-account credentials in the environment; returns project 777's data folder."""
    for name, value in ENV_CREDS.items():
        monkeypatch.setenv(name, value)
    return mp_home / "data" / "777"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make stdin a terminal that answers ``answer``."""

    def answer(text: str) -> None:
        class Tty(io.StringIO):
            def isatty(self) -> bool:
                return True

        monkeypatch.setattr(sys, "stdin", Tty(text))

    return answer


def _json(out: str) -> Any:
    return json.loads(out)


def test_tables(run_cli: Any, db: Path) -> None:
    code, out, err = run_cli("--db", str(db), "db", "tables", "-f", "json")
    assert (code, err) == (0, "")
    assert _json(out) == [
        {
            "name": "events",
            "kind": "events",
            "rows": 4,
            "columns": 5,
            "first_time": "2024-01-01T08:00:00",
            "last_time": "2024-01-03T08:05:00",
            "updated_at": "2024-02-01T00:05:00",
        },
        {
            "name": "notes",
            "kind": "table",
            "rows": 2,
            "columns": 2,
            "first_time": None,
            "last_time": None,
            "updated_at": None,
        },
    ]


def test_tables_as_table_and_plain(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("db", "tables", "--db", str(db), "-f", "table")
    assert code == 0
    assert "events" in out
    assert "notes" in out
    code, out, _ = run_cli("--db", str(db), "db", "tables", "-f", "csv")
    assert out.splitlines()[0] == "name,kind,rows,columns,first_time,last_time,updated_at"


def test_tables_of_a_fresh_workspace_is_empty(run_cli: Any, creds: Path) -> None:
    code, out, _ = run_cli("db", "tables", "-f", "json")
    assert (code, _json(out)) == (0, [])
    assert not (creds / "default.duckdb").exists()


def test_schema(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "schema", "events", "-f", "json")
    assert code == 0
    assert [(c["name"], c["type"], c["nullable"]) for c in _json(out)] == [
        ("event", "VARCHAR", False),
        ("time", "TIMESTAMP", False),
        ("distinct_id", "VARCHAR", True),
        ("properties", "JSON", True),
        ("$browser", "VARCHAR", True),
    ]


def test_schema_of_a_missing_table(run_cli: Any, db: Path) -> None:
    code, out, err = run_cli("--db", str(db), "db", "schema", "nope", "-f", "table")
    assert (code, out) == (1, "")
    assert "no table 'nope'" in err
    assert "mp db tables" in err


def test_sample(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "sample", "events", "--limit", "2", "--seed", "3")
    rows = _json(out)
    assert (code, len(rows)) == (0, 2)
    assert isinstance(rows[0]["properties"], dict)
    _, again, _ = run_cli("--db", str(db), "db", "sample", "events", "--limit", "2", "--seed", "3")
    assert _json(again) == rows


def test_sample_rejects_a_zero_limit(run_cli: Any, db: Path) -> None:
    code, _, _ = run_cli("--db", str(db), "db", "sample", "events", "--limit", "0")
    assert code == 2


def test_stats(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "stats", "events", "-f", "json")
    stats = _json(out)
    assert code == 0
    assert {k: stats[k] for k in ("table", "row_count", "distinct_users", "distinct_events")} == {
        "table": "events",
        "row_count": 4,
        "distinct_users": 3,
        "distinct_events": 2,
    }
    assert (stats["first_time"], stats["last_time"]) == (
        "2024-01-01T08:00:00",
        "2024-01-03T08:05:00",
    )
    browser = next(c for c in stats["rows"] if c["name"] == "$browser")
    assert (browser["nulls"], browser["null_rate"], browser["distinct"]) == (1, 0.25, 2)


def test_describe_column(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "describe", "events", "event", "-f", "json")
    description = _json(out)
    assert code == 0
    assert description["rows"] == [
        {"value": "Page View", "count": 3, "percent": 75.0},
        {"value": "Sign Up", "count": 1, "percent": 25.0},
    ]
    assert (description["distinct"], description["nulls"]) == (2, 0)


def test_describe_properties_lists_keys_with_types_and_coverage(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "describe", "events", "properties", "-f", "json")
    assert code == 0
    assert _json(out)["rows"] == [
        {"key": "$browser", "types": ["string"], "count": 3, "percent": 75.0},
        {"key": "n", "types": ["integer", "number"], "count": 2, "percent": 50.0},
    ]


def test_describe_unknown_column_is_a_usage_error(run_cli: Any, db: Path) -> None:
    code, _, err = run_cli("--db", str(db), "db", "describe", "events", "nope")
    assert code == 2
    assert "no column 'nope'" in err


def test_path_prints_the_file(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "path", "-f", "plain")
    assert (code, out) == (0, f"{db}\n")


def test_path_of_the_default_workspace(run_cli: Any, creds: Path) -> None:
    code, out, _ = run_cli("db", "path", "-f", "plain")
    assert (code, out) == (0, f"{creds / 'default.duckdb'}\n")


def test_path_without_credentials(run_cli: Any) -> None:
    code, _, err = run_cli("db", "path")
    assert code == 3
    assert "mp auth login" in err
    assert "--db" in err


def test_size(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "size", "-f", "json")
    size = _json(out)
    assert (code, size["path"], size["file_bytes"]) == (0, str(db), db.stat().st_size)


def test_info(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "info", "-f", "json")
    info = _json(out)
    assert (code, info["name"], info["tables"], info["exists"]) == (0, "d", 2, True)


def test_reset_needs_yes_when_not_on_a_terminal(run_cli: Any, db: Path) -> None:
    code, _, err = run_cli("--db", str(db), "db", "reset")
    assert code == 2
    assert "--yes" in err
    code, out, _ = run_cli("--db", str(db), "db", "tables", "-f", "json")
    assert len(_json(out)) == 2


def test_reset_with_yes(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "reset", "--yes", "-f", "json")
    assert (code, _json(out)["dropped"]) == (0, ["events", "notes"])
    _, out, _ = run_cli("--db", str(db), "db", "tables", "-f", "json")
    assert _json(out) == []


def test_reset_asks_on_a_terminal(run_cli: Any, db: Path, terminal: Any) -> None:
    terminal("n\n")
    code, out, err = run_cli("--db", str(db), "db", "reset", "-f", "json")
    assert (code, out) == (0, "")
    assert "Drop every table" in err
    assert "cancelled" in err
    terminal("y\n")
    code, out, _ = run_cli("--db", str(db), "db", "reset", "-f", "json")
    assert (code, _json(out)["dropped"]) == (0, ["events", "notes"])


@pytest.mark.parametrize("name", ["events.parquet", "events.csv", "events.json", "events.jsonl"])
def test_export(run_cli: Any, db: Path, tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    code, out, _ = run_cli(
        "--db", str(db), "db", "export", str(target), "--table", "events", "-f", "json"
    )
    assert (code, _json(out)["rows"]) == (0, 4)
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM '{target}'").fetchall() == [(4,)]


def test_export_a_query(run_cli: Any, db: Path, tmp_path: Path) -> None:
    target = tmp_path / "notes.csv"
    code, _, _ = run_cli(
        "--db",
        str(db),
        "db",
        "export",
        str(target),
        "--query",
        "SELECT note FROM notes ORDER BY id",
    )
    assert (code, target.read_text()) == (0, "note\nhello\n\n")


def test_export_needs_a_table_when_there_are_several(
    run_cli: Any, db: Path, tmp_path: Path
) -> None:
    code, _, err = run_cli("--db", str(db), "db", "export", str(tmp_path / "x.csv"))
    assert code == 2
    assert "events, notes" in err


def test_vacuum(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "db", "vacuum", "-f", "json")
    assert (code, _json(out)["path"]) == (0, str(db))
    _, out, _ = run_cli("--db", str(db), "query", "SELECT count(*) AS n FROM events", "-f", "json")
    assert _json(out) == [{"n": 4}]


def test_prune_temp(run_cli: Any, db: Path, mp_home: Path) -> None:
    stale = mp_home / "data" / ".tmp" / "999999999-abc123.duckdb"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x")
    code, out, _ = run_cli("--db", str(db), "db", "prune", "-f", "json")
    result = _json(out)
    assert (code, [r["path"] for r in result["rows"]]) == (0, [str(stale)])
    assert not stale.exists()


def test_prune_older_than_needs_yes_off_a_terminal(run_cli: Any, creds: Path) -> None:
    import os
    import time

    run_cli("db", "workspace", "create", "old")
    old = creds / "old.duckdb"
    stamp = time.time() - 40 * 86400
    os.utime(old, (stamp, stamp))
    code, _, err = run_cli("db", "prune", "--older-than", "30d")
    assert code == 2
    assert "--yes" in err
    assert old.exists()
    code, out, _ = run_cli("db", "prune", "--older-than", "30d", "--dry-run", "-f", "json")
    assert (code, [r["path"] for r in _json(out)["rows"]]) == (0, [str(old)])
    code, out, _ = run_cli("db", "prune", "--older-than", "30d", "--yes", "-f", "json")
    assert (code, [r["path"] for r in _json(out)["rows"]]) == (0, [str(old)])
    assert not old.exists()


def test_prune_with_a_bad_age(run_cli: Any, db: Path) -> None:
    code, _, err = run_cli("--db", str(db), "db", "prune", "--older-than", "soon", "--yes")
    assert code == 2
    assert "30d" in err


def test_shell_without_duckdb(
    run_cli: Any, db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    code, _, err = run_cli("--db", str(db), "db", "shell")
    assert code == 1
    assert "not installed" in err
    assert "duckdb.org" in err


def test_shell_passes_the_exit_status(
    run_cli: Any, db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "bin" / "duckdb"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 5\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    code, _, _ = run_cli("--db", str(db), "db", "shell")
    assert code == 5


# -- workspaces ------------------------------------------------------------------------------


def test_workspace_commands(run_cli: Any, creds: Path) -> None:
    code, out, _ = run_cli("db", "workspace", "list", "-f", "json")
    assert (code, [(w["name"], w["current"]) for w in _json(out)]) == (0, [("default", True)])
    code, out, _ = run_cli("db", "workspace", "create", "q4", "-f", "json")
    assert (code, _json(out)["name"], _json(out)["exists"]) == (0, "q4", True)
    code, out, _ = run_cli("db", "workspace", "switch", "q4", "-f", "json")
    assert (code, _json(out)["current"]) == (0, True)
    code, out, _ = run_cli("db", "path", "-f", "plain")
    assert out == f"{creds / 'q4.duckdb'}\n"
    code, out, _ = run_cli("--workspace", "default", "db", "path", "-f", "plain")
    assert out == f"{creds / 'default.duckdb'}\n"
    code, _, err = run_cli("db", "workspace", "delete", "q4")
    assert code == 2
    assert "--yes" in err
    code, out, _ = run_cli("db", "workspace", "delete", "q4", "--yes", "-f", "json")
    assert (code, _json(out)["name"]) == (0, "q4")
    assert not (creds / "q4.duckdb").exists()
    code, out, _ = run_cli("db", "path", "-f", "plain")
    assert out == f"{creds / 'default.duckdb'}\n"


def test_workspace_create_and_switch(run_cli: Any, creds: Path) -> None:
    code, out, _ = run_cli("db", "workspace", "create", "tmp1", "--switch", "-f", "json")
    assert (code, _json(out)["current"]) == (0, True)


@pytest.mark.parametrize("name", ["../../etc", "a/b", ".hidden"])
def test_workspace_names_are_validated(run_cli: Any, creds: Path, name: str) -> None:
    code, _, err = run_cli("db", "workspace", "create", name)
    assert code == 2
    assert "invalid workspace name" in err


def test_switch_to_a_missing_workspace(run_cli: Any, creds: Path) -> None:
    code, _, err = run_cli("db", "workspace", "switch", "nope")
    assert code == 2
    assert "mp db workspace create nope" in err


def test_workspace_commands_refuse_db(run_cli: Any, db: Path) -> None:
    code, _, err = run_cli("--db", str(db), "db", "workspace", "list")
    assert code == 2
    assert "--db" in err


def test_demo_workspace_path(run_cli: Any, mp_home: Path) -> None:
    from mixpanel_data.emulator import DEMO_PROJECT_ID

    code, out, _ = run_cli("--demo", "db", "path", "-f", "plain")
    assert (code, out) == (0, f"{mp_home / 'data' / str(DEMO_PROJECT_ID) / 'default.duckdb'}\n")


def test_unknown_db_command_is_a_usage_error(run_cli: Any, db: Path) -> None:
    code, _, _ = run_cli("--db", str(db), "db", "frobnicate")
    assert code == 2
