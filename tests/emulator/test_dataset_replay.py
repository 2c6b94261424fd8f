"""Replaying a user's own export and profiles through the emulator dataset."""

from __future__ import annotations

import datetime as dt
import gzip
from typing import TYPE_CHECKING

import orjson
import pytest

from mixpanel_data.emulator._dataset import Dataset
from mixpanel_data.emulator._dataset_io import render_export_lines
from mixpanel_data.emulator._dataset_replay import ReplaySource
from mixpanel_data.emulator._dataset_types import DatasetConfig
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from pathlib import Path

CONFIG = DatasetConfig(seed=11, start=dt.date(2024, 2, 27), days=4, events_per_day=250, users=90)


@pytest.fixture(scope="module")
def generated() -> Dataset:
    return Dataset.generate(CONFIG)


def write_export(ds: Dataset, path: Path, *, time_in_ms: bool, gz: bool = False) -> None:
    body = b"".join(ds.export_lines(day, time_in_ms=time_in_ms) for day in ds.days)
    path.write_bytes(gzip.compress(body) if gz else body)


@pytest.mark.parametrize("time_in_ms", [True, False])
def test_round_trip_gives_the_same_export(
    generated: Dataset, tmp_path: Path, time_in_ms: bool
) -> None:
    path = tmp_path / "export.ndjson"
    write_export(generated, path, time_in_ms=time_in_ms)
    replay = Dataset.from_files(path, project_id=42)
    assert replay.config is None
    assert replay.project_id == 42
    assert replay.days == generated.days
    for day in generated.days:
        assert replay.export_lines(day, time_in_ms=time_in_ms) == generated.export_lines(
            day, time_in_ms=time_in_ms
        )
    if time_in_ms:
        day = generated.days[1]
        assert replay.events_for_day(day) == generated.events_for_day(day)


def test_gzip_files_and_several_files(generated: Dataset, tmp_path: Path) -> None:
    paths = []
    for n, day in enumerate(generated.days):
        path = tmp_path / f"part-{n}.bin"  # found as gzip by its bytes, not its name
        path.write_bytes(gzip.compress(generated.export_lines(day, time_in_ms=True)))
        paths.append(path)
    replay = Dataset.from_files(list(reversed(paths)))
    assert replay.days == generated.days
    last = generated.days[-1]
    assert replay.export_lines(last, time_in_ms=True) == generated.export_lines(
        last, time_in_ms=True
    )


def test_profiles_round_trip_in_every_shape(generated: Dataset, tmp_path: Path) -> None:
    events = tmp_path / "e.ndjson"
    write_export(generated, events, time_in_ms=True)
    profiles = generated.profiles
    shapes = {
        "array.json": orjson.dumps(profiles),
        "lines.ndjson": b"\n".join(orjson.dumps(p) for p in profiles) + b"\n",
        "page.json": orjson.dumps({"page": 0, "page_size": 1000, "results": profiles}),
    }
    for name, body in shapes.items():
        (tmp_path / name).write_bytes(body)
        replay = Dataset.from_files(events, tmp_path / name)
        assert replay.profiles == profiles, name


def test_profile_ids_become_strings_and_repeats_keep_the_last(tmp_path: Path) -> None:
    events = tmp_path / "e.ndjson"
    events.write_bytes(b'{"event":"A","properties":{"time":1717200000,"distinct_id":"4"}}\n')
    profiles = tmp_path / "p.ndjson"
    profiles.write_bytes(
        b'{"$distinct_id": 4, "$properties": {"plan": "free"}}\n'
        b'{"$distinct_id": "x", "$properties": {}}\n'
        b'{"$distinct_id": "4", "$properties": {"plan": "pro"}}\n'
    )
    replay = Dataset.from_files(events, profiles)
    assert replay.profiles == [
        {"$distinct_id": "4", "$properties": {"plan": "pro"}},
        {"$distinct_id": "x", "$properties": {}},
    ]


