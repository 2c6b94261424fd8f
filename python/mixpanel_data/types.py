"""Public result types (frozen msgspec Structs with ``.pl``, ``.df`` and ``.to_dict()``).

The definitions live in private modules per area; this module is the one place users import
them from.
"""

from __future__ import annotations

from mixpanel_data._config import AccountInfo, AccountList, AuthCheck, AuthStatus
from mixpanel_data._result import Record, Result
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

__all__ = [
    "AccountInfo",
    "AccountList",
    "AuthCheck",
    "AuthStatus",
    "ColumnDescription",
    "ColumnInfo",
    "ColumnStats",
    "DatabaseSize",
    "ExportResult",
    "PropertyKey",
    "PropertyKeys",
    "PruneResult",
    "PrunedFile",
    "Record",
    "ResetResult",
    "Result",
    "TableInfo",
    "TableList",
    "TableMetadata",
    "TableSchema",
    "TableStats",
    "VacuumResult",
    "ValueCount",
    "WorkspaceInfo",
    "WorkspaceList",
]
