"""Acceptance: profiles fetched into DuckDB equal the emulator's profiles, however paged."""

from __future__ import annotations

import datetime as dt

import httpx
import orjson
import pytest

from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator
from mixpanel_data.workspace import Workspace


@pytest.fixture(scope="module")
def data() -> Dataset:
    return Dataset.generate(
        DatasetConfig(seed=9, start=dt.date(2024, 1, 1), days=10, events_per_day=120, users=70)
    )


def profiles(data: Dataset) -> dict[str, dict]:
    return {str(p["$distinct_id"]): p["$properties"] for p in data.profiles}


def stored(ws) -> dict[str, dict]:
    rows = ws.database.fetchall("SELECT distinct_id, properties::VARCHAR FROM users")
    return {d: orjson.loads(p) for d, p in rows}


def workspace(tmp_path, transport, credentials) -> tuple[Workspace, MixpanelClient]:
    client = MixpanelClient(
        credentials, transport=transport, limits=RateLimits.unlimited(), sleep=lambda s: None
    )
    return Workspace(path=tmp_path / "u.duckdb", client=client), client


@pytest.mark.parametrize(
    "page_size",
    [
        pytest.param(8, id="short-last-page"),
        pytest.param(None, id="empty-last-page"),
        pytest.param(1000, id="one-page"),
    ],
)
def test_pages_end_right(data, tmp_path, page_size):
    count = len(data.profiles)
    if page_size is None:  # a divisor of the count: the last full page is followed by []
        page_size = next(n for n in range(7, count) if count % n == 0)
    emulator = Emulator(data, page_size=page_size)
    asked: list[int] = []

    def spy(request: httpx.Request) -> httpx.Response:
        request.read()
        form = dict(httpx.QueryParams(request.content.decode()))
        asked.append(int(form.get("page", 0)))
        return emulator.handle(request)

    ws, client = workspace(tmp_path, httpx.MockTransport(spy), emulator.client_credentials())
    with client, ws:
        result = ws.fetch_users(parallel=3)
        assert stored(ws) == profiles(data)
    pages = count // page_size + 1
    assert result.pages == pages
    assert sorted(set(asked)) == list(range(pages))


def test_expired_session_restarts(data, tmp_path):
    clock = [0.0]
    emulator = Emulator(data, page_size=10, session_ttl=100.0, clock=lambda: clock[0])
    served = [0]

    def aging(request: httpx.Request) -> httpx.Response:
        response = emulator.handle(request)
        served[0] += 1
        if served[0] == 3:  # the session dies after three pages
            clock[0] += 1000
        return response

    ws, client = workspace(tmp_path, httpx.MockTransport(aging), emulator.client_credentials())
    with client, ws:
        result = ws.fetch_users(parallel=1)
        assert stored(ws) == profiles(data)
    assert result.rows_updated > 0  # pages of the first run were stored again


def test_repeated_page_stops(data, tmp_path):
    emulator = Emulator(data, page_size=10)

    def stuck(request: httpx.Request) -> httpx.Response:
        # A server that ignores `page` and serves page 0 again.
        request.read()
        form = dict(httpx.QueryParams(request.content.decode()))
        form.pop("page", None)
        form.pop("session_id", None)
        stripped = httpx.Request(
            request.method, request.url, headers=request.headers,
            content=str(httpx.QueryParams(form)).encode(),
        )  # fmt: skip
        return emulator.handle(stripped)

    ws, client = workspace(tmp_path, httpx.MockTransport(stuck), emulator.client_credentials())
    with client, ws:
        result = ws.fetch_users()
        assert len(stored(ws)) == 10
    assert result.pages == 1


def test_flattened_typed_columns_and_replace(data, tmp_path):
    emulator = Emulator(data)
    ws, client = workspace(tmp_path, emulator.transport(), emulator.client_credentials())
    with client, ws:
        ws.fetch_users()
        types = dict(
            ws.database.fetchall(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'users'"
            )
        )
        assert types["distinct_id"] == "VARCHAR"
        assert types["ltv"] == "DOUBLE"
        assert types["$email"] == "VARCHAR"
        assert types["company"] == "JSON"
        cohort = data.saved_cohorts[0]
        result = ws.fetch_users(cohort_id=cohort.id, replace=True)
        assert set(stored(ws)) == set(cohort.members)
        assert result.table_rows == cohort.count


def test_cohort_members_without_profiles(data, tmp_path):
    # include_all_users defaults to true: cohort members with no profile come back with
    # empty properties (Mixpanel docs, engage-query).
    cohort = next(c for c in data.saved_cohorts if set(c.members) - set(profiles(data)))
    emulator = Emulator(data)
    ws, client = workspace(tmp_path, emulator.transport(), emulator.client_credentials())
    with client, ws:
        ws.fetch_users(cohort_id=cohort.id)
        assert set(stored(ws)) == set(cohort.members)


def test_a_page_of_members_without_profiles(data, tmp_path):
    # Every profile of the page has "$properties": {} (include_all_users, Mixpanel docs,
    # engage-query): nothing to flatten, yet every member is stored.
    cohort = next(c for c in data.saved_cohorts if set(c.members) - set(profiles(data)))
    missing = sorted(set(cohort.members) - set(profiles(data)))
    emulator = Emulator(data)
    ws, client = workspace(tmp_path, emulator.transport(), emulator.client_credentials())
    with client, ws:
        result = ws.fetch_users(cohort_id=cohort.id, distinct_ids=missing)
        assert stored(ws) == {distinct_id: {} for distinct_id in missing}
    assert (result.rows_received, result.rows_added, result.table_rows) == (
        len(missing),
        len(missing),
        len(missing),
    )


def test_bytes_are_the_engage_bodies_received(data, tmp_path):
    emulator = Emulator(data, page_size=8)
    bodies: list[int] = []

    def spy(request: httpx.Request) -> httpx.Response:
        response = emulator.handle(request)
        if request.url.path.endswith("/engage"):
            bodies.append(len(response.read()))  # decompressed, as export bytes are counted
        return response

    ws, client = workspace(tmp_path, httpx.MockTransport(spy), emulator.client_credentials())
    with client, ws:
        result = ws.fetch_users(parallel=2)
    assert len(bodies) == result.pages > 1
    assert result.bytes == sum(bodies) > 0
