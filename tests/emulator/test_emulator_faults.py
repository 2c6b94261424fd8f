"""Fault injection in-process: the spec grammar, schedules, and every fault kind."""

from __future__ import annotations

import gzip

import httpx
import orjson
import pytest

from mixpanel_data.emulator import (
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    Emulator,
    Fault,
    Faults,
    FiredFault,
)
from mixpanel_data.exceptions import ValidationError

AUTH = (DEMO_USERNAME, DEMO_SECRET)
EXPORT = {"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-02"}
PID = {"project_id": DEMO_PROJECT_ID}
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture
def faulty(small_dataset, client_factory):
    """Build (emulator, client) with a fault spec; sleeps are recorded, not slept."""
    made = []

    def build(spec: str | Faults, **kwargs):
        slept: list[float] = []
        emulator = Emulator(small_dataset, faults=spec, sleep=slept.append, **kwargs)
        client = client_factory(emulator, auth=AUTH)
        made.append(client)
        return emulator, client, slept

    yield build
    for client in made:
        client.close()


# -- the spec grammar ------------------------------------------------------------------------


def test_parse_full_grammar():
    faults = Faults.parse(
        "export:429@1, export:reset_mid_body(after=5000)@3,*:503@p=0.25,"
        "engage:slow(2.5)@2-4,query:429_no_retry_after@5+,terminated_early,"
        "funnels/list:malformed_line(line=3)",
        seed=9,
    )
    assert faults.seed == 9
    assert list(faults.rules) == [
        Fault(kind="429", endpoint="export", requests=frozenset({1})),
        Fault(kind="reset_mid_body", endpoint="export", requests=frozenset({3}), after=5000),
        Fault(kind="503", endpoint="*", probability=0.25),
        Fault(kind="slow", endpoint="engage", requests=frozenset({2, 3, 4}), delay=2.5),
        Fault(kind="429", endpoint="query", from_request=5, retry_after=None),
        Fault(kind="terminated_early"),
        Fault(kind="malformed_line", endpoint="funnels/list", line=3),
    ]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("export:418@1", "unknown kind '418'"),
        ("export:429@x", "bad @WHEN 'x'"),
        ("export:429@3-1", "bad @WHEN '3-1'"),
        ("export:500(after=1)", "500 takes no arguments"),
        ("export:slow(speed=2)", "slow has no argument 'speed'"),
        ("export:slow(fast)", "delay must be a number"),
        ("", "not of the form"),
    ],
)
def test_parse_errors_name_the_rule(spec, fragment):
    with pytest.raises(ValidationError) as caught:
        Faults.parse(spec)
    assert fragment in caught.value.message
    assert caught.value.hint is not None


def test_bad_fault_values():
    with pytest.raises(ValidationError):
        Fault(kind="503", probability=1.5)
    with pytest.raises(ValidationError):
        Fault(kind="teapot")  # type: ignore[arg-type]


# -- schedules ------------------------------------------------------------------------------


def test_nth_request_per_endpoint(faulty):
    emulator, client, _ = faulty("funnels/list:503@2")
    statuses = []
    for _ in range(3):
        statuses.append(client.get("/api/query/funnels/list", params=PID).status_code)
        client.get("/api/query/cohorts/list", params=PID)  # other endpoints do not count
    assert statuses == [200, 503, 200]
    assert emulator.faults.fired == [FiredFault(endpoint="funnels/list", request=2, kind="503")]


def test_ranges_and_from_n(faulty):
    _, client, _ = faulty("query:500@2-3,query:502@5+")
    statuses = [client.get("/api/query/funnels/list", params=PID).status_code for _ in range(6)]
    assert statuses == [200, 500, 500, 200, 502, 502]


def test_first_listed_rule_wins(faulty):
    emulator, client, _ = faulty("*:503@1,*:500@1")
    assert client.get("/api/query/funnels/list", params=PID).status_code == 503
    assert [f.kind for f in emulator.faults.fired] == ["503"]


def test_probability_is_seeded(faulty):
    runs = []
    for seed in (1, 1, 2):
        _, client, _ = faulty(Faults.parse("*:503@p=0.5", seed=seed))
        runs.append(
            [client.get("/api/query/funnels/list", params=PID).status_code for _ in range(30)]
        )
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert set(runs[0]) == {200, 503}


def test_reset_starts_over(faulty):
    emulator, client, _ = faulty("*:503@1")
    assert client.get("/api/query/funnels/list", params=PID).status_code == 503
    assert client.get("/api/query/funnels/list", params=PID).status_code == 200
    emulator.faults.reset()
    assert emulator.faults.fired == []
    assert client.get("/api/query/funnels/list", params=PID).status_code == 503


def test_fault_objects_work_like_specs(faulty):
    _, client, _ = faulty(Faults([Fault(kind="504", endpoint="engage", requests=frozenset({1}))]))
    assert client.get("/api/query/engage", params=PID).status_code == 504
    assert client.get("/api/query/engage", params=PID).status_code == 200


# -- status faults --------------------------------------------------------------------------


