"""The Query API's report endpoints: segmentation (and its numeric, sum and average forms),
funnels, retention, frequency ("addiction") and Insights.

Each handler checks its parameters the way Mixpanel documents them (query.openapi.yaml),
asks :mod:`mixpanel_data.analytics` for the numbers over the dataset (loaded into DuckDB on
the first report request), and renders Mixpanel's exact response shape:

- ``/segmentation*``: ``{"data": {"series", "values"}, "legend_size"}``; sum adds
  ``status``/``computed_at``/``results``, average ``results``/``status``;
- ``/funnels``: ``{"meta": {"dates"}, "data": {date: {"steps": [...], "analysis": {...}}}}``,
  step keys as documented, ``custom_event``/``step_label`` absent (no custom events here);
- ``/retention``: cohorts keyed **at the top level** by date, ``{"counts", "first"}``;
- ``/retention/addiction``: wrapped in ``{"data": {date: [...]}}``;
- ``/insights``: ``computed_at``, ``date_range``, ``headers``, ``series`` with ISO keys.

Mixpanel does not document the segmented (``on``) shapes of funnels, retention and
frequency. The emulator's choice: funnels nest segments under each date next to an
``"$overall"`` entry (and list them in ``meta.property_values``); retention and frequency put
the segment value above the date.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import orjson

from mixpanel_data import analytics
from mixpanel_data.emulator._shapes import iso_local, number, series_reply
from mixpanel_data.emulator._wire import EmulatorHTTPError, Reply, json_reply

if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb

    from mixpanel_data.emulator._state import Call

__all__ = [
    "addiction",
    "cursor",
    "funnels",
    "insights",
    "retention",
    "segmentation",
    "segmentation_average",
    "segmentation_numeric",
    "segmentation_sum",
]

MEASURES = ("general", "unique", "average")
_MAX_LIMIT = 10_000
_LENGTH_SECONDS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}
_MAX_FUNNEL_DAYS = 90


@contextlib.contextmanager
def cursor(call: Call) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB cursor over the dataset, closed afterwards."""
    con = call.state.cursor()
    try:
        yield con
    finally:
        con.close()


# -- segmentation ------------------------------------------------------------------------


def segmentation(call: Call) -> Reply:
    """``/segmentation``: counts of one event per bucket, optionally segmented by ``on``."""
    p = call.params
    event = p.require("event")
    from_date, to_date = p.date_range(today=call.state.today)
    # Mixpanel docs: minute, hour, day or month here (no week, unlike /events).
    unit = p.choice("unit", ("minute", "hour", "day", "month"), default="day") or "day"
    interval = p.int_("interval", minimum=1)
    kind = p.choice("type", MEASURES, default="general") or "general"
    limit = p.int_("limit", default=60, minimum=1, maximum=_MAX_LIMIT) or 60
    csv_format = p.choice("format", ("json", "csv"), default="json") == "csv"
    with cursor(call) as con:
        series = analytics.segmentation(
            con,
            event,
            from_date,
            to_date,
            unit=unit,
            interval=interval,
            type=kind,
            on=p.str_("on"),
            where=p.str_("where"),
            limit=limit,
            tz=call.state.timezone,
        )
    return series_reply(series, csv_format=csv_format)


def segmentation_numeric(call: Call) -> Reply:
    """``/segmentation/numeric``: counts per bucket and numeric range of ``on``."""
    p = call.params
    event = p.require("event")
    from_date, to_date = p.date_range(today=call.state.today)
    on = p.require("on")
    unit = p.choice("unit", ("hour", "day"), default="day") or "day"
    kind = p.choice("type", MEASURES, default="general") or "general"
    with cursor(call) as con:
        series = analytics.segmentation_numeric(
            con,
            event,
            from_date,
            to_date,
            on=on,
            unit=unit,
            type=kind,
            where=p.str_("where"),
            tz=call.state.timezone,
        )
    return series_reply(series)


def _numeric_results(call: Call, *, average: bool) -> dict[str, Any]:
    p = call.params
    event = p.require("event")
    from_date, to_date = p.date_range(today=call.state.today)
    on = p.require("on")
    unit = p.choice("unit", ("hour", "day"), default="day") or "day"
    compute = analytics.segmentation_average if average else analytics.segmentation_sum
    with cursor(call) as con:
        series = compute(
            con,
            event,
            from_date,
            to_date,
            on=on,
            unit=unit,
            where=p.str_("where"),
            tz=call.state.timezone,
        )
    cells = next(iter(series.values().values()), {})
    return {date: number(value) for date, value in cells.items()}


