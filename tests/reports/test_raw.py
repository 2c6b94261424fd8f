"""``mp raw`` in the library: the checked export, all engage pages, jql, any GET."""

from __future__ import annotations

import datetime as dt
import io
import json
import random

import httpx
import pytest

from mixpanel_data._reports_raw import (
    check_raw_path,
    parse_params,
    raw_engage,
    raw_export,
    raw_get,
    raw_jql,
)
from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.api.export import ExportQuery
from mixpanel_data.emulator import Emulator
from mixpanel_data.exceptions import ExportTruncatedError, ValidationError

DAY1, DAY2 = dt.date(2024, 3, 5), dt.date(2024, 3, 6)


def make_client(emulator: Emulator) -> MixpanelClient:
    return MixpanelClient(
        emulator.client_credentials(),
        transport=emulator.transport(),
        limits=RateLimits.unlimited(),
        sleep=lambda _s: None,
    )


def lines(out: io.BytesIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def exported(dataset, *days: dt.date) -> list[dict]:
    """What the export of these days holds, line by line."""
    return [
        json.loads(line)
        for day in days
        for line in dataset.export_lines(day, time_in_ms=False).splitlines()
    ]


def expected(dataset, *days: dt.date) -> int:
    return len(exported(dataset, *days))


def test_export_streams_each_day_once(client, dataset, recorder) -> None:
    out = io.BytesIO()
    summary = raw_export(
        client, ExportQuery(from_date=DAY1, to_date=DAY2, time_in_ms=False), out.write
    )
    events = lines(out)
    assert summary.events == len(events) == expected(dataset, DAY1, DAY2)
    assert summary.days == 2
    assert summary.retries == 0
    assert [r.url.params["from_date"] for r in recorder.requests] == ["2024-03-05", "2024-03-06"]
    assert all(isinstance(e["properties"]["time"], int) for e in events)
    assert summary.bytes == len(out.getvalue())


@pytest.mark.parametrize(
    "fault",
    [
        "export:terminated_early(after=2000)@1",
        "export:malformed_line(line=3)@2",
        "export:reset_mid_body(after=3000)@1",
        "export:disconnect_mid_body(after=1500)@2",
    ],
)
def test_incomplete_days_are_fetched_again_never_written_twice(dataset, fault) -> None:
    emulator = Emulator(dataset, faults=fault)
    try:
        with make_client(emulator) as client:
            out = io.BytesIO()
            summary = raw_export(
                client,
                ExportQuery(from_date=DAY1, to_date=DAY2, time_in_ms=False),
                out.write,
                sleep=lambda _s: None,
                rng=random.Random(0),
            )
    finally:
        emulator.close()
    assert summary.retries == 1
    # Exactly the two days, in order: the cut attempt left nothing behind.
    assert lines(out) == exported(dataset, DAY1, DAY2)


def test_a_day_incomplete_every_time_fails_after_the_days_before(dataset) -> None:
    emulator = Emulator(dataset, faults="export:terminated_early(after=500)@2+")
    try:
        with make_client(emulator) as client:
            out = io.BytesIO()
            with pytest.raises(ExportTruncatedError, match="2024-03-06"):
                raw_export(
                    client,
                    ExportQuery(from_date=DAY1, to_date=DAY2, time_in_ms=False),
                    out.write,
                    attempts=2,
                    sleep=lambda _s: None,
                )
    finally:
        emulator.close()
    assert len(lines(out)) == expected(dataset, DAY1)  # day one whole, nothing of day two


def test_export_with_a_limit_is_one_request(client, recorder) -> None:
    out = io.BytesIO()
    query = ExportQuery(
        from_date=DAY1, to_date=DAY2, events=("Purchase",), limit=5, time_in_ms=False
    )
    summary = raw_export(client, query, out.write)
    assert summary.events == 5
    assert summary.days == 1
    assert len(recorder.requests) == 1
    assert json.loads(recorder.requests[0].url.params["event"]) == ["Purchase"]
    assert {e["event"] for e in lines(out)} == {"Purchase"}


def test_engage_every_page_each_profile_once(dataset) -> None:
    emulator = Emulator(dataset, page_size=25)
    try:
        with make_client(emulator) as client:
            profiles = list(raw_engage(client, output_properties=["plan"]))
            pro = list(raw_engage(client, where='properties["plan"] == "pro"'))
    finally:
        emulator.close()
    assert len(profiles) == len(dataset.profiles) > 25
    assert len({p["$distinct_id"] for p in profiles}) == len(profiles)
    assert all(set(p["$properties"]) <= {"plan"} for p in profiles)
    assert pro
    assert all(p["$properties"]["plan"] == "pro" for p in pro)


def test_jql_and_get(client) -> None:
    script = (
        'function main() { return Events({from_date: "2024-03-05", to_date: "2024-03-05"})'
        '.groupBy(["name"], mixpanel.reducer.count()); }'
    )
    answer = raw_jql(client, script)
    assert isinstance(answer, list)
    assert {"key", "value"} <= set(answer[0])
    names = raw_get(client, "events/names", parse_params(["type=general", "limit=2"]))
    assert isinstance(names, list)
    assert len(names) == 2
    assert raw_get(client, "/api/query/funnels/list")[0]["funnel_id"] == 7509
    with pytest.raises(ValidationError):
        raw_jql(client, "   ")


def test_paths_and_params() -> None:
    assert check_raw_path("events/names") == "/api/query/events/names"
    assert check_raw_path("/api/2.0/engage") == "/api/2.0/engage"
    for bad in ("", "a b", "events?x=1", "/api/2.0/export"):
        with pytest.raises(ValidationError):
            check_raw_path(bad)
    assert parse_params(["event=Sign Up", 'values=["a=b"]']) == {
        "event": "Sign Up",
        "values": '["a=b"]',
    }
    with pytest.raises(ValidationError):
        parse_params(["novalue"])


def test_get_surfaces_mixpanels_error(canned) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"request": "x", "error": "'type' is a required parameter"})

    from mixpanel_data.exceptions import BadRequestError

    with pytest.raises(BadRequestError, match="'type' is a required parameter"):
        raw_get(canned(handler), "events/names")
