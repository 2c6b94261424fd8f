"""The one renderer: every format round-trips the rows it was given."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixpanel_data._result import Record, Result
from mixpanel_data.cli._output import render


class _Rows(Result, frozen=True, kw_only=True, dict=True):
    rows: list[dict[str, Any]]

    def _to_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows)


class _Report(_Rows, frozen=True, kw_only=True, dict=True):
    def _header(self) -> dict[str, Any]:
        return {"report": "segmentation", "from_date": "2024-01-01"}


class _Summary(Record, frozen=True, kw_only=True, dict=True):
    table: str
    rows_added: int


ROWS = [
    {"event": "Sign Up", "n": 12453, "rate": 0.275, "day": dt.date(2024, 1, 1)},
    {"event": 'Purchase, "big"', "n": 3, "rate": None, "day": dt.date(2024, 1, 2)},
]


def _render(result: Any, fmt: str) -> str:
    out = io.StringIO()
    render(result, fmt, out)  # type: ignore[arg-type]
    return out.getvalue()


def test_json_is_an_array_of_rows() -> None:
    assert json.loads(_render(_Rows(rows=ROWS), "json")) == [
        {"event": "Sign Up", "n": 12453, "rate": 0.275, "day": "2024-01-01"},
        {"event": 'Purchase, "big"', "n": 3, "rate": None, "day": "2024-01-02"},
    ]


def test_json_of_a_report_carries_its_header() -> None:
    data = json.loads(_render(_Report(rows=ROWS[:1]), "json"))
    assert data["report"] == "segmentation"
    assert data["rows"][0]["event"] == "Sign Up"


def test_jsonl_is_one_object_per_line() -> None:
    lines = _render(_Rows(rows=ROWS), "jsonl").splitlines()
    assert [json.loads(line)["n"] for line in lines] == [12453, 3]


def test_csv_round_trips_with_quoting() -> None:
    parsed = list(csv.DictReader(io.StringIO(_render(_Rows(rows=ROWS), "csv"))))
    assert parsed[1] == {"event": 'Purchase, "big"', "n": "3", "rate": "", "day": "2024-01-02"}


def test_plain_prints_one_value_per_line_for_one_column() -> None:
    frame = pl.DataFrame({"event": ["a", "b"]})
    assert _render(frame, "plain") == "a\nb\n"


def test_table_formats_numbers_and_nulls() -> None:
    text = _render(_Rows(rows=ROWS), "table")
    assert "12,453" in text
    assert "—" in text
    assert "Sign Up" in text


def test_record_renders_as_object_and_key_value_table() -> None:
    summary = _Summary(table="events", rows_added=10)
    assert json.loads(_render(summary, "json")) == {"table": "events", "rows_added": 10}
    assert "rows_added" in _render(summary, "table")
    assert _render(summary, "plain") == "table\tevents\nrows_added\t10\n"


def test_none_renders_nothing_and_text_is_text() -> None:
    assert _render(None, "json") == ""
    assert _render("/tmp/x.duckdb", "plain") == "/tmp/x.duckdb\n"
    assert json.loads(_render("/tmp/x.duckdb", "json")) == "/tmp/x.duckdb"


def test_non_finite_floats_become_null() -> None:
    frame = pl.DataFrame({"x": [float("nan"), float("inf"), 1.5]})
    assert json.loads(_render(frame, "json")) == [{"x": None}, {"x": None}, {"x": 1.5}]


_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_values, _values), min_size=1, max_size=8))
def test_json_jsonl_and_csv_parse_back_to_the_same_rows(pairs: list[tuple[Any, Any]]) -> None:
    # Keep each column one type, as a database result is.
    a_vals = [p[0] if not isinstance(p[0], int) else str(p[0]) for p in pairs]
    b_vals = [p[1] if isinstance(p[1], int) or p[1] is None else len(p[1]) for p in pairs]
    rows = [{"a": a, "b": b} for a, b in zip(a_vals, b_vals, strict=True)]
    result = _Rows(rows=rows)
    assert json.loads(_render(result, "json")) == rows
    # NDJSON splits on "\n" only (str.splitlines would also split on U+0085 or U+2028).
    lines = _render(result, "jsonl").split("\n")[:-1]
    assert [json.loads(line) for line in lines] == rows
    parsed = list(csv.DictReader(io.StringIO(_render(result, "csv"), newline="")))
    assert parsed == [
        {"a": "" if r["a"] is None else r["a"], "b": "" if r["b"] is None else str(r["b"])}
        for r in rows
    ]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "plain", "table"])
def test_every_format_renders_an_empty_result(fmt: str) -> None:
    text = _render(_Rows(rows=[]), fmt)
    if fmt == "json":
        assert json.loads(text) == []
    else:
        assert "Sign Up" not in text


def test_table_keeps_ids_without_thousands_separators() -> None:
    text = _render(pl.DataFrame({"funnel_id": [7509], "count": [12453]}), "table")
    assert "7509" in text
    assert "12,453" in text


def test_table_shows_times_compactly() -> None:
    frame = pl.DataFrame({"last_time": [dt.datetime(2024, 5, 31, 23, 59, 59, 999000)]})
    assert "2024-05-31 23:59:59.999" in _render(frame, "table")
