"""``mp db``: look inside the local DuckDB database and manage its files and workspaces.

Readers (``tables``, ``schema``, ``sample``, ``stats``, ``describe``, ``export``) open the
file read-only, so any number of them can run while no fetch is writing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars  # cyclopts evaluates the annotations at runtime
from cyclopts import App, Parameter, validators

from mixpanel_data._types_db import (
    ColumnDescription,
    DatabaseSize,
    ExportResult,
    PropertyKeys,
    PruneResult,
    ResetResult,
    TableList,
    TableSchema,
    TableStats,
    VacuumResult,
    WorkspaceInfo,
    WorkspaceList,
)
from mixpanel_data.cli._context import CtxParam

__all__ = ["db_app"]

db_app = App(name="db", help="Inspect and manage the local DuckDB database.")
workspace_app = App(name="workspace", help="List, create, switch and delete workspaces.")
db_app.command(workspace_app)

Limit = Annotated[int, Parameter(validator=validators.Number(gte=1))]
Flag = Annotated[bool, Parameter(negative="")]


@db_app.command
def tables(*, ctx: CtxParam) -> TableList:
    """List the tables: kind, rows, first and last event time, last update."""
    return ctx.open_workspace(read_only=True).tables()


@db_app.command
def schema(table: str, /, *, ctx: CtxParam) -> TableSchema:
    """Show a table's columns: name, type, nullable.

    Parameters
    ----------
    table
        The table (names are case-insensitive).
    """
    return ctx.open_workspace(read_only=True).table_schema(table)


@db_app.command
def sample(
    table: str, /, *, limit: Limit = 10, seed: int | None = None, ctx: CtxParam
) -> polars.DataFrame:
    """Show a random sample of a table's rows.

    Parameters
    ----------
    table
        The table to sample.
    limit
        How many rows.
    seed
        Return the same rows every time (for an unchanged table).
    """
    ws = ctx.open_workspace(read_only=True)
    return ws.sample(table, limit=limit, seed=seed, decode_json=True)


@db_app.command
def stats(table: str, /, *, ctx: CtxParam) -> TableStats:
    """Summarise a table: rows, time range, distinct users and events, nulls per column.

    Parameters
    ----------
    table
        The table to summarise.
    """
    return ctx.open_workspace(read_only=True).stats(table)


@db_app.command
def describe(
    table: str, column: str, /, *, limit: Limit | None = None, ctx: CtxParam
) -> ColumnDescription | PropertyKeys:
    """Show how a column's values are distributed (for a JSON column: its keys).

    Parameters
    ----------
    table
        The table.
    column
        The column; for a JSON column the keys are listed with their types and coverage.
    limit
        How many values to list (default 20), or keys (default all).
    """
    return ctx.open_workspace(read_only=True).describe(table, column, limit=limit)


@db_app.command
def info(*, ctx: CtxParam) -> WorkspaceInfo:
    """Show the workspace: name, file, project, size and number of tables."""
    return ctx.open_workspace(read_only=True).info()


@db_app.command
def path(*, ctx: CtxParam) -> str:
    """Print the path of the database file."""
    return str(ctx.open_workspace(read_only=True).path)


@db_app.command
def size(*, ctx: CtxParam) -> DatabaseSize:
    """Show the size of the database on disk (file and write-ahead log)."""
    return ctx.open_workspace(read_only=True).size()


@db_app.command
def reset(*, yes: Flag = False, ctx: CtxParam) -> ResetResult | None:
    """Drop every table: the database is made new and empty.

    Parameters
    ----------
    yes
        Do not ask for confirmation (required when not on a terminal).
    """
    ws = ctx.workspace
    if not ctx.confirm(f"Drop every table in {ws.path}?", yes=yes):
        ctx.info("cancelled; nothing was dropped")
        return None
    return ws.reset()


@db_app.command
def export(
    file: Path,
    /,
    *,
    table: str | None = None,
    query: str | None = None,
    ctx: CtxParam,
) -> ExportResult:
    """Write a table (or a query's result) to a Parquet, CSV, JSON or JSON Lines file.

    Parameters
    ----------
    file
        The file to write; the extension picks the format: .parquet, .csv, .json, .jsonl
        (.ndjson). Add .gz to compress a text format.
    table
        The table to export (default: the only table, when there is one).
    query
        A read-only SQL query to export instead of a table.
    """
    return ctx.open_workspace(read_only=True).export(file, table=table, query=query)


@db_app.command
def vacuum(*, ctx: CtxParam) -> VacuumResult:
    """Rewrite the database compactly, giving the space of deleted data back to the disk."""
    return ctx.workspace.vacuum()


@db_app.command
def prune(
    *,
    temp: Flag = False,
    older_than: str | None = None,
    dry_run: Flag = False,
    yes: Flag = False,
    ctx: CtxParam,
) -> PruneResult:
    """Remove database files nobody needs (with no option: ephemeral leftovers).

    Parameters
    ----------
    temp
        Remove ephemeral databases left by killed processes (never one in use).
    older_than
        Remove this project's workspaces unmodified for this long: 30d, 12h, 2w (never the
        current workspace, never one in use). Asks first on a terminal.
    dry_run
        Only show what would be removed.
    yes
        Do not ask for confirmation (required with --older-than when not on a terminal).
    """
    ws = ctx.open_workspace(read_only=True)
    temp = temp or older_than is None
    if older_than is None or dry_run:
        return ws.prune(temp=temp, older_than=older_than, dry_run=dry_run)
    plan = ws.prune(temp=False, older_than=older_than, dry_run=True)
    workspaces = [f.path for f in plan.removed]
    if workspaces and not ctx.confirm(
        f"Delete {len(workspaces)} workspace(s): {', '.join(workspaces)}?", yes=yes
    ):
        ctx.info("cancelled; only ephemeral leftovers were considered")
        return ws.prune(temp=temp, dry_run=False)
    return ws.prune(temp=temp, older_than=older_than, dry_run=False)


@db_app.command
def shell(*, ctx: CtxParam) -> int:
    """Open the DuckDB shell on the database (needs the `duckdb` program installed)."""
    return ctx.workspace.shell()


# -- workspaces --------------------------------------------------------------------------------


@workspace_app.command(name="list")
def list_workspaces(*, ctx: CtxParam) -> WorkspaceList:
    """List the project's workspaces (the current one is marked)."""
    return ctx.open_workspace(read_only=True).workspaces()


