"""Fixtures for the fetch tests: credentials, instant clients over handlers, a fake engage."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest

from mixpanel_data._credentials import Credentials
from mixpanel_data.api import MixpanelClient, RateLimits

PROJECT_ID = 31337


def service_account(**overrides: Any) -> Credentials:
    fields: dict[str, Any] = {
        "auth_kind": "service_account",
        "username": "fetcher.x1.mp-service-account",
        "secret": "fetch-secret-0000",
        "project_id": PROJECT_ID,
        "query_url": "https://query.test",
        "export_url": "https://export.test",
    }
    fields.update(overrides)
    return Credentials(**fields)


class Sleeps:
    """Records sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


ClientFactory = Callable[..., MixpanelClient]


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[ClientFactory]:
    """``make_client(handler, **kwargs)``: a client over a MockTransport, sleeping instantly."""
    clients: list[MixpanelClient] = []

    def factory(
        handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any
    ) -> MixpanelClient:
        credentials = kwargs.pop("credentials", None) or service_account()
        kwargs.setdefault("limits", RateLimits.unlimited())
        kwargs.setdefault("rng", random.Random(7))
        kwargs.setdefault("sleep", sleeps)
        client = MixpanelClient(credentials, transport=httpx.MockTransport(handler), **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


class FakeEngage:
    """An engage endpoint over ``count`` profiles with scriptable misbehaviour.

    ``total``: "true" (the match count), "page" (this page's count), "none" (absent) or an
    int (a lie). ``expire_on``: page numbers whose first request finds the session expired.
    ``ignore_page``: answer page 0 whatever is asked.
    """

    def __init__(
        self,
        count: int,
        *,
        page_size: int = 10,
        total: str | int = "true",
        expire_on: tuple[int, ...] = (),
        ignore_page: bool = False,
        fail_first: int | None = None,
    ) -> None:
        self.profiles = [
            {
                "$distinct_id": f"u{i:04d}",
                "$properties": {"n": i, "plan": "pro" if i % 3 else "free"},
            }
            for i in range(count)
        ]
        self.page_size = page_size
        self.total = total
        self.expire_on = set(expire_on)
        self.ignore_page = ignore_page
        self.fail_first = fail_first
        self.sessions = 0
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        form = dict(httpx.QueryParams(request.content.decode()))
        with self._lock:
            self.requests.append(form)
            if self.fail_first is not None:
                return httpx.Response(400, json={"request": "/engage", "error": "bad where"})
            page = int(form.get("page", "0"))
            session = form.get("session_id")
            if session is None:
                self.sessions += 1
                session = f"s{self.sessions}"
            elif page in self.expire_on:
                self.expire_on.discard(page)
                return httpx.Response(
                    400,
                    json={
                        "request": "/api/query/engage",
                        "error": "request for page in uncached query for params",
                    },
                )
        served = 0 if self.ignore_page else page
        rows = self.profiles[served * self.page_size : (served + 1) * self.page_size]
        if self.total == "true":
            total: int | None = len(self.profiles)
        elif self.total == "page":
            total = len(rows)
        elif self.total == "none":
            total = None
        else:
            total = int(self.total)
        body: dict[str, Any] = {
            "page": page,
            "page_size": self.page_size,
            "session_id": session,
            "status": "ok",
            "results": rows,
        }
        if total is not None:
            body["total"] = total
        return httpx.Response(200, content=orjson.dumps(body))

    def pages_asked(self) -> list[int]:
        return sorted(int(r.get("page", "0")) for r in self.requests)


@pytest.fixture
def fake_engage() -> type[FakeEngage]:
    return FakeEngage


# -- DuckDB-level helpers: the oracle (the dataset, deduplicated) and the stored table --------


def _canonical(properties: Any) -> bytes:
    return orjson.dumps(properties, option=orjson.OPT_SORT_KEYS)


Row = tuple[str, Any, int, Any, Any, bytes]


def expected_rows(dataset: Any, days: Any = None) -> list[Row]:
    """The dataset's export lines, deduplicated as Mixpanel does (latest processed wins).

    Rows are (event, distinct_id, utc ms, insert_id or None, mp_processing_time_ms,
    canonical properties JSON); events without ``$insert_id`` are keyed on their content.
    """
    kept: dict[tuple[Any, ...], Row] = {}
    for day in days if days is not None else dataset.days:
        to_utc = dataset.to_utc(day)
        body = dataset.export_lines(day, time_in_ms=True)
        for line in body.splitlines():
            if not line.strip():
                continue
            record = orjson.loads(line)
            props = record["properties"]
            distinct_id = props.get("distinct_id")
            if distinct_id is not None and not isinstance(distinct_id, str):
                distinct_id = orjson.dumps(distinct_id).decode()
            insert_id = props.get("$insert_id")
            canonical = _canonical(props)
            time_ms = to_utc(int(props["time"]))
            key = (record["event"], distinct_id, time_ms, insert_id or canonical)
            row: Row = (
                record["event"],
                distinct_id,
                time_ms,
                insert_id,
                props.get("mp_processing_time_ms"),
                canonical,
            )
            old = kept.get(key)
            if old is None or (row[4] or 0) > (old[4] or 0):
                kept[key] = row
    return sorted(kept.values(), key=_sort_key)


def _sort_key(row: Row) -> tuple[Any, ...]:
    return (row[2], row[0], row[1] or "", row[3] or "", row[5])


def stored_rows(ws: Any, table: str = "events") -> list[Row]:
    """The table's rows in the oracle's shape (synthetic insert ids read as None)."""
    from mixpanel_data.store._sql import quote_ident

    rows = ws.database.fetchall(
        "SELECT event, distinct_id, epoch_ms(time), insert_id, mp_processing_time_ms, "
        f"properties::VARCHAR FROM {quote_ident(table)}"
    )
    out: list[Row] = []
    for event, distinct_id, time_ms, insert_id, processed, properties in rows:
        synthetic = isinstance(insert_id, str) and insert_id.startswith("mpd-")
        out.append(
            (
                event,
                distinct_id,
                int(time_ms),
                None if synthetic else insert_id,
                processed,
                _canonical(orjson.loads(properties)),
            )
        )
    return sorted(out, key=_sort_key)


@pytest.fixture
def oracle() -> Callable[..., list[Row]]:
    return expected_rows


@pytest.fixture
def stored() -> Callable[..., list[Row]]:
    return stored_rows


@pytest.fixture
def make_ws(tmp_path: Any, sleeps: Sleeps) -> Iterator[Callable[..., Any]]:
    """``make_ws(emulator, name="db", **client_kwargs)``: a Workspace over the emulator."""
    from mixpanel_data.workspace import Workspace

    opened: list[Any] = []

    def factory(emulator: Any, name: str = "db", **kwargs: Any) -> Any:
        kwargs.setdefault("limits", RateLimits.unlimited())
        kwargs.setdefault("sleep", sleeps)
        client = MixpanelClient(
            emulator.client_credentials(), transport=emulator.transport(), **kwargs
        )
        ws = Workspace(path=tmp_path / f"{name}.duckdb", client=client)
        opened.append((ws, client))
        return ws

    yield factory
    for ws, client in opened:
        ws.close()
        client.close()


@pytest.fixture(autouse=True)
def _no_chunk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk retries wait a jittered backoff for real; tests retry at once."""
    monkeypatch.setattr("mixpanel_data._fetch_runner.backoff_delay", lambda attempt, rng: 0.0)
