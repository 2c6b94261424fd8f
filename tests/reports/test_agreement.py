"""Live (the emulator) and local (the workspace's table) agree on every report type.

The emulator computes its answers with the same analytics as the local reports, but the two
paths meet only at the result types: the live numbers went through Mixpanel's wire shapes
(unsorted series, omitted dates, rounded funnel times...) and the client's decoders. The
project's time zone is America/Los_Angeles, so local days are not UTC days.
"""

from __future__ import annotations

import datetime as dt

import pytest
from polars.testing import assert_frame_equal

from mixpanel_data.types import (
    ActivityFeedResult,
    EventCountsResult,
    FrequencyResult,
    FunnelResult,
    InsightsResult,
    NumericAverageResult,
    NumericBucketResult,
    NumericSumResult,
    PropertyCountsResult,
    ReportComparison,
    RetentionResult,
    SegmentationResult,
)

FROM = dt.date(2024, 3, 4)
TO = dt.date(2024, 3, 17)  # the dataset's last day (the emulator's "today")


def agreeing(cmp: ReportComparison, kind: type) -> ReportComparison:
    assert isinstance(cmp.live, kind)
    assert isinstance(cmp.local, kind)
    assert cmp.live.source == "live"
    assert cmp.local.source == "local"
    assert cmp.pl.height > 0
    assert cmp.agree, cmp.differences
    # Not only the comparison: the two frames are the same (floats to rounding).
    assert_frame_equal(cmp.live.pl, cmp.local.pl, check_exact=False, rel_tol=1e-9)
    return cmp


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"by": "week"},
        {"by": "month"},
        {"measure": "unique"},
        {"measure": "average"},
        {"group_by": "$browser"},
        {"group_by": "$os", "measure": "unique", "where": 'properties["$browser"] != "Chrome"'},
        {"by": "hour", "to_date": FROM + dt.timedelta(days=1)},
    ],
)
def test_segmentation(ws, options) -> None:
    opts = {"from_date": FROM, "to_date": TO, **options}
    cmp = agreeing(ws.compare(ws.segmentation, "Page View", **opts), SegmentationResult)
    assert cmp.live.total > 0


@pytest.mark.parametrize(
    "options",
    [{"measure": "sum"}, {"measure": "sum", "by": "week"}, {"measure": "average"}],
)
def test_segmentation_of_a_property(ws, options) -> None:
    cmp = ws.compare(
        ws.segmentation, "Purchase", from_date=FROM, to_date=TO, property="amount", **options
    )
    agreeing(cmp, SegmentationResult)


@pytest.mark.parametrize(
    ("funnel_id", "window"),
    [(7509, "7d"), (9070, "1d")],
)
def test_saved_funnel_vs_the_same_steps_locally(ws, funnel_id, window) -> None:
    cmp = agreeing(
        ws.compare(ws.funnel, funnel_id=funnel_id, from_date=FROM, to_date=TO, window=window),
        FunnelResult,
    )
    assert cmp.live.events == cmp.local.events
    assert cmp.live.steps[0].users > 0


def test_funnel_by_week_and_segmented(ws) -> None:
    agreeing(
        ws.compare(ws.funnel, funnel_id=7509, from_date=FROM, to_date=TO, window="7d", by="week"),
        FunnelResult,
    )
    agreeing(
        ws.compare(
            ws.funnel, funnel_id=9070, from_date=FROM, to_date=TO, window="1d", group_by="$os"
        ),
        FunnelResult,
    )


@pytest.mark.parametrize(
    "options",
    [
        {"born_event": "Sign Up", "periods": 3},
        {"born_event": "Sign Up", "return_event": "Login", "periods": 2},
        {"born_event": "Sign Up", "by": "week", "periods": 1, "unbounded": True},
        {"born_event": None, "return_event": "Login", "retention_type": "compounded", "periods": 2},
        {"born_event": "Sign Up", "group_by": "$os", "periods": 2},
    ],
)
def test_retention(ws, options) -> None:
    born = options.pop("born_event")
    # Cohorts early enough that every period has started by the emulator's "today".
    cmp = ws.compare(
        ws.retention, born, from_date=FROM, to_date=FROM + dt.timedelta(days=4), **options
    )
    agreeing(cmp, RetentionResult)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"by": "day"},
        {"buckets": "1,2-3,4+"},
        {"group_by": "$os"},
        {"by": "month", "count_by": "day"},
    ],
)
def test_frequency(ws, options) -> None:
    agreeing(
        ws.compare(ws.frequency, "Page View", from_date=FROM, to_date=TO, **options),
        FrequencyResult,
    )


@pytest.mark.parametrize(
    ("bookmark_id", "options"),
    [(41001, {}), (41002, {"measure": "unique"}), (41003, {}), (41004, {"measure": "unique"})],
)
def test_insights(ws, dataset, bookmark_id, options) -> None:
    cmp = agreeing(ws.compare(ws.insights, bookmark_id, **options), InsightsResult)
    bookmark = dataset.bookmark(bookmark_id)
    assert {row.labels[0] for row in cmp.live.rows} <= set(bookmark.events)
    if bookmark.breakdown:
        assert cmp.live.headers == ["$event", bookmark.breakdown]


def test_insights_locally_from_its_definition(ws, dataset) -> None:
    bookmark = dataset.bookmark(41001)
    live = ws.insights(41001)
    local = ws.insights(
        events=list(bookmark.events),
        from_date=bookmark.from_date,
        to_date=bookmark.to_date,
        by=bookmark.unit,
        local=True,
    )
    assert live.pl.equals(local.pl)


def test_activity(ws) -> None:
    users = ws.query(
        "SELECT distinct_id FROM events WHERE distinct_id <> '' GROUP BY 1 ORDER BY count(*) DESC LIMIT 3"
    )
    ids = [row["distinct_id"] for row in users]
    cmp = agreeing(ws.compare(ws.activity, ids, from_date=FROM, to_date=TO), ActivityFeedResult)
    assert set(cmp.live.pl["distinct_id"].to_list()) <= set(ids)


@pytest.mark.parametrize(
    "options", [{}, {"measure": "unique", "by": "week"}, {"measure": "average"}]
)
def test_event_counts(ws, options) -> None:
    cmp = ws.compare(
        ws.event_counts,
        ["Login", "Purchase", "No Such Event"],
        from_date=FROM,
        to_date=TO,
        **options,
    )
    agreeing(cmp, EventCountsResult)


@pytest.mark.parametrize(
    "options", [{}, {"values": ["USD", "EUR", "XYZ"]}, {"limit": 2, "by": "month"}]
)
def test_property_counts(ws, options) -> None:
    cmp = ws.compare(
        ws.property_counts, "Purchase", "currency", from_date=FROM, to_date=TO, **options
    )
    agreeing(cmp, PropertyCountsResult)


@pytest.mark.parametrize(
    ("measure", "kind"),
    [
        ("buckets", NumericBucketResult),
        ("sum", NumericSumResult),
        ("average", NumericAverageResult),
    ],
)
def test_numeric(ws, measure, kind) -> None:
    cmp = ws.compare(
        ws.numeric, "Purchase", property="amount", measure=measure, from_date=FROM, to_date=TO
    )
    agreeing(cmp, kind)
    assert isinstance(
        ws.numeric_sum("Purchase", property="amount", from_date=FROM, to_date=TO), NumericSumResult
    )