@workspace_app.command
def create(name: str, /, *, switch: Flag = False, ctx: CtxParam) -> WorkspaceInfo:
    """Create a workspace: a separate database file for this project.

    Parameters
    ----------
    name
        Letters, digits, '_', '.' or '-' (e.g. q4-analysis).
    switch
        Also make it the current workspace.
    """
    ws = ctx.open_workspace(read_only=True)
    created = ws.create_workspace(name)
    return ws.switch_workspace(created.name) if switch else created


@workspace_app.command
def switch(name: str, /, *, ctx: CtxParam) -> WorkspaceInfo:
    """Make a workspace the current one (used when --workspace is not given).

    Parameters
    ----------
    name
        An existing workspace (default always exists).
    """
    return ctx.open_workspace(read_only=True).switch_workspace(name)


@workspace_app.command
def delete(name: str, /, *, yes: Flag = False, ctx: CtxParam) -> WorkspaceInfo | None:
    """Delete a workspace's database file.

    Parameters
    ----------
    name
        The workspace to delete.
    yes
        Do not ask for confirmation (required when not on a terminal).
    """
    ws = ctx.open_workspace(read_only=True)
    if not ctx.confirm(f"Delete workspace {name!r} and all its tables?", yes=yes):
        ctx.info("cancelled; nothing was deleted")
        return None
    return ws.delete_workspace(name)
