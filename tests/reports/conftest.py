"""Fixtures for the report tests: a small emulated project, its events in a DuckDB file,
clients and workspaces over both.

The dataset uses a project time zone west of UTC (America/Los_Angeles), so every report's
local days differ from UTC days: live answers (the emulator) and local ones (the workspace's
table) must agree on them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator
from mixpanel_data.workspace import Workspace

START = dt.date(2024, 3, 4)  # a Monday
DAYS = 14
LAST = START + dt.timedelta(days=DAYS - 1)
TZ = "America/Los_Angeles"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetConfig(seed=11, start=START, days=DAYS, events_per_day=250, users=120, timezone=TZ)
    )


@pytest.fixture(scope="session")
def emulator(dataset: Dataset) -> Iterator[Emulator]:
    emu = Emulator(dataset)
    yield emu
    emu.close()


@pytest.fixture(scope="session")
def events_file(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file holding the dataset as the ``events`` and ``users`` tables."""
    path = tmp_path_factory.mktemp("reports") / "project.duckdb"
    con = duckdb.connect(str(path))
    try:
        dataset.to_duckdb(con, "events", users_table="users")
    finally:
        con.close()
    return path


class Recorder:
    """A transport that forwards to the emulator and remembers each request."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.emulator.handle(request)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


@pytest.fixture
def recorder(emulator: Emulator) -> Recorder:
    return Recorder(emulator)


@pytest.fixture
def client(emulator: Emulator, recorder: Recorder) -> Iterator[MixpanelClient]:
    with MixpanelClient(
        emulator.client_credentials(),
        transport=httpx.MockTransport(recorder),
        limits=RateLimits.unlimited(),
    ) as made:
        yield made


@pytest.fixture
def ws(events_file: Path, client: MixpanelClient) -> Iterator[Workspace]:
    """A read-only workspace over the dataset's events, asking the emulator when live."""
    with Workspace(path=events_file, read_only=True, client=client) as workspace:
        yield workspace


@pytest.fixture
def ws_rw(events_file: Path, client: MixpanelClient, tmp_path: Path) -> Iterator[Workspace]:
    """A writable workspace over a private copy of the dataset's events."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(events_file, copy)
    with Workspace(path=copy, client=client) as workspace:
        yield workspace


@pytest.fixture
def canned() -> Callable[..., MixpanelClient]:
    """``canned(handler)``: a client whose requests a function answers (fast, no retries wait)."""
    made: list[MixpanelClient] = []

    def factory(
        handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any
    ) -> MixpanelClient:
        from mixpanel_data._credentials import Credentials

        kwargs.setdefault("limits", RateLimits.unlimited())
        kwargs.setdefault("sleep", lambda _s: None)
        client = MixpanelClient(
            Credentials(
                username="reader.abc.mp-service-account",
                secret="s3cret-value-1234",
                project_id=4242,
                timezone="UTC",
            ),
            transport=httpx.MockTransport(handler),
            **kwargs,
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()
