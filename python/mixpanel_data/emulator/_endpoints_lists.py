"""Saved objects and the activity feed: ``/funnels/list``, ``/cohorts/list``, ``/stream/query``.

Shapes (Mixpanel docs, query.openapi.yaml):

- ``/funnels/list``: ``[{"funnel_id": 7509, "name": "Signup funnel"}, ...]``;
- ``/cohorts/list`` (POST in the docs; GET accepted, as third-party clients use it):
  ``[{"count", "is_visible" (0/1, not a boolean), "description", "created"
  ("YYYY-MM-DD HH:MM:SS", a space and no zone), "project_id", "id", "name"}]``;
- ``/stream/query``: ``{"status": "ok", "results": {"events": [{"event", "properties"}]}}``
  for the users in ``distinct_ids`` (deduplicated, oldest first, days in the project time
  zone), ``time`` in epoch seconds; ranges reaching more than 365
  days before today are refused ("Date range exceeds 365 days into the past", seen in real
  answers).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import orjson

from mixpanel_data import analytics
from mixpanel_data.emulator._wire import EmulatorHTTPError, Reply, json_reply

if TYPE_CHECKING:
    from mixpanel_data.emulator._state import Call

__all__ = ["cohorts_list", "funnels_list", "stream_query"]

_STREAM_MAX_DAYS = 365


def funnels_list(call: Call) -> Reply:
    """The saved funnels' ids and names."""
    return json_reply(
        [{"funnel_id": f.funnel_id, "name": f.name} for f in call.state.dataset.saved_funnels]
    )


def cohorts_list(call: Call) -> Reply:
    """The saved cohorts, with Mixpanel's integer ``is_visible`` and spaced ``created``."""
    return json_reply(
        [
            {
                "count": cohort.count,
                "is_visible": int(cohort.is_visible),
                "description": cohort.description,
                "created": cohort.created,
                "project_id": cohort.project_id,
                "id": cohort.id,
                "name": cohort.name,
            }
            for cohort in call.state.dataset.saved_cohorts
        ]
    )


def stream_query(call: Call) -> Reply:
    """The events of some users over a date range, oldest first."""
    params = call.params
    ids = params.json_str_list("distinct_ids", required=True) or []
    from_date, to_date = params.date_range(today=call.state.today)
    if from_date < call.state.today - dt.timedelta(days=_STREAM_MAX_DAYS):
        raise EmulatorHTTPError(400, "Date range exceeds 365 days into the past")
    with call.state.cursor() as con:
        frame = analytics.activity(con, ids, from_date, to_date, tz=call.state.timezone)
    events: list[dict[str, Any]] = []
    for event, seconds, properties in frame.select("event", "time", "properties").iter_rows():
        shown = orjson.loads(properties)
        shown["time"] = seconds
        events.append({"event": event, "properties": shown})
    return json_reply({"status": "ok", "results": {"events": events}})
