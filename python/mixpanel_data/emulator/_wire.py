"""Request parameters, replies and error bodies: the emulator's HTTP vocabulary.

Everything here is independent of how the reply reaches the client (in-process through
``httpx.MockTransport`` or over a real socket): a handler reads a :class:`Params`, returns a
:class:`Reply` (bytes, or an iterator of byte chunks for streamed bodies) or raises
:class:`EmulatorHTTPError`, which the app renders in the error shape of the API family.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl

import orjson

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

__all__ = [
    "EmulatorHTTPError",
    "Family",
    "Params",
    "Reply",
    "error_reply",
    "json_bytes",
    "json_reply",
    "parse_params",
]

Family = Literal["query", "export"]

_DATE_RE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_INT_RE = re.compile(r"\A-?\d+\Z")


def json_bytes(data: Any) -> bytes:
    """Encode a response body compactly (insertion order kept, so bytes are reproducible)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


@dataclass
class Reply:
    """One response before it is encoded for the wire.

    ``body`` is either the complete bytes or an iterator of chunks (streamed responses such
    as the export, which is produced day by day and never held in memory whole). ``on_close``
    callbacks run once the body has been sent or abandoned (they release rate-limit slots).
    """

    status: int
    body: bytes | Iterator[bytes]
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Run the ``on_close`` callbacks once (safe to call again)."""
        callbacks, self.on_close = self.on_close, []
        for callback in callbacks:
            callback()
        body = self.body
        if not isinstance(body, bytes):
            close = getattr(body, "close", None)
            if close is not None:
                close()


def json_reply(data: Any, *, status: int = 200) -> Reply:
    """A JSON reply."""
    return Reply(status=status, body=json_bytes(data))


class EmulatorHTTPError(Exception):
    """An error answer: status, message and (optionally) extra headers.

    ``shape`` picks the body: ``request`` gives the Query API's ``{"request", "error"}``
    object, ``status`` the ``{"error", "status": "error"}`` object Mixpanel's App API uses
    for auth errors; export errors are always plain text.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        shape: Literal["request", "status"] = "request",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.shape = shape
        self.headers = dict(headers or {})


def error_reply(family: Family, request_target: str, error: EmulatorHTTPError) -> Reply:
    """Render an error in the shape of the API family that raised it.

    Query API errors are JSON ``{"request": "<path?query>", "error": "..."}`` (seen in real
    rate-limit and date-range answers); the Raw Export API answers errors with a plain-text
    body.
    """
    if family == "export":
        return Reply(
            status=error.status,
            body=error.message.encode(),
            content_type="text/plain; charset=utf-8",
            headers=dict(error.headers),
        )
    if error.shape == "status":
        body: dict[str, Any] = {"error": error.message, "status": "error"}
    else:
        body = {"request": request_target, "error": error.message}
    return Reply(status=error.status, body=json_bytes(body), headers=dict(error.headers))


def _bad(message: str) -> EmulatorHTTPError:
    return EmulatorHTTPError(400, message)


