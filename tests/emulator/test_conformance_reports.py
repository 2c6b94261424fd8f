"""Every report endpoint answers over HTTP exactly what ``mixpanel_data.analytics`` computes.

Each request goes through :class:`mixpanel_data.api.MixpanelClient` over the emulator's
in-process transport; the expectation is computed directly with ``mixpanel_data.analytics``
on the same dataset loaded with ``Dataset.to_duckdb``, then written out in Mixpanel's wire
shape by this file (independently of the emulator's renderer), quirks included:

- ``series`` lists every bucket, in an order clients must not rely on (compared as a set);
- a bucket without data is missing from its value map;
- counts are JSON integers, averages and ratios JSON numbers; funnel times whole seconds;
- ``/retention`` is keyed at the top level, ``/retention/addiction`` wrapped in ``data``;
- Insights keys are ISO timestamps with the project's UTC offset.

Two projects: one in UTC and one in America/Los_Angeles whose days cross the 2024-03-10 DST
change, so bucketing in the project time zone is checked on both sides of the wire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import orjson
import pytest

from mixpanel_data import analytics
from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator

CONFIGS = {
    "utc": DatasetConfig(seed=7, start=dt.date(2024, 3, 1), days=4, events_per_day=150, users=40),
    "los_angeles": DatasetConfig(
        seed=23,
        start=dt.date(2024, 3, 8),
        days=5,
        events_per_day=150,
        users=40,
        timezone="America/Los_Angeles",
    ),
}


@dataclass
class World:
    """One dataset served by an emulator, and the same dataset loaded into DuckDB."""

    dataset: Dataset
    emulator: Emulator
    client: MixpanelClient
    con: duckdb.DuckDBPyConnection

    @property
    def tz(self) -> str:
        return self.dataset.timezone

    @property
    def first(self) -> str:
        return self.dataset.days[0].isoformat()

    @property
    def last(self) -> str:
        return self.dataset.days[-1].isoformat()

    @property
    def today(self) -> dt.date:
        return self.emulator.today

    def get(self, endpoint: str, **params: Any) -> Any:
        return self.client.get_json("query", f"/api/query/{endpoint}", params)

    def dates(self, **params: Any) -> dict[str, Any]:
        return {"from_date": self.first, "to_date": self.last, **params}


@pytest.fixture(scope="module")
def worlds() -> Iterator[dict[str, World]]:
    """Both projects, each built once for the module (on first use)."""
    built: dict[str, World] = {}
    yield built
    for made in built.values():
        made.client.close()
        made.con.close()
        made.emulator.close()


def build(name: str) -> World:
    dataset = Dataset.generate(CONFIGS[name])
    emulator = Emulator(dataset)
    con = duckdb.connect()
    con.execute("SET threads = 1")  # tiny tables: one thread answers fastest
    dataset.to_duckdb(con, "events", users_table="users")
    client = MixpanelClient(
        emulator.client_credentials(),
        transport=emulator.transport(),
        limits=RateLimits.unlimited(),
        max_retries=0,
    )
    return World(dataset=dataset, emulator=emulator, client=client, con=con)


@pytest.fixture
def world(request: pytest.FixtureRequest, worlds: dict[str, World]) -> World:
    """The project named by the test's ``world`` parameter."""
    name: str = request.param
    if name not in worlds:
        worlds[name] = build(name)
    return worlds[name]


def over_worlds(names: str, rows: list[Any], *, every: int = 3) -> pytest.MarkDecorator:
    """Parametrize ``world`` and ``names``: every row in the UTC project, and every
    ``every``-th row also in the Los Angeles one (which keeps the module fast)."""
    params = []
    for index, row in enumerate(rows):
        values = row if isinstance(row, tuple) else (row,)
        params.append(pytest.param("utc", *values, id=f"utc-{index}"))
        if index % every == 0:
            params.append(pytest.param("los_angeles", *values, id=f"los_angeles-{index}"))
    return pytest.mark.parametrize(("world", *names.split(",")), params, indirect=["world"])


# -- wire renderings of the analytics shapes (written from Mixpanel's reference) ----------


def whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def assert_counts(values: dict[str, dict[str, Any]], *, average: bool) -> None:
    for cells in values.values():
        for value in cells.values():
            if average:
                assert isinstance(value, int | float)
                assert not isinstance(value, bool)
            else:
                assert type(value) is int, value


