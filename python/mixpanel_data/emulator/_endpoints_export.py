"""``GET /api/2.0/export``: the Raw Event Export, streamed as NDJSON day by day.

Mixpanel docs (raw-event-export, export.openapi.yaml):

- ``from_date``/``to_date`` are inclusive days: UTC days for projects created from 2023 on,
  days in the project time zone for older ("legacy time zone") projects;
- ``event`` is a JSON array of names, ``where`` an expression, ``limit`` at most 100000;
- ``time_in_ms=true`` gives ``properties.time`` in milliseconds instead of seconds;
- the body is one JSON object per line; nothing matching gives an empty 200 body;
- no deduplication is applied: duplicates the project holds are exported as they are.

The body is produced lazily, one day at a time (sent in pieces of at most 256 KB), so a
large export is never held in memory whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mixpanel_data.emulator._dataset_io import render_export_lines
from mixpanel_data.emulator._expr import event_matcher
from mixpanel_data.emulator._wire import Reply

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator, Sequence

    from mixpanel_data.emulator._dataset import Dataset
    from mixpanel_data.emulator._state import Call

__all__ = ["EXPORT_LIMIT_MAX", "export"]

EXPORT_LIMIT_MAX = 100_000
_PIECE = 256 * 1024


def export(call: Call) -> Reply:
    """Answer an export request (parameters are checked before the first byte)."""
    params = call.params
    from_date, to_date = params.date_range(today=call.state.today)
    limit = params.int_("limit", minimum=0, maximum=EXPORT_LIMIT_MAX)
    names = params.json_str_list("event")
    where = params.str_("where")
    matcher = event_matcher(where) if where is not None else None
    time_in_ms = params.bool_("time_in_ms", default=False)
    days = [day for day in call.state.dataset.days if from_date <= day <= to_date]
    body = _stream(
        call.state.dataset,
        days,
        names=set(names) if names is not None else None,
        matcher=matcher,
        limit=limit,
        time_in_ms=time_in_ms,
    )
    return Reply(status=200, body=body, content_type="text/plain; charset=utf-8")


def _stream(
    dataset: Dataset,
    days: Sequence[dt.date],
    *,
    names: set[str] | None,
    matcher: Callable[[dict[str, Any], int | None], bool] | None,
    limit: int | None,
    time_in_ms: bool,
) -> Iterator[bytes]:
    left = limit
    for day in days:
        if left is not None and left <= 0:
            return
        if names is None and matcher is None and left is None:
            body = dataset.export_lines(day, time_in_ms=time_in_ms)
        else:
            # Legacy projects store local time; expressions see the event's true UTC time.
            to_utc = dataset.to_utc(day)
            events = [
                event
                for event in dataset.events_for_day(day)
                if (names is None or event.get("event") in names)
                and (matcher is None or matcher(event, _utc_ms(event, to_utc)))
            ]
            if left is not None:
                events = events[:left]
                left -= len(events)
            body = render_export_lines(events, time_in_ms=time_in_ms)
        for start in range(0, len(body), _PIECE):
            yield body[start : start + _PIECE]


def _utc_ms(event: dict[str, Any], to_utc: Callable[[int], int]) -> int | None:
    time = event.get("properties", {}).get("time")
    return to_utc(time) if isinstance(time, int) and not isinstance(time, bool) else None
