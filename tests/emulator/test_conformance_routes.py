"""Conformance checklist: every documented endpoint on both prefixes, every way of sending
engage parameters, and the export's edges (limit, combined filters, the 1400-byte gzip rule)
in-process and over a real loopback server.

Mixpanel's Query API lives under ``/api/query/<endpoint>`` and, in Mixpanel's own material
(mixpanel-utils, rate-limit bodies), under the legacy ``/api/2.0/<endpoint>``; a trailing slash
is tolerated. The Raw Export API is ``/api/2.0/export`` only.
"""

from __future__ import annotations

import base64
import datetime as dt
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from mixpanel_data.emulator import (
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    Dataset,
    Emulator,
    serve,
)

AUTH = (DEMO_USERNAME, DEMO_SECRET)
PID = {"project_id": DEMO_PROJECT_ID}
DAYS = {"from_date": "2024-03-01", "to_date": "2024-03-04"}
PREFIXES = ("/api/query", "/api/2.0")
JQL = "function main() { return Events(params).reduce(mixpanel.reducer.count()); }"

# The Query API endpoint table of Mixpanel's reference, with a minimal valid request each.
DOCUMENTED: dict[str, tuple[str, dict[str, Any]]] = {
    "segmentation": ("GET", {"event": "Page View", **DAYS}),
    "segmentation/numeric": (
        "GET",
        {"event": "Page View", "on": 'properties["$screen_width"]', **DAYS},
    ),
    "segmentation/sum": (
        "GET",
        {"event": "Page View", "on": 'properties["$screen_width"]', **DAYS},
    ),
    "segmentation/average": (
        "GET",
        {"event": "Page View", "on": 'properties["$screen_width"]', **DAYS},
    ),
    "funnels": ("GET", {"funnel_id": 9070, **DAYS}),
    "funnels/list": ("GET", {}),
    "retention": ("GET", {"born_event": "Sign Up", **DAYS}),
    "retention/addiction": ("GET", {"unit": "day", "addiction_unit": "hour", **DAYS}),
    "insights": ("GET", {"bookmark_id": 41001}),
    "events": ("GET", {"event": '["Login", "Search"]', "type": "general", "unit": "day", **DAYS}),
    "events/top": ("GET", {"type": "general"}),
    "events/names": ("GET", {"type": "general"}),
    "events/properties": (
        "GET",
        {"event": "Page View", "name": "$browser", "type": "unique", "unit": "day", **DAYS},
    ),
    "events/properties/top": ("GET", {"event": "Page View"}),
    "events/properties/values": ("GET", {"event": "Page View", "name": "$os"}),
    "stream/query": ("GET", {"distinct_ids": "USER", **DAYS}),  # USER: a real user, as JSON
    "cohorts/list": ("POST", {}),
    "engage": ("POST", {"where": 'defined(properties["$email"])'}),
    "jql": (
        "POST",
        {"script": JQL, "params": '{"from_date": "2024-03-02", "to_date": "2024-03-02"}'},
    ),
}


def send(client: httpx.Client, method: str, path: str, params: dict[str, Any]) -> httpx.Response:
    """GET with every parameter in the query string; POST with a form body (project_id in the
    query string, where Mixpanel wants it even on POST)."""
    if method == "GET":
        return client.get(path, params={**PID, **params})
    return client.post(path, params=PID, data=params)


def comparable(response: httpx.Response) -> Any:
    """The JSON body, without the per-request engage session id."""
    body = response.json()
    if isinstance(body, dict) and "session_id" in body:
        body = {k: v for k, v in body.items() if k != "session_id"}
    return body


@pytest.mark.parametrize("endpoint", sorted(DOCUMENTED))
def test_every_documented_endpoint_on_both_prefixes(
    client: httpx.Client, small_dataset: Dataset, endpoint: str
) -> None:
    method, params = DOCUMENTED[endpoint]
    if params.get("distinct_ids") == "USER":
        user = str(small_dataset.profiles[0]["$distinct_id"])
        params = {**params, "distinct_ids": orjson.dumps([user]).decode()}
    answers = {}
    for prefix in PREFIXES:
        for slash in ("", "/"):
            response = send(client, method, f"{prefix}/{endpoint}{slash}", params)
            assert response.status_code == 200, (prefix, slash, response.text)
            assert response.headers["content-type"] == "application/json"
            answers[prefix + slash] = comparable(response)
    first = answers["/api/query"]
    assert first
    if endpoint == "stream/query":
        assert first["results"]["events"]
    assert all(answer == first for answer in answers.values()), endpoint


@pytest.mark.parametrize("endpoint", ["engage", "cohorts/list", "jql"])
def test_post_endpoints_also_answer_get(client: httpx.Client, endpoint: str) -> None:
    # Mixpanel documents POST; mixpanel-utils and third-party taps send GET with everything
    # in the query string.
    _, params = DOCUMENTED[endpoint]
    by_get = send(client, "GET", f"/api/2.0/{endpoint}", params)
    by_post = send(client, "POST", f"/api/query/{endpoint}", params)
    assert by_get.status_code == by_post.status_code == 200
    assert comparable(by_get) == comparable(by_post)