def assert_series(body: Any, series: analytics.Series, *, average: bool = False) -> None:
    """``{"data": {"series": [...], "values": {...}}, "legend_size": N}``."""
    assert list(body) == ["data", "legend_size"]
    assert list(body["data"]) == ["series", "values"]
    listed = body["data"]["series"]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(series.dates)
    values = series.values()
    assert body["data"]["values"] == values
    assert list(body["data"]["values"]) == list(values)  # rank order, as computed
    assert body["legend_size"] == len(values)
    assert_counts(body["data"]["values"], average=average)


def funnel_step_wire(step: analytics.FunnelStepStats) -> dict[str, Any]:
    def seconds(value: float | None) -> int | None:
        return None if value is None else round(value)

    return {
        "count": step.count,
        "avg_time": seconds(step.avg_time),
        "avg_time_from_start": seconds(step.avg_time_from_start),
        "step_conv_ratio": step.step_conv_ratio,
        "overall_conv_ratio": step.overall_conv_ratio,
        "goal": step.event,
        "event": step.event,
    }


def funnel_bucket_wire(bucket: analytics.FunnelBucket) -> dict[str, Any]:
    analysis = bucket.analysis
    return {
        "steps": [funnel_step_wire(step) for step in bucket.steps],
        "analysis": {
            "completion": analysis.completion,
            "starting_amount": analysis.starting_amount,
            "steps": analysis.steps,
            "worst": analysis.worst,
        },
    }


def assert_funnel_types(bucket: dict[str, Any]) -> None:
    assert list(bucket) == ["steps", "analysis"]
    for index, step in enumerate(bucket["steps"]):
        assert list(step) == [
            "count",
            "avg_time",
            "avg_time_from_start",
            "step_conv_ratio",
            "overall_conv_ratio",
            "goal",
            "event",
        ]
        assert type(step["count"]) is int
        for key in ("avg_time", "avg_time_from_start"):
            assert step[key] is None or type(step[key]) is int
        if index == 0:
            assert step["avg_time"] is None
        # No custom events in the dataset, so the key is absent (present only when true).
        assert "custom_event" not in step
    assert all(type(v) is int for v in bucket["analysis"].values())


def iso(key: str, tz: str) -> str:
    """A ``yyyy-mm-dd`` bucket key as Insights shows it: local midnight with its offset."""
    return dt.datetime.fromisoformat(key).replace(tzinfo=ZoneInfo(tz)).isoformat()


# -- /segmentation --------------------------------------------------------------------------

SEGMENTATION_CASES = [
    {},
    {"type": "unique"},
    {"type": "average", "unit": "month"},
    {"on": 'properties["$browser"]', "limit": 3},
    {"on": 'properties["$os"]', "where": 'properties["$browser"] == "Chrome"', "type": "unique"},
    {"on": 'string(properties["$screen_width"]) + "px"', "unit": "hour"},
    {"where": 'defined(properties["utm_source"]) and not (properties["$os"] == "iOS")'},
    {"interval": 2},
    {"unit": "minute", "where": 'properties["$os"] == "Android"'},
    {"on": 'user["plan"]'},
]


@over_worlds("case", SEGMENTATION_CASES)
def test_segmentation(world: World, case: dict[str, Any]) -> None:
    body = world.get("segmentation", event="Page View", **world.dates(**case))
    expected = analytics.segmentation(
        world.con,
        "Page View",
        world.first,
        world.last,
        unit=case.get("unit", "day"),
        interval=case.get("interval"),
        type=case.get("type", "general"),
        on=case.get("on"),
        where=case.get("where"),
        limit=case.get("limit", 60),
        tz=world.tz,
    )
    assert expected.frame.height > 0
    assert_series(body, expected, average=case.get("type") == "average")


NUMERIC_CASES = [
    {"on": 'properties["$screen_width"]'},
    {"on": 'properties["$screen_width"]', "type": "unique", "unit": "hour"},
    {"on": 'number(properties["build"])', "where": 'properties["$os"] != "iOS"'},
]


