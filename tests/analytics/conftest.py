"""Fixtures for the analytics tests: an in-memory DuckDB with an events table.

``add(event, time, distinct_id, **properties)`` inserts one event; ``time`` is UTC text
(``"2024-06-01 10:00:00"``, milliseconds allowed). Every event gets a fresh insert_id and a
processing time one second after ``time`` unless given (``insert_id=``, ``processed=``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest

EVENTS_DDL = """
CREATE TABLE events (
    event VARCHAR NOT NULL,
    "time" TIMESTAMP NOT NULL,
    distinct_id VARCHAR,
    insert_id VARCHAR,
    mp_processing_time_ms BIGINT,
    properties JSON,
    extra_flat_column VARCHAR
)
"""
USERS_DDL = "CREATE TABLE users (distinct_id VARCHAR PRIMARY KEY, properties JSON)"

AddEvent = Callable[..., None]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(EVENTS_DDL)
    yield connection
    connection.close()


def _parse(time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(time)


@pytest.fixture
def add(con: duckdb.DuckDBPyConnection) -> AddEvent:
    counter = itertools.count()

    def add(
        event: str,
        time: str,
        distinct_id: str | None = "u1",
        *,
        insert_id: str | None = None,
        processed: int | None = None,
        **properties: Any,
    ) -> None:
        moment = _parse(time)
        epoch_ms = int(moment.replace(tzinfo=dt.UTC).timestamp() * 1000)
        props = {"time": epoch_ms // 1000, "distinct_id": distinct_id, **properties}
        con.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, NULL)",
            [
                event,
                moment,
                distinct_id,
                insert_id if insert_id is not None else f"i{next(counter)}",
                processed if processed is not None else epoch_ms + 1000,
                json.dumps(props),
            ],
        )

    return add


@pytest.fixture
def add_user(con: duckdb.DuckDBPyConnection) -> Callable[..., None]:
    con.execute(USERS_DDL)

    def add_user(distinct_id: str, **properties: Any) -> None:
        con.execute("INSERT INTO users VALUES (?, ?)", [distinct_id, json.dumps(properties)])

    return add_user
