"""Loading an emulator dataset into DuckDB for the analytics engine."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from mixpanel_data.emulator._dataset import Dataset
from mixpanel_data.emulator._dataset_types import DatasetConfig
from mixpanel_data.exceptions import StorageError

CONFIG = DatasetConfig(seed=5, start=dt.date(2024, 4, 1), days=5, events_per_day=400, users=150)


@pytest.fixture(scope="module")
def loaded() -> tuple[Dataset, duckdb.DuckDBPyConnection]:
    ds = Dataset.generate(CONFIG)
    con = duckdb.connect()
    ds.to_duckdb(con)
    return ds, con


def test_every_event_and_profile_is_a_row(
    loaded: tuple[Dataset, duckdb.DuckDBPyConnection],
) -> None:
    ds, con = loaded
    total = sum(len(events) for _, events in ds.iter_days())
    assert con.execute("SELECT count(*) FROM events").fetchall() == [(total,)]
    assert con.execute("SELECT count(*) FROM users").fetchall() == [(len(ds.profiles),)]


def test_column_types(loaded: tuple[Dataset, duckdb.DuckDBPyConnection]) -> None:
    _, con = loaded
    events = con.execute("DESCRIBE events").fetchall()
    assert [(r[0], r[1]) for r in events] == [
        ("event", "VARCHAR"),
        ("time", "TIMESTAMP"),
        ("distinct_id", "VARCHAR"),
        ("insert_id", "VARCHAR"),
        ("mp_processing_time_ms", "BIGINT"),
        ("properties", "JSON"),
    ]
    users = con.execute("DESCRIBE users").fetchall()
    assert [(r[0], r[1]) for r in users] == [("distinct_id", "VARCHAR"), ("properties", "JSON")]


def test_rows_are_raw_and_faithful(loaded: tuple[Dataset, duckdb.DuckDBPyConnection]) -> None:
    ds, con = loaded
    events = [e for _, day in ds.iter_days() for e in day]
    missing_ids = sum(1 for e in events if "distinct_id" not in e["properties"])
    empty_ids = sum(1 for e in events if e["properties"].get("distinct_id") == "")
    no_insert = sum(1 for e in events if "$insert_id" not in e["properties"])
    row = con.execute(
        "SELECT count(*) FILTER (distinct_id IS NULL), count(*) FILTER (distinct_id = ''), "
        "count(*) FILTER (insert_id IS NULL), "
        "count(*) FILTER (insert_id IS DISTINCT FROM properties->>'$.\"$insert_id\"'), "
        "count(*) FILTER (epoch_ms(time) <> (properties->>'$.time')::BIGINT) FROM events"
    ).fetchall()
    assert row == [(missing_ids, empty_ids, no_insert, 0, 0)]
    assert missing_ids > 0
    assert empty_ids > 0
    assert no_insert > 0


def test_time_is_true_utc_for_legacy_projects() -> None:
    config = DatasetConfig(
        seed=5, start=dt.date(2024, 4, 1), days=1, events_per_day=50, users=20,
        timezone="Europe/Berlin", legacy_timezone=True,
    )  # fmt: skip
    ds = Dataset.generate(config)
    con = duckdb.connect()
    ds.to_duckdb(con, "legacy", users_table="legacy_users")
    shifts = con.execute(
        "SELECT DISTINCT (properties->>'$.time')::BIGINT - epoch_ms(time) FROM legacy"
    ).fetchall()
    assert shifts == [(2 * 3_600_000,)]  # CEST: local time is UTC+2


def test_odd_table_names_and_replacing(loaded: tuple[Dataset, duckdb.DuckDBPyConnection]) -> None:
    ds, _ = loaded
    con = duckdb.connect()
    assert ds.to_duckdb(con, 'my "events"', users_table="people") > 0
    rows = ds.to_duckdb(con, 'my "events"', users_table="people")
    assert con.execute('SELECT count(*) FROM "my ""events"""').fetchall() == [(rows,)]


def test_read_only_connection_is_a_storage_error(tmp_path: object) -> None:
    ds = Dataset.generate(DatasetConfig(days=1, events_per_day=10, users=5))
    path = f"{tmp_path}/ro.duckdb"
    duckdb.connect(path).close()
    con = duckdb.connect(path, read_only=True)
    with pytest.raises(StorageError, match="could not load"):
        ds.to_duckdb(con)