@over_worlds("case", NUMERIC_CASES)
def test_segmentation_numeric(world: World, case: dict[str, Any]) -> None:
    event = "Page View"
    body = world.get("segmentation/numeric", event=event, **world.dates(**case))
    expected = analytics.segmentation_numeric(
        world.con,
        event,
        world.first,
        world.last,
        on=case["on"],
        unit=case.get("unit", "day"),
        type=case.get("type", "general"),
        where=case.get("where"),
        tz=world.tz,
    )
    assert expected.frame.height > 0
    assert_series(body, expected)
    # Buckets go out as "lo - hi" with thousands separators, in ascending order.
    assert list(body["data"]["values"]) == list(expected.segments)
    assert all(" - " in label for label in body["data"]["values"])


SUM_CASES = [
    ("Page View", {"on": 'properties["$screen_width"]'}),
    ("Page View", {"on": 'properties["$screen_width"] / 7', "unit": "hour"}),
    ("View Item", {"on": 'properties["price"]', "where": 'properties["$os"] == "Windows"'}),
    ("Page View", {"on": 'properties["no such property"]'}),
]


@over_worlds("event,case", SUM_CASES)
def test_segmentation_sum(world: World, event: str, case: dict[str, Any]) -> None:
    body = world.get("segmentation/sum", event=event, **world.dates(**case))
    expected = analytics.segmentation_sum(
        world.con,
        event,
        world.first,
        world.last,
        on=case["on"],
        unit=case.get("unit", "day"),
        where=case.get("where"),
        tz=world.tz,
    )
    cells = expected.values().get(event, {})
    assert cells
    assert list(body) == ["status", "computed_at", "results"]
    assert body["status"] == "ok"
    assert body["computed_at"] == f"{world.today.isoformat()}T12:00:00.000000+00:00"
    assert body["results"] == cells
    for value in body["results"].values():
        # Whole sums go out as integers (the spec types them integer), others as floats.
        assert type(value) is (int if float(value).is_integer() else float)


@over_worlds("event,case", SUM_CASES)
def test_segmentation_average(world: World, event: str, case: dict[str, Any]) -> None:
    body = world.get("segmentation/average", event=event, **world.dates(**case))
    expected = analytics.segmentation_average(
        world.con,
        event,
        world.first,
        world.last,
        on=case["on"],
        unit=case.get("unit", "day"),
        where=case.get("where"),
        tz=world.tz,
    )
    assert list(body) == ["results", "status"]
    assert body["status"] == "ok"
    assert body["results"] == expected.values().get(event, {})


# -- /funnels ------------------------------------------------------------------------------

FUNNEL_CASES = [
    (7509, {}),
    (9070, {"unit": "week"}),
    (9071, {"length": 1, "length_unit": "day", "where": 'properties["$os"] != "Linux"'}),
    (7509, {"interval": 2, "length": 30, "length_unit": "minute"}),
    (9070, {"on": 'properties["$browser"]'}),
    (7509, {"on": 'properties["mp_country_code"]', "limit": 2, "unit": "month"}),
]


@over_worlds("funnel_id,case", FUNNEL_CASES)
def test_funnels(world: World, funnel_id: int, case: dict[str, Any]) -> None:
    body = world.get("funnels", funnel_id=funnel_id, **world.dates(**case))
    saved = world.dataset.funnel(funnel_id)
    assert saved is not None
    steps = [
        analytics.FunnelStep(event=event, where=where)
        for event, where in zip(saved.steps, saved.step_where, strict=True)
    ]
    options: dict[str, Any] = {
        "length": case.get("length", saved.length),
        "length_unit": case.get("length_unit", saved.length_unit),
        "unit": case.get("unit"),
        "interval": case.get("interval"),
        "where": case.get("where"),
        "tz": world.tz,
    }
    whole_range = analytics.funnel(world.con, steps, world.first, world.last, **options)
    by_date = {b.date: funnel_bucket_wire(b) for b in whole_range.buckets}
    assert body["meta"]["dates"] == list(whole_range.dates)
    assert any(b.steps[0].count for b in whole_range.buckets)
    if "on" not in case:
        assert list(body) == ["meta", "data"]
        assert list(body["meta"]) == ["dates"]
        assert body["data"] == by_date
        for bucket in body["data"].values():
            assert_funnel_types(bucket)
        return
    segmented = analytics.funnel(
        world.con,
        steps,
        world.first,
        world.last,
        on=case["on"],
        limit=case.get("limit", 255),
        **options,
    )
    assert body["meta"]["property_values"] == list(segmented.segments or ())
    expected: dict[str, dict[str, Any]] = {d: {"$overall": by_date[d]} for d in whole_range.dates}
    for bucket in segmented.buckets:
        assert bucket.date is not None
        assert bucket.segment is not None
        expected[bucket.date][bucket.segment] = funnel_bucket_wire(bucket)
    assert body["data"] == expected
    for day in body["data"].values():
        assert next(iter(day)) == "$overall"
        for bucket in day.values():
            assert_funnel_types(bucket)