def test_seconds_become_milliseconds(tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    path.write_bytes(
        b'{"event":"A","properties":{"time":1717199999,"distinct_id":"u"}}\n'
        b'{"event":"B","properties":{"time":1717200000}}\n'
    )
    replay = Dataset.from_files(path)
    assert replay.days == (dt.date(2024, 5, 31), dt.date(2024, 6, 1))
    assert replay.events_for_day(dt.date(2024, 6, 1)) == [
        {"event": "B", "properties": {"time": 1717200000000}}
    ]


def test_replay_derives_cohorts_and_a_bookmark(generated: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    write_export(generated, path, time_in_ms=True)
    replay = Dataset.from_files(path)
    cohorts = {c.name: c for c in replay.saved_cohorts}
    assert cohorts["Returning users"].members <= cohorts["Active users"].members
    assert "" not in cohorts["Active users"].members
    (bookmark,) = replay.bookmarks
    assert bookmark.events[0] == "Page View"
    assert replay.saved_funnels == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"event":"A","properties":{"time":1}}\nterminated early', "line 2: not JSON"),
        (b'{"properties":{"time":1}}\n', 'no "event"'),
        (b'{"event":"A"}\n', 'no "properties"'),
        (b'{"event":"A","properties":{"time":"soon"}}\n', "properties.time"),
        (
            b'{"event":"A","properties":{"time":1717200000}}\n'
            b'{"event":"A","properties":{"time":1717200000000}}\n',
            "both seconds and milliseconds",
        ),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path: Path, body: bytes, message: str) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_bytes(body)
    with pytest.raises(ValidationError, match=message):
        Dataset.from_files(path)


