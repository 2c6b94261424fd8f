"""The Raw Event Export: NDJSON, filters, limits, days, gzip, streaming, determinism."""

from __future__ import annotations

import datetime as dt
import gzip
import zlib
from collections import Counter
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest

from mixpanel_data.emulator import (
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    Dataset,
    DatasetConfig,
    Emulator,
    _body,
    _endpoints_export,
    serve,
)
from mixpanel_data.emulator._wire import Reply

AUTH = (DEMO_USERNAME, DEMO_SECRET)


def export(client: httpx.Client, **params) -> httpx.Response:
    params.setdefault("project_id", DEMO_PROJECT_ID)
    params.setdefault("from_date", "2024-03-01")
    params.setdefault("to_date", "2024-03-04")
    return client.get("/api/2.0/export", params=params)


def lines(response: httpx.Response) -> list[dict]:
    return [orjson.loads(line) for line in response.content.splitlines()]


def test_body_is_ndjson_of_event_and_properties(client):
    response = export(client, from_date="2024-03-02", to_date="2024-03-02")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.content.endswith(b"\n")
    records = lines(response)
    assert records
    assert all(list(r) == ["event", "properties"] for r in records)
    assert all(isinstance(r["properties"]["time"], int) for r in records)


def test_days_are_inclusive_utc_days(client):
    records = lines(export(client, from_date="2024-03-02", to_date="2024-03-03"))
    days = {dt.datetime.fromtimestamp(r["properties"]["time"], dt.UTC).date() for r in records}
    assert days == {dt.date(2024, 3, 2), dt.date(2024, 3, 3)}


def test_whole_range_equals_the_dataset(client, small_dataset):
    expected = b"".join(small_dataset.export_lines(d, time_in_ms=False) for d in small_dataset.days)
    assert export(client).content == expected


def test_time_in_ms(client):
    seconds = lines(export(client, from_date="2024-03-01", to_date="2024-03-01", limit=50))
    millis = lines(
        export(client, from_date="2024-03-01", to_date="2024-03-01", limit=50, time_in_ms="true")
    )
    assert [r["properties"]["time"] // 1000 for r in millis] == [
        r["properties"]["time"] for r in seconds
    ]
    assert any(r["properties"]["time"] % 1000 for r in millis)


def test_event_filter_is_a_json_array(client):
    records = lines(export(client, event='["Login", "Purchase"]'))
    assert {r["event"] for r in records} == {"Login", "Purchase"}


def test_event_filter_bare_name_is_a_plain_text_400(client):
    response = export(client, event="Login")
    assert response.status_code == 400
    assert response.text == "Invalid JSON Format: event"


def test_where_filter(client):
    records = lines(export(client, where='properties["$browser"] == "Chrome"'))
    assert records
    assert {r["properties"]["$browser"] for r in records} == {"Chrome"}


def test_where_with_event_time(client):
    records = lines(export(client, where='event["$time"] >= datetime("2024-03-04T00:00:00")'))
    assert records
    assert min(r["properties"]["time"] for r in records) >= 1709510400


def test_bad_where_is_a_plain_text_400(client):
    response = export(client, where='properties["a"] ==')
    assert response.status_code == 400
    assert response.text.startswith("Invalid expression in 'where': ")


def test_limit(client):
    assert len(lines(export(client, limit=5))) == 5
    assert export(client, limit=0).content == b""


def test_limit_above_100000_is_refused(client):
    response = export(client, limit=100001)
    assert response.status_code == 400
    assert response.text == "'limit' must be at most 100000, got 100001"


def test_no_match_is_an_empty_200(client):
    response = export(client, from_date="2024-02-01", to_date="2024-02-03")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"


def test_no_deduplication(client):
    records = lines(export(client))
    keys = Counter(
        (
            r["event"],
            r["properties"].get("distinct_id"),
            r["properties"]["time"],
            r["properties"].get("$insert_id"),
        )
        for r in records
    )
    assert max(keys.values()) >= 2


def test_gzip_only_when_asked_and_large(client):
    asked = export(client, from_date="2024-03-01", to_date="2024-03-01")
    plain = client.get(
        "/api/2.0/export",
        params={"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-01"},
        headers={"Accept-Encoding": "identity"},
    )
    small = export(client, limit=1)
    assert asked.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert "content-encoding" not in small.headers
    assert asked.content == plain.content


