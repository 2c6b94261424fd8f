"""Retries: 429 with and without Retry-After, 5xx, connection faults; streams and bodies."""

from __future__ import annotations

import email.utils
import gzip
import random
from collections.abc import Iterator

import httpx
import pytest

from mixpanel_data.api import RateBudget, RateLimits, iter_body
from mixpanel_data.exceptions import (
    APIConnectionError,
    BadRequestError,
    ExportTruncatedError,
    RateLimitError,
    ServerError,
)

OK = httpx.Response(200, json={"ok": True})


def rate_limited(retry_after: str | None = None) -> httpx.Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return httpx.Response(429, json={"error": "Query rate limit exceeded"}, headers=headers)


def test_429_with_retry_after_seconds_waits_that_long(make_client, scripted, clock):
    script = scripted(rate_limited("7"), rate_limited("2.5"), OK)
    assert make_client(script).get_json("query", "/api/query/events") == {"ok": True}
    assert script.count == 3
    assert clock.sleeps == [7.0, 2.5]


def test_429_with_retry_after_http_date(make_client, scripted, clock, wall_now):
    when = email.utils.formatdate(wall_now + 42, usegmt=True)
    script = scripted(rate_limited(when), OK)
    make_client(script).get_json("query", "/api/query/events")
    assert clock.sleeps == [42.0]


def test_429_with_retry_after_date_in_the_past_retries_at_once(
    make_client, scripted, clock, wall_now
):
    when = email.utils.formatdate(wall_now - 3600, usegmt=True)
    script = scripted(rate_limited(when), OK)
    make_client(script).get_json("query", "/api/query/events")
    assert clock.sleeps == [0.0]


@pytest.mark.parametrize(
    "value", ["1000000000", "1e9", "Fri, 01 Jan 2100 00:00:00 GMT", "Fri, 01 Jan 2100 00:00:00"]
)
def test_absurd_retry_after_is_capped(make_client, scripted, clock, value):
    script = scripted(rate_limited(value), OK)
    make_client(script, max_retry_after=300.0).get_json("query", "/api/query/events")
    assert clock.sleeps == [300.0]


@pytest.mark.parametrize("value", ["soon", "", "-", "inf", "nan"])
def test_unusable_retry_after_falls_back_to_backoff(make_client, scripted, clock, value):
    script = scripted(rate_limited(value), OK)
    make_client(script).get_json("query", "/api/query/events")
    assert len(clock.sleeps) == 1
    assert 0.5 <= clock.sleeps[0] <= 1.0


def test_negative_retry_after_means_now(make_client, scripted, clock):
    script = scripted(rate_limited("-30"), OK)
    make_client(script).get_json("query", "/api/query/events")
    assert clock.sleeps == [0.0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 99])
def test_429_without_retry_after_backs_off_exponentially_with_jitter(
    make_client, scripted, clock, seed
):
    script = scripted(rate_limited())
    client = make_client(script, max_retries=8, rng=random.Random(seed))
    with pytest.raises(RateLimitError) as info:
        client.get_json("query", "/api/query/events")
    assert script.count == 9
    assert info.value.retry_after is None
    bases = [1, 2, 4, 8, 16, 32, 60, 60]
    assert len(clock.sleeps) == len(bases)
    for slept, base in zip(clock.sleeps, bases, strict=True):
        assert base * 0.5 <= slept <= base


def test_backoff_is_capped_by_max_retry_after(make_client, scripted, clock):
    script = scripted(rate_limited())
    with pytest.raises(RateLimitError):
        make_client(script, max_retries=8, max_retry_after=5.0).get_json("query", "/api/query/x")
    assert max(clock.sleeps) <= 5.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_up_to_the_limit_then_raised(make_client, scripted, clock, status):
    script = scripted(httpx.Response(status, text="upstream trouble"))
    with pytest.raises(ServerError) as info:
        make_client(script, max_retries=3).get_json("query", "/api/query/events")
    assert script.count == 4
    assert len(clock.sleeps) == 3
    assert info.value.status_code == status
    assert info.value.body == "upstream trouble"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_then_success(make_client, scripted, status):
    script = scripted(httpx.Response(status), OK)
    assert make_client(script).get_json("query", "/api/query/events") == {"ok": True}
    assert script.count == 2


