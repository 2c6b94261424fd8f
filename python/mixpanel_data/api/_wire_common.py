"""Helpers shared by the private wire decoders of the Query API report endpoints.

Decoders are tolerant by design: Mixpanel adds keys over time (unknown keys are ignored),
sends dates unsorted, omits dates without data, and documents some shapes two ways. What a
decoder cannot make sense of becomes an :class:`~mixpanel_data.exceptions.APIDecodeError`
naming the endpoint and the JSON path of the problem.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar

import msgspec

from mixpanel_data.exceptions import APIDecodeError

__all__ = ["bucket_key", "convert", "day_keys", "is_date_key", "unexpected"]

T = TypeVar("T")

_DATE_KEY = re.compile(r"\A\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def unexpected(endpoint: str, detail: str) -> APIDecodeError:
    """The error for a 2xx body whose shape is not what ``endpoint`` documents."""
    return APIDecodeError(
        f"{endpoint} answered with an unexpected body: {detail}",
        endpoint=endpoint,
        hint="the server may not be Mixpanel's Query API; check the region or base URL, "
        "and see `mp raw get` for the body as sent",
    )


def convert(payload: Any, kind: type[T], endpoint: str) -> T:
    """``msgspec.convert`` into a wire Struct, with errors mapped to ``APIDecodeError``."""
    try:
        return msgspec.convert(payload, kind)
    except msgspec.ValidationError as exc:
        raise unexpected(endpoint, str(exc)) from exc


def is_date_key(key: str) -> bool:
    """Whether a map key is a date bucket (``2024-06-01``, ``2024-06-01 13:00:00``, ISO)."""
    return bool(_DATE_KEY.match(key))


def bucket_key(key: str) -> str:
    """A bucket key in one normal form: ``yyyy-mm-dd``, or ``yyyy-mm-dd HH:MM:SS`` with a time.

    Insights keys carry the project's UTC offset (``2024-05-27T00:00:00-07:00``); the offset
    is dropped, leaving the local wall-clock time. Keys that do not parse are kept as they
    are.
    """
    text = key.strip()
    if len(text) == 10:
        return text
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return text
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")


def day_keys(keys: list[str]) -> dict[str, str]:
    """Map timestamp keys to their dates when every one is a local midnight (day buckets).

    Insights keys are timestamps even for days, weeks and months; those become plain
    dates. Keys of hourly buckets keep their time.
    """
    if keys and all(len(k) == 10 or k.endswith(" 00:00:00") for k in keys):
        return {k: k[:10] for k in keys}
    return {k: k for k in keys}
