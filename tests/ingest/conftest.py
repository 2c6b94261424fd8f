"""Fixtures for the ingest and writer tests: hand-built export lines and databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import orjson
import pytest

from mixpanel_data.ingest import EventDecoder

LineMaker = Callable[..., bytes]


def _line(event: str = "e", /, **properties: Any) -> bytes:
    return orjson.dumps({"event": event, "properties": properties}) + b"\n"


@pytest.fixture
def line() -> LineMaker:
    """Build one export line: ``line("Purchase", time=1, distinct_id="u", amount=3)``."""
    return _line


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection."""
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def decoder() -> Iterator[EventDecoder]:
    """A decoder for exports in seconds (the API's default)."""
    with EventDecoder(time_in_ms=False) as instance:
        yield instance


@pytest.fixture
def ms_decoder() -> Iterator[EventDecoder]:
    """A decoder for exports requested with ``time_in_ms=true``."""
    with EventDecoder(time_in_ms=True) as instance:
        yield instance