def test_429_with_retry_after(faulty):
    _, client, _ = faulty("*:429(retry_after=7)@1-2")
    query = client.get("/api/query/funnels/list", params=PID)
    export = client.get("/api/2.0/export", params=EXPORT)
    assert (query.status_code, query.headers["retry-after"]) == (429, "7")
    assert query.json()["error"].startswith(
        f"Query rate limit exceeded for project_id: {DEMO_PROJECT_ID}. 1/5 queries running concurrently"
    )
    assert (export.status_code, export.headers["retry-after"]) == (429, "7")
    assert export.text == "too many export requests in progress for this project"


def test_429_without_retry_after(faulty):
    _, client, _ = faulty("export:429(retry_after=none)@1,export:429_no_retry_after@2")
    for _ in range(2):
        response = client.get("/api/2.0/export", params=EXPORT)
        assert response.status_code == 429
        assert "retry-after" not in response.headers


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx(faulty, status):
    _, client, _ = faulty(f"*:{status}@1")
    response = client.get("/api/2.0/export", params=EXPORT)
    assert response.status_code == status
    if status == 500:
        assert response.text == "Internal server error"
    else:
        assert response.headers["content-type"] == "text/html"
        assert f"<title>{status} " in response.text


def test_status_faults_skip_auth(faulty, small_dataset, client_factory):
    emulator = Emulator(small_dataset, faults="*:503@1")
    with client_factory(emulator) as anonymous:
        assert anonymous.get("/api/query/funnels/list").status_code == 503
        assert anonymous.get("/api/query/funnels/list").status_code == 401


# -- connection faults ----------------------------------------------------------------------


def test_reset_before_headers(faulty):
    _, client, _ = faulty("export:reset_before_headers@1")
    with pytest.raises(httpx.ReadError, match="Connection reset by peer"):
        client.get("/api/2.0/export", params=EXPORT)
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200


def test_disconnect_before_headers(faulty):
    _, client, _ = faulty("engage:disconnect_before_headers@1")
    with pytest.raises(
        httpx.RemoteProtocolError, match="Server disconnected without sending a response"
    ):
        client.get("/api/query/engage", params=PID)


def test_reset_mid_body_after_k_bytes(faulty):
    _, client, _ = faulty("export:reset_mid_body(after=100)@1")
    chunks: list[bytes] = []
    with client.stream("GET", "/api/2.0/export", params=EXPORT, headers=PLAIN) as r:
        assert r.status_code == 200
        with pytest.raises(httpx.ReadError):
            chunks.extend(r.iter_bytes())
    received = b"".join(chunks)
    assert len(received) == 100


def test_disconnect_mid_body_chunked_and_sized(faulty):
    _, client, _ = faulty(
        "export:disconnect_mid_body(after=10)@1,funnels/list:disconnect_mid_body(after=10)@1"
    )
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        client.get("/api/2.0/export", params=EXPORT, headers=PLAIN)
    with pytest.raises(httpx.RemoteProtocolError, match=r"received 10 bytes, expected \d+"):
        client.get("/api/query/funnels/list", params=PID)


def test_mid_body_drop_never_past_the_end(faulty):
    _, client, _ = faulty("funnels/list:reset_mid_body(after=999999)@1")
    with pytest.raises(httpx.ReadError):
        client.get("/api/query/funnels/list", params=PID)


def test_terminated_early(faulty, small_dataset):
    _, client, _ = faulty("export:terminated_early(after=500)@1")
    response = client.get("/api/2.0/export", params=EXPORT)
    full = client.get("/api/2.0/export", params=EXPORT).content
    assert response.status_code == 200
    assert response.content == full[:500] + b"\nterminated early\n"
    last = response.content.splitlines()[-1]
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(last)


def test_terminated_early_at_a_line_end(faulty):
    _, client, _ = faulty("export:terminated_early(after=1)@2")
    full = client.get("/api/2.0/export", params=EXPORT).content
    first_line = full.split(b"\n", 1)[0] + b"\n"
    _, client, _ = faulty(f"export:terminated_early(after={len(first_line)})@1")
    assert (
        client.get("/api/2.0/export", params=EXPORT).content == first_line + b"terminated early\n"
    )


def test_malformed_line(faulty):
    _, client, _ = faulty("export:malformed_line(line=3)@1")
    broken = client.get("/api/2.0/export", params=EXPORT).content.split(b"\n")
    full = client.get("/api/2.0/export", params=EXPORT).content.split(b"\n")
    assert len(broken) == len(full)
    assert broken[2] == full[2][: len(full[2]) // 2]
    assert broken[:2] == full[:2]
    assert broken[3:] == full[3:]


def test_malformed_json_body(faulty):
    _, client, _ = faulty("funnels/list:malformed_line(line=1)@1")
    response = client.get("/api/query/funnels/list", params=PID)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_slow_first_byte_uses_the_injected_sleep(faulty):
    _, client, slept = faulty("export:slow(2.5)@1")
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200
    assert slept == [2.5]


def test_gzip_header_on_a_plain_body(faulty):
    _, client, _ = faulty("export:bad_gzip@1")
    with pytest.raises(httpx.DecodingError):
        client.get("/api/2.0/export", params=EXPORT)


def test_bad_gzip_body_is_not_gzip(faulty):
    _, client, _ = faulty("export:bad_gzip@1")
    with client.stream("GET", "/api/2.0/export", params=EXPORT) as first:
        raw = b"".join(first.iter_raw())
    assert first.headers["content-encoding"] == "gzip"
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(raw)
    assert client.get("/api/2.0/export", params=EXPORT).status_code == 200
