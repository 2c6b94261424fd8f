"""File-level methods of :class:`~mixpanel_data.Workspace`: workspaces, size, export,
vacuum, reset, prune and the DuckDB shell (``mp db path|size|export|vacuum|reset|prune|
shell|workspace ...``)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from typing import TYPE_CHECKING

from mixpanel_data._types_db import (
    DatabaseSize,
    ExportResult,
    PruneResult,
    ResetResult,
    VacuumResult,
    WorkspaceInfo,
    WorkspaceList,
    human_bytes,
)
from mixpanel_data._workspace_db import _DatabaseMixin
from mixpanel_data.exceptions import (
    DatabaseLockedError,
    StorageError,
    ValidationError,
)
from mixpanel_data.store import _admin, _introspect
from mixpanel_data.store._files import (
    DEFAULT_WORKSPACE,
    EXTENSION,
    file_bytes,
    held_lock,
    read_current_workspace,
    remove_database_files,
    validate_workspace_name,
    workspace_names,
    write_current_workspace,
)
from mixpanel_data.store._prune import parse_age, prune_old, prune_temp
from mixpanel_data.store._sql import select_all

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["_AdminMixin"]


def _modified(path: Path) -> dt.datetime | None:
    stamps = [p.stat().st_mtime for p in (path, path.with_name(path.name + ".wal")) if p.exists()]
    if not stamps:
        return None
    return dt.datetime.fromtimestamp(max(stamps), dt.UTC).replace(tzinfo=None)


class _AdminMixin(_DatabaseMixin):
    """Workspaces and database files."""

    # -- this database -----------------------------------------------------------------------

    def info(self) -> WorkspaceInfo:
        """The workspace's name, file, project, state, size and number of tables."""
        path = self.path
        exists = path.exists()
        tables: int | None = None
        if exists:
            try:
                tables = len(self.tables())
            except DatabaseLockedError:
                tables = None  # another process is writing; the rest is still true
        current = False
        if not self.by_path and not self.ephemeral:
            current = read_current_workspace(self.project_folder) == self.workspace_name
        return WorkspaceInfo(
            name=self.workspace_name,
            path=str(path),
            project_id=None if self.by_path or self.ephemeral else self.project_id,
            account=self.account,
            exists=exists,
            current=current,
            read_only=self.read_only,
            ephemeral=self.ephemeral,
            size_bytes=sum(file_bytes(path)),
            modified=_modified(path),
            tables=tables,
        )

    def size(self) -> DatabaseSize:
        """The database's size on disk: the file, its write-ahead log, and the total."""
        main, wal = file_bytes(self.path)
        return DatabaseSize(
            path=str(self.path),
            file_bytes=main,
            wal_bytes=wal,
            total_bytes=main + wal,
            total=human_bytes(main + wal),
        )

    def export(
        self,
        path: str | Path,
        *,
        table: str | None = None,
        query: str | None = None,
        format: str | None = None,
    ) -> ExportResult:
        """Write a table (or a query's result) to a Parquet, CSV, JSON or JSON Lines file.

        Parameters
        ----------
        path
            The file to write; its extension picks the format unless ``format`` is given
            (``.parquet``, ``.csv``, ``.json``, ``.jsonl``; ``.gz`` compresses text).
        table
            The table to export (default: the only table, when there is just one).
        query
            A read-only query to export instead of a table.
        """
        if table is not None and query is not None:
            raise ValidationError(
                "pass a table or a query to export, not both", hint="--table T or --query SQL"
            )
        if query is None:
            if table is None:
                names = self.tables().names
                if len(names) != 1:
                    raise ValidationError(
                        "which table? pass --table (table= in the library)",
                        hint="tables: " + (", ".join(names) or "none yet"),
                    )
                table = names[0]
            stored = _introspect.resolve_table(self.database, table)
            query = select_all(stored)
        return self.query_to_file(query, path, write=False, format=format)

    def vacuum(self) -> VacuumResult:
        """Rewrite the database compactly, returning the space of deleted data to the disk."""
        return _admin.compact(self.database)

    def reset(self) -> ResetResult:
        """Drop every table and view: the database is made new and empty.

        The CLI asks for confirmation first; the library does not.
        """
        return _admin.reset(self.database)

    def shell(self) -> int:
        """Open the DuckDB command-line shell on this database; return its exit status.

        Raises
        ------
        StorageError
            The ``duckdb`` program is not installed (the message says how to get it).
        """
        program = shutil.which("duckdb")
        if program is None:
            raise StorageError(
                "the DuckDB command-line shell (`duckdb`) is not installed",
                path=str(self.path),
                hint="install DuckDB 2.x from https://duckdb.org/docs/installation "
                "(e.g. `curl https://install.duckdb.org | sh` or `brew install duckdb`), "
                "or use `mp query`",
            )
        self.release()  # the shell needs the file lock
        argv = [program, str(self.path)]
        if self.read_only:
            argv.insert(1, "-readonly")
        return subprocess.run(argv, check=False).returncode

    # -- workspaces --------------------------------------------------------------------------

    def _project_folder_for_workspaces(self) -> Path:
        if self.by_path:
            raise ValidationError(
                "workspaces belong to a project; --db names one database file directly",
                hint="drop --db to manage the project's workspaces",
            )
        if self.ephemeral:
            raise ValidationError(
                "an ephemeral workspace has no named workspaces", hint="drop --ephemeral"
            )
        return self.project_folder

    def _workspace_info(self, folder: Path, name: str, current: str) -> WorkspaceInfo:
        path = folder / f"{name}{EXTENSION}"
        return WorkspaceInfo(
            name=name,
            path=str(path),
            project_id=self.project_id,
            account=self.account,
            exists=path.exists(),
            current=name == current,
            size_bytes=sum(file_bytes(path)),
            modified=_modified(path),
        )

    def workspaces(self) -> WorkspaceList:
        """The project's workspaces; ``default`` and the current one are listed even before
        their file exists (the first fetch creates it)."""
        folder = self._project_folder_for_workspaces()
        current = read_current_workspace(folder)
        names = sorted(set(workspace_names(folder)) | {current, DEFAULT_WORKSPACE})
        return WorkspaceList(
            project_id=self.project_id,
            workspaces=[self._workspace_info(folder, n, current) for n in names],
        )

    def create_workspace(self, name: str) -> WorkspaceInfo:
        """Create a named workspace (an empty database file) in this project.

        Raises
        ------
        ValidationError
            The name is invalid or taken.
        """
        folder = self._project_folder_for_workspaces()
        name = validate_workspace_name(name)
        path = folder / f"{name}{EXTENSION}"
        if path.exists():
            raise ValidationError(
                f"workspace {name!r} already exists ({path})",
                hint=f"switch to it with `mp db workspace switch {name}`",
            )
        from mixpanel_data.store._database import Database

        database = Database(path, lock_timeout=self._lock_timeout)
        try:
            _introspect.ensure_metadata_tables(database)
        finally:
            database.close()
        return self._workspace_info(folder, name, read_current_workspace(folder))

    def switch_workspace(self, name: str) -> WorkspaceInfo:
        """Make ``name`` the project's current workspace (used when none is named).

        Raises
        ------
        ValidationError
            No workspace of that name (``default`` always exists).
        """
        folder = self._project_folder_for_workspaces()
        name = validate_workspace_name(name)
        path = folder / f"{name}{EXTENSION}"
        if name != DEFAULT_WORKSPACE and not path.exists():
            raise ValidationError(
                f"no workspace {name!r} in project {self.project_id}",
                hint=f"create it with `mp db workspace create {name}`; "
                "`mp db workspace list` shows the others",
            )
        write_current_workspace(folder, name)
        return self._workspace_info(folder, name, name)

    def delete_workspace(self, name: str) -> WorkspaceInfo:
        """Delete a workspace's database file (and its WAL). The CLI asks first.

        Deleting the current workspace makes ``default`` current again.

        Raises
        ------
        ValidationError
            No workspace of that name.
        DatabaseLockedError
            A process has it open.
        """
        folder = self._project_folder_for_workspaces()
        name = validate_workspace_name(name)
        path = folder / f"{name}{EXTENSION}"
        if not path.exists():
            raise ValidationError(
                f"no workspace {name!r} in project {self.project_id}",
                hint="`mp db workspace list` shows the workspaces",
            )
        before = self._workspace_info(folder, name, read_current_workspace(folder))
        if self._resolved_path == path:
            self.release()
        with held_lock(path) as taken:
            if not taken:
                raise DatabaseLockedError(
                    f"workspace {name!r} is open in another process",
                    path=str(path),
                    hint="close that process (or wait for it), then delete again",
                )
            remove_database_files(path)
        if read_current_workspace(folder) == name:
            write_current_workspace(folder, DEFAULT_WORKSPACE)
        return before

    # -- cleaning up -------------------------------------------------------------------------

    def prune(
        self,
        *,
        temp: bool = True,
        older_than: dt.timedelta | str | None = None,
        dry_run: bool = False,
    ) -> PruneResult:
        """Remove database files nobody needs.

        Parameters
        ----------
        temp
            Remove ephemeral databases left by processes that were killed (never one whose
            process is alive, never one in use).
        older_than
            Also remove this project's workspaces not modified for this long (``30d``,
            ``12h``, ``2w``, or a timedelta); never the current one, never one in use.
        dry_run
            Only report what would be removed.
        """
        if older_than is None and not temp:
            raise ValidationError(
                "nothing to prune", hint="pass --temp and/or --older-than AGE (e.g. 30d)"
            )
        age = parse_age(older_than) if older_than is not None else None
        removed, spared = prune_temp(self.home, dry_run=dry_run) if temp else ([], [])
        if age is not None:
            folder = self._project_folder_for_workspaces()
            old_removed, old_spared = prune_old(
                folder,
                workspace_names(folder),
                age,
                keep=read_current_workspace(folder),
                dry_run=dry_run,
            )
            removed += old_removed
            spared += old_spared
        return PruneResult(dry_run=dry_run, removed=removed, spared=spared)
