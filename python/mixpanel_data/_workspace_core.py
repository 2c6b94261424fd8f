"""The core of :class:`~mixpanel_data.Workspace`: which database, which credentials, which client.

Everything is resolved lazily: a workspace opened with ``path=`` never needs credentials,
the database file is opened (and locked) on first use, and the HTTP client is built the
first time a method calls Mixpanel. The feature mixins (local SQL, fetching, reports, ...)
subclass :class:`WorkspaceCore` and use its properties.

Where the database lives:

- ``path=`` (``--db``): that file;
- ``ephemeral=True`` (``--ephemeral``, ``MP_EPHEMERAL=1``): a temp file removed at exit;
- otherwise ``$MP_HOME/data/<project_id>/<workspace>.duckdb``, the workspace being
  ``workspace=`` or the project's current one (``mp db workspace switch``), ``default``
  at first.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Self

from mixpanel_data.exceptions import AccountNotFoundError, ConfigError, ValidationError
from mixpanel_data.store import _ephemeral
from mixpanel_data.store._database import Database
from mixpanel_data.store._files import (
    new_ephemeral_path,
    project_dir,
    read_current_workspace,
    validate_workspace_name,
)

if TYPE_CHECKING:
    import duckdb

    from mixpanel_data._credentials import Credentials
    from mixpanel_data.api import MixpanelClient

__all__ = ["WorkspaceCore", "env_flag"]

log = logging.getLogger(__name__)

_NO_PROJECT_HINT = (
    "run `mp auth login` to save credentials, pass --db PATH (path= in the library) to use a "
    "database file directly, or --demo (demo=True) to try the built-in demo project"
)


def env_flag(name: str) -> bool:
    """Whether an environment variable is set to a true value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _env_seconds(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise ValidationError(
            f"{name}={value!r} is not a number of seconds", hint=f"e.g. {name}=10"
        ) from None
    if seconds < 0:
        raise ValidationError(f"{name} must be >= 0 seconds, got {value!r}")
    return seconds


class WorkspaceCore:
    """Credentials, client and database of a workspace (see :class:`mixpanel_data.Workspace`)."""

    def __init__(
        self,
        account: str | None = None,
        *,
        path: str | Path | None = None,
        workspace: str | None = None,
        read_only: bool = False,
        ephemeral: bool = False,
        demo: bool = False,
        client: MixpanelClient | None = None,
        credentials: Credentials | None = None,
        keep_open: bool = True,
        lock_timeout: float | None = None,
    ) -> None:
        from mixpanel_data._config import mp_home

        if path is not None and str(path) == "":
            raise ValidationError("path is empty", hint="pass a database file, e.g. ./mp.duckdb")
        ephemeral = ephemeral or (path is None and workspace is None and env_flag("MP_EPHEMERAL"))
        if path is not None and workspace is not None:
            raise ValidationError(
                "pass either a database path or a workspace name, not both",
                hint="--db names a file directly; --workspace picks one of the project's files",
            )
        if ephemeral and (path is not None or workspace is not None):
            raise ValidationError(
                "an ephemeral workspace is a fresh temp file: it takes no path or workspace name",
                hint="drop --ephemeral, or drop --db/--workspace",
            )
        self._account = account
        self._home = mp_home()
        self._explicit_path = Path(path).expanduser().absolute() if path is not None else None
        self._workspace_name = validate_workspace_name(workspace) if workspace is not None else None
        self._read_only = read_only
        self._ephemeral = ephemeral
        self._demo = demo or env_flag("MP_DEMO")
        self._client = client
        self._owns_client = False
        self._credentials = credentials
        self._keep_open = keep_open or ephemeral
        self._lock_timeout = (
            lock_timeout if lock_timeout is not None else _env_seconds("MP_LOCK_TIMEOUT")
        )
        self._database: Database | None = None
        self._resolved_path: Path | None = None
        self._closed = False
        if ephemeral:
            self._resolved_path = new_ephemeral_path(self._home)
            _ephemeral.register(self._resolved_path, self._close_database)

    # -- identity --------------------------------------------------------------------------

    @property
    def home(self) -> Path:
        """The ``$MP_HOME`` folder (default ``~/.mp``)."""
        return self._home

    @property
    def read_only(self) -> bool:
        """Whether this workspace refuses writes."""
        return self._read_only

    @property
    def ephemeral(self) -> bool:
        """Whether the database is a temp file removed when the workspace closes."""
        return self._ephemeral

    @property
    def demo(self) -> bool:
        """Whether the workspace talks to the built-in Mixpanel emulator."""
        return self._demo

    @property
    def account(self) -> str | None:
        """The account name asked for (``None``: the default account)."""
        return self._account

    @property
    def workspace_name(self) -> str:
        """The workspace's name: its file name without ``.duckdb`` for a path."""
        if self._explicit_path is not None:
            return self._explicit_path.stem
        if self._ephemeral:
            return "ephemeral"
        if self._workspace_name is None:
            self._workspace_name = read_current_workspace(self.project_folder)
        return self._workspace_name

    @property
    def by_path(self) -> bool:
        """Whether the database was named by path (``--db``) rather than by project."""
        return self._explicit_path is not None

    @property
    def project_id(self) -> int:
        """The project's id (resolves the credentials).

        Raises
        ------
        ConfigError
            No credentials can be found, or they name no project.
        """
        try:
            credentials = self.credentials
        except AccountNotFoundError:
            raise
        except ConfigError as exc:
            raise ConfigError(exc.message, hint=_NO_PROJECT_HINT) from exc
        if credentials.project_id is None:
            raise ConfigError(
                "the credentials name no project id, so there is no project folder to use",
                hint="set MP_PROJECT_ID (or save project_id in the account), or pass --db PATH",
            )
        return credentials.project_id

    def known_project_id(self) -> int | None:
        """The project id when credentials are at hand, else ``None`` (never raises)."""
        try:
            return self.project_id
        except ConfigError:
            return None

    @property
    def project_folder(self) -> Path:
        """``$MP_HOME/data/<project_id>``: the folder of this project's workspaces."""
        return project_dir(self._home, self.project_id)

    @property
    def path(self) -> Path:
        """The database file (resolving the project id when the file is per project)."""
        if self._resolved_path is None:
            if self._explicit_path is not None:
                self._resolved_path = self._explicit_path
            else:
                self._resolved_path = self.project_folder / f"{self.workspace_name}.duckdb"
        return self._resolved_path

    # -- credentials and client ------------------------------------------------------------

    @property
    def credentials(self) -> Credentials:
        """The Mixpanel credentials (resolved on first use: flags > env > account)."""
        if self._credentials is None:
            if self._client is not None:
                self._credentials = self._client.credentials
            elif self._demo:
                from mixpanel_data.emulator import demo_credentials

                self._credentials = demo_credentials()
            else:
                from mixpanel_data._config import resolve_credentials

                self._credentials = resolve_credentials(self._account)
        return self._credentials

    @property
    def client(self) -> MixpanelClient:
        """The Mixpanel API client (built on first use; the emulator's in demo mode)."""
        self._check_open()
        if self._client is None:
            from mixpanel_data.api import MixpanelClient

            if self._demo:
                from mixpanel_data.emulator import demo_client

                self._client = demo_client()
            else:
                self._client = MixpanelClient(self.credentials)
            self._owns_client = True
        return self._client

    # -- database ----------------------------------------------------------------------------

    @property
    def database(self) -> Database:
        """The storage layer's handle on the database file (opened on first use)."""
        self._check_open()
        if self._database is None:
            self._database = Database(
                self.path,
                read_only=self._read_only,
                must_exist=self._read_only and self._explicit_path is not None,
                keep_open=self._keep_open,
                lock_timeout=self._lock_timeout,
            )
        return self._database

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection: the escape hatch (held open until :meth:`release`)."""
        return self.database.connection

    def release(self) -> None:
        """Close the database connection now, so other processes can use the file.

        The next call that needs the database opens it again.
        """
        if self._database is not None:
            self._database.release()

    def _close_database(self) -> None:
        if self._database is not None:
            self._database.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ValidationError(
                "this Workspace is closed", hint="open a new one: mp.Workspace(...)"
            )

    def close(self) -> None:
        """Close the database and the client; an ephemeral workspace's files are removed."""
        if self._closed:
            return
        self._closed = True
        try:
            self._close_database()
        finally:
            if self._owns_client and self._client is not None:
                self._client.close()
            if self._ephemeral and self._resolved_path is not None:
                _ephemeral.unregister(self._resolved_path, remove=True)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = str(self._resolved_path or self._explicit_path or "<not resolved>")
        mode = "read-only" if self._read_only else "read-write"
        extra = ", ephemeral" if self._ephemeral else ""
        return f"{type(self).__name__}({where}, {mode}{extra})"
