"""Reports with ``where``/``on``/``born_where`` expressions (compiled by analytics.expr)."""

from __future__ import annotations

import json

import duckdb
import pytest

from mixpanel_data.analytics import (
    FunnelStep,
    frequency,
    funnel,
    profiles,
    property_counts,
    property_values,
    retention,
    segmentation,
    segmentation_average,
    segmentation_numeric,
    segmentation_sum,
)
from mixpanel_data.exceptions import ExpressionError

DAY = ("2024-06-01", "2024-06-01")


def test_on_segments_with_undefined_and_top_n(con: duckdb.DuckDBPyConnection, add) -> None:
    # Chrome x3 (u1, u1, u2), Firefox x2, Safari x1, no browser x2.
    # Totals: Chrome 3, Firefox 2, undefined 2, Safari 1 -> ranked by total then label
    # ("Firefox" < "undefined"). limit=2 keeps Chrome and Firefox.
    for user, browser in [
        ("u1", "Chrome"),
        ("u1", "Chrome"),
        ("u2", "Chrome"),
        ("u1", "Firefox"),
        ("u3", "Firefox"),
        ("u4", "Safari"),
    ]:
        add("A", "2024-06-01 10:00:00", user, **{"$browser": browser})
    add("A", "2024-06-01 11:00:00", "u5")
    add("A", "2024-06-01 12:00:00", "u6")
    on = 'properties["$browser"]'
    full = segmentation(con, "A", *DAY, on=on)
    assert full.segments == ("Chrome", "Firefox", "undefined", "Safari")
    assert full.values()["undefined"] == {"2024-06-01": 2}
    top = segmentation(con, "A", *DAY, on=on, limit=2)
    assert top.values() == {"Chrome": {"2024-06-01": 3}, "Firefox": {"2024-06-01": 2}}
    # unique per segment: Chrome has u1 and u2.
    unique = segmentation(con, "A", *DAY, on=on, type="unique", limit=1)
    assert unique.values() == {"Chrome": {"2024-06-01": 2}}


def test_numbers_as_segments(con: duckdb.DuckDBPyConnection, add) -> None:
    # Numbers are labelled without a trailing ".0"; booleans as true/false.
    add("A", "2024-06-01 10:00:00", "u1", level=2)
    add("A", "2024-06-01 10:00:00", "u1", level=2.5)
    add("A", "2024-06-01 10:00:00", "u1", level=True)
    series = segmentation(con, "A", *DAY, on='properties["level"]')
    assert set(series.segments) == {"2", "2.5", "true"}


def test_where_is_applied_to_the_newest_copy(con: duckdb.DuckDBPyConnection, add) -> None:
    # Two copies of one event: plan=free processed first, plan=pro processed later. Mixpanel
    # shows the later copy, so where plan == "pro" finds 1 event and plan == "free" none.
    add("A", "2024-06-01 10:00:00", "u1", insert_id="x", processed=1, plan="free")
    add("A", "2024-06-01 10:00:00", "u1", insert_id="x", processed=2, plan="pro")
    pro = segmentation(con, "A", *DAY, where='properties["plan"] == "pro"')
    assert pro.values() == {"A": {"2024-06-01": 1}}
    free = segmentation(con, "A", *DAY, where='properties["plan"] == "free"')
    assert free.values() == {}


def test_where_on_user_properties_joins_profiles(
    con: duckdb.DuckDBPyConnection, add, add_user
) -> None:
    # u1 is a pro user, u2 free, u3 has no profile.
    add_user("u1", plan="pro")
    add_user("u2", plan="free")
    for user in ("u1", "u2", "u3"):
        add("A", "2024-06-01 10:00:00", user)
    series = segmentation(con, "A", *DAY, where='user["plan"] == "pro"')
    assert series.values() == {"A": {"2024-06-01": 1}}
    by_plan = segmentation(con, "A", *DAY, on='user["plan"]')
    assert by_plan.values() == {
        "free": {"2024-06-01": 1},
        "pro": {"2024-06-01": 1},
        "undefined": {"2024-06-01": 1},
    }


def test_user_properties_without_a_users_table_are_unset(
    con: duckdb.DuckDBPyConnection, add
) -> None:
    add("A", "2024-06-01 10:00:00", "u1")
    series = segmentation(con, "A", *DAY, on='user["plan"]')
    assert series.values() == {"undefined": {"2024-06-01": 1}}


