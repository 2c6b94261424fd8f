"""Exit codes, and the one place an exception becomes a message on stderr.

| code | meaning                                                        |
|------|----------------------------------------------------------------|
| 0    | success                                                        |
| 1    | library error (API, storage, SQL, data)                        |
| 2    | usage error (bad option, argument, expression)                 |
| 3    | authentication or configuration error                          |
| 4    | rate limited, or Mixpanel unavailable (after retries)          |
| 130  | interrupted (Ctrl-C)                                           |
"""

from __future__ import annotations

from typing import TextIO

from mixpanel_data.exceptions import (
    APIConnectionError,
    AuthenticationError,
    ConfigError,
    ExpressionError,
    MixpanelDataError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)

__all__ = [
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "exit_code_for",
    "report_error",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNAVAILABLE = 4
EXIT_INTERRUPTED = 130


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an exception."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, ValidationError | ExpressionError):
        return EXIT_USAGE
    if isinstance(
        exc, ConfigError | AuthenticationError | PermissionDeniedError | PaymentRequiredError
    ):
        return EXIT_AUTH
    if isinstance(exc, RateLimitError | ServerError | APIConnectionError):
        return EXIT_UNAVAILABLE
    return EXIT_ERROR


def report_error(exc: MixpanelDataError, *, as_json: bool, stream: TextIO) -> None:
    """Write one clear error to stderr: a line (plus a hint line), or a JSON object."""
    if as_json:
        from mixpanel_data.cli._output import to_json_bytes

        payload: dict[str, object] = {
            "type": type(exc).__name__,
            "message": exc.message,
            "hint": exc.hint,
        }
        for attr in ("status_code", "endpoint", "position"):
            value = getattr(exc, attr, None)
            if value not in (None, ""):
                payload[attr] = value
        stream.write(to_json_bytes({"error": payload}).decode() + "\n")
        return
    stream.write(f"error: {exc.message}\n")
    if isinstance(exc, ExpressionError):
        stream.write(f"  {exc.expression}\n  {' ' * exc.position}^\n")
    if exc.hint:
        stream.write(f"hint: {exc.hint}\n")
