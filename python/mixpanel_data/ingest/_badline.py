"""Find and describe the first bad record of a block (the slow path after a failed decode)."""

from __future__ import annotations

import orjson

from mixpanel_data.exceptions import APIDecodeError

__all__ = ["bad_record_error"]

_EXCERPT = 120


def _excerpt(line: bytes) -> str:
    text = line.decode("utf-8", errors="replace").strip()
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def _problem(line: bytes, *, profiles: bool) -> str | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return f"it is not valid JSON ({exc})"
    if not isinstance(record, dict):
        return "it is not a JSON object"
    if profiles:
        if not isinstance(record.get("$properties", {}), dict):
            return "its $properties is not an object"
        if record.get("$distinct_id") is None:
            return "it has no $distinct_id"
        return None
    if not isinstance(record.get("event"), str | int | float) or isinstance(record["event"], bool):
        return "it has no event name"
    properties = record.get("properties")
    if not isinstance(properties, dict):
        return "it has no properties object"
    time = properties.get("time")
    if not isinstance(time, int | float) or isinstance(time, bool):
        return "its properties.time is missing or not a number"
    return None


def bad_record_error(
    data: bytes, *, first_line: int, detail: str | None = None, profiles: bool = False
) -> APIDecodeError:
    """Return the error describing the first bad record of ``data``.

    Parameters
    ----------
    data
        The NDJSON block that failed to decode.
    first_line
        Stream line number of the block's first line.
    detail
        What the decoding engine reported, used when no single record can be blamed.
    profiles
        Whether the records are Engage profiles rather than export events.
    """
    what = "profile" if profiles else "export"
    for offset, line in enumerate(data.split(b"\n")):
        if not line.strip():
            continue
        problem = _problem(line, profiles=profiles)
        if problem is not None:
            number = first_line + offset
            return APIDecodeError(
                f"line {number} of the {what} stream is malformed: {problem}: {_excerpt(line)!r}",
                hint="the response was not stored; retry, and report it if it happens again",
            )
    last_line = first_line + data.count(b"\n")
    return APIDecodeError(
        f"the {what} stream (lines {first_line}–{last_line}) could not be decoded: "
        f"{detail or 'unknown error'}",
        hint="the response was not stored; retry, and report it if it happens again",
    )