def segmentation_sum(call: Call) -> Reply:
    """``/segmentation/sum``: ``{"status", "computed_at", "results": {date: sum}}``."""
    results = _numeric_results(call, average=False)
    return json_reply({"status": "ok", "computed_at": call.state.computed_at, "results": results})


def segmentation_average(call: Call) -> Reply:
    """``/segmentation/average``: ``{"results": {date: mean}, "status": "ok"}``."""
    return json_reply({"results": _numeric_results(call, average=True), "status": "ok"})


# -- funnels -------------------------------------------------------------------------------


def funnels(call: Call) -> Reply:
    """``/funnels``: a saved funnel per entry bucket."""
    p = call.params
    funnel_id = p.int_("funnel_id", required=True)
    saved = call.state.dataset.funnel(funnel_id or 0)
    if saved is None:
        raise EmulatorHTTPError(400, f"funnel_id {funnel_id} does not exist in this project")
    from_date, to_date = p.date_range(today=call.state.today)
    length_unit = (
        p.choice("length_unit", ("day", "hour", "minute", "second"), default=saved.length_unit)
        or saved.length_unit
    )
    length = p.int_("length", default=saved.length, minimum=1) or saved.length
    if length * _LENGTH_SECONDS[length_unit] > _MAX_FUNNEL_DAYS * 86_400:
        raise EmulatorHTTPError(400, "'length' may not be greater than 90 days")
    unit = p.choice("unit", ("day", "week", "month"))
    interval = p.int_("interval", minimum=1)
    on = p.str_("on")
    limit = p.int_("limit", default=255, minimum=1, maximum=_MAX_LIMIT) or 255
    steps = [
        analytics.FunnelStep(event=event, where=where)
        for event, where in zip(saved.steps, saved.step_where, strict=True)
    ]
    options: dict[str, Any] = {
        "length": length,
        "length_unit": length_unit,
        "unit": unit,
        "interval": interval,
        "where": p.str_("where"),
        "tz": call.state.timezone,
    }
    with cursor(call) as con:
        result = analytics.funnel(con, steps, from_date, to_date, **options)
        segmented = (
            analytics.funnel(con, steps, from_date, to_date, on=on, limit=limit, **options)
            if on is not None
            else None
        )
    data: dict[str, Any] = {}
    for bucket in result.buckets:
        if bucket.date is not None and bucket.segment is None:
            data[bucket.date] = _funnel_bucket(bucket)
    meta: dict[str, Any] = {"dates": list(result.dates)}
    if segmented is not None:
        segments = list(segmented.segments or ())
        meta["property_values"] = segments
        nested: dict[str, Any] = {date: {"$overall": data.get(date)} for date in result.dates}
        for bucket in segmented.buckets:
            if bucket.date is not None and bucket.segment is not None:
                nested.setdefault(bucket.date, {})[bucket.segment] = _funnel_bucket(bucket)
        data = nested
    return json_reply({"meta": meta, "data": data})


def _funnel_bucket(bucket: analytics.FunnelBucket) -> dict[str, Any]:
    analysis = bucket.analysis
    return {
        "steps": [_funnel_step(step) for step in bucket.steps],
        "analysis": {
            "completion": analysis.completion,
            "starting_amount": analysis.starting_amount,
            "steps": analysis.steps,
            "worst": analysis.worst,
        },
    }


def _funnel_step(step: analytics.FunnelStepStats) -> dict[str, Any]:
    # Mixpanel types the times as integer seconds; "custom_event" and "step_label" appear
    # only for custom events (the key is absent otherwise), which this dataset has none of.
    return {
        "count": step.count,
        "avg_time": _whole(step.avg_time),
        "avg_time_from_start": _whole(step.avg_time_from_start),
        "step_conv_ratio": number(step.step_conv_ratio),
        "overall_conv_ratio": number(step.overall_conv_ratio),
        "goal": step.event,
        "event": step.event,
    }


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


# -- retention and frequency ------------------------------------------------------------


