"""``mp raw``: Mixpanel's endpoints as they answer, never touching the local database.

- :func:`raw_export` streams the Raw Event Export as NDJSON, one day per request (as
  Mixpanel's own tools do). Each day's body is checked line by line before any of it is
  written out: an export can end early (the literal ``terminated early`` where the next
  record would be, a cut gzip stream, a reset), and a day whose body is incomplete or holds
  a line that is not JSON is requested again from scratch. So the output never holds half a
  day, and never a day twice. A day is spooled to a temp file while it is checked (memory
  stays bounded).
- :func:`raw_engage` pages through Engage (every page) and yields each profile once.
- :func:`raw_jql` runs a JQL script; :func:`raw_get` calls any GET endpoint.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import tempfile
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from mixpanel_data.exceptions import ExportTruncatedError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from mixpanel_data._credentials import Credentials
    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.api.export import ExportQuery

__all__ = [
    "ExportSummary",
    "check_raw_path",
    "export_today",
    "json_bytes",
    "parse_params",
    "raw_engage",
    "raw_export",
    "raw_get",
    "raw_jql",
]

log = logging.getLogger(__name__)

_SPOOL_BYTES = 16 * 1024 * 1024
_COPY_BYTES = 1024 * 1024
_EXPORT_PATH = "/api/2.0/export"


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What :func:`raw_export` wrote: events, bytes, days, and the retries it took."""

    events: int
    bytes: int
    days: int
    retries: int


class _IncompleteError(Exception):
    """A day's body that must be requested again (with why)."""


def _check_lines(chunks: Iterator[bytes], spool: IO[bytes]) -> tuple[int, int]:
    """Copy complete, valid NDJSON lines to ``spool``; returns (events, bytes).

    Raises ``_IncompleteError`` for a ``terminated early`` marker or a line that is not a JSON
    object (a cut-off last record looks the same).
    """
    pending = b""
    events = 0
    size = 0

    def take(line: bytes) -> None:
        nonlocal events, size
        text = line.strip()
        if not text:
            return
        if b"terminated early" in text and not text.startswith(b"{"):
            raise _IncompleteError("the export says it terminated early")
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise _IncompleteError(f"a line is not JSON ({text[:60]!r})") from None
        if not isinstance(record, dict):
            raise _IncompleteError(f"a line is not a JSON object ({text[:60]!r})")
        spool.write(text + b"\n")
        events += 1
        size += len(text) + 1

    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            take(line)
    take(pending)
    return events, size