# -- /retention and /retention/addiction ------------------------------------------------------

RETENTION_CASES = [
    {"born_event": "Sign Up", "unit": "day", "interval_count": 3},
    {"born_event": "Sign Up", "event": "Page View", "interval_count": 2},  # rolling 24 h
    {"born_event": "Sign Up", "unit": "week", "interval_count": 1},
    {"born_event": "App Opened", "interval": 2, "interval_count": 2, "unbounded_retention": True},
    {
        "retention_type": "compounded",
        "event": "Page View",
        "unit": "day",
        "interval_count": 2,
        "where": 'properties["$browser"] != "Safari"',
    },
    {
        "born_event": "Page View",
        "event": "Search",
        "unit": "day",
        "interval_count": 3,
        "born_where": 'defined(properties["$browser"])',
        "on": 'properties["$browser"]',
        "limit": 3,
    },
]


@over_worlds("case", RETENTION_CASES)
def test_retention(world: World, case: dict[str, Any]) -> None:
    body = world.get("retention", **world.dates(**case))
    # Mixpanel docs: with neither interval nor unit, buckets are 24 h from each user's birth.
    mode = "calendar" if ("unit" in case or "interval" in case) else "rolling"
    expected = analytics.retention(
        world.con,
        case.get("born_event"),
        world.first,
        world.last,
        event=case.get("event"),
        retention_type=case.get("retention_type", "birth"),
        born_where=case.get("born_where"),
        where=case.get("where"),
        unit=case.get("unit", "day"),
        interval=case.get("interval", 1),
        interval_count=case.get("interval_count", 1),
        unbounded=case.get("unbounded_retention", False),
        on=case.get("on"),
        limit=case.get("limit", 255),
        mode=mode,
        today=world.today,
        tz=world.tz,
    )
    assert expected.cohorts
    wire: dict[str, Any]
    if "on" in case:
        wire = {segment: {} for segment in expected.segments or ()}
        for cohort in expected.cohorts:
            assert cohort.segment is not None
            wire[cohort.segment][cohort.date] = {
                "counts": list(cohort.counts),
                "first": cohort.first,
            }
        leaves = [leaf for dates in body.values() for leaf in dates.values()]
    else:
        wire = {c.date: {"counts": list(c.counts), "first": c.first} for c in expected.cohorts}
        leaves = list(body.values())
        # Keyed at the top level by cohort date, with no "data" wrapper.
        assert all(dt.date.fromisoformat(key) for key in body)
    assert body == wire
    for leaf in leaves:
        assert list(leaf) == ["counts", "first"]
        assert type(leaf["first"]) is int
        assert all(type(n) is int for n in leaf["counts"])
        assert 1 <= len(leaf["counts"]) <= case.get("interval_count", 1) + 1


ADDICTION_CASES = [
    {"unit": "day", "addiction_unit": "hour", "event": "Page View"},
    {"unit": "week", "addiction_unit": "day"},
    {
        "unit": "month",
        "addiction_unit": "day",
        "event": "Search",
        "where": 'properties["$os"] != "iOS"',
    },
    {"unit": "day", "addiction_unit": "hour", "event": "Page View", "on": 'properties["$os"]'},
]