def test_503_with_retry_after_is_honoured(make_client, scripted, clock):
    script = scripted(httpx.Response(503, headers={"Retry-After": "4"}), OK)
    make_client(script).get_json("query", "/api/query/events")
    assert clock.sleeps == [4.0]


def test_max_retries_zero_sends_once(make_client, scripted, clock):
    script = scripted(httpx.Response(500))
    with pytest.raises(ServerError):
        make_client(script, max_retries=0).get_json("query", "/api/query/events")
    assert script.count == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.WriteError("broken pipe"),
        httpx.PoolTimeout("no connection"),
    ],
)
def test_transport_fault_is_retried_then_succeeds(make_client, scripted, clock, fault):
    script = scripted(fault, fault, OK)
    assert make_client(script).get_json("query", "/api/query/events") == {"ok": True}
    assert script.count == 3
    assert len(clock.sleeps) == 2


def test_post_is_retried_with_the_same_body(make_client, scripted):
    script = scripted(httpx.ReadError("reset"), OK)
    make_client(script).post_form("engage", "/api/query/engage", data={"distinct_ids": ["a"]})
    assert [r.content for r in script.requests] == [b"distinct_ids=%5B%22a%22%5D"] * 2
    assert [r.method for r in script.requests] == ["POST", "POST"]


def test_mixed_faults_count_against_one_budget(make_client, scripted):
    script = scripted(
        rate_limited("1"), httpx.Response(502), httpx.ReadError("reset"), httpx.Response(500)
    )
    with pytest.raises(ServerError):
        make_client(script, max_retries=3).get_json("query", "/api/query/events")
    assert script.count == 4


def test_4xx_after_a_retry_is_raised_at_once(make_client, scripted):
    script = scripted(httpx.Response(503), httpx.Response(400, json={"error": "bad where"}), OK)
    with pytest.raises(BadRequestError, match="bad where"):
        make_client(script).get_json("query", "/api/query/events")
    assert script.count == 2


def test_rate_limit_error_keeps_the_uncapped_retry_after(make_client, scripted, clock):
    script = scripted(rate_limited("86400"))
    with pytest.raises(RateLimitError) as info:
        make_client(script, max_retries=1, max_retry_after=60.0).get_json("query", "/api/query/x")
    assert info.value.retry_after == 86400.0
    assert clock.sleeps == [60.0]


# -- streams ----------------------------------------------------------------------------


