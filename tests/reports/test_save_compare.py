"""``save_as`` tables, comparisons that disagree, and the unsaved funnel's fetch."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from mixpanel_data._reports_compare import compare_reports
from mixpanel_data._workspace_reports_flows import ADHOC_FUNNEL_NOTE
from mixpanel_data.exceptions import TableExistsError, ValidationError
from mixpanel_data.types import SegmentationResult, SeriesRow
from mixpanel_data.workspace import Workspace

FROM, TO = dt.date(2024, 3, 4), dt.date(2024, 3, 10)


def test_save_as_writes_a_registered_report_table(ws_rw) -> None:
    result = ws_rw.segmentation(
        "Page View", from_date=FROM, to_date=TO, group_by="$os", save_as="pv_by_os"
    )
    stored = ws_rw.query_pl("SELECT * FROM pv_by_os ORDER BY date, segment")
    assert stored.height == result.pl.height
    assert stored.schema["date"] == pl.Date
    assert stored["value"].sum() == result.pl["value"].sum()
    meta = ws_rw.table_metadata("pv_by_os")
    assert meta.kind == "report"
    assert meta.rows == result.pl.height
    source = meta.source if isinstance(meta.source, dict) else json.loads(meta.source)
    assert source["report"] == "segmentation"
    assert source["group_by"] == "$os"
    assert source["from_date"] == "2024-03-04"
    assert "pv_by_os" in ws_rw.tables()

    # Saving again replaces the report (a snapshot), keeping one registry row.
    ws_rw.segmentation("Page View", from_date=FROM, to_date=FROM, save_as="PV_BY_OS")
    assert ws_rw.query("SELECT count(*) AS n FROM pv_by_os")[0]["n"] == 1
    assert (
        ws_rw.query("SELECT count(*) AS n FROM _mp_tables WHERE lower(name) = 'pv_by_os'")[0]["n"]
        == 1
    )


def test_save_as_never_overwrites_other_tables(ws_rw) -> None:
    before = ws_rw.query("SELECT count(*) AS n FROM events")[0]["n"]
    with pytest.raises(TableExistsError):
        ws_rw.segmentation("Page View", from_date=FROM, to_date=TO, save_as="events")
    with pytest.raises(ValidationError):
        ws_rw.segmentation("Page View", from_date=FROM, to_date=TO, save_as="_mp_tables")
    assert ws_rw.query("SELECT count(*) AS n FROM events")[0]["n"] == before


def test_save_as_a_local_report_and_a_comparison(ws_rw) -> None:
    ws_rw.retention("Sign Up", from_date=FROM, to_date=FROM, periods=2, local=True, save_as="ret")
    assert ws_rw.query_pl("SELECT * FROM ret").columns == [
        "cohort",
        "cohort_size",
        "period",
        "users",
        "rate",
    ]
    cmp = ws_rw.compare(ws_rw.event_counts, ["Login"], from_date=FROM, to_date=TO, save_as="cmp")
    stored = ws_rw.query_pl("SELECT * FROM cmp")
    assert stored.columns == ["date", "event", "value_live", "value_local", "value_diff", "agree"]
    assert stored["agree"].all()
    assert cmp.agree


def _segmentation(rows: list[tuple[str, int]], source: str) -> SegmentationResult:
    return SegmentationResult(
        source=source,  # type: ignore[arg-type]
        event="E",
        from_date=dt.date(2024, 1, 1),
        to_date=dt.date(2024, 1, 3),
        unit="day",
        rows=[SeriesRow(date=d, value=v) for d, v in rows],
    )


def test_comparison_shows_differences_and_treats_missing_rows_as_zero() -> None:
    live = _segmentation([("2024-01-01", 5), ("2024-01-02", 0), ("2024-01-03", 7)], "live")
    local = _segmentation([("2024-01-01", 5), ("2024-01-03", 6)], "local")
    cmp = compare_reports(live, local)
    assert not cmp.agree
    assert cmp.pl["agree"].to_list() == [True, True, False]
    assert cmp.differences["value_diff"].to_list() == [-1.0]
    header = cmp._header()
    assert header["differing_rows"] == 1
    assert header["rows"] == 3
    assert header["source"].startswith("compare")
    with pytest.raises(ValidationError):
        compare_reports(live, cmp)  # type: ignore[arg-type]


class _Fetching(Workspace):
    """A workspace whose fetch service records what the unsaved funnel asks for."""

    fetched: list[tuple[object, ...]]

    def fetch_events(self, from_date, to_date=None, *, events=None, table="events", **_):  # type: ignore[no-untyped-def]
        self.fetched.append((from_date, to_date, tuple(events or ()), table))


def test_unsaved_funnel_fetches_what_it_needs_then_computes_locally(events_file, client) -> None:
    with _Fetching(path=events_file, read_only=True, client=client) as ws:
        ws.fetched = []
        result = ws.funnel(["Sign Up", "Purchase"], from_date=FROM, to_date=TO, window="2d")
        # Report days are local days, export days UTC: one more day on each side, and
        # the window past the last day for completions.
        assert ws.fetched == [
            (
                FROM - dt.timedelta(days=1),
                TO + dt.timedelta(days=3),
                ("Sign Up", "Purchase"),
                "events",
            )
        ]
        assert result.source == "local"
        assert result.note == ADHOC_FUNNEL_NOTE
        assert result._header()["note"] == ADHOC_FUNNEL_NOTE
        local = ws.funnel(
            ["Sign Up", "Purchase"], from_date=FROM, to_date=TO, window="2d", local=True
        )
        assert local.note is None
        assert ws.fetched[1:] == []
        assert local.pl.equals(result.pl)
        assert result.steps[0].users > 0
        # fetch=False uses only what the workspace holds.
        none = ws.funnel(["Sign Up", "Purchase"], from_date=FROM, to_date=TO, fetch=False)
        assert len(ws.fetched) == 1
        assert none.steps[0].users == result.steps[0].users


def test_df_is_the_same_frame_in_pandas(ws) -> None:
    result = ws.retention("Sign Up", from_date=FROM, to_date=FROM, periods=2, local=True)
    frame = result.df
    assert list(frame.columns) == result.pl.columns
    assert len(frame) == result.pl.height
    assert frame["users"].tolist() == result.pl["users"].to_list()
