"""Turn Mixpanel's error responses and transport failures into the library's exceptions.

Mixpanel's error bodies differ by API: the Query API answers ``{"request": "<path?query>",
"error": "<message>"}``, the App API ``{"error": "...", "status": "error"}``, and the Raw
Event Export API a plain-text body. :func:`error_text` digs Mixpanel's own message out of
any of them; :func:`status_error` picks the exception class for the status and adds a hint
saying what to do. Every text that reaches a message goes through a :class:`Scrubber`
first, so a secret echoed back by a server or a proxy never ends up in an exception.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import msgspec

from mixpanel_data._credentials import REGIONS, Credentials
from mixpanel_data.exceptions import (
    APIConnectionError,
    APIDecodeError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    QueryError,
    RateLimitError,
    ServerError,
)

__all__ = [
    "Scrubber",
    "body_error",
    "connection_error",
    "decode_error",
    "error_text",
    "json_error_text",
    "query_error",
    "shorten",
    "status_error",
]

_MAX_TEXT = 500

_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
}

# Wording Mixpanel uses when a project is queried on another region's hosts (e.g. "Invalid
# project id for cluster"): the EU and India hosts serve only their own region's projects.
_REGION_MISMATCH = re.compile(r"cluster|region|residency", re.IGNORECASE)


class Scrubber:
    """Removes the credentials' secret (raw, or inside a Basic token) from text."""

    def __init__(self, credentials: Credentials) -> None:
        user, password = credentials.basic_auth()
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        candidates = {credentials.secret, token, f"{user}:{password}"}
        # Longest first, so a token that contains the secret is replaced whole.
        self._secrets = sorted((s for s in candidates if len(s) >= 4), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret replaced by ``****``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "****")
        return text


def shorten(text: str) -> str:
    """Collapse whitespace and cut ``text`` to a length fit for a one-line message."""
    text = " ".join(text.split())
    if len(text) > _MAX_TEXT:
        return text[: _MAX_TEXT - 1] + "…"
    return text


def json_error_text(value: Any) -> str:
    """The text of a JSON ``error`` field (a string, or JSON for anything else)."""
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode("utf-8", "replace")


def error_text(response: httpx.Response) -> str:
    """Mixpanel's own error message from a response whose body has been read.

    The ``error`` field of a JSON object body when there is one, else the body text,
    else the HTTP reason phrase. Whitespace is collapsed and the text is shortened.
    """
    body = response.content
    text = ""
    if body:
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError:
            decoded = None
        error = body_error(decoded)
        text = json_error_text(error) if error is not None else body.decode("utf-8", "replace")
    text = shorten(text)
    return text or response.reason_phrase or "no error text"


def _region_hint(credentials: Credentials) -> str:
    others = "|".join(r for r in REGIONS if r != credentials.region)
    return (
        f"the project may live in another data-residency region (these credentials use "
        f"region {credentials.region!r}); set --region {others}"
    )


def _hint(status: int, text: str, credentials: Credentials) -> str | None:
    if 400 <= status < 500 and status != 429 and _REGION_MISMATCH.search(text):
        return _region_hint(credentials)
    if status == 401:
        if credentials.auth_kind == "api_secret":
            return (
                "check the project API secret (a legacy credential Mixpanel retires on "
                "2027-03-03; prefer a service account)"
            )
        return (
            "check the service account username and secret, and that the service account "
            "has not expired"
        )
    if status == 402:
        return "the project's Mixpanel plan does not include this API"
    if status == 403:
        project = credentials.project_id if credentials.project_id is not None else "(unset)"
        return f"the service account needs access to project {project}"
    if status == 404:
        return "check the endpoint and, if one is set, the base URL override"
    if status == 429:
        return (
            "Mixpanel's rate limit (Query API: 60/hour and 5 concurrent per project; export: "
            "60/hour, 3/second, 100 concurrent); wait and try again, or lower the concurrency"
        )
    if status >= 500:
        return "Mixpanel failed to answer; try again later"
    return None


def status_error(
    response: httpx.Response,
    *,
    endpoint: str,
    credentials: Credentials,
    scrub: Scrubber,
    retry_after: float | None = None,
) -> APIStatusError:
    """The exception for a non-2xx response whose body has been read.

    400/401/402/403/404 get their own classes, 429 :class:`RateLimitError` (carrying
    ``retry_after``), 5xx :class:`ServerError`, anything else :class:`APIStatusError`.
    """
    status = response.status_code
    text = scrub(error_text(response))
    reason = response.reason_phrase or "error"
    message = f"Mixpanel answered {status} {reason} for {endpoint}: {text}"
    hint = _hint(status, text, credentials)
    if status == 429:
        return RateLimitError(
            message, endpoint=endpoint, body=text, retry_after=retry_after, hint=hint
        )
    if 500 <= status <= 599:
        return ServerError(message, status_code=status, endpoint=endpoint, body=text, hint=hint)
    cls = _STATUS_CLASSES.get(status, APIStatusError)
    return cls(message, status_code=status, endpoint=endpoint, body=text, hint=hint)


def body_error(payload: Any) -> Any:
    """The top-level ``error`` of a 2xx JSON body, or None when it carries none.

    Older Query API endpoints have answered 200 with ``{"request": ..., "error": ...}``
    instead of an error status, so a success status alone does not mean success. Only a
    string counts: some successful answers are keyed by data (property names in
    ``/events/properties/top``, segment values in segmented ``/retention``), and a property
    or segment named ``error`` maps to an object there, not to a message.
    """
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, str) and error.strip():
            return error
    return None


def query_error(
    error: Any, *, endpoint: str, credentials: Credentials, scrub: Scrubber
) -> QueryError:
    """The exception for a 2xx JSON body that carries a top-level ``error``."""
    text = scrub(shorten(json_error_text(error)))
    hint = _region_hint(credentials) if _REGION_MISMATCH.search(text) else None
    return QueryError(
        f"Mixpanel returned an error for {endpoint}: {text}", endpoint=endpoint, hint=hint
    )


def connection_error(
    exc: httpx.TransportError,
    *,
    endpoint: str,
    base: str,
    attempts: int,
    scrub: Scrubber,
) -> APIConnectionError:
    """The exception for a request that got no (complete) response."""
    detail = scrub(shorten(str(exc))) or "no details"
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    message = (
        f"no response from {base} for {endpoint} after {tries}: {type(exc).__name__}: {detail}"
    )
    if isinstance(exc, httpx.TimeoutException):
        hint = "Mixpanel did not answer in time; try again, or raise the client's timeouts"
    elif isinstance(exc, httpx.UnsupportedProtocol):
        hint = "the base URL must start with http:// or https://"
    else:
        hint = "check the network connection, any proxy, and the region or base URL"
    return APIConnectionError(message, endpoint=endpoint, hint=hint)


def decode_error(
    response: httpx.Response, exc: msgspec.DecodeError, *, endpoint: str, scrub: Scrubber
) -> APIDecodeError:
    """The exception for a 2xx response whose body should be JSON but is not."""
    content_type = response.headers.get("Content-Type", "no Content-Type")
    snippet = scrub(shorten(response.content.decode("utf-8", "replace"))) or "(empty body)"
    return APIDecodeError(
        f"{endpoint} answered {response.status_code} with a body that is not JSON "
        f"({content_type}; {exc}): {snippet}",
        endpoint=endpoint,
        hint="Mixpanel, or a proxy in between, sent something other than JSON; check the "
        "region or base URL",
    )
