"""Rate-limit budgets like Mixpanel's, on a fake (or sped-up) clock."""

from __future__ import annotations

import contextlib

import pytest

from mixpanel_data._credentials import Credentials
from mixpanel_data.emulator import DEMO_PROJECT_ID, DEMO_SECRET, DEMO_USERNAME, Emulator, Limits

AUTH = (DEMO_USERNAME, DEMO_SECRET)
PID = {"project_id": DEMO_PROJECT_ID}
EXPORT = {"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-01"}
DOCS = (
    "https://help.mixpanel.com/hc/en-us/articles/115004602563-Rate-Limits-for-Export-API-Endpoints"
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(small_dataset, client_factory):
    made = []

    def build(**limits):
        clock = Clock()
        emulator = Emulator(small_dataset, limits=Limits(clock=clock, **limits))
        client = client_factory(emulator, auth=AUTH)
        made.append(client)
        return clock, client

    yield build
    for client in made:
        client.close()


def test_off_by_default(small_dataset, client_factory):
    with client_factory(Emulator(small_dataset), auth=AUTH) as client:
        statuses = {
            client.get("/api/query/funnels/list", params=PID).status_code for _ in range(70)
        }
    assert statuses == {200}


def test_query_hourly_budget_and_body(limited):
    clock, client = limited()
    for _ in range(60):
        assert client.get("/api/query/funnels/list", params=PID).status_code == 200
    refused = client.get("/api/query/funnels/list", params=PID)
    assert refused.status_code == 429
    assert refused.json() == {
        "request": f"/api/query/funnels/list?project_id={DEMO_PROJECT_ID}",
        "error": (
            f"Query rate limit exceeded for project_id: {DEMO_PROJECT_ID}. 1/5 queries running "
            "concurrently and 61/60 queries running in the last hour. For more information, "
            f"please consult our documentation at {DOCS}"
        ),
    }
    assert refused.headers["retry-after"] == "3600"
    clock.now += 3600
    assert client.get("/api/query/funnels/list", params=PID).status_code == 200


def test_every_query_endpoint_shares_the_budget(limited):
    _, client = limited(query_per_hour=2)
    assert client.get("/api/query/funnels/list", params=PID).status_code == 200
    assert client.get("/api/2.0/cohorts/list", params=PID).status_code == 200
    assert client.get("/api/query/engage", params=PID).status_code == 429
    # The export has its own budget.
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200


def test_time_scale_runs_an_hour_in_a_second(limited):
    clock, client = limited(query_per_hour=1, time_scale=3600)
    assert client.get("/api/query/funnels/list", params=PID).status_code == 200
    refused = client.get("/api/query/funnels/list", params=PID)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    clock.now += 1.0
    assert client.get("/api/query/funnels/list", params=PID).status_code == 200


def test_query_concurrency_counts_open_bodies(limited):
    _, client = limited()
    with contextlib.ExitStack() as stack:
        for _ in range(5):
            stack.enter_context(client.stream("GET", "/api/query/funnels/list", params=PID))
        refused = client.get("/api/query/funnels/list", params=PID)
    assert refused.status_code == 429
    assert "6/5 queries running concurrently and 6/60 queries" in refused.json()["error"]
    assert client.get("/api/query/funnels/list", params=PID).status_code == 200


def test_export_per_second(limited):
    clock, client = limited()
    assert [client.get("/api/2.0/export", params=EXPORT).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/2.0/export", params=EXPORT)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "text/plain; charset=utf-8"
    assert refused.text == (
        f"Export rate limit exceeded for project_id: {DEMO_PROJECT_ID}. 4/3 requests in the "
        "last second and 4/60 requests in the last hour."
    )
    clock.now += 1.0
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200


def test_export_concurrency_is_plain_text(limited):
    _, client = limited(export_concurrent=2, export_per_second=None)
    with contextlib.ExitStack() as stack:
        for _ in range(2):
            stack.enter_context(client.stream("GET", "/api/2.0/export", params=EXPORT))
        refused = client.get("/api/2.0/export", params=EXPORT)
    assert refused.status_code == 429
    assert refused.text == "too many export requests in progress for this project"
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200


def test_export_hourly_budget(limited):
    clock, client = limited(export_per_hour=60)
    for _ in range(20):
        for _ in range(3):
            assert client.get("/api/2.0/export", params=EXPORT).status_code == 200
        clock.now += 1.0
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 429


def test_budgets_are_per_project(small_dataset, client_factory):
    any_project = Credentials(username="all.projects", secret="s", project_id=None)
    clock = Clock()
    emulator = Emulator(
        small_dataset, credentials=any_project, limits=Limits(query_per_hour=1, clock=clock)
    )
    with client_factory(emulator, auth=("all.projects", "s")) as client:
        first = client.get("/api/query/funnels/list", params={"project_id": 1})
        again = client.get("/api/query/funnels/list", params={"project_id": 1})
        other = client.get("/api/query/funnels/list", params={"project_id": 2})
    assert (first.status_code, again.status_code, other.status_code) == (200, 429, 200)


def test_refused_requests_do_not_take_a_slot(limited):
    _, client = limited(query_per_hour=1)
    assert client.get("/api/query/funnels/list", params=PID).status_code == 200
    for _ in range(3):
        assert client.get("/api/query/funnels/list", params=PID).status_code == 429
    assert (
        "2/1 queries running in the last hour"
        in client.get("/api/query/funnels/list", params=PID).json()["error"]
    )
