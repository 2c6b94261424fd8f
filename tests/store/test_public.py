"""The database part of the public surface: exported names, lazy loading."""

from __future__ import annotations

import subprocess
import sys

import mixpanel_data
import mixpanel_data.types

DB_TYPES = [
    "ColumnDescription",
    "ColumnInfo",
    "ColumnStats",
    "DatabaseSize",
    "ExportResult",
    "PropertyKey",
    "PropertyKeys",
    "PruneResult",
    "PrunedFile",
    "ResetResult",
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
LAZY = ["Workspace", "connect", "ephemeral", "query", "query_df", "query_pl", "tables"]


def test_types_are_exported_everywhere() -> None:
    for name in DB_TYPES:
        assert name in mixpanel_data.__all__
        assert name in mixpanel_data.types.__all__
        assert getattr(mixpanel_data, name) is getattr(mixpanel_data.types, name)


def test_workspace_and_notebook_helpers_are_exported() -> None:
    from mixpanel_data import _notebook, workspace

    for name in LAZY:
        assert name in mixpanel_data.__all__
        assert name in dir(mixpanel_data)
    assert mixpanel_data.Workspace is workspace.Workspace
    assert mixpanel_data.ephemeral is workspace.ephemeral
    assert mixpanel_data.query_df is _notebook.query_df


def test_all_is_sorted() -> None:
    assert mixpanel_data.__all__ == sorted(mixpanel_data.__all__)


def test_unknown_attribute() -> None:
    assert not hasattr(mixpanel_data, "no_such_name")


def test_importing_the_package_does_not_load_duckdb_or_polars() -> None:
    code = (
        "import sys, mixpanel_data; "
        "print(sorted(m for m in ('duckdb', 'polars', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
