"""The Query API's report and discovery endpoints: one function per endpoint.

Each function sends the parameters Mixpanel documents for its endpoint (query.openapi.yaml,
under ``/api/query``) through :class:`~mixpanel_data.api.MixpanelClient` and decodes the
answer with a tolerant private wire decoder into a neutral shape: the time-series, funnel,
retention and frequency shapes of :mod:`mixpanel_data.analytics` (the same shapes the local
reports compute, so live and local answers meet in one place), or small wire Structs for the
listings. Dates are the project's local days, both inclusive.

Parameter notes (Mixpanel docs):

- ``event`` is a plain string on ``/segmentation*`` and ``/events/properties*``, but a JSON
  array on ``/events`` (the client encodes lists as JSON);
- ``/segmentation`` buckets by minute, hour, day or month (no week); numeric, sum and average
  by hour or day; funnels, retention and frequency by day, week or month;
- ``/funnels`` looks past ``to_date`` for completions; ``length`` (at most 90 days) defaults to
  the saved funnel's window;
- ``/retention/addiction`` needs both ``unit`` and ``addiction_unit``.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (parameter types)
from typing import TYPE_CHECKING, Any

from mixpanel_data.api._wire_flows import (
    InsightsData,
    decode_frequency,
    decode_funnel,
    decode_insights,
    decode_retention,
)
from mixpanel_data.api._wire_lists import (
    ActivityWire,
    CohortWire,
    FunnelListItem,
    TopEventWire,
    decode_activity,
    decode_cohorts,
    decode_funnel_list,
    decode_names,
    decode_property_names,
    decode_property_values,
    decode_top_events,
)
from mixpanel_data.api._wire_series import decode_results, decode_series

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mixpanel_data.analytics import Frequency, Funnel, Retention, Series
    from mixpanel_data.api._client import MixpanelClient

__all__ = [
    "QUERY_PREFIX",
    "ActivityWire",
    "CohortWire",
    "FunnelListItem",
    "InsightsData",
    "TopEventWire",
    "activity",
    "cohorts",
    "event_counts",
    "event_names",
    "frequency",
    "funnel",
    "funnel_list",
    "insights",
    "path",
    "property_counts",
    "property_names",
    "property_values",
    "retention",
    "segmentation",
    "segmentation_average",
    "segmentation_numeric",
    "segmentation_sum",
    "top_events",
]

QUERY_PREFIX = "/api/query"


def path(endpoint: str) -> str:
    """The full path of a Query API endpoint: ``segmentation`` → ``/api/query/segmentation``."""
    return f"{QUERY_PREFIX}/{endpoint.strip('/')}"


def _get(client: MixpanelClient, endpoint: str, params: dict[str, Any]) -> tuple[str, Any]:
    full = path(endpoint)
    return full, client.get_json("query", full, params)


def _series(client: MixpanelClient, endpoint: str, params: dict[str, Any], *, unit: str) -> Series:
    """A time series from ``endpoint``; its values are means (floats) with ``type=average``."""
    full, payload = _get(client, endpoint, params)
    return decode_series(payload, endpoint=full, unit=unit, floats=params.get("type") == "average")


def _segments(on: str | None, limit: int | None) -> dict[str, Any]:
    """The segment expression ``on`` and how many segments to keep.

    Mixpanel's ``limit`` caps the segments of ``on``, so it is sent only with ``on``.
    """
    return {"on": on, "limit": limit if on is not None else None}


def _property_params(
    event: str, from_date: dt.date, to_date: dt.date, on: str, unit: str
) -> dict[str, Any]:
    """What every numeric-property endpoint (``/segmentation/numeric|sum|average``) takes."""
    return {"event": event, "from_date": from_date, "to_date": to_date, "on": on, "unit": unit}


# -- segmentation ------------------------------------------------------------------------------


def segmentation(
    client: MixpanelClient,
    event: str,
    from_date: dt.date,
    to_date: dt.date,
    *,
    unit: str | None = "day",
    interval: int | None = None,
    type: str = "general",
    on: str | None = None,
    where: str | None = None,
    limit: int | None = None,
) -> Series:
    """``/segmentation``: ``event`` per bucket, optionally segmented by the expression ``on``."""
    params = {
        "event": event,
        "from_date": from_date,
        "to_date": to_date,
        "unit": unit,
        "interval": interval,
        "type": type,
        "where": where,
        **_segments(on, limit),
    }
    return _series(client, "segmentation", params, unit=unit or "interval")


def segmentation_numeric(
    client: MixpanelClient,
    event: str,
    from_date: dt.date,
    to_date: dt.date,
    *,
    on: str,
    unit: str = "day",
    type: str = "general",
    where: str | None = None,
) -> Series:
    """``/segmentation/numeric``: ``event`` per bucket and numeric range of ``on``."""
    params = {**_property_params(event, from_date, to_date, on, unit), "type": type, "where": where}
    return _series(client, "segmentation/numeric", params, unit=unit)


def _numeric(
    client: MixpanelClient,
    kind: str,
    event: str,
    from_date: dt.date,
    to_date: dt.date,
    *,
    on: str,
    unit: str,
    where: str | None,
) -> Series:
    params = {**_property_params(event, from_date, to_date, on, unit), "where": where}
    endpoint, payload = _get(client, f"segmentation/{kind}", params)
    return decode_results(payload, endpoint=endpoint, unit=unit, segment=event)


def segmentation_sum(
    client: MixpanelClient,
    event: str,
    from_date: dt.date,
    to_date: dt.date,
    *,
    on: str,
    unit: str = "day",
    where: str | None = None,
) -> Series:
    """``/segmentation/sum``: the sum of the expression ``on`` over ``event`` per bucket."""
    return _numeric(client, "sum", event, from_date, to_date, on=on, unit=unit, where=where)


def segmentation_average(
    client: MixpanelClient,
    event: str,
    from_date: dt.date,
    to_date: dt.date,
    *,
    on: str,
    unit: str = "day",
    where: str | None = None,
) -> Series:
    """``/segmentation/average``: the mean of the expression ``on`` over ``event`` per bucket."""
    return _numeric(client, "average", event, from_date, to_date, on=on, unit=unit, where=where)


# -- funnels, retention, frequency, insights ---------------------------------------------------


def funnel(
    client: MixpanelClient,
    funnel_id: int,
    from_date: dt.date,
    to_date: dt.date,
    *,
    length: int | None = None,
    length_unit: str | None = None,
    interval: int | None = None,
    unit: str | None = None,
    on: str | None = None,
    where: str | None = None,
    limit: int | None = None,
) -> Funnel:
    """``/funnels``: a saved funnel per entry bucket (``unit``, or ``interval`` days)."""
    endpoint, payload = _get(
        client,
        "funnels",
        {
            "funnel_id": funnel_id,
            "from_date": from_date,
            "to_date": to_date,
            "length": length,
            "length_unit": length_unit,
            "interval": interval,
            "unit": unit,
            "where": where,
            **_segments(on, limit),
        },
    )
    return decode_funnel(payload, endpoint=endpoint, unit=unit or "interval")


def funnel_list(client: MixpanelClient) -> list[FunnelListItem]:
    """``/funnels/list``: the saved funnels' ids and names."""
    endpoint, payload = _get(client, "funnels/list", {})
    return decode_funnel_list(payload, endpoint=endpoint)


