"""Engage: pages, sessions, filters, cohorts, output properties."""

from __future__ import annotations

import httpx
import pytest

from mixpanel_data.emulator import DEMO_PROJECT_ID, DEMO_SECRET, DEMO_USERNAME, Emulator

AUTH = (DEMO_USERNAME, DEMO_SECRET)
ENGAGE = "/api/query/engage"


def page_all(get, **params) -> tuple[list[dict], list[dict]]:
    """Follow Mixpanel's documented loop; return (pages, results)."""
    pages = [get(ENGAGE, **params).json()]
    while len(pages[-1]["results"]) >= pages[-1]["page_size"]:
        last = pages[-1]
        pages.append(
            get(ENGAGE, **params, session_id=last["session_id"], page=last["page"] + 1).json()
        )
    return pages, [row for page in pages for row in page["results"]]


def test_first_page_shape(fresh_get):
    body = fresh_get(ENGAGE).json()
    assert list(body) == ["page", "page_size", "session_id", "status", "total", "results"]
    assert (body["page"], body["page_size"], body["status"], body["total"]) == (0, 7, "ok", 24)
    assert len(body["results"]) == 7
    for row in body["results"]:
        assert list(row) == ["$distinct_id", "$properties"]
        assert isinstance(row["$distinct_id"], str)
    assert body["session_id"].split("-")[0].isdigit()


def test_paging_walks_every_profile_once(fresh_get, small_dataset):
    pages, rows = page_all(fresh_get)
    assert [len(p["results"]) for p in pages] == [7, 7, 7, 3]
    assert [p["page"] for p in pages] == [0, 1, 2, 3]
    assert {p["session_id"] for p in pages} == {pages[0]["session_id"]}
    assert {p["total"] for p in pages} == {24}
    assert [r["$distinct_id"] for r in rows] == [p["$distinct_id"] for p in small_dataset.profiles]


def test_a_page_past_the_end_is_empty(fresh_get):
    first = fresh_get(ENGAGE).json()
    body = fresh_get(ENGAGE, session_id=first["session_id"], page=9).json()
    assert body["results"] == []
    assert body["total"] == 24


def test_page_without_session_is_400(fresh_get):
    response = fresh_get(ENGAGE, page=1)
    assert response.status_code == 400
    assert response.json()["error"] == "'session_id' is required when 'page' is greater than 0"


def test_unknown_session_is_400(fresh_get):
    response = fresh_get(ENGAGE, session_id="1-nope", page=1)
    assert response.status_code == 400
    assert response.json()["error"].startswith("request for page in uncached query for params")


def test_session_expires_on_the_clock(small_dataset):
    now = [100.0]
    emulator = Emulator(small_dataset, page_size=5, session_ttl=60, clock=lambda: now[0])
    with httpx.Client(transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH) as c:
        params = {"project_id": DEMO_PROJECT_ID}
        first = c.get(ENGAGE, params=params).json()
        now[0] += 59
        alive = c.get(ENGAGE, params={**params, "session_id": first["session_id"], "page": 1})
        now[0] += 1
        dead = c.get(ENGAGE, params={**params, "session_id": first["session_id"], "page": 2})
    assert alive.status_code == 200
    assert dead.status_code == 400
    assert "unknown or has expired" in dead.json()["error"]


def test_session_ids_are_deterministic_and_distinct(small_dataset):
    ids = []
    for _ in range(2):
        emulator = Emulator(small_dataset)
        with httpx.Client(
            transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH
        ) as c:
            params = {"project_id": DEMO_PROJECT_ID}
            ids.append([c.get(ENGAGE, params=params).json()["session_id"] for _ in range(2)])
    assert ids[0] == ids[1]
    assert ids[0][0] != ids[0][1]


@pytest.mark.parametrize("source", ["properties", "user"])
def test_where_reads_profile_properties(fresh_get, small_dataset, source):
    _, rows = page_all(fresh_get, where=f'{source}["plan"] == "pro"')
    expected = [
        p["$distinct_id"] for p in small_dataset.profiles if p["$properties"].get("plan") == "pro"
    ]
    assert [r["$distinct_id"] for r in rows] == expected
    assert len(expected) == 4


def test_bad_where_is_400(fresh_get):
    response = fresh_get(ENGAGE, where='user["plan" ==')
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid expression in 'where': ")


def test_output_properties(fresh_get):
    rows = fresh_get(ENGAGE, output_properties='["$email", "plan", "absent"]').json()["results"]
    assert all(set(r["$properties"]) <= {"$email", "plan"} for r in rows)
    assert any(set(r["$properties"]) == {"$email", "plan"} for r in rows)


def test_distinct_id_and_distinct_ids(fresh_get, small_dataset):
    ids = [p["$distinct_id"] for p in small_dataset.profiles[:3]]
    one = fresh_get(ENGAGE, distinct_id=ids[1]).json()
    several = fresh_get(ENGAGE, distinct_ids=f'["{ids[0]}", "{ids[2]}", "missing"]').json()
    assert [r["$distinct_id"] for r in one["results"]] == [ids[1]]
    assert [r["$distinct_id"] for r in several["results"]] == [ids[0], ids[2]]
    assert several["total"] == 2


def test_filter_by_cohort_with_and_without_profileless_members(fresh_get, small_dataset):
    cohort = small_dataset.cohort(1002)
    with_profile = {p["$distinct_id"] for p in small_dataset.profiles}
    _, all_users = page_all(fresh_get, filter_by_cohort='{"id": 1002}')
    _, profiled = page_all(fresh_get, filter_by_cohort='{"id": 1002}', include_all_users="false")
    assert {r["$distinct_id"] for r in all_users} == set(cohort.members)
    assert {r["$distinct_id"] for r in profiled} == set(cohort.members) & with_profile
    bare = [r for r in all_users if r["$distinct_id"] not in with_profile]
    assert len(bare) == 3
    assert all(r["$properties"] == {} for r in bare)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ('{"id": 4242}', "cohort 4242 does not exist in this project"),
        ("12", "Invalid JSON Format: filter_by_cohort"),
        ("{id: 1}", "Invalid JSON Format: filter_by_cohort"),
    ],
)
def test_bad_cohort_filters(fresh_get, value, error):
    response = fresh_get(ENGAGE, filter_by_cohort=value)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_behaviors_are_refused_with_reason(fresh_get):
    both = fresh_get(ENGAGE, behaviors="1", filter_by_cohort='{"id": 1000}')
    alone = fresh_get(ENGAGE, behaviors="1")
    assert both.json()["error"] == "'behaviors' and 'filter_by_cohort' are mutually exclusive"
    assert "not supported" in alone.json()["error"]


def test_group_profiles_are_not_in_this_project(fresh_get):
    response = fresh_get(ENGAGE, data_group_id="-1405123841946871899")
    assert response.status_code == 400
