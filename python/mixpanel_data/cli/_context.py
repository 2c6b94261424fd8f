"""The per-invocation state every command receives: global options and lazy resources.

Import-light on purpose: ``mp --help`` imports this module, so polars, duckdb, pyarrow and
httpx are imported only inside the properties that need them.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TextIO

from cyclopts import Parameter

from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from mixpanel_data._config import ConfigManager
    from mixpanel_data._credentials import Credentials
    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.workspace import Workspace

__all__ = ["Context", "CtxParam", "OutputFormat"]

OutputFormat = Literal["json", "jsonl", "table", "csv", "plain"]

log = logging.getLogger("mixpanel_data.cli")


@dataclass
class Context:
    """Global options of one ``mp`` invocation, and the resources built from them.

    Resources (workspace, client, config) are created on first use and closed by the
    launcher when the command returns.
    """

    account: str | None = None
    workspace_name: str | None = None
    db: Path | None = None
    ephemeral: bool = False
    demo: bool = False
    format: OutputFormat = "json"
    quiet: bool = False
    verbose: bool = False
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _workspaces: list[Workspace] = field(default_factory=list)
    _config: ConfigManager | None = None

    # -- resources -------------------------------------------------------------------------

    @property
    def workspace(self) -> Workspace:
        """The workspace the global options name, opened read-write (created on first use)."""
        for ws in self._workspaces:
            if not ws.read_only:
                return ws
        return self.open_workspace(read_only=False)

    def open_workspace(self, *, read_only: bool = False) -> Workspace:
        """Open the workspace the global options name; readers pass ``read_only=True``."""
        for ws in self._workspaces:
            if ws.read_only == read_only:
                return ws
        from mixpanel_data.workspace import Workspace

        ws = Workspace(
            self.account,
            path=self.db,
            workspace=self.workspace_name,
            read_only=read_only,
            ephemeral=self.ephemeral,
            demo=self.demo,
        )
        self._workspaces.append(ws)
        return ws

    @property
    def config(self) -> ConfigManager:
        """The config file manager for ``$MP_HOME``."""
        if self._config is None:
            from mixpanel_data._config import ConfigManager

            self._config = ConfigManager()
        return self._config

    def credentials(self) -> Credentials:
        """Resolve the credentials the global options name (demo credentials with --demo)."""
        if self.demo:
            from mixpanel_data.emulator import demo_credentials

            return demo_credentials()
        from mixpanel_data._config import resolve_credentials

        return resolve_credentials(self.account, config=self.config)

    def make_client(self) -> MixpanelClient:
        """A Mixpanel client for the resolved credentials (the in-process emulator with --demo)."""
        from mixpanel_data.api import MixpanelClient

        if self.demo:
            from mixpanel_data.emulator import demo_client

            return demo_client()
        return MixpanelClient(self.credentials())

    def close(self) -> None:
        """Close every resource opened for this invocation."""
        while self._workspaces:
            self._workspaces.pop().close()

    # -- talking to the user (stderr only; stdout carries data) ------------------------------

    @property
    def stdin_is_tty(self) -> bool:
        """Whether standard input is a terminal (prompts are allowed only then)."""
        return _isatty(self.stdin)

    @property
    def stderr_is_tty(self) -> bool:
        """Whether standard error is a terminal (progress bars are drawn only then)."""
        return _isatty(self.stderr)

    @property
    def show_progress(self) -> bool:
        """Whether to draw progress: a terminal on stderr and no ``--quiet``."""
        return self.stderr_is_tty and not self.quiet

    def info(self, message: str) -> None:
        """Write an informational line to stderr (suppressed by ``--quiet``)."""
        if not self.quiet:
            print(message, file=self.stderr)

    def warn(self, message: str) -> None:
        """Write a warning line to stderr (always shown)."""
        print(f"warning: {message}", file=self.stderr)

    def prompt(self, text: str, *, secret: bool = False) -> str:
        """Ask on the terminal; refuse (with a hint) when stdin is not a terminal."""
        if not self.stdin_is_tty:
            raise ValidationError(
                f"cannot prompt for {text!r}: standard input is not a terminal",
                hint="pass the value as an option (or --secret-stdin for a secret)",
            )
        if secret:
            import getpass

            return getpass.getpass(f"{text}: ", stream=self.stderr)
        self.stderr.write(f"{text}: ")
        self.stderr.flush()
        return self.stdin.readline().rstrip("\n")

    def confirm(self, question: str, *, yes: bool = False) -> bool:
        """Ask a yes/no question on a terminal; elsewhere require ``--yes``."""
        if yes:
            return True
        if not self.stdin_is_tty:
            raise ValidationError(
                f"{question} needs confirmation, and standard input is not a terminal",
                hint="pass --yes to confirm",
            )
        answer = self.prompt(f"{question} [y/N]")
        return answer.strip().lower() in {"y", "yes"}


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def env_flag(name: str) -> bool:
    """Whether an environment variable is set to a true value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


CtxParam = Annotated[Context, Parameter(parse=False)]
