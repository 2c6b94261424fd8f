"""The Query API's event-breakdown endpoints: ``/events``, ``/events/top``,
``/events/names``, ``/events/properties``, ``/events/properties/top`` and
``/events/properties/values``.

Shapes and parameters follow Mixpanel's reference (query.openapi.yaml):

- ``/events``: ``event`` is a JSON array (a bare name answers ``Invalid JSON Format:
  event``); ``type`` and ``unit`` are required; no hourly (or minute) uniques; ``interval``
  ("number of units back from now") may replace ``from_date``/``to_date``;
- ``/events/top``: ``{"events": [{"amount", "event", "percent_change"}], "type"}`` for
  today, ``percent_change`` a fraction (1 = +100%);
- ``/events/names``: a plain array of names (most common first, last 31 days);
- ``/events/properties``: like segmentation, keyed by the property's values;
- ``/events/properties/top``: ``{"<property>": {"count": N}}``;
- ``/events/properties/values``: a plain array of values, as strings.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mixpanel_data import analytics
from mixpanel_data.emulator._endpoints_reports import MEASURES, cursor
from mixpanel_data.emulator._shapes import number, series_reply
from mixpanel_data.emulator._wire import EmulatorHTTPError, Reply, json_reply

if TYPE_CHECKING:
    from mixpanel_data.emulator._state import Call
    from mixpanel_data.emulator._wire import Params

__all__ = [
    "events",
    "events_names",
    "events_properties",
    "events_top",
    "properties_top",
    "properties_values",
]

_UNITS = ("minute", "hour", "day", "week", "month")


def _range(p: Params, unit: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """``from_date``/``to_date``, or the ``interval`` units back from today (1 = this unit)."""
    interval = p.int_("interval", minimum=1)
    if interval is None or "from_date" in p or "to_date" in p:
        return p.date_range(today=today)
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(weeks=interval - 1), today
    if unit == "month":
        month = today.year * 12 + today.month - 1 - (interval - 1)
        return dt.date(month // 12, month % 12 + 1, 1), today
    if unit == "day":
        return today - dt.timedelta(days=interval - 1), today
    return today, today  # minutes and hours back from "now" all fall on today


def _measure_and_unit(p: Params) -> tuple[str, str]:
    kind = p.choice("type", MEASURES, required=True) or "general"
    unit = p.choice("unit", _UNITS, required=True) or "day"
    if kind == "unique" and unit in {"minute", "hour"}:
        # Mixpanel docs (/events): "Note that you cannot get hourly uniques."
        raise EmulatorHTTPError(
            400, f"unique counts are not available by {unit}: use unit=day, week or month"
        )
    return kind, unit


def events(call: Call) -> Reply:
    """``/events``: counts of several events per bucket."""
    p = call.params
    names = p.json_str_list("event", required=True) or []
    kind, unit = _measure_and_unit(p)
    from_date, to_date = _range(p, unit, call.state.today)
    csv_format = p.choice("format", ("json", "csv"), default="json") == "csv"
    with cursor(call) as con:
        series = analytics.event_counts(
            con, names, from_date, to_date, type=kind, unit=unit, tz=call.state.timezone
        )
    return series_reply(series, csv_format=csv_format)


def events_top(call: Call) -> Reply:
    """``/events/top``: today's events with their change from yesterday."""
    p = call.params
    kind = p.choice("type", MEASURES, required=True) or "general"
    limit = p.int_("limit", default=100, minimum=1) or 100
    with cursor(call) as con:
        frame = analytics.top_events(
            con, today=call.state.today, type=kind, limit=limit, tz=call.state.timezone
        )
    rows = [
        {"amount": number(amount), "event": event, "percent_change": number(change)}
        for event, amount, change in frame.select("event", "amount", "percent_change").iter_rows()
    ]
    return json_reply({"events": rows, "type": kind})


def events_names(call: Call) -> Reply:
    """``/events/names``: the most common event names of the last 31 days."""
    p = call.params
    kind = p.choice("type", MEASURES, required=True) or "general"
    limit = p.int_("limit", default=255, minimum=1) or 255
    with cursor(call) as con:
        names = analytics.event_names(
            con, today=call.state.today, type=kind, limit=limit, tz=call.state.timezone
        )
    return json_reply(list(names))


def events_properties(call: Call) -> Reply:
    """``/events/properties``: counts per bucket and value of one property."""
    p = call.params
    event = p.require("event")
    name = p.require("name")
    values = p.json_str_list("values")
    kind, unit = _measure_and_unit(p)
    from_date, to_date = _range(p, unit, call.state.today)
    limit = p.int_("limit", default=255, minimum=1) or 255
    csv_format = p.choice("format", ("json", "csv"), default="json") == "csv"
    with cursor(call) as con:
        series = analytics.property_counts(
            con,
            event,
            name,
            from_date,
            to_date,
            values=values,
            type=kind,
            unit=unit,
            limit=limit,
            tz=call.state.timezone,
        )
    return series_reply(series, csv_format=csv_format)


def properties_top(call: Call) -> Reply:
    """``/events/properties/top``: ``{"<property>": {"count": N}}``, most common first."""
    p = call.params
    event = p.require("event")
    limit = p.int_("limit", default=10, minimum=1) or 10
    with cursor(call) as con:
        frame = analytics.property_names(con, event, limit=limit, tz=call.state.timezone)
    body: dict[str, Any] = {
        name: {"count": count} for name, count in frame.select("name", "count").iter_rows()
    }
    return json_reply(body)


def properties_values(call: Call) -> Reply:
    """``/events/properties/values``: the most frequent values of a property, as strings."""
    p = call.params
    event = p.require("event")
    name = p.require("name")
    limit = p.int_("limit", default=255, minimum=1) or 255
    with cursor(call) as con:
        values = analytics.property_values(con, event, name, limit=limit, tz=call.state.timezone)
    return json_reply([str(value) for value in values])
