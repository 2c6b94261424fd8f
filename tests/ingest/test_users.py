"""Profiles: decoding Engage results and upserting them (the latest copy wins)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from mixpanel_data.exceptions import APIDecodeError
from mixpanel_data.ingest import PROFILE_COLUMNS, ProfileDecoder
from mixpanel_data.store._writer import begin_replace, finish_replace, staging_name
from mixpanel_data.store._writer_users import write_users


@pytest.fixture
def profiles() -> Iterator[ProfileDecoder]:
    with ProfileDecoder(fetched_at=dt.datetime(2025, 1, 1)) as decoder:
        yield decoder


def select(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def test_decoding_engage_results_and_pairs(profiles: ProfileDecoder) -> None:
    batch = profiles.decode(
        [
            {"$distinct_id": 123, "$properties": {"$email": "a@x.io", "plan": "pro", "seats": 3}},
            ("u2", {"plan": "free", "tags": ["a"]}),
        ]
    )
    assert batch.data.column_names[:3] == list(PROFILE_COLUMNS)
    assert [(c.key, c.type.value) for c in batch.columns] == [
        ("$email", "VARCHAR"),
        ("plan", "VARCHAR"),
        ("seats", "BIGINT"),
        ("tags", "JSON"),
    ]
    assert batch.data.column("distinct_id").to_pylist() == ["123", "u2"]


def test_a_profile_without_distinct_id_is_refused(profiles: ProfileDecoder) -> None:
    with pytest.raises(APIDecodeError, match=r"\$distinct_id"):
        profiles.decode([{"$properties": {"a": 1}}])


def test_upsert_latest_wins_and_old_properties_do_not_linger(
    con: duckdb.DuckDBPyConnection, profiles: ProfileDecoder
) -> None:
    first = write_users(
        con,
        "users",
        [profiles.decode([("u1", {"plan": "free", "coupon": "X"}), ("u2", {"plan": "pro"})])],
    )
    assert (first.rows_added, first.rows_updated, first.table_rows) == (2, 0, 2)
    second = write_users(
        con,
        "users",
        [
            profiles.decode(
                [("u1", {"plan": "team"}), ("u3", {"plan": "free"}), ("u3", {"plan": "pro"})]
            )
        ],
    )
    assert (
        second.rows_received,
        second.rows_added,
        second.rows_updated,
        second.duplicates_dropped,
    ) == (3, 1, 1, 1)
    assert select(con, "SELECT distinct_id, plan, coupon FROM users ORDER BY distinct_id") == [
        ("u1", "team", None),
        ("u2", "pro", None),
        ("u3", "pro", None),
    ]
    assert select(con, "SELECT name, kind, rows FROM _mp_tables") == [("users", "users", 3)]


def test_users_table_schema_and_widening(
    con: duckdb.DuckDBPyConnection, profiles: ProfileDecoder
) -> None:
    write_users(con, "users", [profiles.decode([("u1", {"seats": 3, "distinct_id": "shadow"})])])
    write_users(con, "users", [profiles.decode([("u2", {"seats": "many"})])])
    types = dict(
        select(
            con, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'users'"
        )
    )
    assert types == {
        "distinct_id": "VARCHAR",
        "properties": "JSON",
        "_fetched_at": "TIMESTAMP",
        "seats": "VARCHAR",
        "prop_distinct_id": "VARCHAR",
    }
    assert select(con, "SELECT distinct_id, seats, prop_distinct_id FROM users ORDER BY 1") == [
        ("u1", "3", "shadow"),
        ("u2", "many", None),
    ]
    constraints = select(
        con, "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'users'"
    )
    assert ("PRIMARY KEY",) in constraints


def test_users_replace(con: duckdb.DuckDBPyConnection, profiles: ProfileDecoder) -> None:
    write_users(con, "users", [profiles.decode([("old", {"a": 1})])])
    staging = begin_replace(con, "users", kind="users")
    assert staging == staging_name("users")
    write_users(con, staging, [profiles.decode([("new", {"b": 2})])])
    assert select(con, "SELECT distinct_id FROM users") == [("old",)]
    assert finish_replace(con, "users", kind="users") == 1
    assert select(con, "SELECT distinct_id, b FROM users") == [("new", 2)]
    assert select(con, "SELECT name, kind FROM _mp_tables") == [("users", "users")]


# -- pages with nothing to flatten -------------------------------------------------------------


def test_profiles_without_properties_decode(profiles: ProfileDecoder) -> None:
    # Mixpanel docs (engage-query): include_all_users defaults to true, so cohort members with
    # no profile come back as {"$distinct_id": ..., "$properties": {}}.
    batch = profiles.decode(
        [
            {"$distinct_id": "m1", "$properties": {}},
            {"$distinct_id": "m2"},
            ("m3", {}),
        ]
    )
    assert batch.rows == 3
    assert batch.columns == ()
    assert batch.data.column_names == list(PROFILE_COLUMNS)
    assert batch.data.column("distinct_id").to_pylist() == ["m1", "m2", "m3"]
    assert batch.data.column("properties").to_pylist() == ["{}", "{}", "{}"]
    # Same Arrow types as a batch with properties, so the writer treats both alike.
    full = profiles.decode([("u1", {"plan": "pro"})])
    assert batch.data.schema == full.data.schema.remove(3)


def test_an_empty_page_decodes_to_zero_rows(profiles: ProfileDecoder) -> None:
    batch = profiles.decode([])
    assert batch.rows == 0
    assert batch.columns == ()
    assert batch.data.column_names == list(PROFILE_COLUMNS)
    # The decoder goes on working after an empty page.
    assert profiles.decode([("u1", {"plan": "pro"})]).rows == 1


def test_a_page_whose_keys_all_stay_json_only() -> None:
    with ProfileDecoder(max_columns=0) as decoder:
        batch = decoder.decode([("u1", {"plan": "pro"}), ("u2", {"": 1})])
    assert batch.columns == ()
    assert batch.data.column("properties").to_pylist() == ['{"plan":"pro"}', '{"":1}']


def test_empty_pages_store_and_replace_a_profile(
    con: duckdb.DuckDBPyConnection, profiles: ProfileDecoder
) -> None:
    write_users(con, "users", [profiles.decode([("u1", {"plan": "pro"})])])
    stats = write_users(
        con, "users", [profiles.decode([]), profiles.decode([("u1", {}), ("m1", {})])]
    )
    assert (stats.rows_received, stats.rows_added, stats.rows_updated) == (2, 1, 1)
    # The latest copy wins, even an empty one: no property of the old copy lingers.
    assert select(con, "SELECT distinct_id, properties::VARCHAR, plan FROM users ORDER BY 1") == [
        ("m1", "{}", None),
        ("u1", "{}", None),
    ]


# -- bad input is named for what it is ---------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        [("u1", ["not", "an", "object"])],
        [("u1", {"a": 1}), ("u2", "text")],
        [{"$distinct_id": "u1", "$properties": None}],
    ],
)
def test_properties_that_are_not_an_object_are_named(
    profiles: ProfileDecoder, page: list[Any]
) -> None:
    with pytest.raises(APIDecodeError, match=r"is malformed: its \$properties is not an object"):
        profiles.decode(page)


def test_integers_beyond_64_bits_are_kept(
    con: duckdb.DuckDBPyConnection, profiles: ProfileDecoder
) -> None:
    # Engage's JSON may hold integers of any size; they keep every digit, as events do.
    big = 2**70
    write_users(con, "users", [profiles.decode([("u1", {"big": big, "n": 1})])])
    assert select(con, "SELECT big, n, properties->>'$.big' FROM users") == [
        (str(big), 1, str(big))
    ]


def test_properties_that_are_not_json_are_refused(profiles: ProfileDecoder) -> None:
    with pytest.raises(APIDecodeError, match="'u1' has properties that are not JSON"):
        profiles.decode([("u1", {"when": object()})])
