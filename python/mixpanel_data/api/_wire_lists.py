"""Wire shapes of the discovery endpoints and the activity feed.

Mixpanel docs (query.openapi.yaml):

- ``/events/names``: a plain array of names;
- ``/events/top``: ``{"events": [{"amount", "event", "percent_change"}], "type"}``;
- ``/events/properties/top``: ``{"<property>": {"count": N}}``;
- ``/events/properties/values``: a plain array of values (documented as strings; anything
  else is turned into its text);
- ``/funnels/list``: ``[{"funnel_id", "name"}]``;
- ``/cohorts/list``: ``[{"count", "is_visible" (0/1), "description", "created"
  ("YYYY-MM-DD HH:MM:SS", no zone), "project_id", "id", "name"}]``;
- ``/stream/query``: ``{"status": "ok", "results": {"events": [{"event", "properties"}]}}``
  with ``time`` in epoch seconds and the user as ``distinct_id`` or ``$distinct_id`` (the
  spec's own example mixes both).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from mixpanel_data.api._wire_common import convert, unexpected

__all__ = [
    "ActivityWire",
    "CohortWire",
    "FunnelListItem",
    "TopEventWire",
    "decode_activity",
    "decode_cohorts",
    "decode_funnel_list",
    "decode_names",
    "decode_property_names",
    "decode_property_values",
    "decode_top_events",
    "parse_created",
]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return msgspec.json.encode(value).decode()


def _texts(payload: object, endpoint: str, what: str) -> list[str]:
    """A plain JSON array (of ``what``), each item as text."""
    if not isinstance(payload, list):
        raise unexpected(endpoint, f"expected an array of {what}, got {type(payload).__name__}")
    return [_text(item) for item in payload]


def decode_names(payload: object, *, endpoint: str) -> list[str]:
    """A plain JSON array of event names."""
    return _texts(payload, endpoint, "names")


class TopEventWire(msgspec.Struct, frozen=True):
    """One of today's top events."""

    event: str
    amount: int | float = 0
    percent_change: float = 0.0


class _TopWire(msgspec.Struct, frozen=True):
    events: list[TopEventWire] = msgspec.field(default_factory=list)
    type: str | None = None


def decode_top_events(payload: object, *, endpoint: str) -> list[TopEventWire]:
    """``{"events": [...], "type": ...}``."""
    return convert(payload, _TopWire, endpoint).events


class _CountWire(msgspec.Struct, frozen=True):
    count: int | float = 0


def decode_property_names(payload: object, *, endpoint: str) -> list[tuple[str, int]]:
    """``{"<property>": {"count": N}}`` as (name, count) pairs, most common first."""
    found = convert(payload, dict[str, _CountWire], endpoint)
    pairs = [(name, int(wire.count)) for name, wire in found.items()]
    pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    return pairs


def decode_property_values(payload: object, *, endpoint: str) -> list[str]:
    """A plain JSON array of values, each as text."""
    return _texts(payload, endpoint, "values")


class FunnelListItem(msgspec.Struct, frozen=True):
    """A saved funnel's id and name."""

    funnel_id: int
    name: str = ""


def decode_funnel_list(payload: object, *, endpoint: str) -> list[FunnelListItem]:
    """``[{"funnel_id": 7509, "name": "Signup funnel"}]``."""
    return convert(payload, list[FunnelListItem], endpoint)


class CohortWire(msgspec.Struct, frozen=True):
    """A saved cohort as ``/cohorts/list`` sends it."""

    id: int
    name: str = ""
    count: int | None = None
    description: str | None = None
    created: str | None = None
    is_visible: int | bool = 1
    project_id: int | None = None


def decode_cohorts(payload: object, *, endpoint: str) -> list[CohortWire]:
    """The array of saved cohorts."""
    return convert(payload, list[CohortWire], endpoint)


def parse_created(text: str | None) -> dt.datetime | None:
    """Mixpanel's ``created`` (``YYYY-MM-DD HH:MM:SS``, a space and no zone), or None."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1)).replace(tzinfo=None)
    except ValueError:
        return None


class ActivityWire(msgspec.Struct, frozen=True):
    """One event of the activity feed."""

    event: str
    properties: dict[str, Any] = msgspec.field(default_factory=dict)


class _StreamResults(msgspec.Struct, frozen=True):
    events: list[ActivityWire] = msgspec.field(default_factory=list)


class _StreamWire(msgspec.Struct, frozen=True):
    results: _StreamResults = msgspec.field(default_factory=_StreamResults)
    status: str | None = None


def decode_activity(payload: object, *, endpoint: str) -> list[ActivityWire]:
    """``{"results": {"events": [...]}}``."""
    return convert(payload, _StreamWire, endpoint).results.events