def test_gzip_refused_by_q_zero(client):
    response = client.get(
        "/api/2.0/export",
        params={"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-01"},
        headers={"Accept-Encoding": "gzip;q=0, identity"},
    )
    assert "content-encoding" not in response.headers


def test_streamed_in_pieces_day_by_day(client):
    with client.stream(
        "GET",
        "/api/2.0/export",
        params={"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-04"},
    ) as response:
        assert response.headers["transfer-encoding"] == "chunked"
        raw = list(response.iter_raw())
    assert len(raw) >= 4
    # Each piece is a complete gzip member boundary (sync flush): decodable on arrival.
    decoded = gzip.decompress(b"".join(raw))
    assert decoded.count(b"\n") == len(decoded.splitlines())


def test_same_knobs_same_bytes_other_seed_other_data():
    config = DatasetConfig(seed=11, start=dt.date(2024, 3, 1), days=2, events_per_day=80, users=20)
    bodies = []
    for dataset in (
        Dataset.generate(config),
        Dataset.generate(config),
        Dataset.generate(
            DatasetConfig(seed=12, start=dt.date(2024, 3, 1), days=2, events_per_day=80, users=20)
        ),
    ):
        emulator = Emulator(dataset)
        with httpx.Client(
            transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH
        ) as c:
            bodies.append(
                export(c, from_date="2024-03-01", to_date="2024-03-02").content
                + c.get(
                    "/api/query/segmentation",
                    params={
                        "project_id": DEMO_PROJECT_ID,
                        "event": "Page View",
                        "from_date": "2024-03-01",
                        "to_date": "2024-03-02",
                    },
                ).content
            )
    assert bodies[0] == bodies[1]
    assert bodies[0] != bodies[2]


@pytest.mark.parametrize("legacy", [False, True])
def test_legacy_time_zone_projects_export_local_days(legacy):
    zone = "America/Los_Angeles"
    config = DatasetConfig(
        seed=3,
        start=dt.date(2024, 3, 1),
        days=3,
        events_per_day=60,
        users=15,
        timezone=zone,
        legacy_timezone=legacy,
    )
    emulator = Emulator(Dataset.generate(config))
    with httpx.Client(transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH) as c:
        records = lines(export(c, from_date="2024-03-02", to_date="2024-03-02", time_in_ms="true"))
    stamps = [dt.datetime.fromtimestamp(r["properties"]["time"] / 1000, dt.UTC) for r in records]
    if legacy:
        # Legacy projects store local wall-clock time: read as UTC, it falls on the local day.
        assert {s.date() for s in stamps} == {dt.date(2024, 3, 2)}
    else:
        assert {s.date() for s in stamps} == {dt.date(2024, 3, 2)}
        local_days = {s.astimezone(ZoneInfo(zone)).date() for s in stamps}
        assert dt.date(2024, 3, 1) in local_days


def test_limit_without_filters_runs_across_days(client, small_dataset):
    first = small_dataset.export_lines(dt.date(2024, 3, 1), time_in_ms=False)
    whole = export(client).content.splitlines(keepends=True)
    count = first.count(b"\n") + 3
    body = export(client, limit=count).content
    assert body == b"".join(whole[:count])
    assert export(client, limit=len(whole) + 10).content == b"".join(whole)


def test_a_day_asked_again_gives_the_same_bytes(client):
    params = {"from_date": "2024-03-02", "to_date": "2024-03-03", "time_in_ms": "true"}
    assert export(client, **params).content == export(client, **params).content
    seconds = lines(export(client, from_date="2024-03-02", to_date="2024-03-03"))
    millis = lines(export(client, **params))
    assert [r["properties"]["time"] // 1000 for r in millis] == [
        r["properties"]["time"] for r in seconds
    ]


@pytest.fixture(scope="module")
def big_day() -> Emulator:
    """One synthetic day of about 1 MB: its export body is several 256 KB pieces."""
    config = DatasetConfig(seed=5, start=dt.date(2024, 3, 1), days=1, events_per_day=3000, users=60)
    return Emulator(Dataset.generate(config))


