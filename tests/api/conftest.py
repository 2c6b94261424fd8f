"""Fixtures for the api layer: a fake clock, scripted transports and client factories."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mixpanel_data._credentials import Credentials
from mixpanel_data.api import MixpanelClient, RateLimits

SECRET = "sUp3r-s3cret-VALUE-9f2c"
USERNAME = "reader.abc123.mp-service-account"
PROJECT_ID = 424242
WALL_NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z, the fake wall clock


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it; records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler that plays back ``steps`` in order and records each request.

    A step is a response to return, an exception to raise, or a function of the request.
    The last step repeats once the script runs out.
    """

    def __init__(self, *steps: Step) -> None:
        assert steps
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    @property
    def count(self) -> int:
        return len(self.requests)


def service_account(**overrides: Any) -> Credentials:
    """Service-account credentials for the test project."""
    fields: dict[str, Any] = {
        "auth_kind": "service_account",
        "username": USERNAME,
        "secret": SECRET,
        "project_id": PROJECT_ID,
    }
    fields.update(overrides)
    return Credentials(**fields)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ClientFactory = Callable[..., MixpanelClient]


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[ClientFactory]:
    """Build clients over a handler with instant, recorded sleeps; closes them afterwards."""
    clients: list[MixpanelClient] = []

    def factory(
        handler: Callable[[httpx.Request], httpx.Response],
        credentials: Credentials | None = None,
        **kwargs: Any,
    ) -> MixpanelClient:
        kwargs.setdefault("limits", RateLimits.unlimited())
        kwargs.setdefault("rng", random.Random(1234))
        client = MixpanelClient(
            credentials if credentials is not None else service_account(),
            transport=httpx.MockTransport(handler),
            clock=clock,
            sleep=clock.sleep,
            wallclock=lambda: WALL_NOW,
            **kwargs,
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def creds() -> Callable[..., Credentials]:
    """``creds(**overrides)``: service-account credentials for the test project."""
    return service_account


@pytest.fixture
def scripted() -> Callable[..., Script]:
    """``scripted(*steps)``: a recording MockTransport handler (see :class:`Script`)."""
    return Script


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def wall_now() -> float:
    return WALL_NOW
