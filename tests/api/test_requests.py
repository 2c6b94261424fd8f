"""What the client puts on the wire: hosts, auth, query strings, bodies; and JSON decoding."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import httpx
import pytest

from mixpanel_data.exceptions import APIDecodeError, ConfigError, QueryError, ValidationError


def ok(payload: Any = None) -> httpx.Response:
    return httpx.Response(200, json={"ok": True} if payload is None else payload)


@pytest.mark.parametrize(
    ("region", "family", "expected"),
    [
        ("us", "query", "https://mixpanel.com/api/query/events"),
        ("us", "engage", "https://mixpanel.com/api/query/events"),
        ("us", "export", "https://data.mixpanel.com/api/query/events"),
        ("eu", "query", "https://eu.mixpanel.com/api/query/events"),
        ("eu", "engage", "https://eu.mixpanel.com/api/query/events"),
        ("eu", "export", "https://data-eu.mixpanel.com/api/query/events"),
        ("in", "query", "https://in.mixpanel.com/api/query/events"),
        ("in", "engage", "https://in.mixpanel.com/api/query/events"),
        ("in", "export", "https://data-in.mixpanel.com/api/query/events"),
    ],
)
def test_host_per_region_and_family(make_client, scripted, creds, region, family, expected):
    script = scripted(ok())
    client = make_client(script, creds(region=region))
    client.get_json(family, "/api/query/events")
    assert str(script.requests[0].url.copy_with(query=None)) == expected


def test_base_url_overrides_replace_the_hosts(make_client, scripted, creds):
    script = scripted(ok())
    client = make_client(
        script,
        creds(region="eu", query_url="http://127.0.0.1:8765/mp/", export_url="http://127.0.0.1:9/"),
    )
    client.get_json("query", "/api/query/segmentation")
    client.post_form("engage", "/api/query/engage")
    with client.stream("export", "/api/2.0/export"):
        pass
    urls = [str(r.url.copy_with(query=None)) for r in script.requests]
    assert urls == [
        "http://127.0.0.1:8765/mp/api/query/segmentation",
        "http://127.0.0.1:8765/mp/api/query/engage",
        "http://127.0.0.1:9/api/2.0/export",
    ]
    assert client.url("export", "/api/2.0/export") == "http://127.0.0.1:9/api/2.0/export"


def test_service_account_basic_auth(make_client, scripted, creds):
    script = scripted(ok())
    make_client(script, creds(username="svc.x.mp-service-account", secret="abc123secret")).get_json(
        "query", "/api/query/events/names"
    )
    expected = base64.b64encode(b"svc.x.mp-service-account:abc123secret").decode()
    assert script.requests[0].headers["Authorization"] == f"Basic {expected}"


def test_api_secret_basic_auth_has_empty_password_and_no_project_id(make_client, scripted, creds):
    script = scripted(ok())
    client = make_client(
        script, creds(auth_kind="api_secret", username="", secret="legacysecret", project_id=None)
    )
    client.get_json("query", "/api/query/events/names")
    request = script.requests[0]
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(b"legacysecret:").decode()
    )
    assert "project_id" not in request.url.params


def test_project_and_workspace_id_in_the_get_query_string(make_client, scripted, creds):
    script = scripted(ok())
    make_client(script, creds(workspace_id=77)).get_json(
        "query", "/api/query/segmentation", {"event": "Sign up"}
    )
    params = script.requests[0].url.params
    assert params["project_id"] == "424242"
    assert params["workspace_id"] == "77"
    assert params["event"] == "Sign up"


def test_post_keeps_project_id_in_the_query_string_not_the_body(make_client, scripted, creds):
    script = scripted(ok())
    make_client(script, creds(workspace_id=5)).post_form(
        "engage",
        "/api/query/engage",
        params={"page": 1},
        data={"distinct_ids": ["u1", "u2"], "output_properties": ["$email"]},
    )
    request = script.requests[0]
    assert request.method == "POST"
    assert dict(request.url.params) == {"project_id": "424242", "workspace_id": "5", "page": "1"}
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = httpx.QueryParams(request.content.decode())
    assert dict(body) == {"distinct_ids": '["u1","u2"]', "output_properties": '["$email"]'}


def test_workspace_id_is_left_out_when_unset(make_client, scripted):
    script = scripted(ok())
    make_client(script).get_json("query", "/api/query/events/names")
    assert dict(script.requests[0].url.params) == {"project_id": "424242"}


def test_parameter_encoding(make_client, scripted):
    script = scripted(ok())
    make_client(script).get_json(
        "export",
        "/api/2.0/export",
        {
            "event": ["Sign up", "Purchase"],
            "filter_by_cohort": {"id": 12345},
            "params": {"from_date": dt.date(2024, 1, 1)},
            "from_date": dt.date(2024, 1, 2),
            "time_in_ms": True,
            "raw": False,
            "limit": 10,
            "ratio": 0.5,
            "where": 'properties["plan"] == "pro"',
            "omitted": None,
        },
    )
    assert dict(script.requests[0].url.params) == {
        "project_id": "424242",
        "event": '["Sign up","Purchase"]',
        "filter_by_cohort": '{"id":12345}',
        "params": '{"from_date":"2024-01-01"}',
        "from_date": "2024-01-02",
        "time_in_ms": "true",
        "raw": "false",
        "limit": "10",
        "ratio": "0.5",
        "where": 'properties["plan"] == "pro"',
    }


def test_explicit_workspace_id_param_wins(make_client, scripted, creds):
    script = scripted(ok())
    make_client(script, creds(workspace_id=1)).get_json(
        "query", "/api/query/events", {"workspace_id": 2}
    )
    assert script.requests[0].url.params["workspace_id"] == "2"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (object(), "has type object"),
        (dt.datetime(2024, 1, 1, 12), "is a datetime"),
        ([object()], "cannot be encoded as JSON"),
    ],
)
def test_unencodable_parameter_is_a_validation_error(make_client, scripted, value, problem):
    script = scripted(ok())
    with pytest.raises(ValidationError, match=problem) as info:
        make_client(script).get_json("query", "/api/query/events", {"bad": value})
    assert "'bad'" in str(info.value)
    assert script.count == 0


def test_json_body_is_decoded(make_client, scripted):
    payload = {"data": {"series": ["2024-01-01"], "values": {"Sign up": {"2024-01-01": 3}}}}
    client = make_client(scripted(ok(payload)))
    assert client.get_json("query", "/api/query/segmentation") == payload


def test_json_list_body_is_decoded(make_client, scripted):
    client = make_client(scripted(ok(["a", "b"])))
    assert client.get_json("query", "/api/query/events/names") == ["a", "b"]


def test_accept_header_asks_for_json(make_client, scripted):
    script = scripted(ok())
    make_client(script).get_json("query", "/api/query/events/names")
    assert script.requests[0].headers["Accept"] == "application/json"
    assert script.requests[0].headers["User-Agent"].startswith("mixpanel_data/")


def test_200_with_error_body_is_a_query_error(make_client, scripted):
    body = {
        "request": "/api/query/stream/query?x=1",
        "error": "Date range exceeds 365 days into the past",
    }
    client = make_client(scripted(ok(body)))
    with pytest.raises(QueryError) as info:
        client.get_json("query", "/api/query/stream/query")
    assert info.value.endpoint == "/api/query/stream/query"
    assert "Date range exceeds 365 days into the past" in str(info.value)


def test_a_property_named_error_in_a_data_keyed_answer_is_data(make_client, scripted):
    # /events/properties/top is keyed by property name; a property called "error" is data.
    body = {"error": {"count": 1}, "plan": {"count": 7}}
    client = make_client(scripted(ok(body)))
    assert client.get_json("query", "/api/query/events/properties/top") == body


def test_200_with_null_error_field_is_not_an_error(make_client, scripted):
    client = make_client(scripted(ok({"error": None, "results": []})))
    assert client.get_json("query", "/api/query/engage") == {"error": None, "results": []}


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>proxy login</html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, content=b""),
        httpx.Response(200, content=b'{"truncated": '),
    ],
)
def test_non_json_success_is_a_decode_error(make_client, scripted, response):
    client = make_client(scripted(response))
    with pytest.raises(APIDecodeError) as info:
        client.get_json("query", "/api/query/insights")
    assert info.value.endpoint == "/api/query/insights"
    assert "not JSON" in str(info.value)


def test_stream_yields_the_unread_body_and_asks_for_gzip(make_client, scripted):
    script = scripted(httpx.Response(200, content=b'{"event":"a"}\n{"event":"b"}\n'))
    client = make_client(script)
    with client.stream("export", "/api/2.0/export", {"from_date": "2024-01-01"}) as response:
        assert b"".join(response.iter_bytes()) == b'{"event":"a"}\n{"event":"b"}\n'
    assert script.requests[0].headers["Accept-Encoding"] == "gzip"
    assert script.requests[0].url.params["project_id"] == "424242"


def test_stream_without_gzip_asks_for_identity(make_client, scripted):
    script = scripted(httpx.Response(200, content=b""))
    with make_client(script).stream("export", "/api/2.0/export", gzip=False):
        pass
    assert script.requests[0].headers["Accept-Encoding"] == "identity"


@pytest.mark.parametrize("path", ["api/query/events", "/api/query/events?x=1", "https://x/y", ""])
def test_bad_path_is_rejected_before_sending(make_client, scripted, path):
    script = scripted(ok())
    with pytest.raises(ValidationError, match="must start with '/'"):
        make_client(script).get_json("query", path)
    assert script.count == 0


def test_unknown_family_is_rejected(make_client, scripted):
    with pytest.raises(ValidationError, match="unknown API family 'ingest'"):
        make_client(scripted(ok())).get_json("ingest", "/track")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"secret": ""}, "no secret"),
        ({"username": ""}, "need a username"),
        ({"project_id": None}, "need a project_id"),
        ({"query_url": "ftp://example.com"}, "not an http"),
        ({"export_url": "localhost:8000"}, "not an http"),
    ],
)
def test_unusable_credentials_are_a_config_error(make_client, scripted, creds, overrides, problem):
    with pytest.raises(ConfigError, match=problem):
        make_client(scripted(ok()), creds(**overrides))


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"max_retry_after": -5.0}, "max_retry_after"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"read_timeout": -1.0}, "read_timeout"),
        ({"export_read_timeout": 0.0}, "export_read_timeout"),
    ],
)
def test_bad_settings_are_a_validation_error(make_client, scripted, kwargs, problem):
    with pytest.raises(ValidationError, match=problem):
        make_client(scripted(ok()), **kwargs)


def test_timeouts_per_family(make_client, scripted):
    script = scripted(ok())
    client = make_client(script, connect_timeout=3.0, read_timeout=30.0, export_read_timeout=900.0)
    client.get_json("query", "/api/query/events/names")
    with client.stream("export", "/api/2.0/export"):
        pass
    query_timeout, export_timeout = (r.extensions["timeout"] for r in script.requests)
    assert query_timeout["connect"] == 3.0
    assert query_timeout["read"] == 30.0
    assert export_timeout["connect"] == 3.0
    assert export_timeout["read"] == 900.0


def test_context_manager_closes_the_client(make_client, scripted):
    client = make_client(scripted(ok()))
    with client as entered:
        assert entered is client
    with pytest.raises(RuntimeError, match="has been closed"):
        client.get_json("query", "/api/query/events/names")


def test_corrupt_compressed_json_body_is_a_decode_error(make_client, scripted):
    response = httpx.Response(
        200, stream=httpx.ByteStream(b"not gzip at all"), headers={"Content-Encoding": "gzip"}
    )
    script = scripted(response)
    with pytest.raises(APIDecodeError, match="could not be decompressed"):
        make_client(script).get_json("query", "/api/query/events")
    assert script.count == 1
