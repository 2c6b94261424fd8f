"""Engage paging: the documented loop, parallel pages, expired sessions, repeated pages."""

from __future__ import annotations

import httpx
import orjson
import pytest

from mixpanel_data.api.engage import (
    EngageQuery,
    fetch_page,
    is_expired_session,
    iter_pages,
    resolve_cohort,
)
from mixpanel_data.exceptions import APIDecodeError, BadRequestError, ValidationError


def ids(pages: list) -> list[str]:
    return [distinct_id for page in pages for distinct_id, _ in page.profiles]


@pytest.mark.parametrize("parallel", [1, 3])
@pytest.mark.parametrize(
    ("count", "pages"),
    [(0, 1), (7, 1), (10, 2), (25, 3), (30, 4)],
)
def test_every_profile_once_in_order(make_client, fake_engage, count, pages, parallel):
    server = fake_engage(count, page_size=10)
    client = make_client(server)
    got = list(iter_pages(client, EngageQuery(), parallel=parallel))
    assert [f"u{i:04d}" for i in range(count)] == ids(got)
    # A short last page stops; a full last page needs one more (empty) page to know.
    assert list(range(pages)) == server.pages_asked()
    assert [p.page for p in got] == list(range(pages))


@pytest.mark.parametrize("total", ["page", "none", 5, 10_000])
def test_total_is_never_trusted(make_client, fake_engage, total):
    server = fake_engage(35, page_size=10, total=total)
    got = list(iter_pages(make_client(server), EngageQuery(), parallel=4))
    assert [f"u{i:04d}" for i in range(35)] == ids(got)


def test_overstated_total_costs_only_empty_pages(make_client, fake_engage):
    server = fake_engage(15, page_size=10, total=60)
    got = list(iter_pages(make_client(server), EngageQuery(), parallel=5))
    assert len(ids(got)) == 15
    assert {0, 1} <= set(server.pages_asked())
    assert len(got) == 2


def test_session_and_page_are_carried(make_client, fake_engage):
    server = fake_engage(21, page_size=10)
    list(iter_pages(make_client(server), EngageQuery(where='properties["n"] >= 0')))
    first, *later = server.requests
    assert "session_id" not in first
    assert "page" not in first
    assert [(r["session_id"], r["page"]) for r in later] == [("s1", "1"), ("s1", "2")]
    assert all(r["where"] == 'properties["n"] >= 0' for r in server.requests)


def test_repeated_page_stops(make_client, fake_engage):
    server = fake_engage(30, page_size=10, ignore_page=True)
    got = list(iter_pages(make_client(server), EngageQuery()))
    assert [f"u{i:04d}" for i in range(10)] == ids(got)
    assert server.pages_asked() == [0, 1]


def test_expired_session_restarts_once(make_client, fake_engage):
    server = fake_engage(25, page_size=10, expire_on=(2,))
    restarts = []
    got = list(iter_pages(make_client(server), EngageQuery(), on_restart=restarts.append))
    assert len(restarts) == 1
    assert server.sessions == 2
    # Pages of the first run come again after the restart: consumers upsert.
    assert set(ids(got)) == {f"u{i:04d}" for i in range(25)}
    assert [p.page for p in got] == [0, 1, 0, 1, 2]


def test_session_expiring_twice_raises(make_client, fake_engage):
    server = fake_engage(25, page_size=10, expire_on=(1, 2))
    server_pages = iter_pages(make_client(server), EngageQuery(), restarts=1)
    with pytest.raises(BadRequestError) as info:
        list(server_pages)
    assert is_expired_session(info.value)


def test_first_page_400_is_not_a_restart(make_client, fake_engage):
    server = fake_engage(5, fail_first=1)
    with pytest.raises(BadRequestError, match="bad where"):
        list(iter_pages(make_client(server), EngageQuery(where="nope")))
    assert len(server.requests) == 1


def test_distinct_id_is_always_a_string(make_client):
    body = {
        "page": 0,
        "page_size": 1000,
        "session_id": 5,
        "total": 2,
        "results": [{"$distinct_id": 4, "$properties": {"a": 1}}, {"$distinct_id": "x"}],
    }
    client = make_client(lambda r: httpx.Response(200, content=orjson.dumps(body)))
    page = fetch_page(client, EngageQuery())
    assert page.profiles == [("4", {"a": 1}), ("x", {})]
    assert page.session_id == "5"


def test_unexpected_body_is_a_decode_error(make_client):
    client = make_client(lambda r: httpx.Response(200, json={"results": "nope"}))
    with pytest.raises(APIDecodeError, match="engage"):
        fetch_page(client, EngageQuery())


def test_query_form_fields(make_client, fake_engage):
    server = fake_engage(1)
    query = EngageQuery(
        where='properties["plan"] == "pro"',
        distinct_ids=("a", "b"),
        output_properties=("$email",),
        cohort_id=12,
        include_all_users=False,
    )
    fetch_page(make_client(server), query)
    assert server.requests[0] == {
        "where": 'properties["plan"] == "pro"',
        "distinct_ids": '["a","b"]',
        "output_properties": '["$email"]',
        "filter_by_cohort": '{"id":12}',
        "include_all_users": "false",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"where": " "},
        {"distinct_ids": ()},
        {"output_properties": ("",)},
        {"include_all_users": True},
    ],
)
def test_bad_queries(kwargs):
    with pytest.raises(ValidationError):
        EngageQuery(**kwargs)


COHORTS = [
    {
        "count": 5,
        "is_visible": 1,
        "description": "",
        "created": "2024-03-19 23:49:51",
        "project_id": 1,
        "id": 1000,
        "name": "Paid 30d",
    },
    {
        "count": 2,
        "is_visible": 0,
        "description": "",
        "created": "2024-04-02 23:22:01",
        "project_id": 1,
        "id": 2000,
        "name": "Churn risk",
    },
    {
        "count": 2,
        "is_visible": 0,
        "description": "",
        "created": "2024-04-02 23:22:01",
        "project_id": 1,
        "id": 3000,
        "name": "Twin",
    },
    {
        "count": 2,
        "is_visible": 0,
        "description": "",
        "created": "2024-04-02 23:22:01",
        "project_id": 1,
        "id": 3001,
        "name": "Twin",
    },
]


def cohort_server(request: httpx.Request) -> httpx.Response:
    assert request.method == "POST"
    assert request.url.path == "/api/query/cohorts/list"
    return httpx.Response(200, json=COHORTS)


def test_resolve_cohort_by_name(make_client):
    client = make_client(cohort_server)
    assert resolve_cohort(client, "Churn risk").id == 2000
    assert resolve_cohort(client, "paid 30D").id == 1000


def test_resolve_cohort_unknown_lists_names(make_client):
    with pytest.raises(ValidationError, match="no saved cohort") as info:
        resolve_cohort(make_client(cohort_server), "Whales")
    assert "'Churn risk'" in (info.value.hint or "")


def test_resolve_cohort_ambiguous(make_client):
    with pytest.raises(ValidationError, match="3000, 3001"):
        resolve_cohort(make_client(cohort_server), "Twin")
