"""Fixtures for the emulator's HTTP tests: a small dataset, emulators and clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mixpanel_data.emulator import (
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    Dataset,
    DatasetConfig,
    Emulator,
)

SMALL = DatasetConfig(seed=7, start=dt.date(2024, 3, 1), days=4, events_per_day=150, users=40)
AUTH = (DEMO_USERNAME, DEMO_SECRET)

Get = Callable[..., httpx.Response]


@pytest.fixture(scope="session")
def small_dataset() -> Dataset:
    """Four days of synthetic data (2024-03-01..04), about 150 events a day."""
    return Dataset.generate(SMALL)


@pytest.fixture(scope="session")
def shared_emulator(small_dataset: Dataset) -> Iterator[Emulator]:
    """One emulator for read-only tests (its DuckDB is loaded once)."""
    emulator = Emulator(small_dataset)
    yield emulator
    emulator.close()


@pytest.fixture
def emulator(small_dataset: Dataset) -> Iterator[Emulator]:
    """A fresh emulator (own sessions, counters) over the small dataset."""
    emulator = Emulator(small_dataset, page_size=7)
    yield emulator
    emulator.close()


def make_client(emulator: Emulator, **kwargs: Any) -> httpx.Client:
    """An httpx client talking to ``emulator`` in-process."""
    return httpx.Client(transport=emulator.transport(), base_url=emulator.base_url, **kwargs)


@pytest.fixture
def client(shared_emulator: Emulator) -> Iterator[httpx.Client]:
    """An authenticated in-process client of the shared emulator."""
    with make_client(shared_emulator, auth=AUTH) as c:
        yield c


@pytest.fixture
def get(client: httpx.Client) -> Get:
    """GET a path of the shared emulator with ``project_id`` added."""

    def call(path: str, **params: Any) -> httpx.Response:
        params.setdefault("project_id", DEMO_PROJECT_ID)
        return client.get(path, params=params)

    return call


@pytest.fixture
def fresh_get(emulator: Emulator) -> Iterator[Get]:
    """GET a path of the fresh ``emulator`` (page size 7) with ``project_id`` added."""
    with make_client(emulator, auth=AUTH) as c:

        def call(path: str, **params: Any) -> httpx.Response:
            params.setdefault("project_id", DEMO_PROJECT_ID)
            return c.get(path, params=params)

        yield call


@pytest.fixture
def client_factory() -> Callable[..., httpx.Client]:
    """Build in-process clients for an emulator (closed by the caller's ``with``)."""
    return make_client
