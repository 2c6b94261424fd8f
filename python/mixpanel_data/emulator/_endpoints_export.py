"""``GET /api/2.0/export``: the Raw Event Export, streamed as NDJSON day by day.

Mixpanel docs (raw-event-export, export.openapi.yaml):

- ``from_date``/``to_date`` are inclusive days: UTC days for projects created from 2023 on,
  days in the project time zone for older ("legacy time zone") projects;
- ``event`` is a JSON array of names, ``where`` an expression, ``limit`` at most 100000;
- ``time_in_ms=true`` gives ``properties.time`` in milliseconds instead of seconds;
- the body is one JSON object per line; nothing matching gives an empty 200 body;
- no deduplication is applied: duplicates the project holds are exported as they are.

The body is produced lazily, one day at a time (sent in pieces of at most 256 KB), so a
large export is never held in memory whole. Without an ``event`` or ``where`` filter a day is
the dataset's whole export body for that day (for a replayed file, its kept bytes: nothing is
decoded), cut after ``limit`` lines when there is a limit. Those whole-day bodies are kept in
a small per-dataset cache, so asking for a synthetic day again costs no re-rendering.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

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
# Whole-day bodies kept per dataset. A replayed day's body is the dataset's own kept bytes
# (holding it again costs nothing); a synthetic day's is rendered, so this bounds the extra.
_CACHE_BYTES = 256 * 1024 * 1024


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
        if names is None and matcher is None:
            body = _whole_day(dataset, day, time_in_ms=time_in_ms)
            if left is not None:
                body, kept = _first_lines(body, left)
                left -= kept
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


def _first_lines(body: bytes, count: int) -> tuple[bytes, int]:
    """The first ``count`` lines of an export body, and how many that is."""
    total = body.count(b"\n")
    if total <= count:
        return body, total
    end = 0
    for _ in range(count):
        # Lines end only at "\n": inside a JSON string a newline is written escaped.
        end = body.index(b"\n", end) + 1
    return body[:end], count


def _utc_ms(event: dict[str, Any], to_utc: Callable[[int], int]) -> int | None:
    time = event.get("properties", {}).get("time")
    return to_utc(time) if isinstance(time, int) and not isinstance(time, bool) else None


class _DayBodies:
    """An LRU of one dataset's whole-day export bodies, bounded by their total size."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._bodies: OrderedDict[tuple[dt.date, bool], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[dt.date, bool]) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def put(self, key: tuple[dt.date, bool], body: bytes) -> None:
        if len(body) > self._max:
            return
        with self._lock:
            if key in self._bodies:  # another request rendered it meanwhile
                return
            self._bodies[key] = body
            self._size += len(body)
            while self._size > self._max:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)


_caches: WeakKeyDictionary[Dataset, _DayBodies] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def _whole_day(dataset: Dataset, day: dt.date, *, time_in_ms: bool) -> bytes:
    """The dataset's export body for ``day``, from the cache when it was asked before."""
    with _caches_lock:
        cache = _caches.get(dataset)
        if cache is None:
            cache = _caches[dataset] = _DayBodies(_CACHE_BYTES)
    key = (day, time_in_ms)
    body = cache.get(key)
    if body is None:
        body = dataset.export_lines(day, time_in_ms=time_in_ms)
        cache.put(key, body)
    return body