def raw_gzip_pieces(emulator: Emulator) -> list[bytes]:
    params = {"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-01"}
    with (
        httpx.Client(transport=emulator.transport(), base_url=emulator.base_url, auth=AUTH) as c,
        c.stream("GET", "/api/2.0/export", params=params) as response,
    ):
        assert response.headers["content-encoding"] == "gzip"
        return list(response.iter_raw())


def test_gzip_body_of_many_pieces_decodes_piece_by_piece(big_day):
    plain = big_day.dataset.export_lines(dt.date(2024, 3, 1), time_in_ms=False)
    assert len(plain) > 3 * 256 * 1024
    pieces = raw_gzip_pieces(big_day)
    assert len(pieces) >= 4
    # One gzip stream (the CRC and length trailer are checked here)...
    assert gzip.decompress(b"".join(pieces)) == plain
    # ...and each piece ends on a sync flush: as soon as it arrives, all of its 256 KB of
    # the body come out of the decoder.
    inflate = zlib.decompressobj(31)
    sizes = [len(inflate.decompress(piece)) for piece in pieces]
    assert inflate.eof
    step = 256 * 1024
    assert [size for size in sizes if size] == [
        min(step, len(plain) - start) for start in range(0, len(plain), step)
    ]


def test_gzip_bytes_do_not_depend_on_the_compression_threads(big_day, monkeypatch):
    parallel = raw_gzip_pieces(big_day)
    monkeypatch.setattr(_body, "_THREADS", 1)
    assert raw_gzip_pieces(big_day) == parallel


@pytest.mark.network
@pytest.mark.parametrize("time_in_ms", [True, False])
def test_replayed_file_over_a_socket_is_served_as_exported(tmp_path, time_in_ms):
    source = Dataset.generate(
        DatasetConfig(seed=9, start=dt.date(2024, 3, 1), days=2, events_per_day=400, users=30)
    )
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"".join(source.export_lines(d, time_in_ms=True) for d in source.days))
    emulator = Emulator(Dataset.from_files(path))
    params = {"project_id": DEMO_PROJECT_ID, "from_date": "2024-03-01", "to_date": "2024-03-02"}
    if time_in_ms:
        params["time_in_ms"] = "true"
    expected = b"".join(source.export_lines(d, time_in_ms=time_in_ms) for d in source.days)
    try:
        with serve(emulator) as server, httpx.Client(base_url=server.url, auth=AUTH) as c:
            response = c.get("/api/2.0/export", params=params)
            assert response.headers["content-encoding"] == "gzip"
            assert response.content == expected
            limited = c.get("/api/2.0/export", params={**params, "limit": "450"}).content
            assert limited == b"".join(expected.splitlines(keepends=True)[:450])
    finally:
        emulator.close()


def test_whole_day_cache_is_bounded_by_size():
    cache = _endpoints_export._DayBodies(10)
    day = dt.date(2024, 3, 1)
    cache.put((day, False), b"12345")
    cache.put((day, True), b"6789")
    assert cache.get((day, False)) == b"12345"  # now the most recent
    cache.put((day + dt.timedelta(days=1), False), b"abcd")  # over 10 bytes: drop the oldest
    assert cache.get((day, True)) is None
    assert cache.get((day, False)) == b"12345"
    cache.put((day + dt.timedelta(days=2), False), b"x" * 11)  # bigger than the whole cache
    assert cache.get((day + dt.timedelta(days=2), False)) is None
    assert cache.get((day + dt.timedelta(days=1), False)) == b"abcd"


def test_a_ready_gzip_piece_is_not_held_back_by_a_slow_source():
    asked = []

    def days():
        for n in range(3):
            asked.append(n)
            yield (b'{"event":"A","properties":{"time":%d}}\n' % n) * 60

    delivery = _body.deliver(Reply(status=200, body=days()), accept_gzip=True)
    inflate = zlib.decompressobj(31)
    first = inflate.decompress(next(delivery.chunks))
    # The first day is on the wire before the second one is asked for.
    assert asked == [0]
    assert first == b'{"event":"A","properties":{"time":0}}\n' * 60
    rest = b"".join(inflate.decompress(chunk) for chunk in delivery.chunks)
    assert inflate.eof
    assert rest.count(b"\n") == 120
    delivery.close()