class Params:
    """The parameters of one request: query string, then form or JSON body (body wins).

    Mixpanel's POST endpoints (``/engage``, ``/jql``, ``/cohorts/list``) take their
    parameters in a form body, while ``mixpanel-utils`` and most taps send everything in the
    query string of a GET; both are accepted everywhere. The typed getters raise
    :class:`EmulatorHTTPError` (400) with a message naming the parameter.
    """

    def __init__(self, values: Mapping[str, str], *, target: str) -> None:
        self._values = dict(values)
        self.target = target

    def __contains__(self, name: object) -> bool:
        return name in self._values and self._values[name] != ""

    def items(self) -> Iterable[tuple[str, str]]:
        """All (name, value) pairs."""
        return self._values.items()

    def raw(self, name: str) -> str | None:
        """The value as sent, or ``None`` when absent or empty."""
        value = self._values.get(name)
        return value if value not in (None, "") else None

    def str_(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        """A string parameter."""
        value = self.raw(name)
        if value is None:
            if required:
                raise _bad(f"'{name}' is a required parameter")
            return default
        return value

    def require(self, name: str) -> str:
        """A required string parameter."""
        value = self.raw(name)
        if value is None:
            raise _bad(f"'{name}' is a required parameter")
        return value

    def int_(
        self,
        name: str,
        *,
        default: int | None = None,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """An integer parameter, range-checked."""
        value = self.str_(name, required=required)
        if value is None:
            return default
        if not _INT_RE.match(value.strip()):
            raise _bad(f"'{name}' must be an integer, got {value!r}")
        number = int(value)
        if minimum is not None and number < minimum:
            raise _bad(f"'{name}' must be at least {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise _bad(f"'{name}' must be at most {maximum}, got {number}")
        return number

    def bool_(self, name: str, *, default: bool) -> bool:
        """A boolean parameter (``true``/``false``, also ``1``/``0``)."""
        value = self.str_(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0"}:
            return False
        raise _bad(f"'{name}' must be true or false, got {value!r}")

    def choice(
        self,
        name: str,
        options: tuple[str, ...],
        *,
        default: str | None = None,
        required: bool = False,
    ) -> str | None:
        """One of a closed set of values."""
        value = self.str_(name, required=required)
        if value is None:
            return default
        if value not in options:
            allowed = ", ".join(repr(o) for o in options)
            raise _bad(f"'{name}' must be one of {allowed}, got {value!r}")
        return value

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        """A ``yyyy-mm-dd`` date (``None`` when absent and not required)."""
        value = self.str_(name, required=required)
        return None if value is None else _parse_date(name, value)

    def date_range(self, *, today: dt.date) -> tuple[dt.date, dt.date]:
        """``from_date``/``to_date``, both required and inclusive, not after ``today``."""
        from_date = _parse_date("from_date", self.require("from_date"))
        to_date = _parse_date("to_date", self.require("to_date"))
        # Seen in real answers (singer-io/tap-mixpanel handles it): a to_date after the
        # project's today is refused.
        if to_date > today:
            raise _bad("to_date cannot be later than today")
        if from_date > to_date:
            raise _bad("from_date cannot be later than to_date")
        return from_date, to_date

    def json(self, name: str, *, required: bool = False) -> Any:
        """A JSON-encoded parameter (``None`` when absent)."""
        value = self.str_(name, required=required)
        if value is None:
            return None
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            # The old /events endpoint answered a bare event name with this text.
            raise _bad(f"Invalid JSON Format: {name}") from None

    def json_str_list(self, name: str, *, required: bool = False) -> list[str] | None:
        """A JSON array of strings, e.g. ``event=["Signed up","Purchase"]``."""
        value = self.json(name, required=required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(f"Invalid JSON Format: {name}")
        return value


def _parse_date(name: str, value: str) -> dt.date:
    text = value.strip()
    try:
        if not _DATE_RE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _bad(
            f"'{name}' is not a valid date: {value!r} (expected the format yyyy-mm-dd)"
        ) from None


def _form_values(content_type: str, body: bytes) -> dict[str, str]:
    if not body:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _bad("the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise _bad("the JSON request body must be an object")
        return {str(k): _as_text(v) for k, v in data.items()}
    if kind in {"application/x-www-form-urlencoded", ""}:
        text = body.decode("utf-8", errors="replace")
        return dict(parse_qsl(text, keep_blank_values=True))
    raise EmulatorHTTPError(415, f"unsupported request body type {kind!r}")


def _as_text(value: Any) -> str:
    # A JSON body carries typed values; the handlers read parameters as the text a form
    # would carry, so arrays/objects become JSON text and booleans true/false.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def parse_params(
    query: Iterable[tuple[str, str]], *, content_type: str, body: bytes, target: str
) -> Params:
    """Merge query-string and body parameters (the body wins on conflicts)."""
    values: dict[str, str] = dict(query)
    values.update(_form_values(content_type, body))
    return Params(values, target=target)