@over_worlds("case", ADDICTION_CASES)
def test_addiction(world: World, case: dict[str, Any]) -> None:
    body = world.get("retention/addiction", **world.dates(**case))
    expected = analytics.frequency(
        world.con,
        case.get("event"),
        world.first,
        world.last,
        unit=case["unit"],
        addiction_unit=case["addiction_unit"],
        where=case.get("where"),
        on=case.get("on"),
        tz=world.tz,
    )
    assert list(body) == ["data"]
    if "on" in case:
        wire: dict[str, Any] = {segment: {} for segment in expected.segments or ()}
        for period in expected.periods:
            assert period.segment is not None
            wire[period.segment][period.date] = list(period.counts)
    else:
        wire = {period.date: list(period.counts) for period in expected.periods}
    assert body["data"] == wire
    assert any(any(counts) for counts in _arrays(body["data"]))
    for counts in _arrays(body["data"]):
        assert all(type(n) is int for n in counts)
        assert counts == sorted(counts, reverse=True)  # "at least i + 1" is cumulative


def _arrays(data: dict[str, Any]) -> list[list[int]]:
    out: list[list[int]] = []
    for value in data.values():
        if isinstance(value, dict):
            out.extend(_arrays(value))
        else:
            out.append(value)
    return out


# -- /insights -------------------------------------------------------------------------------


@over_worlds("bookmark_id", [41001, 41002, 41003, 41004], every=2)
def test_insights(world: World, bookmark_id: int) -> None:
    body = world.get("insights", bookmark_id=bookmark_id)
    bookmark = world.dataset.bookmark(bookmark_id)
    assert bookmark is not None
    to_date = min(bookmark.to_date, world.today)
    from_date = min(bookmark.from_date, to_date)
    expected = analytics.insights(
        world.con,
        bookmark.events,
        from_date,
        to_date,
        type=bookmark.type,
        unit=bookmark.unit,
        tz=world.tz,
    )
    assert list(body) == ["computed_at", "date_range", "headers", "series"]
    assert body["computed_at"] == f"{world.today.isoformat()}T12:00:00.000000+00:00"
    assert body["date_range"] == {"from_date": expected.from_iso, "to_date": expected.to_iso}
    assert body["date_range"]["from_date"] == iso(from_date.isoformat(), world.tz)
    if bookmark.breakdown is None:
        assert body["headers"] == ["$event"]
        assert body["series"] == expected.series()
    else:
        assert body["headers"] == ["$event", bookmark.breakdown]
        on = "properties[" + orjson.dumps(bookmark.breakdown).decode() + "]"
        wire: dict[str, Any] = {}
        for event in bookmark.events:
            split = analytics.segmentation(
                world.con,
                event,
                from_date,
                to_date,
                unit=bookmark.unit,
                type=bookmark.type,
                on=on,
                limit=10_000,
                tz=world.tz,
            )
            wire[event] = {
                segment: {iso(date, world.tz): value for date, value in cells.items()}
                for segment, cells in split.values().items()
            }
        assert body["series"] == wire
    keys = [key for per_event in body["series"].values() for key in _leaf_keys(per_event)]
    assert keys
    offset = dt.datetime.fromisoformat(keys[0]).utcoffset()
    assert offset is not None