def retention(call: Call) -> Reply:
    """``/retention``: cohorts keyed at the top level by birth date."""
    p = call.params
    from_date, to_date = p.date_range(today=call.state.today)
    kind = p.choice("retention_type", ("birth", "compounded"), default="birth") or "birth"
    born_event = p.str_("born_event")
    if kind == "birth" and born_event is None:
        raise EmulatorHTTPError(
            400, "'born_event' is a required parameter when retention_type is birth"
        )
    unit = p.choice("unit", ("day", "week", "month"), default="day") or "day"
    interval = p.int_("interval", default=1, minimum=1) or 1
    if unit == "day" and interval > _MAX_FUNNEL_DAYS:
        raise EmulatorHTTPError(400, "'interval' may not be greater than 90 days")
    interval_count = p.int_("interval_count", default=1, minimum=0)
    # Mixpanel docs: with neither interval nor unit, buckets are 24 hours from each user's
    # birth; either one asks for calendar units.
    mode = "calendar" if ("unit" in p or "interval" in p) else "rolling"
    on = p.str_("on")
    with cursor(call) as con:
        result = analytics.retention(
            con,
            born_event,
            from_date,
            to_date,
            event=p.str_("event"),
            retention_type=kind,
            born_where=p.str_("born_where"),
            where=p.str_("where"),
            unit=unit,
            interval=interval,
            interval_count=interval_count if interval_count is not None else 1,
            unbounded=p.bool_("unbounded_retention", default=False),
            on=on,
            limit=p.int_("limit", default=255, minimum=1, maximum=_MAX_LIMIT) or 255,
            mode=mode,
            today=call.state.today,
            tz=call.state.timezone,
        )
    if on is None:
        return json_reply(
            {c.date: {"counts": list(c.counts), "first": c.first} for c in result.cohorts}
        )
    body: dict[str, dict[str, Any]] = {segment: {} for segment in result.segments or ()}
    for cohort in result.cohorts:
        body.setdefault(cohort.segment or "undefined", {})[cohort.date] = {
            "counts": list(cohort.counts),
            "first": cohort.first,
        }
    return json_reply(body)


def addiction(call: Call) -> Reply:
    """``/retention/addiction``: users by number of active hours/days, wrapped in ``data``."""
    p = call.params
    from_date, to_date = p.date_range(today=call.state.today)
    unit = p.choice("unit", ("day", "week", "month"), required=True) or "day"
    addiction_unit = p.choice("addiction_unit", ("hour", "day"), required=True) or "hour"
    on = p.str_("on")
    with cursor(call) as con:
        result = analytics.frequency(
            con,
            p.str_("event"),
            from_date,
            to_date,
            unit=unit,
            addiction_unit=addiction_unit,
            where=p.str_("where"),
            on=on,
            limit=p.int_("limit", default=255, minimum=1, maximum=_MAX_LIMIT) or 255,
            tz=call.state.timezone,
        )
    if on is None:
        return json_reply({"data": {period.date: list(period.counts) for period in result.periods}})
    data: dict[str, dict[str, list[int]]] = {s: {} for s in result.segments or ()}
    for period in result.periods:
        data.setdefault(period.segment or "undefined", {})[period.date] = list(period.counts)
    return json_reply({"data": data})


# -- insights --------------------------------------------------------------------------------


def insights(call: Call) -> Reply:
    """``/insights``: a saved report, keyed by ISO timestamps with the project's offset."""
    p = call.params
    bookmark_id = p.int_("bookmark_id", required=True)
    bookmark = call.state.dataset.bookmark(bookmark_id or 0)
    if bookmark is None:
        raise EmulatorHTTPError(400, f"bookmark_id {bookmark_id} does not exist in this project")
    tz = call.state.timezone
    to_date = min(bookmark.to_date, call.state.today)
    from_date = min(bookmark.from_date, to_date)
    with cursor(call) as con:
        result = analytics.insights(
            con, bookmark.events, from_date, to_date, type=bookmark.type, unit=bookmark.unit, tz=tz
        )
        headers = list(result.headers)
        series: dict[str, Any] = result.series()
        if bookmark.breakdown is not None:
            # One level deeper: event -> breakdown value -> date (Mixpanel documents only the
            # one-level shape; the nesting follows "headers", as its docs describe).
            headers = [*headers, bookmark.breakdown]
            on = "properties[" + orjson.dumps(bookmark.breakdown).decode() + "]"
            series = {}
            for event in bookmark.events:
                split = analytics.segmentation(
                    con,
                    event,
                    from_date,
                    to_date,
                    unit=bookmark.unit,
                    type=bookmark.type,
                    on=on,
                    limit=_MAX_LIMIT,
                    tz=tz,
                )
                series[event] = {
                    segment: {iso_local(date, tz): value for date, value in cells.items()}
                    for segment, cells in split.values().items()
                }
    return json_reply(
        {
            "computed_at": call.state.computed_at,
            "date_range": {"from_date": result.from_iso, "to_date": result.to_iso},
            "headers": headers,
            "series": series,
        }
    )