@pytest.mark.parametrize("path", ["/api/query/segmentation/median", "/api/query/export"])
def test_nothing_else_is_served(client: httpx.Client, path: str) -> None:
    # The export is only /api/2.0/export (Mixpanel's data host); unknown names are 404.
    assert client.get(path, params={**PID, **DAYS}).status_code == 404


# -- engage: GET or POST, form or JSON, either prefix, with or without a slash ----------------


@pytest.fixture(scope="module")
def engage_query(small_dataset: Dataset) -> dict[str, Any]:
    ids = [str(p["$distinct_id"]) for p in small_dataset.profiles[::2]]
    return {
        "where": 'user["plan"] != "free" or not defined(properties["plan"])',
        "distinct_ids": [*ids, "not-a-user"],
        "output_properties": ["$email", "plan", "ltv"],
    }


def _as_text(query: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in query.items()}


WAYS = [
    ("GET", "/api/query/engage", "query"),
    ("GET", "/api/2.0/engage/", "query"),
    ("POST", "/api/query/engage", "form"),
    ("POST", "/api/2.0/engage/", "form"),
    ("POST", "/api/query/engage/", "json-text"),
    ("POST", "/api/2.0/engage", "json-typed"),
]


@pytest.mark.parametrize(("method", "path", "carrier"), WAYS)
def test_engage_every_way_of_sending_parameters(
    client: httpx.Client,
    small_dataset: Dataset,
    engage_query: dict[str, Any],
    method: str,
    path: str,
    carrier: str,
) -> None:
    text = _as_text(engage_query)
    if carrier == "query":
        response = client.request(method, path, params={**PID, **text})
    elif carrier == "form":
        response = client.request(method, path, params=PID, data=text)
    elif carrier == "json-text":
        response = client.request(method, path, params=PID, json=text)
    else:  # JSON with real arrays instead of JSON text
        response = client.request(method, path, params=PID, json=engage_query)
    assert response.status_code == 200, response.text
    body = response.json()
    wanted = set(engage_query["distinct_ids"])
    expected = []
    for profile in small_dataset.profiles:
        distinct_id = str(profile["$distinct_id"])
        props = profile["$properties"]
        if distinct_id in wanted and (props.get("plan") != "free" or "plan" not in props):
            shown = {k: props[k] for k in engage_query["output_properties"] if k in props}
            expected.append({"$distinct_id": distinct_id, "$properties": shown})
    assert expected
    assert body["results"] == expected
    assert body["total"] == len(expected)
    assert (body["page"], body["status"]) == (0, "ok")


def test_engage_paging_keeps_filters_and_total_on_every_page(emulator: Emulator) -> None:
    # page_size 7 (the fixture's emulator): a cohort filter spans several pages.
    cohort = next(c for c in emulator.dataset.saved_cohorts if c.count > 7)
    query = {"filter_by_cohort": {"id": cohort.id}, "output_properties": ["$email"]}
    pages = []
    with httpx.Client(transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH) as c:
        page = c.post("/api/2.0/engage/", params=PID, json=query).json()
        pages.append(page)
        while len(page["results"]) >= page["page_size"]:
            page = c.post(
                "/api/query/engage",
                params=PID,
                json={**query, "session_id": page["session_id"], "page": page["page"] + 1},
            ).json()
            pages.append(page)
    rows = [row for p in pages for row in p["results"]]
    assert len(pages) >= 2
    assert [p["page"] for p in pages] == list(range(len(pages)))
    assert {p["total"] for p in pages} == {cohort.count}
    assert {p["session_id"] for p in pages} == {pages[0]["session_id"]}
    assert sorted(r["$distinct_id"] for r in rows) == sorted(cohort.members)
    assert all(set(r["$properties"]) <= {"$email"} for r in rows)


# -- export edges ------------------------------------------------------------------------------


def export(client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get("/api/2.0/export", params={**PID, **DAYS, **params})


def records(response: httpx.Response) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in response.content.splitlines()]


@pytest.mark.parametrize(("limit", "status"), [(100_000, 200), (100_001, 400), (-1, 400)])
def test_export_limit_is_at_most_100000(client: httpx.Client, limit: int, status: int) -> None:
    response = export(client, limit=limit, from_date="2024-03-02", to_date="2024-03-02")
    assert response.status_code == status
    if status == 400:
        assert response.headers["content-type"].startswith("text/plain")
        assert "limit" in response.text
    else:
        assert records(response) == records(
            export(client, from_date="2024-03-02", to_date="2024-03-02")
        )


