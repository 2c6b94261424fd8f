"""The emulator over real loopback sockets: framing, gzip, concurrency and real faults."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mixpanel_data.emulator import (
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    Emulator,
    EmulatorServer,
    serve,
)
from mixpanel_data.exceptions import ValidationError

pytestmark = pytest.mark.network

AUTH = (DEMO_USERNAME, DEMO_SECRET)
PID = {"project_id": DEMO_PROJECT_ID}
EXPORT = {"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-03"}
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def server(shared_emulator):
    with serve(shared_emulator) as running:
        yield running


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, auth=AUTH) as client:
        yield client


@pytest.fixture
def faulty_server(small_dataset):
    servers = []

    def build(spec: str) -> tuple[EmulatorServer, httpx.Client]:
        running = serve(Emulator(small_dataset, faults=spec))
        client = httpx.Client(base_url=running.url, auth=AUTH)
        servers.append((running, client))
        return running, client

    yield build
    for running, client in servers:
        client.close()
        running.close()


def test_url_and_repr(server):
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0
    assert repr(server) == f"EmulatorServer({server.url!r}, serving)"


def test_export_gzip_and_chunked_like_in_process(http, client):
    with http.stream("GET", "/api/2.0/export", params=EXPORT) as response:
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        raw = list(response.iter_raw())
    assert len(raw) >= 3
    decoded = http.get("/api/2.0/export", params=EXPORT).content
    assert decoded == client.get("/api/2.0/export", params=EXPORT).content


def test_export_plain_when_gzip_not_asked(http):
    response = http.get("/api/2.0/export", params=EXPORT, headers=PLAIN)
    assert "content-encoding" not in response.headers
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.content.count(b"\n") > 100


def test_small_bodies_have_a_content_length(http):
    response = http.get("/api/2.0/export", params={**EXPORT, "limit": 1})
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(response.content))
    empty = http.get(
        "/api/2.0/export", params={**EXPORT, "from_date": "2024-02-01", "to_date": "2024-02-01"}
    )
    assert (empty.status_code, empty.content, empty.headers["content-length"]) == (200, b"", "0")


def test_engage_paging_over_post(http, small_dataset):
    ids = []
    page = http.post("/api/query/engage", params=PID, data={"where": "true"}).json()
    ids += [r["$distinct_id"] for r in page["results"]]
    assert page["page_size"] == 1000
    assert page["total"] == len(small_dataset.profiles) == len(ids)
    empty = http.post(
        "/api/query/engage", params=PID, data={"session_id": page["session_id"], "page": "1"}
    ).json()
    assert empty["results"] == []


def test_a_report_over_the_socket_matches_in_process(http, client):
    params = {
        **PID,
        "event": "Page View",
        "from_date": "2024-03-01",
        "to_date": "2024-03-04",
        "on": 'properties["$os"]',
    }
    over_socket = http.get("/api/query/segmentation", params=params)
    assert over_socket.status_code == 200
    assert over_socket.content == client.get("/api/query/segmentation", params=params).content


def test_errors_over_the_socket(http):
    response = http.get("/api/query/segmentation", params=PID)
    assert response.status_code == 400
    assert response.json()["error"] == "'event' is a required parameter"
    with httpx.Client(base_url=http.base_url) as anonymous:
        assert anonymous.get("/api/2.0/export", params=EXPORT).status_code == 401


def test_concurrent_clients(server, client):
    expected = client.get("/api/2.0/export", params=EXPORT).content

    def fetch(_: int) -> bytes:
        with httpx.Client(base_url=server.url, auth=AUTH) as c:
            return c.get("/api/2.0/export", params=EXPORT).content

    with ThreadPoolExecutor(max_workers=6) as pool:
        bodies = list(pool.map(fetch, range(6)))
    assert bodies == [expected] * 6


def test_keep_alive_reuses_the_connection(http):
    for _ in range(3):
        assert http.get("/api/query/funnels/list", params=PID).status_code == 200


def test_reset_mid_body_is_a_read_error(faulty_server):
    _, client = faulty_server("export:reset_mid_body(after=20000)@1")
    chunks: list[bytes] = []
    with client.stream("GET", "/api/2.0/export", params=EXPORT, headers=PLAIN) as r:
        assert r.status_code == 200
        with pytest.raises(httpx.ReadError):
            chunks.extend(r.iter_bytes())
    received = sum(len(c) for c in chunks)
    assert received <= 20000
    # The server keeps serving on a new connection.
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200


def test_disconnect_mid_body_is_an_incomplete_chunked_read(faulty_server):
    _, client = faulty_server("export:disconnect_mid_body(after=5000)@1")
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        client.get("/api/2.0/export", params=EXPORT, headers=PLAIN)


def test_disconnect_mid_gzip_body(faulty_server):
    _, client = faulty_server("export:disconnect_mid_body(after=3000)@1")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/2.0/export", params=EXPORT)


def test_reset_and_disconnect_before_headers(faulty_server):
    _, client = faulty_server("export:reset_before_headers@1,export:disconnect_before_headers@2")
    with pytest.raises(httpx.ReadError):
        client.get("/api/2.0/export", params=EXPORT)
    with pytest.raises(
        httpx.RemoteProtocolError, match="Server disconnected without sending a response"
    ):
        client.get("/api/2.0/export", params=EXPORT)
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200


def test_terminated_early_over_the_socket(faulty_server):
    _, client = faulty_server("export:terminated_early(after=2000)@1")
    response = client.get("/api/2.0/export", params=EXPORT)
    assert response.status_code == 200
    assert response.content.endswith(b"\nterminated early\n")
    assert len(response.content) == 2000 + len(b"\nterminated early\n")


def test_bad_gzip_over_the_socket(faulty_server):
    _, client = faulty_server("export:bad_gzip@1")
    with pytest.raises(httpx.DecodingError):
        client.get("/api/2.0/export", params=EXPORT)


def test_slow_start_and_429_over_the_socket(faulty_server):
    _, client = faulty_server("export:slow(delay=0.05)@1,export:429(retry_after=3)@2,export:503@3")
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200
    limited = client.get("/api/2.0/export", params=EXPORT)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert limited.text == "too many export requests in progress for this project"
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 503


def test_close_frees_the_port(small_dataset):
    running = serve(Emulator(small_dataset))
    port = running.port
    with httpx.Client(base_url=running.url, auth=AUTH) as c:
        assert c.get("/api/query/funnels/list", params=PID).status_code == 200
        running.close()
        running.close()  # idempotent
        assert running.wait(0)
        with pytest.raises(httpx.ConnectError):
            c.get("/api/query/funnels/list", params=PID)
    with socket.socket() as probe:
        # Nothing listens any more (closed connections may linger in TIME_WAIT).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()


def test_a_taken_port_is_a_clear_error(server, small_dataset):
    with pytest.raises(ValidationError, match=f"cannot listen on 127.0.0.1:{server.port}"):
        serve(Emulator(small_dataset), port=server.port)
