"""``mp query`` through the CLI: argv in; stdout, stderr and exit code out."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

SETUP = """
CREATE TABLE events (event VARCHAR NOT NULL, time TIMESTAMP NOT NULL, distinct_id VARCHAR,
                     properties JSON);
INSERT INTO events VALUES
 ('Page View', '2024-01-01 08:00:00', 'u1', '{"$browser":"Chrome"}'),
 ('Page View', '2024-01-01 09:00:00.250', 'u2', '{"$browser":"Firefox"}'),
 ('Page View', '2024-01-02 10:00:00', 'u3', NULL),
 ('Sign Up', '2024-01-01 08:05:00', 'u1', '{"plan":"free"}'),
 ('Sign Up', '2024-01-02 10:05:00', 'u3', '{"plan":"pro"}'),
 ('Purchase', '2024-01-02 10:30:00', 'u3', '{"amount":9.5}'),
 ('Logout', '2024-01-03 13:00:00', 'u4', '{}'),
 ('Search', '2024-01-03 13:10:00', 'u4', '{}'),
 ('Share', '2024-01-03 13:20:00', 'u5', '{}');
CREATE TABLE notes (id INTEGER, note VARCHAR);
INSERT INTO notes VALUES (1, 'hello'), (2, NULL);
"""

TOP5 = (
    "SELECT event, count(DISTINCT distinct_id) AS users FROM events "
    "GROUP BY event ORDER BY users DESC, event LIMIT 5"
)
TOP5_ROWS = [
    {"event": "Page View", "users": 3},
    {"event": "Sign Up", "users": 2},
    {"event": "Logout", "users": 1},
    {"event": "Purchase", "users": 1},
    {"event": "Search", "users": 1},
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "q.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SETUP)
    con.close()
    return path


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Any:
    def feed(text: str, *, tty: bool = False) -> None:
        class Stream(io.StringIO):
            def isatty(self) -> bool:
                return tty

        monkeypatch.setattr(sys, "stdin", Stream(text))

    feed("")
    return feed


def _count(db: Path, table: str = "notes") -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    finally:
        con.close()


def test_top_events_as_json_prints_exactly_the_rows(run_cli: Any, db: Path) -> None:
    code, out, err = run_cli("--db", str(db), "query", TOP5, "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == TOP5_ROWS


def test_global_options_after_the_command(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("query", TOP5, "--db", str(db), "-f", "jsonl")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == TOP5_ROWS


def test_csv(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli("--db", str(db), "query", "SELECT * FROM notes ORDER BY id", "-f", "csv")
    assert (code, out) == (0, "id,note\n1,hello\n2,\n")


def test_plain_prints_one_value_per_line(run_cli: Any, db: Path) -> None:
    sql = "SELECT DISTINCT event FROM events ORDER BY 1"
    code, out, _ = run_cli("--db", str(db), "query", sql, "-f", "plain")
    assert (code, out) == (0, "Logout\nPage View\nPurchase\nSearch\nShare\nSign Up\n")


def test_table(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli(
        "--db", str(db), "query", "SELECT * FROM notes ORDER BY id", "-f", "table"
    )
    assert code == 0
    assert "│ id │ note  │" in out
    assert "hello" in out


def test_types_render_faithfully(run_cli: Any, db: Path) -> None:
    sql = "SELECT time, properties, NULL AS nothing FROM events WHERE distinct_id = 'u2'"
    code, out, _ = run_cli("--db", str(db), "query", sql, "-f", "json")
    assert code == 0
    assert json.loads(out) == [
        {
            "time": "2024-01-01T09:00:00.250000",
            "properties": {"$browser": "Firefox"},
            "nothing": None,
        }
    ]


def test_sql_from_a_file(run_cli: Any, db: Path, tmp_path: Path) -> None:
    script = tmp_path / "top.sql"
    script.write_text(TOP5 + ";\n")
    code, out, _ = run_cli("--db", str(db), "query", "--file", str(script), "-f", "json")
    assert (code, json.loads(out)) == (0, TOP5_ROWS)


def test_sql_from_stdin(run_cli: Any, db: Path, stdin: Any) -> None:
    stdin(TOP5)
    code, out, _ = run_cli("--db", str(db), "query", "-f", "json")
    assert (code, json.loads(out)) == (0, TOP5_ROWS)


def test_no_sql_on_a_terminal_is_a_usage_error(run_cli: Any, db: Path, stdin: Any) -> None:
    stdin("", tty=True)
    code, out, err = run_cli("--db", str(db), "query")
    assert (code, out) == (2, "")
    assert "no SQL to run" in err


def test_sql_and_file_together(run_cli: Any, db: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("--db", str(db), "query", "SELECT 1", "--file", str(tmp_path / "x"))
    assert code == 2
    assert "not both" in err


def test_sql_error_shows_duckdb_message_and_position(run_cli: Any, db: Path) -> None:
    code, out, err = run_cli(
        "--db",
        str(db),
        "query",
        "--write",
        "DELETE FROM notes; SELECT nope FROM notes",
        "-f",
        "table",
    )
    assert (code, out) == (1, "")
    assert 'error: Binder Error: Referenced column "nope" not found in FROM clause!' in err
    assert "(at line 1, column 27" in err
    assert _count(db) == 2


def test_sql_error_as_json(run_cli: Any, db: Path) -> None:
    code, out, err = run_cli("--db", str(db), "query", "SELECT nope FROM notes", "-f", "json")
    assert (code, out) == (1, "")
    error = json.loads(err)["error"]
    assert (error["type"], error["position"]) == ("SQLError", 7)


def test_writes_need_write(run_cli: Any, db: Path) -> None:
    code, out, err = run_cli("--db", str(db), "query", "DROP TABLE notes", "-f", "table")
    assert (code, out) == (1, "")
    assert "refusing to run a DROP statement" in err
    assert "--write" in err
    assert _count(db) == 2


def test_write_changes_the_database(run_cli: Any, db: Path) -> None:
    code, out, _ = run_cli(
        "--db", str(db), "query", "--write", "INSERT INTO notes VALUES (3, 'x')", "-f", "json"
    )
    assert (code, json.loads(out)) == (0, [{"Count": 1}])
    assert _count(db) == 3


def test_write_creates_a_table_listed_as_kind_table(run_cli: Any, db: Path) -> None:
    run_cli("--db", str(db), "query", "--write", "CREATE TABLE mine AS SELECT 1 AS x")
    code, out, _ = run_cli("--db", str(db), "db", "tables", "-f", "json")
    kinds = {t["name"]: t["kind"] for t in json.loads(out)}
    assert (code, kinds["mine"]) == (0, "table")


@pytest.mark.parametrize("name", ["top.csv", "top.json", "top.jsonl", "top.parquet", "top.csv.gz"])
def test_output_writes_a_file_and_reports(
    run_cli: Any, db: Path, tmp_path: Path, name: str
) -> None:
    target = tmp_path / name
    code, out, _ = run_cli("--db", str(db), "query", TOP5, "--output", str(target), "-f", "json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["path"], summary["rows"], summary["bytes"]) == (
        str(target),
        5,
        target.stat().st_size,
    )
    con = duckdb.connect()
    rows = con.execute(f"SELECT event, users FROM '{target}' ORDER BY users DESC, event").fetchall()
    assert rows == [(r["event"], r["users"]) for r in TOP5_ROWS]


def test_output_with_an_unknown_extension(run_cli: Any, db: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("--db", str(db), "query", TOP5, "--output", str(tmp_path / "x.txt"))
    assert code == 2
    assert "extension" in err


def test_missing_database_file_for_a_reader(run_cli: Any, tmp_path: Path) -> None:
    code, _, err = run_cli("--db", str(tmp_path / "typo.duckdb"), "query", "SELECT 1")
    assert code == 1
    assert "no database file" in err


def test_ephemeral_leaves_nothing_behind(run_cli: Any, mp_home: Path) -> None:
    code, out, _ = run_cli("--ephemeral", "query", "SELECT 42 AS answer", "-f", "json")
    assert (code, json.loads(out)) == (0, [{"answer": 42}])
    temp = mp_home / "data" / ".tmp"
    assert not temp.exists() or list(temp.iterdir()) == []


HOLD = (
    "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
    "sys.stdin.readline()"
)


def test_a_writer_holding_the_file_is_named(
    run_cli: Any, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MP_LOCK_TIMEOUT", "0")
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "ready"
        code, out, err = run_cli("--db", str(db), "query", "SELECT 1", "-f", "table")
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert (code, out) == (1, "")
    assert f"process {proc.pid}" in err
    assert "hint: wait for" in err
