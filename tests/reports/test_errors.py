"""Mixpanel's errors surface as clear library errors, and bad arguments fail before any I/O."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from mixpanel_data import _reports_live as live
from mixpanel_data._reports_query import SegmentationQuery
from mixpanel_data.exceptions import (
    BadRequestError,
    ExpressionError,
    PaymentRequiredError,
    PermissionDeniedError,
    QueryError,
    RateLimitError,
    TableNotFoundError,
    ValidationError,
)
from mixpanel_data.workspace import Workspace

D = dt.date(2024, 6, 1)
QUERY = SegmentationQuery(event="Purchase", from_date=D, to_date=D)


def status(code: int, body: object, headers: dict[str, str] | None = None):
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(code, json=body, headers=headers)

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


def test_400_carries_mixpanels_text(canned) -> None:
    body = {
        "request": "/api/query/segmentation?event=Purchase",
        "error": "to_date cannot be later than today",
    }
    with pytest.raises(BadRequestError) as caught:
        live.segmentation(canned(status(400, body)), QUERY)
    assert "to_date cannot be later than today" in str(caught.value)
    assert caught.value.status_code == 400
    assert caught.value.endpoint == "/api/query/segmentation"


def test_402_and_403(canned) -> None:
    with pytest.raises(PaymentRequiredError) as caught:
        live.segmentation(canned(status(402, {"error": "Your plan does not include this"})), QUERY)
    assert "plan" in str(caught.value)
    with pytest.raises(PermissionDeniedError) as denied:
        live.segmentation(canned(status(403, {"error": "no access", "status": "error"})), QUERY)
    assert "4242" in (denied.value.hint or "")


def test_429_beyond_retries(canned) -> None:
    body = {
        "request": "/api/2.0/segmentation",
        "error": "Query rate limit exceeded for project_id: 4242. 1/5 queries running concurrently "
        "and 61/60 queries running in the last hour.",
    }
    handler = status(429, body, {"Retry-After": "1"})
    with pytest.raises(RateLimitError) as caught:
        live.segmentation(canned(handler, max_retries=2), QUERY)
    assert "rate limit exceeded" in str(caught.value)
    assert caught.value.retry_after == 1.0
    assert len(handler.calls) == 3  # the first try and two retries


def test_200_with_an_error_body(canned) -> None:
    with pytest.raises(QueryError, match="unknown event"):
        live.segmentation(canned(status(200, {"error": "unknown event"})), QUERY)


def test_bad_arguments_fail_before_any_request(events_file, canned, tmp_path) -> None:
    handler = status(200, {})
    with Workspace(path=events_file, read_only=True, client=canned(handler)) as ws:
        cases = [
            lambda: ws.segmentation("E", from_date="2024-06-02", to_date="2024-06-01"),
            lambda: ws.segmentation("E", from_date="June 1st"),
            lambda: ws.segmentation("E", from_date=D, measure="sum"),
            lambda: ws.segmentation("E", from_date=D, property="amount"),
            lambda: ws.segmentation("E", from_date=D, by="fortnight"),  # type: ignore[arg-type]
            lambda: ws.segmentation("", from_date=D),
            lambda: ws.segmentation("E", from_date=D, limit=0),
            lambda: ws.segmentation("E", from_date=D, measure="unique", by="week"),
            lambda: ws.segmentation("E", from_date=D, measure="sum", property="a", group_by="b"),
            lambda: ws.funnel(["A", "B"], from_date=D, window="100d"),
            lambda: ws.funnel(["A", "B"], from_date=D, window="soon"),
            lambda: ws.funnel(from_date=D),
            lambda: ws.funnel(funnel_id=1, name="x", from_date=D),
            lambda: ws.retention(None, from_date=D),
            lambda: ws.frequency("E", from_date=D, buckets="5-2"),
            lambda: ws.frequency("E", from_date=D, buckets="1,1-3"),
            lambda: ws.insights(),
            lambda: ws.event_counts("Login", from_date=D),  # a string, not a list
            lambda: ws.event_counts(["Login"], from_date=D, measure="unique", by="hour"),
            lambda: ws.numeric("E", property="amount", from_date=D, by="week"),  # type: ignore[arg-type]
            lambda: ws.activity([], from_date=D),
        ]
        for case in cases:
            with pytest.raises(ValidationError):
                case()
        with pytest.raises(ExpressionError) as caught:
            ws.segmentation("E", from_date=D, where='properties["a" ==')
        assert caught.value.expression == 'properties["a" =='
    assert handler.calls == []


def test_local_without_an_events_table(canned, tmp_path) -> None:
    with (
        Workspace(path=tmp_path / "empty.duckdb", client=canned(status(200, {}))) as ws,
        pytest.raises(TableNotFoundError) as caught,
    ):
        ws.segmentation("E", from_date=D, to_date=D, local=True)
    assert "mp events fetch" in (caught.value.hint or "")


def test_local_saved_funnel_needs_its_steps(ws) -> None:
    with pytest.raises(ValidationError, match="saved funnels"):
        ws.funnel(funnel_id=7509, from_date=D, to_date=D, local=True)


def test_compare_refuses_an_unsaved_funnel(ws) -> None:
    with pytest.raises(ValidationError, match="nothing live"):
        ws.compare(ws.funnel, ["Sign Up", "Purchase"], from_date=D, to_date=D, fetch=False)
    with pytest.raises(ValidationError, match="drop the local"):
        ws.compare(ws.segmentation, "E", from_date=D, local=True)