def retention(
    client: MixpanelClient,
    from_date: dt.date,
    to_date: dt.date,
    *,
    born_event: str | None,
    event: str | None = None,
    retention_type: str = "birth",
    born_where: str | None = None,
    where: str | None = None,
    unit: str = "day",
    interval: int = 1,
    interval_count: int = 1,
    unbounded: bool = False,
    on: str | None = None,
    limit: int | None = None,
) -> Retention:
    """``/retention``: cohorts born between the dates, returns per interval.

    ``unit`` is always sent, so intervals are calendar units in the project's time zone
    (without ``unit`` and ``interval`` Mixpanel counts 24-hour windows from each birth).
    """
    endpoint, payload = _get(
        client,
        "retention",
        {
            "from_date": from_date,
            "to_date": to_date,
            "retention_type": retention_type,
            "born_event": born_event,
            "event": event,
            "born_where": born_where,
            "where": where,
            "unit": unit,
            "interval": interval,
            "interval_count": interval_count,
            "unbounded_retention": True if unbounded else None,
            **_segments(on, limit),
        },
    )
    return decode_retention(
        payload, endpoint=endpoint, unit=unit, interval=interval, interval_count=interval_count
    )


def frequency(
    client: MixpanelClient,
    from_date: dt.date,
    to_date: dt.date,
    *,
    unit: str,
    addiction_unit: str,
    event: str | None = None,
    where: str | None = None,
    on: str | None = None,
    limit: int | None = None,
) -> Frequency:
    """``/retention/addiction``: users by the number of active hours/days per period."""
    endpoint, payload = _get(
        client,
        "retention/addiction",
        {
            "from_date": from_date,
            "to_date": to_date,
            "unit": unit,
            "addiction_unit": addiction_unit,
            "event": event,
            "where": where,
            **_segments(on, limit),
        },
    )
    return decode_frequency(payload, endpoint=endpoint, unit=unit, addiction_unit=addiction_unit)


