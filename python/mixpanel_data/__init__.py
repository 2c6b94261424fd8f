"""mixpanel_data: fetch Mixpanel data into DuckDB once, then answer with SQL.

Usage::

    import mixpanel_data as mp

    with mp.Workspace() as ws:
        ws.fetch_events(from_date=date(2024, 1, 1), to_date=date(2024, 1, 31))
        ws.query_pl("SELECT event, count(*) AS n FROM events GROUP BY 1")
"""

from __future__ import annotations

import importlib
import typing

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
from mixpanel_data._reports_compare import ReportComparison
from mixpanel_data._types_db import (
    ColumnDescription,
    ColumnInfo,
    ColumnStats,
    DatabaseSize,
    ExportResult,
    PropertyKey,
    PropertyKeys,
    PrunedFile,
    PruneResult,
    ResetResult,
    TableInfo,
    TableList,
    TableMetadata,
    TableSchema,
    TableStats,
    VacuumResult,
    ValueCount,
    WorkspaceInfo,
    WorkspaceList,
)
from mixpanel_data._types_discovery import FunnelInfo, JQLResult, SavedCohort, TopEvent
from mixpanel_data._types_fetch import EventList, FetchPlan, FetchProgress, FetchResult
from mixpanel_data._types_reports import (
    EventCountsResult,
    NumericAverageResult,
    NumericBucketResult,
    NumericSumResult,
    PropertyCountsResult,
    SegmentationResult,
)
from mixpanel_data._types_reports_flows import (
    ActivityFeedResult,
    FrequencyResult,
    FunnelResult,
    FunnelStep,
    InsightsResult,
    RetentionResult,
)
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
from mixpanel_data.types import (
    ActivityEvent,
    ChunkFailure,
    CohortInfo,
    CohortList,
    EventSummary,
    FrequencyRow,
    FunnelList,
    InsightsRow,
    Record,
    ReportResult,
    Result,
    RetentionRow,
    SchemaEvent,
    SchemaEventList,
    SchemaProperty,
    SchemaPropertyList,
    SchemaValue,
    SchemaValueList,
    SeriesRow,
    TopEventList,
)

if typing.TYPE_CHECKING:
    from mixpanel_data._notebook import connect, query, query_df, query_pl, tables
    from mixpanel_data.workspace import Workspace, ephemeral

__all__ = [
    "APIConnectionError",
    "APIDecodeError",
    "APIError",
    "APIStatusError",
    "AccountExistsError",
    "AccountInfo",
    "AccountList",
    "AccountNotFoundError",
    "ActivityEvent",
    "ActivityFeedResult",
    "AuthCheck",
    "AuthStatus",
    "AuthenticationError",
    "BadRequestError",
    "ChunkFailure",
    "CohortInfo",
    "CohortList",
    "ColumnDescription",
    "ColumnInfo",
    "ColumnStats",
    "ConfigError",
    "ConfigManager",
    "Credentials",
    "DatabaseLockedError",
    "DatabaseSize",
    "EventCountsResult",
    "EventList",
    "EventSummary",
    "ExportResult",
    "ExportTruncatedError",
    "ExpressionError",
    "FetchPlan",
    "FetchProgress",
    "FetchResult",
    "FrequencyResult",
    "FrequencyRow",
    "FunnelInfo",
    "FunnelList",
    "FunnelResult",
    "FunnelStep",
    "InsightsResult",
    "InsightsRow",
    "JQLResult",
    "LegacyAuthWarning",
    "MixpanelDataError",
    "NotFoundError",
    "NumericAverageResult",
    "NumericBucketResult",
    "NumericSumResult",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PropertyCountsResult",
    "PropertyKey",
    "PropertyKeys",
    "PruneResult",
    "PrunedFile",
    "QueryError",
    "RateLimitError",
    "ReadOnlyError",
    "Record",
    "ReportComparison",
    "ReportResult",
    "ResetResult",
    "Result",
    "RetentionResult",
    "RetentionRow",
    "SQLError",
    "SavedCohort",
    "SchemaEvent",
    "SchemaEventList",
    "SchemaProperty",
    "SchemaPropertyList",
    "SchemaValue",
    "SchemaValueList",
    "SegmentationResult",
    "SeriesRow",
    "ServerError",
    "StorageError",
    "TableExistsError",
    "TableInfo",
    "TableList",
    "TableMetadata",
    "TableNotFoundError",
    "TableSchema",
    "TableStats",
    "TopEvent",
    "TopEventList",
    "VacuumResult",
    "ValidationError",
    "ValueCount",
    "Workspace",
    "WorkspaceInfo",
    "WorkspaceList",
    "__version__",
    "auth_status",
    "connect",
    "ephemeral",
    "query",
    "query_df",
    "query_pl",
    "resolve_credentials",
    "tables",
]

# The Workspace and the notebook helpers import DuckDB and polars; load them on first use so
# `import mixpanel_data` (and so `mp --help`) stays fast.
_LAZY = {
    "Workspace": "mixpanel_data.workspace",
    "ephemeral": "mixpanel_data.workspace",
    "connect": "mixpanel_data._notebook",
    "query": "mixpanel_data._notebook",
    "query_df": "mixpanel_data._notebook",
    "query_pl": "mixpanel_data._notebook",
    "tables": "mixpanel_data._notebook",
}


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mixpanel_data' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
