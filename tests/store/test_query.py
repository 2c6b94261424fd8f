"""``ws.query`` & co.: read-only by default, transactions, errors, faithful types."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path

import polars
import pytest

from mixpanel_data.exceptions import ReadOnlyError, SQLError, ValidationError
from mixpanel_data.workspace import Workspace

TOP_EVENTS = (
    "SELECT event, count(DISTINCT distinct_id) AS users FROM events "
    "GROUP BY event ORDER BY users DESC, event LIMIT 5"
)


@pytest.fixture
def ws(sample_db: Path) -> Iterator[Workspace]:
    with Workspace(path=sample_db) as workspace:
        yield workspace


def test_query_returns_rows_as_dicts(ws: Workspace) -> None:
    assert ws.query(TOP_EVENTS) == [
        {"event": "Page View", "users": 4},
        {"event": "Purchase", "users": 2},
        {"event": "Sign Up", "users": 2},
        {"event": "Logout", "users": 1},
    ]


def test_query_pl_returns_polars(ws: Workspace) -> None:
    frame = ws.query_pl(TOP_EVENTS)
    assert isinstance(frame, polars.DataFrame)
    assert frame.columns == ["event", "users"]
    assert frame.height == 4


def test_query_df_returns_pandas(ws: Workspace) -> None:
    frame = ws.query_df("SELECT 1 AS a, 'x' AS b")
    assert frame.to_dict(orient="records") == [{"a": 1, "b": "x"}]


def test_json_columns_decode_in_rows_and_stay_text_in_polars(ws: Workspace) -> None:
    sql = "SELECT properties FROM events WHERE insert_id = 'i8'"
    assert ws.query(sql) == [{"properties": {"amount": 9.5, "items": [1, 2]}}]
    assert polars.String == ws.query_pl(sql).schema["properties"]
    decoded = ws.query_pl(sql, decode_json=True)
    assert polars.Object == decoded.schema["properties"]
    assert decoded.item() == {"amount": 9.5, "items": [1, 2]}


def test_types_come_back_faithfully(ws: Workspace) -> None:
    row = ws.query(
        "SELECT TIMESTAMP '2024-01-02 03:04:05.678' AS ts, DATE '2024-01-02' AS d, NULL AS n, "
        "1.50::DECIMAL(10,2) AS dec, INTERVAL 3 DAY AS iv, [1, 2] AS l, {'a': 1} AS s, "
        "true AS b, '{\"k\": [1, null]}'::JSON AS j"
    )[0]
    assert {
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
        "d": dt.date(2024, 1, 2),
        "n": None,
        "dec": decimal.Decimal("1.50"),
        "iv": "3 days",
        "l": [1, 2],
        "s": {"a": 1},
        "b": True,
        "j": {"k": [1, None]},
    } == row


def test_several_statements_return_the_last_result(ws: Workspace) -> None:
    assert ws.query("SELECT 1; SELECT count(*) AS n FROM notes;") == [{"n": 2}]


def test_writing_needs_permission_and_runs_nothing(ws: Workspace) -> None:
    with pytest.raises(ReadOnlyError) as info:
        ws.query("INSERT INTO notes VALUES (3, 'x'); DROP TABLE events")
    assert "INSERT" in info.value.message
    assert ws.query("SELECT count(*) AS n FROM notes") == [{"n": 2}]
    assert ws.table_exists("events")


def test_write_allows_changes(ws: Workspace) -> None:
    assert ws.query("INSERT INTO notes VALUES (3, 'x')", write=True) == [{"Count": 1}]
    assert ws.query("SELECT count(*) AS n FROM notes") == [{"n": 3}]


def test_failing_script_leaves_the_database_unchanged(ws: Workspace) -> None:
    sql = "INSERT INTO notes VALUES (3, 'x');\nDROP TABLE events;\nSELECT nope FROM notes"
    with pytest.raises(SQLError) as info:
        ws.query(sql, write=True)
    assert sql.index("nope") == info.value.position
    assert ws.query("SELECT count(*) AS n FROM notes") == [{"n": 2}]
    assert ws.table_exists("events")


def test_sql_error_names_line_and_column(ws: Workspace) -> None:
    sql = "SELECT event,\n       nope\nFROM events"
    with pytest.raises(SQLError) as info:
        ws.query(sql)
    assert sql.index("nope") == info.value.position
    assert "(at line 2, column 8" in info.value.message
    assert info.value.message.startswith('Binder Error: Referenced column "nope" not found')


def test_runtime_error_is_an_sql_error(ws: Workspace) -> None:
    with pytest.raises(SQLError, match="Conversion Error"):
        ws.query("SELECT CAST(event AS INTEGER) FROM events")


def test_read_only_workspace_refuses_write_even_with_write(sample_db: Path) -> None:
    with Workspace(path=sample_db, read_only=True) as ws, pytest.raises(ReadOnlyError):
        ws.query("DELETE FROM notes", write=True)


def test_script_with_its_own_transaction(ws: Workspace) -> None:
    ws.query("BEGIN; INSERT INTO notes VALUES (9, 'z'); COMMIT", write=True)
    assert ws.query("SELECT count(*) AS n FROM notes") == [{"n": 3}]


def test_empty_sql_is_rejected(ws: Workspace) -> None:
    with pytest.raises(ValidationError):
        ws.query("  ")


def test_query_to_file_streams_and_reports(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "out" / "top.jsonl"
    result = ws.query_to_file(TOP_EVENTS, target)
    assert (str(target), "jsonl", 4) == (result.path, result.format, result.rows)
    assert target.stat().st_size == result.bytes
    assert target.read_text().splitlines()[0] == '{"event":"Page View","users":4}'


def test_query_to_file_in_batches(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "big.csv"
    result = ws.query_to_file("SELECT range AS i FROM range(200000)", target)
    assert result.rows == 200_000
    with target.open() as handle:
        assert handle.readline().strip() == "i"
        assert sum(1 for _ in handle) == 200_000


def test_duplicate_column_names_are_kept_apart(ws: Workspace) -> None:
    assert ws.query("SELECT 1 AS a, 2 AS a") == [{"a": 1, "a_1": 2}]
