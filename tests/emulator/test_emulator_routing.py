"""Routing: both Query prefixes, trailing slashes, methods, form and JSON bodies, 404/405."""

from __future__ import annotations

import httpx
import orjson
import pytest

from mixpanel_data.emulator import DEMO_PROJECT_ID, DEMO_SECRET, DEMO_USERNAME, Emulator

AUTH = (DEMO_USERNAME, DEMO_SECRET)
PID = {"project_id": DEMO_PROJECT_ID}


@pytest.mark.parametrize("prefix", ["/api/query", "/api/2.0"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_both_prefixes_with_or_without_trailing_slash(client, prefix, slash):
    response = client.get(f"{prefix}/funnels/list{slash}", params=PID)
    assert response.status_code == 200
    assert [f["funnel_id"] for f in response.json()] == [7509, 9070, 9071]


def test_export_lives_only_under_the_legacy_prefix(client):
    ok = client.get(
        "/api/2.0/export/",
        params={**PID, "from_date": "2024-03-01", "to_date": "2024-03-01", "limit": 1},
    )
    missing = client.get("/api/query/export", params=PID)
    assert ok.status_code == 200
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/plain")


def test_unknown_query_endpoint_is_404_with_request_and_error(client):
    response = client.get("/api/query/nope", params=PID)
    assert response.status_code == 404
    assert response.json() == {
        "request": f"/api/query/nope?project_id={DEMO_PROJECT_ID}",
        "error": "Unknown API endpoint: /api/query/nope",
    }


def test_post_on_export_is_405_with_allow(client):
    response = client.post("/api/2.0/export", params=PID)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.text == "Method POST is not allowed on /api/2.0/export"


def test_put_on_a_query_endpoint_is_405(client):
    response = client.put("/api/query/engage", params=PID)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("path", ["/api/query/engage", "/api/2.0/engage/"])
def test_engage_post_form_body(client, path):
    response = client.post(
        path, params=PID, data={"distinct_ids": '["u_missing"]', "where": "true"}
    )
    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_engage_post_json_body_with_typed_values(client, shared_emulator: Emulator):
    first = shared_emulator.dataset.profiles[0]["$distinct_id"]
    response = client.post(
        "/api/query/engage",
        params=PID,
        json={"distinct_ids": [first], "output_properties": ["$email"]},
    )
    body = response.json()
    assert body["total"] == 1
    assert list(body["results"][0]["$properties"]) == ["$email"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/api/query/cohorts/list", "/api/2.0/cohorts/list/"])
def test_cohorts_list_by_get_and_post(client, method, path):
    response = client.request(method, path, params=PID)
    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_body_parameters_override_the_query_string(client):
    response = client.post(
        "/api/query/engage",
        params={**PID, "distinct_id": "nobody"},
        data={"distinct_id": "still-nobody", "output_properties": "[]"},
    )
    assert response.json()["total"] == 0


def test_a_malformed_json_body_is_a_400(client):
    response = client.post(
        "/api/query/engage",
        params=PID,
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "the request body is not valid JSON"


def test_any_host_is_answered(shared_emulator: Emulator):
    with httpx.Client(transport=shared_emulator.transport(), auth=AUTH) as c:
        query = c.get("https://mixpanel.com/api/query/funnels/list", params=PID)
        data = c.get(
            "https://data-eu.mixpanel.com/api/2.0/export",
            params={**PID, "from_date": "2024-03-02", "to_date": "2024-03-02", "limit": 2},
        )
    assert query.status_code == 200
    assert len([orjson.loads(line) for line in data.text.splitlines()]) == 2
