"""The event decoder: top-level columns, time units and zones, ids, errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from mixpanel_data.exceptions import APIDecodeError, ValidationError
from mixpanel_data.ingest import EVENT_COLUMNS, EventBatch, EventDecoder, Kind
from mixpanel_data.ingest._flatten import SCRATCH_PREFIX, sweep_scratch_dirs

LineMaker = Callable[..., bytes]

T0 = 1718031845  # 2024-06-10T15:04:05Z


def rows(batch: EventBatch) -> list[dict[str, Any]]:
    """Rows with property columns named by key (``prop:<key>`` for a top-level name)."""
    names = list(EVENT_COLUMNS) + [
        f"prop:{c.key}" if c.key in EVENT_COLUMNS else c.key for c in batch.columns
    ]
    return [dict(zip(names, r.values(), strict=True)) for r in batch.data.to_pylist()]


def test_top_level_columns_and_arrow_types(decoder: EventDecoder, line: LineMaker) -> None:
    batch = decoder.decode(
        line(
            "Purchase",
            time=T0,
            distinct_id="u1",
            **{"$insert_id": "i1"},
            mp_processing_time_ms=17,
            amount=9,
        )
    )
    assert batch.data.column_names[:7] == list(EVENT_COLUMNS)
    assert str(batch.data.schema.field("time").type) == "timestamp[us]"
    row = rows(batch)[0]
    assert row["event"] == "Purchase"
    assert row["time"] == dt.datetime(2024, 6, 10, 15, 4, 5)
    assert (row["distinct_id"], row["insert_id"], row["mp_processing_time_ms"]) == ("u1", "i1", 17)
    assert row["amount"] == 9
    assert [c.key for c in batch.columns] == ["amount"]


def test_seconds_and_milliseconds_follow_the_parameter_not_the_magnitude(
    decoder: EventDecoder, ms_decoder: EventDecoder, line: LineMaker
) -> None:
    seconds = rows(decoder.decode(line(time=T0)))[0]["time"]
    millis = rows(ms_decoder.decode(line(time=T0 * 1000 + 123)))[0]["time"]
    assert seconds == dt.datetime(2024, 6, 10, 15, 4, 5)
    assert millis == dt.datetime(2024, 6, 10, 15, 4, 5, 123000)
    # A small number in ms mode is still milliseconds.
    assert rows(ms_decoder.decode(line(time=1500)))[0]["time"] == dt.datetime(
        1970, 1, 1, 0, 0, 1, 500000
    )


@pytest.mark.parametrize(
    ("millis", "expected"),
    [
        (1718063999999, dt.datetime(2024, 6, 10, 23, 59, 59, 999000)),
        (1718064000000, dt.datetime(2024, 6, 11, 0, 0, 0)),
    ],
)
def test_day_boundary_times_are_exact(
    ms_decoder: EventDecoder, line: LineMaker, millis: int, expected: dt.datetime
) -> None:
    assert rows(ms_decoder.decode(line(time=millis)))[0]["time"] == expected


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2024-07-01 12:00:00", "2024-07-01 16:00:00"),  # EDT, UTC-4
        ("2024-01-15 12:00:00", "2024-01-15 17:00:00"),  # EST, UTC-5
        # Fall back: 01:30 happens twice; ICU reads the second occurrence (EST).
        ("2024-11-03 01:30:00", "2024-11-03 06:30:00"),
        # Spring forward: 02:30 does not exist; read with the offset before the jump (EST).
        ("2024-03-10 02:30:00", "2024-03-10 07:30:00"),
        ("2024-03-10 03:30:00", "2024-03-10 07:30:00"),  # first valid EDT time after the jump
    ],
)
def test_legacy_project_local_times_become_utc(line: LineMaker, local: str, utc: str) -> None:
    shifted = int(dt.datetime.fromisoformat(local).replace(tzinfo=dt.UTC).timestamp())
    with EventDecoder(time_in_ms=False, timezone="America/New_York") as decoder:
        assert rows(decoder.decode(line(time=shifted)))[0]["time"] == dt.datetime.fromisoformat(utc)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        EventDecoder(time_in_ms=False, timezone="Mars/Olympus")


def test_distinct_id_keeps_missing_null_and_empty_apart(
    decoder: EventDecoder, line: LineMaker
) -> None:
    batch = decoder.decode(
        line(time=T0)
        + line(time=T0, distinct_id=None)
        + line(time=T0, distinct_id="")
        + line(time=T0, distinct_id=42)
    )
    assert [r["distinct_id"] for r in rows(batch)] == [None, None, "", "42"]


def test_missing_insert_id_gets_a_stable_content_id(line: LineMaker) -> None:
    data = line("Signup", time=T0, distinct_id="u", b=2, a=1)
    reordered = line("Signup", time=T0, distinct_id="u", a=1, b=2)
    with EventDecoder(time_in_ms=False) as one, EventDecoder(time_in_ms=False) as two:
        first = rows(one.decode(data))[0]["insert_id"]
        again = rows(two.decode(data))[0]["insert_id"]
        same_keys_other_order = rows(two.decode(reordered))[0]["insert_id"]
        other_value = rows(two.decode(line("Signup", time=T0, distinct_id="u", a=1, b=3)))[0][
            "insert_id"
        ]
        other_event = rows(two.decode(line("Login", time=T0, distinct_id="u", a=1, b=2)))[0][
            "insert_id"
        ]
    assert first.startswith("mpd-")
    assert len(first) == 36
    assert first == again == same_keys_other_order
    assert len({first, other_value, other_event}) == 3


def test_properties_keep_every_key_and_value(decoder: EventDecoder) -> None:
    raw = (
        b'{"event":"e","properties":{"time":1, "big":123456789012345678901234567890, '
        b'"f":1.50, "n":null, "s":"a\\u2028b", "o":{"k":[1,{"z":null}]}}}\n'
    )
    text = rows(decoder.decode(raw))[0]["properties"]
    assert "123456789012345678901234567890" in text  # orjson would read it as a float
    properties = json.loads(text)
    assert properties == {
        "time": 1,
        "big": 123456789012345678901234567890,
        "f": 1.5,
        "n": None,
        "s": "a\u2028b",
        "o": {"k": [1, {"z": None}]},
    }


def test_property_types(decoder: EventDecoder, line: LineMaker) -> None:
    batch = decoder.decode(
        line(
            time=T0,
            s="x",
            i=3,
            f=2.5,
            b=True,
            l=[1, "a"],
            o={"k": 1},
            n=None,
            big=2**63 + 5,
            wide=2**60,
        )
    )
    types = {c.key: c.type.value for c in batch.columns}
    assert types == {
        "s": "VARCHAR",
        "i": "BIGINT",
        "f": "DOUBLE",
        "b": "BOOLEAN",
        "l": "JSON",
        "o": "JSON",
        "big": "VARCHAR",
        "wide": "BIGINT",
    }  # "n" (only null so far) has no column yet
    row = rows(batch)[0]
    assert (row["s"], row["i"], row["f"], row["b"]) == ("x", 3, 2.5, True)
    assert orjson.loads(row["l"]) == [1, "a"]
    assert orjson.loads(row["o"]) == {"k": 1}
    assert (row["big"], row["wide"]) == (str(2**63 + 5), 2**60)


@pytest.mark.parametrize(
    ("values", "column_type", "expected"),
    [
        ([1, 2], "BIGINT", [1, 2]),
        ([1, 2.5], "DOUBLE", [1.0, 2.5]),
        ([1, 2.5, "a"], "VARCHAR", ["1", "2.5", "a"]),
        ([1, "a"], "VARCHAR", ["1", "a"]),
        ([True, 1], "VARCHAR", ["true", "1"]),
        ([2**60, 0.5], "VARCHAR", [str(2**60), "0.5"]),  # a double would lose digits
        (["a", [1]], "JSON", ['"a"', "[1]"]),
        ([1, {"k": "v"}], "JSON", ["1", '{"k":"v"}']),
    ],
)
def test_drift_within_a_batch_widens_without_losing_values(
    decoder: EventDecoder, line: LineMaker, values: list[Any], column_type: str, expected: list[Any]
) -> None:
    batch = decoder.decode(b"".join(line(time=T0, v=v) for v in values))
    assert [c.type.value for c in batch.columns] == [column_type]
    assert [r["v"] for r in rows(batch)] == expected


def test_drift_across_batches_widens_later_batches(decoder: EventDecoder, line: LineMaker) -> None:
    first = decoder.decode(line(time=T0, v=1))
    second = decoder.decode(line(time=T0, v=2.5))
    third = decoder.decode(line(time=T0, v=3))
    fourth = decoder.decode(line(time=T0, v="x"))
    fifth = decoder.decode(line(time=T0, v={"a": 1}))
    assert [b.columns[0].type.value for b in (first, second, third, fourth, fifth)] == [
        "BIGINT",
        "DOUBLE",
        "DOUBLE",
        "VARCHAR",
        "JSON",
    ]
    assert [rows(b)[0]["v"] for b in (first, second, third, fourth, fifth)] == [
        1,
        2.5,
        3.0,
        "x",
        '{"a":1}',
    ]


def test_a_null_only_key_gets_a_column_once_it_has_a_value(
    decoder: EventDecoder, line: LineMaker
) -> None:
    assert decoder.decode(line(time=T0, coupon=None)).columns == ()
    batch = decoder.decode(line(time=T0, coupon=None) + line(time=T0, coupon="SAVE"))
    assert [(c.key, c.type.value) for c in batch.columns] == [("coupon", "VARCHAR")]
    assert [r["coupon"] for r in rows(batch)] == [None, "SAVE"]


def test_case_colliding_and_odd_names_are_all_decoded(
    decoder: EventDecoder, line: LineMaker
) -> None:
    odd = {
        "Plan": "pro",
        "plan": 2,
        "$browser": "Chrome",
        "a.b": 1,
        "with space": True,
        'qu"ote': "q",
        "sl/ash~tilde": "s",
        "ünï": "u",
        "x" * 300: "long",
        "event": "shadow",
        "Time": "not the time",
    }
    batch = decoder.decode(line(time=T0, **odd))
    row = rows(batch)[0]
    assert {k: row["prop:" + k if k == "event" else k] for k in odd} == odd
    assert row["time"] == dt.datetime(2024, 6, 10, 15, 4, 5)
    assert row["event"] == "e"  # the top-level event, not the property


def test_reserved_keys_feed_top_level_columns_only(decoder: EventDecoder, line: LineMaker) -> None:
    batch = decoder.decode(
        line(
            time=T0,
            distinct_id="u",
            mp_processing_time_ms=5,
            **{"$insert_id": "i", "$distinct_id": "d"},
        )
    )
    assert [c.key for c in batch.columns] == ["$distinct_id"]


def test_keys_past_max_columns_stay_json_only(line: LineMaker) -> None:
    with EventDecoder(time_in_ms=False, max_columns=2) as decoder:
        batch = decoder.decode(line(time=T0, c=3, a=1, b=2))
        assert [c.key for c in batch.columns] == ["a", "b"]
        assert decoder.json_only_keys == {"c"}
        assert orjson.loads(rows(batch)[0]["properties"])["c"] == 3


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b'{"event":"x","properties":{"time":1,"a":}}', "not valid JSON"),
        (b'["not", "an", "object"]', "not a JSON object"),
        (b'{"properties":{"time":1}}', "no event name"),
        (b'{"event":"x","properties":[1]}', "no properties object"),
        (b'{"event":"x","properties":{"a":1}}', "properties.time"),
        (b'{"event":"x","properties":{"time":"yesterday"}}', "properties.time"),
    ],
)
def test_a_malformed_middle_line_names_its_number(
    decoder: EventDecoder, line: LineMaker, bad: bytes, reason: str
) -> None:
    data = line(time=T0) + b"\n" + bad + b"\n" + line(time=T0)
    with pytest.raises(
        APIDecodeError, match=rf"line 3 of the export stream is malformed: .*{reason}"
    ) as info:
        decoder.decode(data)
    assert bad.decode()[:20] in str(info.value)


def test_blank_lines_and_empty_blocks_decode_to_nothing(
    decoder: EventDecoder, line: LineMaker
) -> None:
    assert decoder.decode(b"\n\n").rows == 0
    assert decoder.decode(b"").rows == 0
    assert decoder.decode(b"\n" + line(time=T0) + b"\n").rows == 1


def test_batch_reports_its_size(decoder: EventDecoder, line: LineMaker) -> None:
    data = line(time=T0) * 3
    batch = decoder.decode(data)
    assert (batch.rows, batch.nbytes, batch.lines, batch.first_line) == (3, len(data), 3, 1)


def test_fetched_at_is_the_given_time(line: LineMaker) -> None:
    stamp = dt.datetime(2025, 1, 2, 3, 4, 5)
    with EventDecoder(time_in_ms=False, fetched_at=stamp) as decoder:
        assert rows(decoder.decode(line(time=T0)))[0]["_fetched_at"] == stamp


def test_empty_and_nul_keys_have_no_column_but_stay_in_properties(decoder: EventDecoder) -> None:
    batch = decoder.decode(
        b'{"event":"e","properties":{"time":1,"":"empty","a\\u0000b":2,"ok":3}}\n'
    )
    assert [c.key for c in batch.columns] == ["ok"]
    assert decoder.json_only_keys == {"", "a\x00b"}
    assert json.loads(rows(batch)[0]["properties"])[""] == "empty"


def test_checked_batches_keep_the_kinds_exact(decoder: EventDecoder, line: LineMaker) -> None:
    decoder.decode(line(time=T0, v=1))
    wide = decoder.decode(line(time=T0, v=2**60))
    assert wide.columns[0].type.value == "BIGINT"
    assert wide.columns[0].kinds & Kind.WIDE_INT
    mixed = decoder.decode(line(time=T0, v=0.5))
    assert mixed.columns[0].type.value == "VARCHAR"  # a DOUBLE would lose 2**60's digits


@pytest.mark.parametrize(
    ("first", "second", "widened"),
    [
        (True, "x", "VARCHAR"),
        (2.5, 10**17, "VARCHAR"),
        (2.5, "x", "VARCHAR"),
        ("x", [1], "JSON"),
        (1, None, "BIGINT"),
    ],
)
def test_drift_is_caught_in_checked_batches(
    decoder: EventDecoder, line: LineMaker, first: Any, second: Any, widened: str
) -> None:
    decoder.decode(line(time=T0, v=first))
    batch = decoder.decode(line(time=T0, v=second) + line(time=T0, v=first))
    assert batch.columns[0].type.value == widened


def test_close_removes_the_scratch_folder() -> None:
    decoder = EventDecoder(time_in_ms=False)
    folder = Path(decoder._dir)
    assert folder.is_dir()
    decoder.close()
    assert not folder.exists()


def test_scratch_folders_of_dead_processes_are_swept(tmp_path: Path) -> None:
    # A fetch killed with SIGKILL cannot remove its scratch folder (its last block, up to
    # 16 MB); the next decoder sweeps folders whose process is gone.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f"{SCRATCH_PREFIX}{dead_pid}-abc123"
    (stale / "spill").mkdir(parents=True)
    (stale / "block.ndjson").write_bytes(b"{}\n")
    alive = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-def456"
    alive.mkdir()
    unrelated = tmp_path / f"{SCRATCH_PREFIX}bench"
    unrelated.mkdir()
    assert sweep_scratch_dirs(str(tmp_path)) == [str(stale)]
    assert not stale.exists()
    assert alive.is_dir()
    assert unrelated.is_dir()


def test_scratch_folder_names_its_process() -> None:
    with EventDecoder(time_in_ms=False) as decoder:
        assert Path(decoder._dir).name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-")
