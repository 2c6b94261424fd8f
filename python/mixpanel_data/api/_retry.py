"""When and how long to wait before sending a failed request again.

The policy: retry on 429, on 5xx and on transport failures (connection refused or reset,
timeouts, a peer that closed mid-response), never on other 4xx. A ``Retry-After`` header is
honoured, whether seconds or an HTTP date, but capped so that an absurd value cannot stall
the caller for hours. Without one, the wait grows exponentially with random jitter so that
many workers that failed together do not retry together.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

__all__ = [
    "BACKOFF_CAP",
    "BACKOFF_INITIAL",
    "JITTER_MIN",
    "backoff_delay",
    "is_retryable_error",
    "is_retryable_status",
    "parse_retry_after",
    "retry_delay",
]

BACKOFF_INITIAL = 1.0
"""Seconds before the first retry when the server gave no ``Retry-After``."""
BACKOFF_CAP = 60.0
"""The longest computed backoff, before jitter."""
JITTER_MIN = 0.5
"""The backoff is multiplied by a random factor in ``[JITTER_MIN, 1]``."""


def is_retryable_status(status_code: int) -> bool:
    """True for statuses worth sending again: 429 and every 5xx."""
    # Mixpanel docs (rate-limits): over-budget requests get 429 and should be retried with
    # backoff. 5xx are transient server faults. Other 4xx say the request itself is wrong.
    return status_code == 429 or 500 <= status_code <= 599


def is_retryable_error(exc: httpx.TransportError) -> bool:
    """True for transport failures that another attempt can cure.

    Network errors (refused, reset), timeouts, proxy failures and a peer breaking the HTTP
    exchange are transient. An unsupported URL scheme or a request httpx itself refused to
    send (``LocalProtocolError``) will fail the same way every time.
    """
    return not isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)


def parse_retry_after(value: str | None, *, wallclock: Callable[[], float]) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header, or None when absent/unusable.

    Parameters
    ----------
    value
        The header value: delta-seconds (``"30"``, also ``"1.5"``) or an HTTP date
        (``"Wed, 21 Oct 2015 07:28:00 GMT"``).
    wallclock
        Current Unix time in seconds, used to turn a date into a wait.

    Returns
    -------
    float or None
        A non-negative wait (a date in the past gives 0), uncapped; None when the header is
        missing, empty or unparseable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110: HTTP dates are always GMT, whether or not the zone is spelled out.
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - wallclock())


def backoff_delay(retry_index: int, rng: random.Random) -> float:
    """Jittered exponential backoff for the ``retry_index``-th retry (0 for the first).

    ``min(BACKOFF_INITIAL * 2**retry_index, BACKOFF_CAP)`` times a factor drawn uniformly
    from ``[JITTER_MIN, 1]``.
    """
    exponent = min(max(retry_index, 0), 32)  # far past the cap; avoids float overflow
    base = min(BACKOFF_INITIAL * 2.0**exponent, BACKOFF_CAP)
    return base * rng.uniform(JITTER_MIN, 1.0)


def retry_delay(
    retry_after: float | None, retry_index: int, *, rng: random.Random, max_retry_after: float
) -> float:
    """The wait before the next attempt.

    The server's ``Retry-After`` wins when it gave one, capped at ``max_retry_after``;
    otherwise :func:`backoff_delay`, also capped at ``max_retry_after``.
    """
    if retry_after is not None:
        return min(retry_after, max_retry_after)
    return min(backoff_delay(retry_index, rng), max_retry_after)