def raw_export(
    client: MixpanelClient,
    query: ExportQuery,
    write: Callable[[bytes], object],
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> ExportSummary:
    """Stream the Raw Event Export to ``write`` as NDJSON, checked day by day.

    Parameters
    ----------
    client
        The Mixpanel client (its export limiter paces the requests).
    query
        What to export; with ``limit`` the whole range is one request (Mixpanel applies
        the limit per request), otherwise one request per day.
    write
        Receives the output, a day at a time (e.g. ``sys.stdout.buffer.write``).
    attempts
        Tries per day when a body turns out incomplete.
    sleep, rng
        Backoff between tries (injectable for tests).

    Raises
    ------
    ExportTruncatedError
        A day was still incomplete after ``attempts`` tries (the days before it have
        been written).
    """
    from mixpanel_data.api._retry import backoff_delay
    from mixpanel_data.api.export import stream_export

    if attempts < 1:
        raise ValidationError(f"attempts must be at least 1, got {attempts}")
    rng = rng or random.Random()
    if query.limit is not None:
        requests = [query]
    else:
        span = (query.to_date - query.from_date).days
        requests = [query.for_day(query.from_date + dt.timedelta(days=i)) for i in range(span + 1)]
    events = written = retries = 0
    for request in requests:
        for attempt in range(attempts):
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
            try:
                try:
                    with stream_export(client, request) as chunks:
                        counted, size = _check_lines(chunks, spool)
                except (_IncompleteError, ExportTruncatedError) as exc:
                    label = f"{request.from_date}..{request.to_date}"
                    if attempt + 1 >= attempts:
                        raise ExportTruncatedError(
                            f"the export of {label} was incomplete {attempts} times: {exc}",
                            endpoint=_EXPORT_PATH,
                            hint="try again later; the days before it were written",
                        ) from exc
                    retries += 1
                    log.info("export of %s incomplete (%s); trying again", label, exc)
                    sleep(backoff_delay(attempt, rng))
                    continue
                spool.seek(0)
                while block := spool.read(_COPY_BYTES):
                    write(block)
                events += counted
                written += size
                break
            finally:
                spool.close()
    return ExportSummary(events=events, bytes=written, days=len(requests), retries=retries)


def raw_engage(
    client: MixpanelClient,
    *,
    where: str | None = None,
    cohort_id: int | None = None,
    distinct_ids: Sequence[str] | None = None,
    output_properties: Sequence[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every profile an Engage query matches, each once, as Mixpanel sends it.

    Yields ``{"$distinct_id": ..., "$properties": {...}}`` objects, page after page.
    """
    from mixpanel_data.api.engage import EngageQuery, iter_pages

    query = EngageQuery(
        where=where,
        cohort_id=cohort_id,
        distinct_ids=tuple(distinct_ids) if distinct_ids is not None else None,
        output_properties=tuple(output_properties) if output_properties is not None else None,
    )
    seen: set[str] = set()
    # An expired session restarts the query, and its pages come again: yield each once.
    for page in iter_pages(client, query):
        for distinct_id, properties in page.profiles:
            if distinct_id in seen:
                continue
            seen.add(distinct_id)
            yield {"$distinct_id": distinct_id, "$properties": properties}


def raw_jql(client: MixpanelClient, script: str, params: Mapping[str, Any] | None = None) -> Any:
    """Run a JQL script (``POST /api/query/jql``) and return its JSON answer."""
    if not script.strip():
        raise ValidationError("the JQL script is empty", hint="pass --script or --file")
    data: dict[str, Any] = {"script": script}
    if params is not None:
        data["params"] = dict(params)
    return client.post_form("query", "/api/query/jql", data=data)


def check_raw_path(path: str) -> str:
    """The full path of an endpoint: ``events/names`` → ``/api/query/events/names``.

    Paths starting with ``/api/`` are kept (``/api/2.0/engage``, ``/api/app/...``).
    """
    text = path.strip()
    if not text or any(c in text for c in "?# \t\r\n"):
        raise ValidationError(
            f"{path!r} is not an endpoint path",
            hint="pass a path such as events/names or /api/query/events/names, and parameters "
            "with --param k=v",
        )
    full = text if text.startswith("/api/") else "/api/query/" + text.lstrip("/")
    if full.rstrip("/") == _EXPORT_PATH:
        raise ValidationError(
            "the export answers NDJSON, not JSON", hint="use `mp raw export` for the export"
        )
    return full


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``["k=v", "event=Sign Up"]`` → ``{"k": "v", "event": "Sign Up"}`` (values verbatim)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                f"--param {pair!r} is not key=value", hint="e.g. --param type=general"
            )
        out[key.strip()] = value
    return out


def raw_get(client: MixpanelClient, path: str, params: Mapping[str, str] | None = None) -> Any:
    """GET any Query API endpoint and return its JSON answer as Mixpanel sent it."""
    return client.get_json("query", check_raw_path(path), dict(params or {}))


def json_bytes(data: Any, *, pretty: bool = False) -> bytes:
    """JSON text of an answer, ending with a newline (indented when ``pretty``)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    return orjson.dumps(data, option=option) + b"\n"


def export_today(credentials: Credentials, *, demo: bool = False) -> dt.date:
    """Today in the project's export time zone (UTC, or the project's zone for projects
    created before 2023); the demo emulator's own "today" in demo mode."""
    if demo:
        from mixpanel_data.emulator import demo_emulator

        return demo_emulator().today
    zone = credentials.timezone if credentials.legacy_timezone else "UTC"
    try:
        return dt.datetime.now(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return dt.datetime.now(dt.UTC).date()