def test_export_event_where_and_limit_combine(client: httpx.Client) -> None:
    everything = records(export(client))
    names = ["Search", "View Item"]

    def kept(record: dict[str, Any]) -> bool:
        props = record["properties"]
        return record["event"] in names and props.get("$os") == "iOS"

    matching = [r for r in everything if kept(r)]
    assert len(matching) > 5
    response = export(
        client, event=orjson.dumps(names).decode(), where='properties["$os"] == "iOS"', limit=5
    )
    assert response.status_code == 200
    # The limit counts the events that pass the filters, in export order.
    assert records(response) == matching[:5]
    unlimited = export(
        client, event=orjson.dumps(names).decode(), where='properties["$os"] == "iOS"'
    )
    assert records(unlimited) == matching


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``sized(n)``: an emulator whose whole export body is exactly ``n`` bytes."""
    folder = tmp_path_factory.mktemp("sized")
    made: list[Emulator] = []

    def build(n: int) -> Emulator:
        def emulator_with(pad: str) -> Emulator:
            line = {
                "event": "Padded",
                "properties": {
                    "time": 1709294400,
                    "distinct_id": "u1",
                    "$insert_id": "a1",
                    "mp_processing_time_ms": 1709294400123,
                    "pad": pad,
                },
            }
            path = folder / f"events-{n}-{len(pad)}.ndjson"
            path.write_bytes(orjson.dumps(line) + b"\n")
            emulator = Emulator(Dataset.from_files(path, time_unit="s"))
            made.append(emulator)
            return emulator

        probe = emulator_with("")
        with httpx.Client(transport=probe.transport(), base_url=probe.base_url, auth=AUTH) as c:
            base = len(export(c, from_date="2024-03-01", to_date="2024-03-01").content)
        return emulator_with("x" * (n - base))

    yield build
    for emulator in made:
        emulator.close()


@pytest.mark.parametrize(("size", "gzipped"), [(1400, False), (1401, True)])
def test_gzip_only_above_1400_bytes_in_process(sized: Any, size: int, gzipped: bool) -> None:
    emulator = sized(size)
    with httpx.Client(transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH) as c:
        asked = export(c, from_date="2024-03-01", to_date="2024-03-01")
        del c.headers["Accept-Encoding"]
        not_asked = export(c, from_date="2024-03-01", to_date="2024-03-01")
    assert len(asked.content) == size
    assert ("content-encoding" in asked.headers) is gzipped
    assert "content-encoding" not in not_asked.headers
    assert not_asked.content == asked.content


@pytest.mark.network
@pytest.mark.parametrize(("size", "gzipped"), [(1400, False), (1401, True)])
def test_gzip_only_above_1400_bytes_over_a_socket(sized: Any, size: int, gzipped: bool) -> None:
    emulator = sized(size)
    with serve(emulator) as server, httpx.Client(base_url=server.url, auth=AUTH) as c:
        with c.stream(
            "GET",
            "/api/2.0/export",
            params={**PID, "from_date": "2024-03-01", "to_date": "2024-03-01"},
            headers={"Accept-Encoding": "gzip"},
        ) as response:
            wire = b"".join(response.iter_raw())
            headers = response.headers
        plain = c.get(
            "/api/2.0/export",
            params={**PID, "from_date": "2024-03-01", "to_date": "2024-03-01"},
            headers={"Accept-Encoding": "identity"},
        )
    assert (headers.get("content-encoding") == "gzip") is gzipped
    assert (len(wire) < size) is gzipped
    assert len(plain.content) == size
    assert "content-encoding" not in plain.headers


@pytest.mark.network
def test_engage_get_and_report_over_a_socket(shared_emulator: Emulator) -> None:
    """GET engage with a trailing slash and a legacy-prefix report, over real sockets."""
    with serve(shared_emulator) as server, httpx.Client(base_url=server.url, auth=AUTH) as c:
        engage = c.get(
            "/api/2.0/engage/",
            params={**PID, "output_properties": '["$email"]', "where": 'defined(user["$email"])'},
        )
        report = c.get(
            "/api/2.0/retention/", params={**PID, "born_event": "Sign Up", "unit": "day", **DAYS}
        )
    with httpx.Client(transport=shared_emulator.transport(), auth=AUTH) as local:
        same_report = local.get(
            "http://x/api/query/retention",
            params={**PID, "born_event": "Sign Up", "unit": "day", **DAYS},
        )
    assert engage.status_code == 200
    assert engage.json()["total"] == len(engage.json()["results"]) > 0
    assert report.status_code == 200
    assert report.content == same_report.content


def test_reading_only_the_first_day_of_a_dated_export(client: httpx.Client) -> None:
    """Inclusive UTC days: one day asked, only that UTC day's events come back."""
    body = records(export(client, from_date="2024-03-03", to_date="2024-03-03"))
    start = dt.datetime(2024, 3, 3, tzinfo=dt.UTC).timestamp()
    assert body
    assert all(start <= r["properties"]["time"] < start + 86_400 for r in body)


@pytest.mark.network
def test_a_client_resetting_an_idle_connection_prints_nothing(
    shared_emulator: Emulator, capfd: pytest.CaptureFixture[str]
) -> None:
    """The library never prints: a reset keep-alive connection is only logged (debug)."""
    token = base64.b64encode(f"{DEMO_USERNAME}:{DEMO_SECRET}".encode()).decode()
    with serve(shared_emulator) as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(
            b"GET /api/query/funnels/list?project_id=%d HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Basic %s\r\n\r\n" % (DEMO_PROJECT_ID, token.encode())
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        # Let the server block on reading the next request, then reset the connection.
        time.sleep(0.2)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        time.sleep(0.2)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
