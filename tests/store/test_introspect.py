"""``ws.tables/table_schema/stats/describe/sample/table_metadata``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from mixpanel_data._types_db import ColumnDescription, PropertyKeys, TableInfo
from mixpanel_data.exceptions import TableNotFoundError, ValidationError
from mixpanel_data.store import _introspect
from mixpanel_data.workspace import Workspace


@pytest.fixture
def ws(sample_db: Path) -> Iterator[Workspace]:
    with Workspace(path=sample_db, read_only=True) as workspace:
        yield workspace


def test_tables_lists_user_tables_with_kinds(ws: Workspace) -> None:
    tables = ws.tables()
    assert tables.names == ["events", "notes", "signups", "users"]
    assert (
        TableInfo(
            name="events",
            kind="events",
            rows=10,
            columns=10,
            first_time=dt.datetime(2024, 1, 1, 8),
            last_time=dt.datetime(2024, 1, 3, 13),
            updated_at=dt.datetime(2024, 2, 1, 0, 5),
        )
        == tables["events"]
    )
    assert (tables["users"].kind, tables["users"].rows) == ("users", 2)
    assert (
        tables["notes"].kind,
        tables["notes"].rows,
        tables["notes"].first_time,
    ) == ("table", 2, None)
    assert (tables["signups"].kind, tables["signups"].rows) == ("view", None)
    assert "EVENTS" in tables
    assert "_mp_tables" not in tables


def test_tables_frame_keeps_its_columns_when_empty(tmp_path: Path) -> None:
    with Workspace(path=tmp_path / "empty.duckdb") as ws:
        frame = ws.tables().pl
    assert frame.height == 0
    assert (frame.columns) == [
        "name",
        "kind",
        "rows",
        "columns",
        "first_time",
        "last_time",
        "updated_at",
    ]


def test_tables_without_metadata_tables(tmp_path: Path) -> None:
    with Workspace(path=tmp_path / "plain.duckdb") as ws:
        ws.query("CREATE TABLE t AS SELECT TIMESTAMP '2024-05-01' AS time", write=True)
        (info,) = ws.tables()
    assert ("t", "table", 1, dt.datetime(2024, 5, 1)) == (
        info.name,
        info.kind,
        info.rows,
        info.first_time,
    )


def test_table_schema(ws: Workspace) -> None:
    schema = ws.table_schema("users")
    assert schema.names == ["distinct_id", "properties", "$email", "_fetched_at"]
    assert (
        schema["distinct_id"].type,
        schema["distinct_id"].nullable,
        schema["distinct_id"].primary_key,
    ) == ("VARCHAR", False, True)
    assert (
        schema["properties"].type,
        schema["properties"].nullable,
        schema["properties"].primary_key,
    ) == ("JSON", True, False)
    assert schema.pl.columns == ["name", "type", "nullable", "primary_key", "property"]
    assert schema["distinct_id"].property is None


def test_table_schema_is_case_insensitive(ws: Workspace) -> None:
    assert ws.table_schema("Events").table == "events"


def test_missing_table_lists_the_tables(ws: Workspace) -> None:
    with pytest.raises(TableNotFoundError) as info:
        ws.table_schema("evnets")
    assert "no table 'evnets'" in info.value.message
    assert "events, notes, signups, users" in info.value.message


def test_stats(ws: Workspace) -> None:
    stats = ws.stats("events")
    assert (10, dt.datetime(2024, 1, 1, 8), dt.datetime(2024, 1, 3, 13), 4, 4, False) == (
        stats.row_count,
        stats.first_time,
        stats.last_time,
        stats.distinct_users,
        stats.distinct_events,
        stats.approximate,
    )
    by_name = {c.name: c for c in stats.columns}
    assert (
        by_name["plan"].nulls,
        by_name["plan"].null_rate,
        by_name["plan"].distinct,
    ) == (5, 0.5, 2)
    assert (
        by_name["insert_id"].nulls,
        by_name["insert_id"].null_rate,
        by_name["insert_id"].distinct,
    ) == (0, 0.0, 10)
    assert {k: v for k, v in (stats._header() or {}).items() if k in ("table", "row_count")} == {
        "table": "events",
        "row_count": 10,
    }


def test_stats_of_a_table_without_event_columns(ws: Workspace) -> None:
    stats = ws.stats("notes")
    assert (
        stats.row_count,
        stats.first_time,
        stats.distinct_users,
        stats.distinct_events,
        stats.last_time,
    ) == (2, None, None, None, None)
    assert [(c.name, c.nulls, c.distinct) for c in stats.columns] == [("id", 0, 2), ("note", 1, 1)]


def test_stats_estimate_distinct_counts_of_big_tables(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_introspect, "APPROXIMATE_ABOVE", 5)
    assert ws.stats("events").approximate


def test_describe_values(ws: Workspace) -> None:
    description = ws.describe("events", "event")
    assert isinstance(description, ColumnDescription)
    assert [(v.value, v.count, v.percent) for v in description.values] == [
        ("Page View", 5, 50.0),
        ("Purchase", 2, 20.0),
        ("Sign Up", 2, 20.0),
        ("Logout", 1, 10.0),
    ]
    assert (
        description.row_count,
        description.nulls,
        description.distinct,
        description.others,
    ) == (10, 0, 4, 0)


def test_describe_limit_counts_the_others(ws: Workspace) -> None:
    description = ws.describe("events", "$browser", limit=1)
    assert isinstance(description, ColumnDescription)
    assert [(v.value, v.count) for v in description.values] == [("Chrome", 3)]
    assert (description.nulls, description.others) == (5, 2)


def test_describe_numbers_has_bounds(ws: Workspace) -> None:
    description = ws.describe("events", "amount")
    assert isinstance(description, ColumnDescription)
    assert (description.min, description.max) == (9.5, 20.0)


def test_describe_properties_lists_json_keys(ws: Workspace) -> None:
    keys = ws.describe("events", "properties")
    assert isinstance(keys, PropertyKeys)
    assert [(k.key, k.types, k.count, k.percent) for k in keys.keys] == [
        ("$browser", ["string"], 5, 50.0),
        ("plan", ["string"], 5, 50.0),
        ("amount", ["integer", "number"], 2, 20.0),
        ("items", ["array"], 1, 10.0),
    ]


def test_describe_unknown_column(ws: Workspace) -> None:
    with pytest.raises(ValidationError) as info:
        ws.describe("events", "nope")
    assert "no column 'nope'" in info.value.message
    assert "$browser" in (info.value.hint or "")


def test_describe_rejects_a_zero_limit(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="limit"):
        ws.describe("events", "event", limit=0)


def test_sample_returns_distinct_rows_of_the_table(ws: Workspace) -> None:
    frame = ws.sample("events", limit=3, seed=7)
    assert frame.height == 3
    assert frame.get_column("insert_id").n_unique() == 3
    assert frame.equals(ws.sample("events", limit=3, seed=7))


def test_sample_larger_than_the_table(ws: Workspace) -> None:
    assert ws.sample("notes", limit=50).height == 2


def test_table_metadata(ws: Workspace) -> None:
    meta = ws.table_metadata("events")
    assert (
        meta.name,
        meta.kind,
        meta.source,
        meta.rows,
    ) == ("events", "events", {"from_date": "2024-01-01", "to_date": "2024-01-03"}, 10)


def test_table_metadata_of_a_user_table(ws: Workspace) -> None:
    with pytest.raises(TableNotFoundError, match="not written by mp"):
        ws.table_metadata("notes")


def test_drop_table_removes_its_records(sample_db: Path) -> None:
    with Workspace(path=sample_db) as ws:
        assert ws.drop_table("events")
        assert not ws.table_exists("events")
        assert ws.query("SELECT * FROM _mp_tables WHERE name = 'events'") == []
        assert ws.query("SELECT * FROM _mp_fetch_log WHERE table_name = 'events'") == []
        assert not ws.drop_table("events", missing_ok=True)
        assert ws.drop_table("signups")
        with pytest.raises(TableNotFoundError):
            ws.drop_table("events")
