"""The events writer: one transaction per chunk, dedup, schema evolution, replace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import orjson
import pytest

from mixpanel_data.exceptions import ExportTruncatedError, StorageError
from mixpanel_data.ingest import EventBatch, EventDecoder, iter_event_batches
from mixpanel_data.store._metadata import completed_days, completed_days_at, ensure_metadata
from mixpanel_data.store._writer import (
    WriteStats,
    abort_replace,
    begin_replace,
    deferred_checkpoints,
    finish_replace,
    staging_name,
    write_events_chunk,
)

LineMaker = Callable[..., bytes]
DAY = dt.date(2024, 6, 10)
T0 = 1718031845  # 2024-06-10T15:04:05Z


def store(
    con: duckdb.DuckDBPyConnection,
    decoder: EventDecoder,
    body: bytes,
    *,
    table: str = "events",
    filters: dict[str, str] | None = None,
    batch_lines: int = 50_000,
    **kwargs: Any,
) -> WriteStats:
    batches = iter_event_batches([body], decoder, batch_lines=batch_lines)
    return write_events_chunk(con, table, batches, day=DAY, filters=filters or {}, **kwargs)


def select(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def column_types(con: duckdb.DuckDBPyConnection, table: str = "events") -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [table]
    ).fetchall()
    return dict(rows)


def test_table_schema_and_metadata(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    stats = store(
        con, decoder, line("Buy", time=T0, distinct_id="u", amount=3), source={"from": "2024-06-10"}
    )
    assert stats == WriteStats(rows_received=1, rows_added=1, nbytes=stats.nbytes, table_rows=1)
    assert column_types(con) == {
        "event": "VARCHAR",
        "time": "TIMESTAMP",
        "distinct_id": "VARCHAR",
        "insert_id": "VARCHAR",
        "mp_processing_time_ms": "BIGINT",
        "properties": "JSON",
        "_fetched_at": "TIMESTAMP",
        "amount": "BIGINT",
    }
    assert select(
        con, "SELECT name, kind, source, rows, first_time, last_time FROM _mp_tables"
    ) == [
        (
            "events",
            "events",
            '{"from":"2024-06-10"}',
            1,
            dt.datetime(2024, 6, 10, 15, 4, 5),
            dt.datetime(2024, 6, 10, 15, 4, 5),
        )
    ]
    assert select(
        con,
        "SELECT table_name, day, filters, rows_received, rows_added, duplicates, status FROM _mp_fetch_log",
    ) == [("events", DAY, "", 1, 1, 0, "complete")]
    assert completed_days(con, "events", {}) == {DAY}


def test_duplicates_keep_the_latest_processed_copy(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    key = {"time": T0, "distinct_id": "u", "$insert_id": "i"}
    body = (
        line("Buy", **key, mp_processing_time_ms=10, v="old")
        + line("Buy", **key, mp_processing_time_ms=30, v="newest")
        + line("Buy", **key, mp_processing_time_ms=20, v="middle")
    )
    stats = store(con, decoder, body, batch_lines=1)
    assert (stats.rows_added, stats.duplicates_dropped) == (1, 2)
    assert select(con, "SELECT v, mp_processing_time_ms FROM events") == [("newest", 30)]
    # A later fetch with a newer copy replaces the stored one; an older copy is dropped.
    stats = store(con, decoder, line("Buy", **key, mp_processing_time_ms=40, v="late"))
    assert (stats.rows_added, stats.rows_updated, stats.duplicates_dropped) == (0, 1, 0)
    stats = store(con, decoder, line("Buy", **key, mp_processing_time_ms=5, v="stale"))
    assert (stats.rows_added, stats.rows_updated, stats.duplicates_dropped) == (0, 0, 1)
    assert select(con, "SELECT v FROM events") == [("late",)]
    assert select(con, "SELECT rows FROM _mp_tables WHERE name = 'events'") == [(1,)]


def test_the_same_insert_id_on_different_events_is_kept(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    same = {"$insert_id": "dup", "mp_processing_time_ms": 1}
    body = (
        line("Buy", time=T0, distinct_id="u", **same)
        + line("View", time=T0, distinct_id="u", **same)
        + line("Buy", time=T0, distinct_id="v", **same)
        + line("Buy", time=T0 + 1, distinct_id="u", **same)
        + line("Buy", time=T0, distinct_id="", **same)
        + line("Buy", time=T0, **same)
    )
    assert store(con, decoder, body).rows_added == 6


def test_missing_distinct_ids_dedup_among_themselves(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    body = line("Buy", time=T0, **{"$insert_id": "i"}) * 2
    assert store(con, decoder, body).rows_added == 1


def test_rewriting_the_same_day_is_idempotent(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    body = b"".join(line("Buy", time=T0 + i, distinct_id=f"u{i}", n=i) for i in range(20))
    body += line("NoId", time=T0, distinct_id="x")  # synthetic insert id, stable across fetches
    store(con, decoder, body)
    before = select(con, "SELECT * EXCLUDE (_fetched_at) FROM events ORDER BY time, event")
    with EventDecoder(time_in_ms=False) as fresh:
        stats = store(con, fresh, body)
    assert (stats.rows_added, stats.duplicates_dropped) == (0, 21)
    assert select(con, "SELECT * EXCLUDE (_fetched_at) FROM events ORDER BY time, event") == before


def test_fetches_with_different_event_filters_compose(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    buys = line("Buy", time=T0, distinct_id="u", price=3)
    views = line("View", time=T0, distinct_id="u", page="/")
    store(con, decoder, buys, filters={"events": '["Buy"]'})
    store(con, decoder, views, filters={"events": '["View"]'})
    store(con, decoder, buys + views, filters={})
    assert select(con, "SELECT event, price, page FROM events ORDER BY event") == [
        ("Buy", 3, None),
        ("View", None, "/"),
    ]
    assert completed_days(con, "events", {"events": '["Buy"]'}) == {DAY}
    assert completed_days(con, "events", {"events": '["View"]'}) == {DAY}
    assert set(completed_days_at(con, "events", "")) == {DAY}


def test_widening_across_chunks_keeps_every_value(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line("E", time=T0, distinct_id="a", v=1, w=1, x="s"))
    assert column_types(con)["v"] == "BIGINT"
    store(con, decoder, line("E", time=T0, distinct_id="b", v=2.5, w=True, x=[1]))
    assert (column_types(con)["v"], column_types(con)["w"], column_types(con)["x"]) == (
        "DOUBLE",
        "VARCHAR",
        "JSON",
    )
    store(con, decoder, line("E", time=T0, distinct_id="c", v="z"))
    assert column_types(con)["v"] == "VARCHAR"
    assert select(con, "SELECT distinct_id, v, w, x FROM events ORDER BY distinct_id") == [
        ("a", "1", "1", '"s"'),
        ("b", "2.5", "true", "[1]"),
        ("c", "z", None, None),
    ]


def test_an_older_narrower_batch_joins_a_wider_column(
    con: duckdb.DuckDBPyConnection, line: LineMaker
) -> None:
    with EventDecoder(time_in_ms=False) as wide:
        store(
            con,
            wide,
            line("E", time=T0, distinct_id="a", v={"k": 1})
            + line("E", time=T0, distinct_id="b", v=1.5),
        )
    with EventDecoder(
        time_in_ms=False
    ) as narrow:  # a new fetch: this decoder has seen only ints and text
        store(
            con,
            narrow,
            line("E", time=T0, distinct_id="c", v=7) + line("E", time=T0, distinct_id="d", w="t"),
        )
        store(con, narrow, line("E", time=T0, distinct_id="e", w=3))
    assert column_types(con)["v"] == "JSON"
    assert column_types(con)["w"] == "VARCHAR"
    assert select(con, "SELECT distinct_id, v, w FROM events ORDER BY distinct_id") == [
        ("a", '{"k":1}', None),
        ("b", "1.5", None),
        ("c", "7", None),
        ("d", None, "t"),
        ("e", None, "3"),
    ]


def test_bigint_meeting_double_goes_to_text_when_digits_would_be_lost(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line("E", time=T0, distinct_id="a", v=2**60 + 1))
    store(con, decoder, line("E", time=T0, distinct_id="b", v=0.5))
    assert column_types(con)["v"] == "VARCHAR"
    assert select(con, "SELECT v FROM events ORDER BY distinct_id") == [(str(2**60 + 1),), ("0.5",)]


def test_odd_and_colliding_names(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    props = {
        "Plan": "pro",
        "$browser": "Chrome",
        "a.b": 1,
        'qu"ote': "q",
        "event": "shadow",
        "properties": "p",
        "ROWID": 9,
        "insert_id": "not mine",
        "": "empty",
        "y" * 300: "long",
    }
    store(con, decoder, line("E", time=T0, distinct_id="u", plan="free", **props))
    types = column_types(con)
    # Case variants: the all-lowercase spelling keeps the bare name, the variant gets "_2".
    for name in (
        "plan",
        "Plan_2",
        "$browser",
        "a.b",
        'qu"ote',
        "prop_event",
        "prop_properties",
        "prop_ROWID",
        "prop_insert_id",
        "y" * 300,
    ):
        assert name in types
    assert select(
        con, 'SELECT "Plan_2", plan, "$browser", prop_event, event, prop_ROWID FROM events'
    ) == [("pro", "free", "Chrome", "shadow", "E", 9)]
    # The mapping is remembered: a later fetch puts each key back in its own column.
    with EventDecoder(time_in_ms=False) as later:
        store(con, later, line("E", time=T0 + 1, distinct_id="u", plan="team", Plan="max"))
    assert select(con, 'SELECT "Plan_2", plan FROM events ORDER BY time') == [
        ("pro", "free"),
        ("max", "team"),
    ]
    # The empty key has no column but stays in properties.
    assert select(con, "SELECT properties->>'/' FROM events ORDER BY time LIMIT 1") == [("empty",)]


def test_a_failure_mid_chunk_leaves_nothing(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line("Old", time=T0, distinct_id="u"))
    before = select(con, "SELECT * FROM events")
    body = b"".join(line("New", time=T0 + i, distinct_id="u", fresh=i) for i in range(5))

    def batches() -> Iterator[EventBatch]:
        yield from iter_event_batches([body], decoder, batch_lines=2)
        raise ExportTruncatedError("the export stream is incomplete")

    with pytest.raises(ExportTruncatedError):
        write_events_chunk(con, "events", batches(), day=DAY + dt.timedelta(days=1), filters={})
    assert select(con, "SELECT * FROM events") == before
    assert "fresh" not in column_types(con)
    assert completed_days(con, "events", {}) == {DAY}


def test_a_truncated_stream_rolls_the_chunk_back(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    body = (
        b"".join(line("New", time=T0 + i, distinct_id="u") for i in range(5)) + b"terminated early"
    )
    with pytest.raises(ExportTruncatedError):
        store(con, decoder, body, batch_lines=1)
    assert select(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'events'") == [(0,)]


def test_a_chunk_over_several_days_records_each(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    batches = iter_event_batches([line(time=T0)], decoder)
    write_events_chunk(
        con, "events", batches, day=DAY, last_day=DAY + dt.timedelta(days=2), filters={"limit": "5"}
    )
    assert completed_days(con, "events", {"limit": "5"}) == {
        DAY + dt.timedelta(days=n) for n in range(3)
    }


def test_max_columns_keeps_later_keys_in_json(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line(time=T0, a=1, b=2), max_columns=1)
    assert "a" in column_types(con)
    assert "b" not in column_types(con)
    assert select(con, "SELECT properties->>'$.b' FROM events") == [("2",)]


def test_storage_failures_become_storage_errors(
    decoder: EventDecoder, line: LineMaker, tmp_path: Any
) -> None:
    path = tmp_path / "ro.duckdb"
    duckdb.connect(str(path)).close()
    reader = duckdb.connect(str(path), read_only=True)
    try:
        with pytest.raises(StorageError):
            store(reader, decoder, line(time=T0))
    finally:
        reader.close()


def test_replace_swaps_atomically_and_a_failure_keeps_the_old_table(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line("Old", time=T0, distinct_id="u", legacy=1))
    staging = begin_replace(con, "events")
    assert staging == staging_name("events")
    store(con, decoder, line("New", time=T0, distinct_id="u"), table=staging)
    # Until the swap, readers see the old table.
    assert select(con, "SELECT event FROM events") == [("Old",)]
    abort_replace(con, "events")
    assert select(con, "SELECT event FROM events") == [("Old",)]
    assert select(con, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{staging}'") == [
        (0,)
    ]

    begin_replace(con, "events")
    store(
        con,
        decoder,
        line("New", time=T0, distinct_id="u"),
        table=staging,
        filters={"events": '["New"]'},
    )
    assert finish_replace(con, "events", source={"mode": "replace"}) == 1
    assert select(con, "SELECT event FROM events") == [("New",)]
    assert "legacy" not in column_types(con)
    assert select(con, "SELECT DISTINCT table_name, filters FROM _mp_fetch_log") == [
        ("events", '{"events":"[\\"New\\"]"}')
    ]
    assert select(con, "SELECT name, rows FROM _mp_tables") == [("events", 1)]


def test_replace_with_nothing_fetched_gives_an_empty_table(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line("Old", time=T0))
    begin_replace(con, "events")
    assert finish_replace(con, "events") == 0
    assert select(con, "SELECT count(*) FROM events") == [(0,)]


def test_a_failed_swap_leaves_the_old_table(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line("Old", time=T0))
    begin_replace(con, "events")
    con.execute(f'DROP TABLE "{staging_name("events")}"').fetchall()  # the staging table vanished
    with pytest.raises(StorageError):
        finish_replace(con, "events")
    assert select(con, "SELECT event FROM events") == [("Old",)]


def test_metadata_schema_is_the_documented_one(con: duckdb.DuckDBPyConnection) -> None:
    ensure_metadata(con)
    ensure_metadata(con)
    columns = select(
        con,
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name LIKE '_mp_%' ORDER BY table_name, ordinal_position",
    )
    assert columns == [
        ("_mp_fetch_log", "table_name", "VARCHAR", "NO"),
        ("_mp_fetch_log", "day", "DATE", "NO"),
        ("_mp_fetch_log", "filters", "VARCHAR", "NO"),
        ("_mp_fetch_log", "rows_received", "BIGINT", "YES"),
        ("_mp_fetch_log", "rows_added", "BIGINT", "YES"),
        ("_mp_fetch_log", "duplicates", "BIGINT", "YES"),
        ("_mp_fetch_log", "bytes", "BIGINT", "YES"),
        ("_mp_fetch_log", "status", "VARCHAR", "NO"),
        ("_mp_fetch_log", "fetched_at", "TIMESTAMP", "NO"),
        ("_mp_tables", "name", "VARCHAR", "NO"),
        ("_mp_tables", "kind", "VARCHAR", "NO"),
        ("_mp_tables", "source", "JSON", "YES"),
        ("_mp_tables", "rows", "BIGINT", "YES"),
        ("_mp_tables", "first_time", "TIMESTAMP", "YES"),
        ("_mp_tables", "last_time", "TIMESTAMP", "YES"),
        ("_mp_tables", "created_at", "TIMESTAMP", "NO"),
        ("_mp_tables", "updated_at", "TIMESTAMP", "NO"),
    ]


def test_properties_json_is_queryable_with_quoted_dollar_paths(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line(time=T0, **{"$browser": "Firefox"}))
    assert select(con, 'SELECT properties->>\'$."$browser"\', "$browser" FROM events') == [
        ("Firefox", "Firefox")
    ]
    assert orjson.loads(select(con, "SELECT properties FROM events")[0][0])["$browser"] == "Firefox"


def test_deferred_checkpoints_restore_the_setting_and_keep_the_data(
    decoder: EventDecoder, line: LineMaker, tmp_path: Any
) -> None:
    path = str(tmp_path / "deferred.duckdb")
    con = duckdb.connect(path)
    before = select(con, "SELECT current_setting('checkpoint_threshold')")
    with deferred_checkpoints(con):
        assert select(con, "SELECT current_setting('checkpoint_threshold')") != before
        store(con, decoder, line(time=T0, distinct_id="u"))
    assert select(con, "SELECT current_setting('checkpoint_threshold')") == before
    con.close()
    again = duckdb.connect(path)
    assert select(again, "SELECT count(*) FROM events") == [(1,)]
    again.close()


def test_a_differently_cased_table_name_reuses_the_table(
    con: duckdb.DuckDBPyConnection, decoder: EventDecoder, line: LineMaker
) -> None:
    store(con, decoder, line(time=T0, distinct_id="a", amount=1))
    store(con, decoder, line(time=T0, distinct_id="b", amount=2), table="EVENTS")
    assert select(con, "SELECT distinct_id, amount FROM events ORDER BY 1") == [("a", 1), ("b", 2)]
    assert select(con, "SELECT name, rows FROM _mp_tables") == [("events", 2)]
    assert completed_days(con, "Events", {}) == {DAY}