def insights(client: MixpanelClient, bookmark_id: int) -> InsightsData:
    """``/insights``: a saved Insights report, flattened."""
    endpoint, payload = _get(client, "insights", {"bookmark_id": bookmark_id})
    return decode_insights(payload, endpoint=endpoint)


# -- event breakdowns ----------------------------------------------------------------------------


def event_counts(
    client: MixpanelClient,
    events: Sequence[str],
    from_date: dt.date | None,
    to_date: dt.date | None,
    *,
    type: str = "general",
    unit: str = "day",
    interval: int | None = None,
) -> Series:
    """``/events``: several events per bucket (``interval`` units back from today, or dates)."""
    params = {
        "event": list(events),
        "type": type,
        "unit": unit,
        "interval": interval,
        "from_date": from_date,
        "to_date": to_date,
    }
    return _series(client, "events", params, unit=unit)


def property_counts(
    client: MixpanelClient,
    event: str,
    name: str,
    from_date: dt.date | None,
    to_date: dt.date | None,
    *,
    values: Sequence[str] | None = None,
    type: str = "general",
    unit: str = "day",
    interval: int | None = None,
    limit: int | None = None,
) -> Series:
    """``/events/properties``: ``event`` per bucket and value of property ``name``."""
    params = {
        "event": event,
        "name": name,
        "values": list(values) if values is not None else None,
        "type": type,
        "unit": unit,
        "interval": interval,
        "from_date": from_date,
        "to_date": to_date,
        "limit": limit,
    }
    return _series(client, "events/properties", params, unit=unit)


def top_events(
    client: MixpanelClient, *, type: str = "general", limit: int | None = None
) -> list[TopEventWire]:
    """``/events/top``: today's top events and their change from yesterday."""
    endpoint, payload = _get(client, "events/top", {"type": type, "limit": limit})
    return decode_top_events(payload, endpoint=endpoint)


def event_names(
    client: MixpanelClient, *, type: str = "general", limit: int | None = None
) -> list[str]:
    """``/events/names``: the most common event names of the last 31 days."""
    endpoint, payload = _get(client, "events/names", {"type": type, "limit": limit})
    return decode_names(payload, endpoint=endpoint)


def property_names(
    client: MixpanelClient, event: str, *, limit: int | None = None
) -> list[tuple[str, int]]:
    """``/events/properties/top``: an event's most common properties with their counts."""
    endpoint, payload = _get(client, "events/properties/top", {"event": event, "limit": limit})
    return decode_property_names(payload, endpoint=endpoint)


def property_values(
    client: MixpanelClient, event: str, name: str, *, limit: int | None = None
) -> list[str]:
    """``/events/properties/values``: the most common values of a property, as text."""
    endpoint, payload = _get(
        client, "events/properties/values", {"event": event, "name": name, "limit": limit}
    )
    return decode_property_values(payload, endpoint=endpoint)


# -- saved objects and the activity feed ---------------------------------------------------------


def cohorts(client: MixpanelClient) -> list[CohortWire]:
    """``/cohorts/list`` (POST, as Mixpanel documents it): the saved cohorts."""
    full = path("cohorts/list")
    return decode_cohorts(client.post_form("query", full), endpoint=full)


def activity(
    client: MixpanelClient, distinct_ids: Sequence[str], from_date: dt.date, to_date: dt.date
) -> list[ActivityWire]:
    """``/stream/query``: the events of some users between two days."""
    endpoint, payload = _get(
        client,
        "stream/query",
        {"distinct_ids": list(distinct_ids), "from_date": from_date, "to_date": to_date},
    )
    return decode_activity(payload, endpoint=endpoint)
