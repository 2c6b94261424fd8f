"""The Raw Event Export endpoint: one streamed NDJSON request per export day.

Mixpanel docs (raw-event-export, export.openapi.yaml): ``GET /api/2.0/export`` on the data
host streams one JSON object per line. ``from_date``/``to_date`` are inclusive days (UTC
for projects created from 2023 on, the project's time zone for older ones), ``event`` is a
JSON array of names, ``where`` an expression, ``limit`` at most 100000, and
``time_in_ms=true`` gives ``properties.time`` in milliseconds instead of seconds. The body
can be gzipped (asked for with ``Accept-Encoding: gzip``) and can end early: a connection
reset, a gzip stream that stops before its end marker, or the literal text
``terminated early`` where the next record would be. Mixpanel's own tools export one day
per request and retry a day from scratch when its body is incomplete; so does this module's
caller (the fetch service).

:class:`ExportQuery` is the validated set of parameters of one request, and
:func:`stream_export` opens it and yields the decompressed body, chunk by chunk. Splitting
the chunks into complete lines (and noticing ``terminated early``) is the ingest layer's
job.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (msgspec resolves field types at runtime)
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data.api._body import iter_body
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from mixpanel_data.api._client import MixpanelClient

__all__ = ["EXPORT_LIMIT_MAX", "EXPORT_PATH", "ExportQuery", "stream_export"]

EXPORT_PATH = "/api/2.0/export"
"""The export path below the data host (``https://data.mixpanel.com``)."""

EXPORT_LIMIT_MAX = 100_000
"""Mixpanel docs (export.openapi.yaml): ``limit`` must be at most 100000."""


class ExportQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The parameters of one export request.

    Parameters
    ----------
    from_date, to_date
        The inclusive days to export (days in the project's export time zone).
    events
        Only these event names; ``None`` for every event.
    where
        A segmentation expression over the event's properties, e.g.
        ``properties["$browser"] == "Chrome"``.
    limit
        At most this many events (1..100000); ``None`` for no limit.
    time_in_ms
        Ask for ``properties.time`` in milliseconds (the default); ``False`` gets seconds,
        which is all older servers and fixtures give.

    Raises
    ------
    ValidationError
        For a backwards range, an empty or blank event name, an empty ``where`` or a
        ``limit`` outside 1..100000.
    """

    from_date: dt.date
    to_date: dt.date
    events: tuple[str, ...] | None = None
    where: str | None = None
    limit: int | None = None
    time_in_ms: bool = True

    def __post_init__(self) -> None:
        check_export_filters(self.events, self.where, self.limit)
        if self.to_date < self.from_date:
            raise ValidationError(
                f"the export range is backwards: to_date {self.to_date} is before "
                f"from_date {self.from_date}",
                hint="pass the earlier day as from_date",
            )

    def params(self) -> dict[str, Any]:
        """The query-string parameters (``project_id`` is added by the client)."""
        params: dict[str, Any] = {
            "from_date": self.from_date,
            "to_date": self.to_date,
            # Mixpanel docs (export.openapi.yaml): event is a JSON array even for one name.
            "event": list(self.events) if self.events is not None else None,
            "where": self.where,
            "limit": self.limit,
        }
        if self.time_in_ms:
            params["time_in_ms"] = True
        return params

    def for_day(self, day: dt.date) -> ExportQuery:
        """The same filters for one day."""
        return msgspec.structs.replace(self, from_date=day, to_date=day)


def check_export_filters(
    events: Sequence[str] | None, where: str | None, limit: int | None
) -> None:
    """Validate export filters before any request.

    Raises
    ------
    ValidationError
        For an empty list of events, a blank event name, a blank ``where`` or a ``limit``
        outside 1..100000.
    """
    if events is not None:
        if len(events) == 0:
            raise ValidationError(
                "the list of events to export is empty",
                hint="pass at least one event name, or None for every event",
            )
        for name in events:
            item: object = name  # checked at runtime: callers may not be type-checked
            if not isinstance(item, str) or not item.strip():
                raise ValidationError(
                    f"event name {name!r} is empty",
                    hint="pass the event names exactly as Mixpanel shows them",
                )
    if where is not None and not where.strip():
        raise ValidationError(
            "the where expression is empty",
            hint='pass an expression such as properties["$browser"] == "Chrome", or none',
        )
    if limit is not None:
        value: object = limit
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= limit <= EXPORT_LIMIT_MAX
        ):
            raise ValidationError(
                f"limit must be an integer from 1 to {EXPORT_LIMIT_MAX}, got {limit!r}",
                hint=f"Mixpanel's export returns at most {EXPORT_LIMIT_MAX:,} events per request",
            )


@contextmanager
def stream_export(client: MixpanelClient, query: ExportQuery) -> Iterator[Iterator[bytes]]:
    """Send one export request and yield its decompressed body as an iterator of chunks.

    Error statuses are raised before anything is yielded (429, 5xx and connection failures
    after the client's retries). While the body is read, a reset, a timeout or a cut gzip
    stream raises :class:`~mixpanel_data.exceptions.ExportTruncatedError`: the chunks
    yielded so far are then incomplete and the request should be repeated. The request
    holds its export rate-limit slot until the block exits.

    Parameters
    ----------
    client
        The Mixpanel client (its export limiter paces the request).
    query
        What to export.

    Yields
    ------
    Iterator[bytes]
        The body, decompressed, in chunks of arbitrary size (a chunk may end mid-line or
        mid-character).
    """
    with client.stream("export", EXPORT_PATH, query.params(), gzip=True) as response:
        yield iter_body(response)
