"""Error statuses map onto the exception tree, with Mixpanel's text, hints and no secrets."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from mixpanel_data.exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, APIStatusError),
        (409, APIStatusError),
        (422, APIStatusError),
    ],
)
def test_client_errors_raise_at_once_with_mixpanel_text(
    make_client, scripted, clock, status, exc_type
):
    body = {"request": "/api/query/segmentation?from_date=x", "error": f"the text for {status}"}
    script = scripted(httpx.Response(status, json=body))
    with pytest.raises(exc_type) as info:
        make_client(script).get_json("query", "/api/query/segmentation", {"from_date": "x"})
    error = info.value
    assert type(error) is exc_type
    assert script.count == 1
    assert clock.sleeps == []
    assert error.status_code == status
    assert error.endpoint == "/api/query/segmentation"
    assert error.body == f"the text for {status}"
    assert f"the text for {status}" in str(error)
    assert "/api/query/segmentation" in str(error)


def test_app_api_error_shape(make_client, scripted):
    body = {"error": "Permission denied for project", "status": "error"}
    with pytest.raises(PermissionDeniedError) as info:
        make_client(scripted(httpx.Response(403, json=body))).get_json("query", "/api/query/events")
    assert info.value.body == "Permission denied for project"


def test_export_plain_text_error_body(make_client, scripted):
    response = httpx.Response(400, text="Invalid date range: from_date after to_date\n")
    client = make_client(scripted(response))
    with pytest.raises(BadRequestError) as info, client.stream("export", "/api/2.0/export"):
        pytest.fail("the block must not run for an error status")
    assert info.value.body == "Invalid date range: from_date after to_date"


def test_empty_error_body_falls_back_to_the_reason(make_client, scripted):
    with pytest.raises(NotFoundError) as info:
        make_client(scripted(httpx.Response(404))).get_json("query", "/api/query/nope")
    assert info.value.body == "Not Found"


def test_long_html_error_body_is_shortened(make_client, scripted):
    html = "<html><body>" + "x" * 5000 + "</body></html>"
    with pytest.raises(BadRequestError) as info:
        make_client(scripted(httpx.Response(400, text=html))).get_json("query", "/api/query/x")
    assert len(info.value.body) <= 500


def test_401_hint_for_service_accounts(make_client, scripted):
    with pytest.raises(AuthenticationError) as info:
        make_client(scripted(httpx.Response(401, json={"error": "Unauthorized"}))).get_json(
            "query", "/api/query/events"
        )
    assert info.value.hint is not None
    assert "username and secret" in info.value.hint
    assert "expired" in info.value.hint


def test_401_hint_for_the_legacy_api_secret(make_client, scripted, creds):
    client = make_client(
        scripted(httpx.Response(401, json={"error": "Unauthorized"})),
        creds(auth_kind="api_secret", username="", project_id=None),
    )
    with pytest.raises(AuthenticationError) as info:
        client.get_json("query", "/api/query/events")
    assert info.value.hint is not None
    assert "project API secret" in info.value.hint


def test_403_hint_names_the_project(make_client, scripted):
    with pytest.raises(PermissionDeniedError) as info:
        make_client(scripted(httpx.Response(403, json={"error": "Forbidden"}))).get_json(
            "query", "/api/query/events"
        )
    assert info.value.hint == "the service account needs access to project 424242"


def test_402_hint_names_the_plan(make_client, scripted):
    with pytest.raises(PaymentRequiredError) as info:
        make_client(scripted(httpx.Response(402, json={"error": "Payment Required"}))).post_form(
            "engage", "/api/query/engage"
        )
    assert info.value.hint is not None
    assert "plan" in info.value.hint


@pytest.mark.parametrize(
    "text",
    [
        "Invalid project id for cluster",
        "project 424242 is not in this region",
        "wrong data residency",
    ],
)
def test_region_mismatch_hint(make_client, scripted, creds, text):
    client = make_client(scripted(httpx.Response(400, json={"error": text})), creds(region="us"))
    with pytest.raises(BadRequestError) as info:
        client.get_json("query", "/api/query/events")
    assert info.value.hint is not None
    assert "set --region eu|in" in info.value.hint
    assert "'us'" in info.value.hint


def test_region_hint_offers_the_other_regions(make_client, scripted, creds):
    client = make_client(
        scripted(httpx.Response(400, json={"error": "Invalid project id for cluster"})),
        creds(region="eu"),
    )
    with pytest.raises(BadRequestError) as info:
        client.get_json("query", "/api/query/events")
    assert "set --region us|in" in str(info.value)


def test_ordinary_400_has_no_region_hint(make_client, scripted):
    client = make_client(
        scripted(httpx.Response(400, json={"error": "to_date cannot be later than today"}))
    )
    with pytest.raises(BadRequestError) as info:
        client.get_json("query", "/api/query/events")
    assert info.value.hint is None
    assert str(info.value) == (
        "Mixpanel answered 400 Bad Request for /api/query/events: to_date cannot be later than today"
    )


def _token(username: str, secret: str) -> str:
    return base64.b64encode(f"{username}:{secret}".encode()).decode()


def test_secret_echoed_by_the_server_is_scrubbed(make_client, scripted, creds, secret):
    credentials = creds()
    token = _token(credentials.username, secret)
    body = {"error": f"bad auth: Basic {token} (secret {secret})"}
    with pytest.raises(AuthenticationError) as info:
        make_client(scripted(httpx.Response(401, json=body)), credentials).get_json(
            "query", "/api/query/events"
        )
    text = f"{info.value} {info.value.body} {info.value.hint} {info.value!r}"
    assert secret not in text
    assert token not in text
    assert "bad auth: Basic **** (secret ****)" in text


def test_secret_in_a_200_error_body_is_scrubbed(make_client, scripted, secret):
    client = make_client(scripted(httpx.Response(200, json={"error": f"echo {secret}"})))
    with pytest.raises(Exception, match=r"echo \*\*\*\*") as info:
        client.get_json("query", "/api/query/events")
    assert secret not in str(info.value)


def test_secret_in_a_non_json_body_is_scrubbed(make_client, scripted, secret):
    client = make_client(scripted(httpx.Response(200, text=f"<html>{secret}</html>")))
    with pytest.raises(Exception, match="not JSON") as info:
        client.get_json("query", "/api/query/events")
    assert secret not in str(info.value)


def test_no_secret_or_authorization_header_in_debug_logs(
    make_client, scripted, creds, secret, caplog
):
    credentials = creds()
    token = _token(credentials.username, secret)
    script = scripted(
        httpx.Response(429, json={"error": "Query rate limit exceeded"}),
        httpx.Response(503, text="busy"),
        httpx.ReadError("Connection reset by peer"),
        httpx.Response(401, json={"error": f"nope {secret}"}),
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError):
        make_client(script, credentials).get_json("query", "/api/query/events")
    assert script.count == 4
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r}" for record in caplog.records
    )
    assert "retry 1 of 5" in logged
    assert secret not in logged
    assert token not in logged
    assert "authorization" not in logged.lower()


def test_connection_error_after_retries_names_the_host(make_client, scripted, clock):
    script = scripted(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(APIConnectionError) as info:
        make_client(script, max_retries=2).get_json("query", "/api/query/events")
    assert script.count == 3
    assert len(clock.sleeps) == 2
    message = str(info.value)
    assert "https://mixpanel.com" in message
    assert "/api/query/events" in message
    assert "after 3 attempts" in message
    assert "ConnectError" in message
    assert info.value.endpoint == "/api/query/events"


def test_timeout_has_a_timeout_hint(make_client, scripted):
    script = scripted(httpx.ReadTimeout("timed out"))
    with pytest.raises(APIConnectionError) as info:
        make_client(script, max_retries=0).get_json("query", "/api/query/events")
    assert script.count == 1
    assert info.value.hint is not None
    assert "timeouts" in info.value.hint


def test_unsupported_protocol_is_not_retried(make_client, scripted):
    script = scripted(httpx.UnsupportedProtocol("Request URL has an unsupported protocol"))
    with pytest.raises(APIConnectionError):
        make_client(script).get_json("query", "/api/query/events")
    assert script.count == 1


def test_server_error_carries_the_status(make_client, scripted):
    script = scripted(httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(ServerError) as info:
        make_client(script, max_retries=0).get_json("query", "/api/query/events")
    assert info.value.status_code == 502
    assert info.value.hint is not None


def test_rate_limit_error_after_retries_carries_retry_after(make_client, scripted):
    script = scripted(
        httpx.Response(429, json={"error": "too many"}, headers={"Retry-After": "12"})
    )
    with pytest.raises(RateLimitError) as info:
        make_client(script, max_retries=1).get_json("query", "/api/query/events")
    assert info.value.retry_after == 12.0
    assert info.value.status_code == 429
    assert info.value.body == "too many"
    assert info.value.hint is not None
    assert "60/hour" in info.value.hint


def test_client_repr_masks_the_secret(make_client, scripted, secret):
    client = make_client(scripted(httpx.Response(200, json={})))
    assert secret not in repr(client)
    assert "****" in repr(client)