def test_numeric_buckets(con: duckdb.DuckDBPyConnection, add) -> None:
    # Values 0, 5, 12, 55, 99 (whole numbers) and one string (left out).
    # Span 99 / 10 buckets = 9.9 -> nice width 10; edges are multiples of 10:
    # 0 and 5 -> "0 - 10", 12 -> "10 - 20", 55 -> "50 - 60", 99 -> "90 - 100".
    for value in (0, 5, 12, 55, 99, "n/a"):
        add("A", "2024-06-01 10:00:00", "u1", amount=value)
    series = segmentation_numeric(con, "A", *DAY, on='properties["amount"]')
    assert series.segments == ("0 - 10", "10 - 20", "50 - 60", "90 - 100")
    assert series.values()["0 - 10"] == {"2024-06-01": 2}


def test_numeric_bucket_labels_use_thousands_separators(
    con: duckdb.DuckDBPyConnection, add
) -> None:
    # 1,000..2,050: span 1,050 / 10 = 105 -> width 200 (the next 1-2-5 step);
    # 1000 -> "1,000 - 1,200", 2050 -> "2,000 - 2,200".
    add("A", "2024-06-01 10:00:00", "u1", amount=1000)
    add("A", "2024-06-01 10:00:00", "u1", amount=2050)
    series = segmentation_numeric(con, "A", *DAY, on='properties["amount"]')
    assert series.segments == ("1,000 - 1,200", "2,000 - 2,200")


def test_numeric_buckets_with_fractions(con: duckdb.DuckDBPyConnection, add) -> None:
    # 0.1..0.3: span 0.2 / 10 = 0.02 -> width 0.02; 0.3 sits on an edge and starts a bucket.
    add("A", "2024-06-01 10:00:00", "u1", ratio=0.1)
    add("A", "2024-06-01 10:00:00", "u1", ratio=0.3)
    series = segmentation_numeric(con, "A", *DAY, on='properties["ratio"]')
    assert series.segments == ("0.1 - 0.12", "0.3 - 0.32")


