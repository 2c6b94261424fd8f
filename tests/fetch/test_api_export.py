"""The export endpoint wrapper: request shape, streamed body, validation."""

from __future__ import annotations

import datetime as dt
import gzip

import httpx
import pytest

from mixpanel_data.api.export import ExportQuery, stream_export
from mixpanel_data.exceptions import BadRequestError, ExportTruncatedError, ValidationError

DAY = dt.date(2024, 3, 1)
BODY = b'{"event":"a","properties":{"time":1}}\n{"event":"b","properties":{"time":2}}\n'


def test_request_shape(make_client):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=BODY)

    query = ExportQuery(
        from_date=DAY,
        to_date=DAY,
        events=("Sign up", "Buy"),
        where='properties["x"] == 1',
        limit=10,
    )
    with stream_export(make_client(handler), query) as body:
        assert b"".join(body) == BODY
    (request,) = seen
    assert request.url.path == "/api/2.0/export"
    assert request.url.host == "export.test"
    assert dict(request.url.params) == {
        "project_id": "31337",
        "from_date": "2024-03-01",
        "to_date": "2024-03-01",
        "event": '["Sign up","Buy"]',
        "where": 'properties["x"] == 1',
        "limit": "10",
        "time_in_ms": "true",
    }
    assert request.headers["accept-encoding"] == "gzip"


def test_seconds_mode_omits_time_in_ms():
    query = ExportQuery(from_date=DAY, to_date=DAY, time_in_ms=False)
    assert "time_in_ms" not in query.params()
    assert {k: v for k, v in query.params().items() if v is not None} == {
        "from_date": DAY,
        "to_date": DAY,
    }


def test_gzip_body_is_decompressed(make_client):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=gzip.compress(BODY), headers={"Content-Encoding": "gzip"}
        )

    with stream_export(make_client(handler), ExportQuery(from_date=DAY, to_date=DAY)) as body:
        assert b"".join(body) == BODY


def test_cut_gzip_raises_truncated(make_client):
    def handler(request: httpx.Request) -> httpx.Response:
        data = gzip.compress(BODY * 50)
        return httpx.Response(200, content=data[:-30], headers={"Content-Encoding": "gzip"})

    query = ExportQuery(from_date=DAY, to_date=DAY)
    with pytest.raises(ExportTruncatedError), stream_export(make_client(handler), query) as body:
        b"".join(body)


def test_400_carries_mixpanels_text(make_client):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="to_date cannot be later than today")

    query = ExportQuery(from_date=DAY, to_date=DAY)
    client = make_client(handler)
    with pytest.raises(BadRequestError, match="later than today"), stream_export(client, query):
        pytest.fail("no body should be yielded for an error status")


def test_for_day_keeps_filters():
    query = ExportQuery(from_date=DAY, to_date=DAY + dt.timedelta(days=3), events=("a",))
    day = query.for_day(DAY + dt.timedelta(days=1))
    assert (day.from_date, day.to_date, day.events) == (
        DAY + dt.timedelta(days=1),
        DAY + dt.timedelta(days=1),
        ("a",),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"events": ()},
        {"events": (" ",)},
        {"where": ""},
        {"limit": 0},
        {"limit": 100_001},
        {"limit": True},
        {"to_date": DAY - dt.timedelta(days=1)},
    ],
)
def test_bad_queries(kwargs):
    fields = {"from_date": DAY, "to_date": DAY, **kwargs}
    with pytest.raises(ValidationError):
        ExportQuery(**fields)
