"""The one exception tree of mixpanel_data.

Every error the library raises derives from :class:`MixpanelDataError`; no httpx, duckdb or
msgspec exception leaks out of the public API. Each error carries a message that says what
failed and, where there is one, a ``hint`` that says what to do about it. The CLI maps the
tree onto exit codes (see ``EXIT_CODES`` in ``mixpanel_data.cli._errors``).

::

    * MixpanelDataError               .message, .hint
      x ConfigError                   missing/invalid config file, account or credentials
        + AccountNotFoundError        an account name that is not configured
        + AccountExistsError          adding an account whose name is taken
      x APIError                      anything that went wrong talking to Mixpanel; .endpoint
        + APIConnectionError          network failure or timeout, no response
        + APIStatusError              Mixpanel answered with an error status; .status_code, .body
          - BadRequestError           400 (parameters, expressions, dates, region mismatch)
          - AuthenticationError       401 (missing, wrong or expired credentials)
          - PaymentRequiredError      402 (the plan does not include this API)
          - PermissionDeniedError     403 (valid credentials, no access to the project)
          - NotFoundError             404
          - RateLimitError            429 after the retries ran out; .retry_after
          - ServerError               5xx after the retries ran out
        + APIDecodeError              a 2xx body that is not what the endpoint documents
        + ExportTruncatedError        an export stream cut short ("terminated early")
        + QueryError                  Mixpanel answered 200 with an "error" body
      x StorageError                  the local DuckDB database; .path
        + DatabaseLockedError         another process holds the write lock
        + TableNotFoundError
        + TableExistsError
        + SQLError                    a local SQL statement failed; .position
        + ReadOnlyError               a statement that writes, without --write
      x ExpressionError               a segmentation expression that does not parse; .position
      x ValidationError               a bad argument (dates, names, options) caught before any I/O
"""

from __future__ import annotations

__all__ = [
    "APIConnectionError",
    "APIDecodeError",
    "APIError",
    "APIStatusError",
    "AccountExistsError",
    "AccountNotFoundError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "DatabaseLockedError",
    "ExportTruncatedError",
    "ExpressionError",
    "MixpanelDataError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "QueryError",
    "RateLimitError",
    "ReadOnlyError",
    "SQLError",
    "ServerError",
    "StorageError",
    "TableExistsError",
    "TableNotFoundError",
    "ValidationError",
]


class MixpanelDataError(Exception):
    """Base of every error raised by mixpanel_data.

    Parameters
    ----------
    message
        What failed, in one sentence. Never contains a secret.
    hint
        What to do about it, when there is something to do.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(MixpanelDataError):
    """The config file, an account or the credentials are missing or invalid."""


class AccountNotFoundError(ConfigError):
    """An account name that is not in the config file."""


class AccountExistsError(ConfigError):
    """An account with that name already exists."""


class APIError(MixpanelDataError):
    """Something went wrong talking to Mixpanel.

    ``endpoint`` is the path that was called (``/api/query/segmentation``), never a URL with
    credentials in it.
    """

    def __init__(self, message: str, *, endpoint: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.endpoint = endpoint


class APIConnectionError(APIError):
    """No response: the connection failed, was reset or timed out (after retries)."""


class APIStatusError(APIError):
    """Mixpanel answered with an error status.

    ``body`` is Mixpanel's own error text (the ``error`` field of a JSON body, or the plain
    text body of an export error).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        endpoint: str = "",
        body: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, hint=hint)
        self.status_code = status_code
        self.body = body


class BadRequestError(APIStatusError):
    """400: Mixpanel rejected the parameters."""


class AuthenticationError(APIStatusError):
    """401: missing, wrong or expired credentials."""


class PaymentRequiredError(APIStatusError):
    """402: the project's plan does not include this API."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials are valid but have no access to this project or resource."""


class NotFoundError(APIStatusError):
    """404: no such endpoint or object."""


class RateLimitError(APIStatusError):
    """429: Mixpanel's rate limit, still hit after the retries ran out.

    ``retry_after`` is the wait Mixpanel asked for, in seconds, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        endpoint: str = "",
        body: str = "",
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, endpoint=endpoint, body=body, hint=hint)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: Mixpanel failed, still after the retries ran out."""


class APIDecodeError(APIError):
    """A successful response whose body is not what the endpoint documents."""


class ExportTruncatedError(APIError):
    """An export stream that ended early (``terminated early``, a cut gzip stream, a reset)."""


class QueryError(APIError):
    """Mixpanel answered 200 but with an ``error`` in the body."""


class StorageError(MixpanelDataError):
    """The local DuckDB database failed.

    ``path`` is the database file, when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class DatabaseLockedError(StorageError):
    """Another process holds the database's write lock."""


class TableNotFoundError(StorageError):
    """No table of that name in the workspace."""


class TableExistsError(StorageError):
    """A table of that name already exists."""


class SQLError(StorageError):
    """A local SQL statement failed. ``position`` is the character offset DuckDB reported."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        position: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, path=path, hint=hint)
        self.position = position


class ReadOnlyError(StorageError):
    """A statement that would write, run without permission to write."""


class ExpressionError(MixpanelDataError):
    """A segmentation expression that does not parse or cannot be compiled.

    ``position`` is the 0-based character offset of the problem in ``expression``.
    """

    def __init__(
        self, message: str, *, expression: str, position: int, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.expression = expression
        self.position = position


class ValidationError(MixpanelDataError):
    """A bad argument caught before any I/O (a date range backwards, an unknown unit, …)."""
