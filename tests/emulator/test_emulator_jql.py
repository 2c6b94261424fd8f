"""JQL: the canned scripts, and a 400 naming the problem for anything else."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import orjson
import pytest

from mixpanel_data.emulator import DEMO_PROJECT_ID

PID = {"project_id": DEMO_PROJECT_ID}
COUNT_BY_NAME = """
function main() {
  // count every event by name
  return Events({
    from_date: '2024-03-02',
    to_date: "2024-03-03"
  })
  .groupBy(["name"], mixpanel.reducer.count());
}
"""


def deduplicated(dataset, first: dt.date, last: dt.date) -> list[dict]:
    latest: dict = {}
    for day in dataset.days:
        if first <= day <= last:
            for event in dataset.events_for_day(day):
                p = event["properties"]
                key = (event["event"], p.get("distinct_id"), p["time"], p.get("$insert_id"))
                if (
                    key not in latest
                    or p["mp_processing_time_ms"]
                    > latest[key]["properties"]["mp_processing_time_ms"]
                ):
                    latest[key] = event
    return list(latest.values())


def test_count_by_name(client, small_dataset):
    response = client.post("/api/query/jql", params=PID, data={"script": COUNT_BY_NAME})
    assert response.status_code == 200
    body = response.json()
    expected = Counter(
        e["event"] for e in deduplicated(small_dataset, dt.date(2024, 3, 2), dt.date(2024, 3, 3))
    )
    assert body == [{"key": [name], "value": expected[name]} for name in sorted(expected)]


def test_params_object_and_event_selectors(client):
    script = "function main(){ return Events(params).reduce(mixpanel.reducer.count()) }"
    params = {
        "from_date": "2024-03-01",
        "to_date": "2024-03-04",
        "event_selectors": [{"event": "Login"}],
    }
    body = client.post(
        "/api/query/jql",
        params=PID,
        data={"script": script, "params": orjson.dumps(params).decode()},
    ).json()
    assert len(body) == 1
    assert isinstance(body[0], int)
    assert body[0] > 0


def test_param_references_and_group_by_user(client):
    script = """function main() {
      return Events({from_date: params.start, to_date: params.end})
        .groupByUser(mixpanel.reducer.count());
    }"""
    body = client.post(
        "/api/query/jql",
        params=PID,
        data={"script": script, "params": '{"start": "2024-03-01", "end": "2024-03-01"}'},
    ).json()
    assert body
    assert all(len(row["key"]) == 1 and row["value"] >= 1 for row in body)


def test_group_by_property(client):
    script = 'function main(){return Events({from_date:"2024-03-01",to_date:"2024-03-04"}).groupBy(["name","properties.$browser"],mixpanel.reducer.count());}'
    body = client.post("/api/query/jql", params=PID, data={"script": script}).json()
    keys = [tuple("" if k is None else k for k in row["key"]) for row in body]
    assert all(len(k) == 2 for k in keys)
    assert [row["key"][0] for row in body] == sorted(row["key"][0] for row in body)


@pytest.mark.parametrize(
    ("script", "fragment"),
    [
        (
            "function main() { return People().reduce(mixpanel.reducer.count()); }",
            "only Events(...)",
        ),
        (
            "function main(){return Events({from_date:'2024-03-01',to_date:'2024-03-01'}).groupBy(['name'], mixpanel.reducer.sum('properties.amount'));}",
            "the reducer",
        ),
        ("var x = 1;", "the script must be"),
        (
            "function main(){return Events({from_date:'2024-03-01',to_date:'2024-03-01'}).filter(function(e){return true}).reduce(mixpanel.reducer.count());}",
            "is not supported",
        ),
    ],
)
def test_unsupported_scripts_are_400(client, script, fragment):
    response = client.post("/api/query/jql", params=PID, data={"script": script})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["request", "error"]
    assert body["error"].startswith("Unsupported JQL script: ")
    assert fragment in body["error"]


def test_bad_params_json(client):
    response = client.post(
        "/api/query/jql", params=PID, data={"script": COUNT_BY_NAME, "params": "{x"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid JSON Format: params"