def test_numeric_without_numbers(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1", amount="x")
    series = segmentation_numeric(con, "A", *DAY, on='properties["amount"]')
    assert series.segments == ()
    assert series.dates == ("2024-06-01",)


def test_sum_and_average(con: duckdb.DuckDBPyConnection, add) -> None:
    # 06-01: 10.5 + 4 + "x" (sum counts 0.0) -> sum 14.5; mean of numbers (10.5, 4) = 7.25.
    # 06-02: only "x" -> sum 0.0, no average cell.
    add("Buy", "2024-06-01 10:00:00", "u1", amount=10.5)
    add("Buy", "2024-06-01 11:00:00", "u2", amount=4)
    add("Buy", "2024-06-01 12:00:00", "u2", amount="x")
    add("Buy", "2024-06-02 12:00:00", "u2", amount="x")
    on = 'properties["amount"]'
    total = segmentation_sum(con, "Buy", "2024-06-01", "2024-06-03", on=on)
    assert total.values() == {"Buy": {"2024-06-01": 14.5, "2024-06-02": 0.0}}
    mean = segmentation_average(con, "Buy", "2024-06-01", "2024-06-03", on=on)
    assert mean.values() == {"Buy": {"2024-06-01": 7.25}}


def test_property_counts_and_values(con: duckdb.DuckDBPyConnection, add) -> None:
    # gender: female x3 (06-01 x2, 06-02 x1), male x1, missing x1 ("undefined").
    add("A", "2024-06-01 10:00:00", "u1", gender="female")
    add("A", "2024-06-01 11:00:00", "u2", gender="female")
    add("A", "2024-06-02 10:00:00", "u1", gender="female")
    add("A", "2024-06-02 10:00:00", "u3", gender="male")
    add("A", "2024-06-02 11:00:00", "u4")
    counts = property_counts(con, "A", "gender", "2024-06-01", "2024-06-02")
    assert counts.values() == {
        "female": {"2024-06-01": 2, "2024-06-02": 1},
        "male": {"2024-06-02": 1},
        "undefined": {"2024-06-02": 1},
    }
    only = property_counts(con, "A", "gender", "2024-06-01", "2024-06-02", values=["male", "other"])
    assert only.segments == ("male", "other")
    assert only.values() == {"male": {"2024-06-02": 1}, "other": {}}
    assert property_values(con, "A", "gender") == ["female", "male"]
    assert property_values(con, "A", "gender", limit=1) == ["female"]


def test_property_names_with_quotes(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1", **{'say "hi"': "yes"})
    assert property_values(con, "A", 'say "hi"') == ["yes"]


def test_funnel_where_and_step_where(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1: A(web) -> B(amount 5) ; u2: A(web) -> B(amount 50); u3: A(ios) -> B(amount 50).
    # Global where platform == "web" drops u3's A (and everything without platform web);
    # so B events need platform web too: give all B's platform web.
    # Step where amount > 10 on B: only u2 converts.
    for user, platform, amount in [("u1", "web", 5), ("u2", "web", 50), ("u3", "ios", 50)]:
        add("A", "2024-06-01 10:00:00", user, platform=platform)
        add("B", "2024-06-01 10:05:00", user, platform="web", amount=amount)
    steps = ["A", FunnelStep("B", where='properties["amount"] > 10')]
    result = funnel(con, steps, *DAY, where='properties["platform"] == "web"')
    assert [s.count for s in result.bucket(None).steps] == [2, 1]


def test_funnel_on_enters_once_per_segment(con: duckdb.DuckDBPyConnection, add) -> None:
    # u1 does A with ref=ads, then A with ref=mail, then B: the user enters both segments
    # (Mixpanel: "they can enter up to once per segment") and converts in both.
    # u2: A ref=ads only. Segments ranked by entries: ads (2), mail (1).
    add("A", "2024-06-01 10:00:00", "u1", ref="ads")
    add("A", "2024-06-01 10:10:00", "u1", ref="mail")
    add("B", "2024-06-01 10:20:00", "u1")
    add("A", "2024-06-01 11:00:00", "u2", ref="ads")
    result = funnel(con, ["A", "B"], *DAY, on='properties["ref"]')
    assert result.segments == ("ads", "mail")
    assert [s.count for s in result.bucket(None, "ads").steps] == [2, 1]
    assert [s.count for s in result.bucket(None, "mail").steps] == [1, 1]
    assert [s.count for s in result.bucket("2024-06-01", "mail").steps] == [1, 1]
    assert funnel(con, ["A", "B"], *DAY, on='properties["ref"]', limit=1).segments == ("ads",)


def test_retention_filters_and_segments(con: duckdb.DuckDBPyConnection, add) -> None:
    # born_where keeps births with source == "ad": u1 (ad), u2 (organic) is skipped, u3 (ad).
    # where keeps returns with ok == true: u1's return is ok, u3's is not.
    # on = source of the birth event: every kept birth is "ad".
    add("S", "2024-06-01 10:00:00", "u1", source="ad")
    add("S", "2024-06-01 10:00:00", "u2", source="organic")
    add("S", "2024-06-01 10:00:00", "u3", source="ad")
    add("X", "2024-06-02 10:00:00", "u1", ok=True)
    add("X", "2024-06-02 10:00:00", "u2", ok=True)
    add("X", "2024-06-02 10:00:00", "u3", ok=False)
    result = retention(
        con,
        "S",
        *DAY,
        event="X",
        born_where='properties["source"] == "ad"',
        where='properties["ok"] == true',
        on='properties["source"]',
    )
    assert result.segments == ("ad",)
    assert [(c.segment, c.first, c.counts) for c in result.cohorts] == [("ad", 2, (0, 1))]


def test_frequency_where(con: duckdb.DuckDBPyConnection, add) -> None:
    # Only events with kind == "x" count: u1 has them in hours 10 and 11, u2 only "y".
    add("A", "2024-06-01 10:00:00", "u1", kind="x")
    add("A", "2024-06-01 11:00:00", "u1", kind="x")
    add("A", "2024-06-01 11:00:00", "u2", kind="y")
    result = frequency(con, "A", *DAY, where='properties["kind"] == "x"')
    assert result.periods[0].counts[:3] == (1, 1, 0)


def test_profiles_where_reads_user_and_properties(con: duckdb.DuckDBPyConnection, add_user) -> None:
    add_user("u1", plan="pro", **{"$email": "a@b.com"})
    add_user("u2", plan="free")
    add_user("u3", plan="pro")
    assert profiles(con, where='properties["plan"] == "pro"')["distinct_id"].to_list() == [
        "u1",
        "u3",
    ]
    email = profiles(con, where='user["$email"] == "a@b.com"')
    assert email["distinct_id"].to_list() == ["u1"]
    assert json.loads(email["properties"][0])["plan"] == "pro"
    assert profiles(con, distinct_ids=["u2", "u9"])["distinct_id"].to_list() == ["u2"]
    assert profiles(con).height == 3


def test_bad_expressions(con: duckdb.DuckDBPyConnection, add) -> None:
    add("A", "2024-06-01 10:00:00", "u1", name="text")
    with pytest.raises(ExpressionError):
        segmentation(con, "A", *DAY, where='properties["name" ==')
    # Rejected only at run time: `and` over a string property.
    with pytest.raises(ExpressionError) as caught:
        segmentation(con, "A", *DAY, where='properties["name"] and true')
    assert caught.value.expression == 'properties["name"] and true'