def test_explicit_time_unit_settles_mixed_values(tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    path.write_bytes(b'{"event":"A","properties":{"time":1717200000000}}\n')
    assert Dataset.from_files(path, time_unit="ms").days == (dt.date(2024, 6, 1),)


def test_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        Dataset.from_files(tmp_path / "nope.ndjson")
    events = tmp_path / "e.ndjson"
    events.write_bytes(b"")
    with pytest.raises(ValidationError, match="no such file"):
        Dataset.from_files(events, tmp_path / "nope.json")
    assert Dataset.from_files(events).days == ()


def test_profiles_that_are_not_engage_results_are_refused(tmp_path: Path) -> None:
    events = tmp_path / "e.ndjson"
    events.write_bytes(b"")
    profiles = tmp_path / "p.json"
    profiles.write_bytes(b'[{"name": "no id"}]')
    with pytest.raises(ValidationError, match="not an engage result"):
        Dataset.from_files(events, profiles)


# -- serving a replayed day from its kept bytes ---------------------------------------------

# A plain line put beside each tricky one, so the day holds more than the tricky line.
PLAIN_LINE = '{{"event":"Z","properties":{{"time":{t},"distinct_id":"z"}}}}'
TRICKY_LINES = {
    "spaces and escapes": '{{"event": "A", "properties": {{"time": {t}, "c": "S\\u00e3o", "n": 1e3}}}}',
    "fractional time": '{{"event":"B","properties":{{"time":{t}.6,"x":1}}}}',
    "extra top-level key": '{{"event":"C","properties":{{"time":{t}}},"extra":[1]}}',
    "properties first": '{{"properties":{{"time":{t}}},"event":"C2"}}',
    "nested time, same value": '{{"event":"D","properties":{{"o":{{"time":{t}}},"time":{t}}}}}',
    "key ending in quote+time": '{{"event":"E","properties":{{"k\\"time":{t},"time":{t}}}}}',
    "longer number with the same digits": (
        '{{"event":"F","properties":{{"a":{{"time":{t}7}},"time":{t}}}}}'
    ),
    "time as a string elsewhere": '{{"event":"G","properties":{{"s":"\\"time\\":{t}","time":{t}}}}}',
    "time not first": '{{"event":"H","properties":{{"distinct_id":"u","time":{t}}}}}',
}


def write_lines(path: Path, template: str, time: int) -> None:
    lines = [PLAIN_LINE.format(t=time), template.format(t=time), PLAIN_LINE.format(t=time + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("unit", ["s", "ms"])
@pytest.mark.parametrize("case", sorted(TRICKY_LINES))
def test_export_lines_equal_the_rendering_of_the_decoded_events(
    tmp_path: Path, unit: str, case: str
) -> None:
    path = tmp_path / "e.ndjson"
    write_lines(path, TRICKY_LINES[case], 1717200000 if unit == "s" else 1717200000123)
    replay = Dataset.from_files(path, time_unit=unit)  # type: ignore[arg-type]
    (day,) = replay.days
    events = replay.events_for_day(day)
    assert len(events) == 3
    for time_in_ms in (True, False):
        assert replay.export_lines(day, time_in_ms=time_in_ms) == render_export_lines(
            events, time_in_ms=time_in_ms
        ), time_in_ms


def source_of(path: Path, unit: str) -> ReplaySource:
    return ReplaySource([path], None, time_unit=unit, zone=None)  # type: ignore[arg-type]


def test_kept_bytes_are_served_as_they_are(generated: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    write_export(generated, path, time_in_ms=True)
    source = source_of(path, "ms")
    day = generated.days[0]
    body = source.export_body(day, time_in_ms=True)
    assert body is not None
    assert body is source.export_body(day, time_in_ms=True)  # no copy, nothing rendered
    assert body == generated.export_lines(day, time_in_ms=True)
    assert source.export_body(dt.date(2020, 1, 1), time_in_ms=True) == b""


@pytest.mark.parametrize("file_in_ms", [True, False])
def test_the_other_time_unit_is_substituted_in_the_kept_bytes(
    generated: Dataset, tmp_path: Path, file_in_ms: bool
) -> None:
    path = tmp_path / "e.ndjson"
    write_export(generated, path, time_in_ms=file_in_ms)
    source = source_of(path, "ms" if file_in_ms else "s")
    for day in generated.days:
        body = source.export_body(day, time_in_ms=not file_in_ms)
        assert body is not None
        assert body == render_export_lines(source.load_day(day), time_in_ms=not file_in_ms)
    if file_in_ms:
        day = generated.days[0]
        assert source.export_body(day, time_in_ms=False) == generated.export_lines(
            day, time_in_ms=False
        )


@pytest.mark.parametrize(
    ("case", "time_in_ms", "served_as_kept"),
    [
        ("time not first", True, True),
        ("time not first", False, True),
        ("fractional time", True, False),
        ("extra top-level key", True, True),
        ("extra top-level key", False, False),
        ("nested time, same value", True, True),
        ("nested time, same value", False, False),
        ("spaces and escapes", True, True),
    ],
)
def test_which_days_need_decoding(
    tmp_path: Path, case: str, time_in_ms: bool, served_as_kept: bool
) -> None:
    path = tmp_path / "e.ndjson"
    write_lines(path, TRICKY_LINES[case], 1717200000123)
    source = source_of(path, "ms")
    (day,) = source.days
    assert (source.export_body(day, time_in_ms=time_in_ms) is not None) is served_as_kept


def test_lines_are_kept_compact(tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    path.write_bytes(
        b'{ "event" : "A", "properties" : { "time" : 1717200000, "c" : "\\u00e9" } }\n'
    )
    body = Dataset.from_files(path).export_lines(dt.date(2024, 6, 1), time_in_ms=False)
    assert body == '{"event":"A","properties":{"time":1717200000,"c":"é"}}\n'.encode()


@pytest.mark.parametrize("unit", ["s", "ms"])
@pytest.mark.parametrize("time", [-1500, -5, 0, 5, 999, 1000, 1001, 86_399_999])
def test_small_and_negative_times_in_either_unit(tmp_path: Path, unit: str, time: int) -> None:
    path = tmp_path / "e.ndjson"
    path.write_bytes(b'{"event":"A","properties":{"time":%d,"x":"%d"}}\n' % (time, time))
    replay = Dataset.from_files(path, time_unit=unit)  # type: ignore[arg-type]
    (day,) = replay.days
    events = replay.events_for_day(day)
    for time_in_ms in (True, False):
        body = replay.export_lines(day, time_in_ms=time_in_ms)
        assert body == render_export_lines(events, time_in_ms=time_in_ms)