def _leaf_keys(node: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in node.items():
        out.extend(_leaf_keys(value) if isinstance(value, dict) else [key])
    return out


# -- /events and its relatives -------------------------------------------------------------

EVENTS_CASES = [
    {"type": "general", "unit": "day"},
    {"type": "unique", "unit": "week"},
    {"type": "average", "unit": "month"},
    {"type": "general", "unit": "hour"},
    {"type": "unique", "unit": "day", "interval": 3},  # instead of from_date/to_date
]


@over_worlds("case", EVENTS_CASES)
def test_events(world: World, case: dict[str, Any]) -> None:
    names = ["Login", "Search", "Never Happened"]
    params = dict(case) if "interval" in case else world.dates(**case)
    body = world.get("events", event=names, **params)
    start = world.first
    if "interval" in case:
        start = (world.today - dt.timedelta(days=case["interval"] - 1)).isoformat()
    expected = analytics.event_counts(
        world.con,
        names,
        start,
        world.today if "interval" in case else world.last,
        type=case["type"],
        unit=case["unit"],
        tz=world.tz,
    )
    assert_series(body, expected, average=case["type"] == "average")
    assert "Never Happened" in body["data"]["values"]
    assert body["data"]["values"]["Never Happened"] == {}


@over_worlds("kind,limit", [("general", 100), ("unique", 4), ("average", 3)])
def test_events_top(world: World, kind: str, limit: int) -> None:
    body = world.get("events/top", type=kind, limit=limit)
    frame = analytics.top_events(world.con, today=world.today, type=kind, limit=limit, tz=world.tz)
    assert frame.height > 0
    assert list(body) == ["events", "type"]
    assert body["type"] == kind
    assert body["events"] == [
        {"amount": amount, "event": event, "percent_change": change}
        for event, amount, change in frame.select("event", "amount", "percent_change").iter_rows()
    ]
    for row in body["events"]:
        assert list(row) == ["amount", "event", "percent_change"]
        if kind != "average":
            assert type(row["amount"]) is int


@over_worlds("kind,limit", [("general", 255), ("unique", 5), ("average", 2)])
def test_events_names(world: World, kind: str, limit: int) -> None:
    body = world.get("events/names", type=kind, limit=limit)
    expected = analytics.event_names(
        world.con, today=world.today, type=kind, limit=limit, tz=world.tz
    )
    assert expected
    assert body == expected
    assert all(isinstance(name, str) for name in body)


PROPERTY_CASES = [
    ("Page View", "$browser", {"type": "general", "unit": "day"}),
    ("Page View", "$os", {"type": "unique", "unit": "week", "limit": 2}),
    ("Page View", "$browser", {"type": "general", "unit": "hour", "values": ["Chrome", "Opera"]}),
    ("View Item", "price", {"type": "average", "unit": "day"}),
    ("Search", "query", {"type": "general", "unit": "day", "interval": 2}),
]


@over_worlds("event,name,case", PROPERTY_CASES)
def test_events_properties(world: World, event: str, name: str, case: dict[str, Any]) -> None:
    params = dict(case) if "interval" in case else world.dates(**case)
    body = world.get("events/properties", event=event, name=name, **params)
    start = world.first
    if "interval" in case:
        start = (world.today - dt.timedelta(days=case["interval"] - 1)).isoformat()
    expected = analytics.property_counts(
        world.con,
        event,
        name,
        start,
        world.today if "interval" in case else world.last,
        values=case.get("values"),
        type=case["type"],
        unit=case["unit"],
        limit=case.get("limit", 255),
        tz=world.tz,
    )
    assert expected.frame.height > 0
    assert_series(body, expected, average=case["type"] == "average")
    if "values" in case:
        assert set(body["data"]["values"]) == set(case["values"])


@over_worlds("event,limit", [("Page View", 10), ("Purchase", 3), ("Search", 50)])
def test_events_properties_top(world: World, event: str, limit: int) -> None:
    body = world.get("events/properties/top", event=event, limit=limit)
    frame = analytics.property_names(world.con, event, limit=limit, tz=world.tz)
    assert frame.height > 0
    assert body == {name: {"count": count} for name, count in frame.iter_rows()}
    assert list(body) == frame["name"].to_list()
    assert all(list(v) == ["count"] and type(v["count"]) is int for v in body.values())


@over_worlds(
    "event,name,limit",
    [("Page View", "$browser", 255), ("Page View", "$screen_width", 3), ("Purchase", "is_gift", 9)],
)
def test_events_properties_values(world: World, event: str, name: str, limit: int) -> None:
    body = world.get("events/properties/values", event=event, name=name, limit=limit)
    expected = analytics.property_values(world.con, event, name, limit=limit, tz=world.tz)
    assert expected
    assert body == expected
    # Values come back as strings, whatever their stored type.
    assert all(isinstance(value, str) for value in body)


# -- /stream/query ---------------------------------------------------------------------------


@over_worlds("users", [1, 3])
def test_stream_query(world: World, users: int) -> None:
    ids = [str(p["$distinct_id"]) for p in world.dataset.profiles[:users]] + ["nobody"]
    body = world.get("stream/query", distinct_ids=ids, **world.dates())
    frame = analytics.activity(world.con, ids, world.first, world.last, tz=world.tz)
    assert frame.height > 0
    expected = []
    for event, seconds, properties in frame.select("event", "time", "properties").iter_rows():
        shown = orjson.loads(properties)
        shown["time"] = seconds
        expected.append({"event": event, "properties": shown})
    assert list(body) == ["status", "results"]
    assert body["status"] == "ok"
    assert body["results"] == {"events": expected}
    times = [e["properties"]["time"] for e in body["results"]["events"]]
    assert all(type(t) is int and t < 10**11 for t in times)  # epoch seconds
    assert times == sorted(times)