class _CutStream(httpx.SyncByteStream):
    """A body that yields some bytes and then fails like a reset connection."""

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"event":"a"}\n{"ev'
        raise httpx.ReadError("[Errno 104] Connection reset by peer")


def test_stream_retries_error_statuses_before_yielding(make_client, scripted, clock):
    body = b'{"event":"a"}\n'
    script = scripted(
        httpx.Response(429, text="too many export requests in progress for this project"),
        httpx.ReadError("reset"),
        httpx.Response(200, content=body),
    )
    client = make_client(script)
    with client.stream("export", "/api/2.0/export") as response:
        assert b"".join(iter_body(response)) == body
    assert script.count == 3
    assert len(clock.sleeps) == 2


def test_stream_raises_mapped_error_after_retries(make_client, scripted):
    script = scripted(httpx.Response(503, text="down"))
    with (
        pytest.raises(ServerError),
        make_client(script, max_retries=1).stream("export", "/api/2.0/export"),
    ):
        pytest.fail("the block must not run for an error status")
    assert script.count == 2


def test_stream_connection_failure_is_mapped(make_client, scripted):
    script = scripted(httpx.ConnectError("refused"))
    with (
        pytest.raises(APIConnectionError),
        make_client(script, max_retries=0).stream("export", "/api/2.0/export"),
    ):
        pytest.fail("the block must not run without a response")


def test_body_reset_mid_stream_is_an_export_truncated_error(make_client, scripted):
    script = scripted(httpx.Response(200, stream=_CutStream()))
    client = make_client(script)
    received: list[bytes] = []
    with (
        pytest.raises(ExportTruncatedError) as info,
        client.stream("export", "/api/2.0/export") as response,
    ):
        received.extend(iter_body(response))
    assert received == [b'{"event":"a"}\n{"ev']
    assert info.value.endpoint == "/api/2.0/export"
    assert script.count == 1  # body-level faults are not retried by the client


def test_gzip_body_is_decompressed(make_client, scripted):
    body = b'{"event":"a"}\n' * 100
    response = httpx.Response(
        200, content=gzip.compress(body), headers={"Content-Encoding": "gzip"}
    )
    with make_client(scripted(response)).stream("export", "/api/2.0/export") as streamed:
        assert b"".join(iter_body(streamed)) == body


def test_cut_gzip_body_is_an_export_truncated_error(make_client, scripted):
    compressed = gzip.compress(b'{"event":"a"}\n' * 1000)
    response = httpx.Response(
        200,
        content=compressed[: len(compressed) // 2] + b"garbage",
        headers={"Content-Encoding": "gzip"},
    )
    with (
        pytest.raises(ExportTruncatedError),
        make_client(scripted(response)).stream("export", "/api/2.0/export") as streamed,
    ):
        b"".join(iter_body(streamed))


def test_stream_holds_its_limiter_slot_until_the_block_exits(make_client, scripted):
    limits = RateLimits(export=RateBudget(concurrent=2))
    client = make_client(scripted(httpx.Response(200, content=b"x")), limits=limits)
    limiter = client.limiter("export")
    with client.stream("export", "/api/2.0/export"):
        assert limiter.in_flight == 1
        with client.stream("export", "/api/2.0/export"):
            assert limiter.in_flight == 2
    assert limiter.in_flight == 0


def test_stream_releases_its_slot_when_the_block_raises(make_client, scripted):
    client = make_client(scripted(httpx.Response(200, content=b"x")))
    with pytest.raises(KeyError), client.stream("export", "/api/2.0/export"):
        raise KeyError("caller bug")
    assert client.limiter("export").in_flight == 0


def test_failed_attempts_release_their_slots(make_client, scripted):
    limits = RateLimits(query=RateBudget(concurrent=1))
    script = scripted(httpx.ReadError("reset"), httpx.Response(500), httpx.Response(400))
    client = make_client(script, limits=limits)
    with pytest.raises(BadRequestError):
        client.get_json("query", "/api/query/events")
    assert client.limiter("query").in_flight == 0
    assert client.limiter("engage") is client.limiter("query")


def test_client_keeps_to_the_default_export_budget(make_client, scripted, clock):
    # Mixpanel's export budget is 3 requests per second: the fourth waits for the window.
    script = scripted(httpx.Response(200, content=b""))
    client = make_client(script, limits=RateLimits())
    for _ in range(4):
        with client.stream("export", "/api/2.0/export"):
            pass
    assert script.count == 4
    assert clock.sleeps == [pytest.approx(1.0)]


def test_every_attempt_counts_against_the_hourly_budget(make_client, scripted, clock):
    limits = RateLimits(query=RateBudget(per_hour=2))
    script = scripted(httpx.Response(500), OK)
    client = make_client(script, limits=limits)
    client.get_json("query", "/api/query/events")  # two attempts: the hour's budget is spent
    before = clock.now
    client.get_json("query", "/api/query/events")
    assert clock.now - before >= 3600 - sum(clock.sleeps[:1])
