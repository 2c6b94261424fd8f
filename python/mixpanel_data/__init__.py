"""mixpanel_data: fetch Mixpanel data into DuckDB once, then answer with SQL.

Usage::

    import mixpanel_data as mp

    with mp.Workspace() as ws:
        ws.fetch_events(from_date=date(2024, 1, 1), to_date=date(2024, 1, 31))
        ws.query_pl("SELECT event, count(*) AS n FROM events GROUP BY 1")
"""

from __future__ import annotations

from mixpanel_data._config import (
    AccountInfo,
    AccountList,
    AuthCheck,
    AuthStatus,
    ConfigManager,
    LegacyAuthWarning,
    auth_status,
    resolve_credentials,
)
from mixpanel_data._credentials import Credentials
from mixpanel_data._version import __version__
from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    APIConnectionError,
    APIDecodeError,
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    DatabaseLockedError,
    ExportTruncatedError,
    ExpressionError,
    MixpanelDataError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    QueryError,
    RateLimitError,
    ReadOnlyError,
    ServerError,
    SQLError,
    StorageError,
    TableExistsError,
    TableNotFoundError,
    ValidationError,
)

__all__ = [
    "APIConnectionError",
    "APIDecodeError",
    "APIError",
    "APIStatusError",
    "AccountExistsError",
    "AccountInfo",
    "AccountList",
    "AccountNotFoundError",
    "AuthCheck",
    "AuthStatus",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConfigManager",
    "Credentials",
    "DatabaseLockedError",
    "ExportTruncatedError",
    "ExpressionError",
    "LegacyAuthWarning",
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
    "__version__",
    "auth_status",
    "resolve_credentials",
]
