"""The small pieces: windows, buckets, property expressions, row building, unit inference."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mixpanel_data._reports_build import frequency_rows, rollup, series_rows
from mixpanel_data._reports_query import (
    check_range,
    parse_buckets,
    parse_window,
    property_expression,
    window_text,
)
from mixpanel_data._reports_twins import infer_unit
from mixpanel_data.analytics import Frequency, FrequencyPeriod, Series
from mixpanel_data.api._wire_common import bucket_key, day_keys
from mixpanel_data.exceptions import ExpressionError, ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", (7, "day")),
        (7, (7, "day")),
        ("2w", (14, "day")),
        ("12h", (12, "hour")),
        ("30 minutes", (30, "minute")),
        ("45s", (45, "second")),
        ("90d", (90, "day")),
        (None, None),
    ],
)
def test_parse_window(text, expected) -> None:
    assert parse_window(text) == expected
    if expected is not None:
        assert parse_window(window_text(expected)) == expected


@pytest.mark.parametrize("text", ["91d", "0d", "7y", "d", "-1d", "13w"])
def test_bad_windows(text) -> None:
    with pytest.raises(ValidationError):
        parse_window(text)


def test_parse_buckets() -> None:
    buckets = parse_buckets("1, 2-5,6-10,11+")
    assert buckets is not None
    assert [(b.low, b.high, b.label) for b in buckets] == [
        (1, 1, "1"),
        (2, 5, "2-5"),
        (6, 10, "6-10"),
        (11, None, "11+"),
    ]
    for bad in ("0", "3-2", "1,1", "2+,5", "a", "1,,2"):
        with pytest.raises(ValidationError):
            parse_buckets(bad)


def test_property_expression() -> None:
    assert property_expression("plan") == 'properties["plan"]'
    assert property_expression('say "hi"') == 'properties["say \\"hi\\""]'
    assert property_expression('user["$email"]') == 'user["$email"]'
    assert property_expression('string(properties["n"])') == 'string(properties["n"])'
    with pytest.raises(ExpressionError):
        property_expression('properties["unclosed"')
    with pytest.raises(ValidationError):
        property_expression("  ")


def test_check_range_defaults_to_today() -> None:
    today = dt.date(2024, 6, 10)
    assert check_range("2024-06-01", None, today) == (dt.date(2024, 6, 1), today)
    # A range starting after "today" ends on its first day rather than going backwards.
    assert check_range("2024-07-01", None, today) == (dt.date(2024, 7, 1), dt.date(2024, 7, 1))


def _series(cells: list[tuple[str, str, int]], dates: tuple[str, ...]) -> Series:
    frame = pl.DataFrame(
        {
            "date": [c[0] for c in cells],
            "segment": [c[1] for c in cells],
            "value": [c[2] for c in cells],
        },
        schema={"date": pl.String, "segment": pl.String, "value": pl.Int64},
    )
    return Series(
        unit="day", dates=dates, segments=tuple(dict.fromkeys(c[1] for c in cells)), frame=frame
    )


def test_series_rows_fill_every_date_and_segment() -> None:
    series = _series([("2024-06-02", "b", 3), ("2024-06-01", "a", 1)], ("2024-06-01", "2024-06-02"))
    rows = series_rows(series, segments=["a", "b"], fill=0)
    assert [(r.date, r.segment, r.value) for r in rows] == [
        ("2024-06-01", "a", 1),
        ("2024-06-01", "b", 0),
        ("2024-06-02", "a", 0),
        ("2024-06-02", "b", 3),
    ]
    assert [r.value for r in series_rows(series, segments=["a"], fill=None)] == [1, None]


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=70))
def test_rollup_keeps_the_total(values: list[int]) -> None:
    start = dt.date(2024, 1, 3)
    cells = [((start + dt.timedelta(days=i)).isoformat(), "E", v) for i, v in enumerate(values)]
    series = _series(cells, tuple(c[0] for c in cells))
    for unit in ("week", "month"):
        rolled = rollup(series, unit)
        assert rolled.frame["value"].sum() == sum(values)
        assert all(dt.date.fromisoformat(d).weekday() == 0 for d in rolled.dates) or unit == "month"


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=24))
def test_frequency_buckets_partition_the_users(exact: list[int]) -> None:
    # exact[n-1] users were active in exactly n units; Mixpanel sends "at least n" counts.
    at_least = tuple(sum(exact[i:]) for i in range(len(exact)))
    report = Frequency(
        unit="day",
        addiction_unit="hour",
        dates=("2024-06-01",),
        segments=None,
        periods=(FrequencyPeriod("2024-06-01", None, at_least),),
    )
    singles = frequency_rows(report, None)
    top = max((n for n, c in enumerate(at_least, start=1) if c > 0), default=1)
    assert [r.users for r in singles] == exact[:top] or not any(exact)
    grouped = frequency_rows(report, parse_buckets("1,2-5,6+"))
    assert sum(r.users for r in grouped) == at_least[0]


def test_bucket_keys_and_day_keys() -> None:
    assert bucket_key("2024-05-27T00:00:00-07:00") == "2024-05-27 00:00:00"
    assert bucket_key("2024-05-27") == "2024-05-27"
    assert bucket_key("2024-05-27T13:00:00+05:30") == "2024-05-27 13:00:00"
    assert day_keys(["2024-05-27 00:00:00", "2024-06-03 00:00:00"]) == {
        "2024-05-27 00:00:00": "2024-05-27",
        "2024-06-03 00:00:00": "2024-06-03",
    }
    assert day_keys(["2024-05-27 00:00:00", "2024-05-27 01:00:00"])["2024-05-27 00:00:00"] == (
        "2024-05-27 00:00:00"
    )


@pytest.mark.parametrize(
    ("keys", "start", "unit"),
    [
        (["2024-03-04", "2024-03-05"], dt.date(2024, 3, 4), "day"),
        (["2024-03-04", "2024-03-11"], dt.date(2024, 3, 4), "week"),
        (["2024-02-26"], dt.date(2024, 3, 1), "week"),
        (["2024-03-01"], dt.date(2024, 3, 4), "month"),
        (["2024-03-01", "2024-04-01"], dt.date(2024, 3, 1), "month"),
        (["2024-03-04 13:00:00"], dt.date(2024, 3, 4), "hour"),
    ],
)
def test_infer_unit(keys, start, unit) -> None:
    assert infer_unit(keys, start) == unit
