"""The ``mp`` command: a thin skin over :class:`mixpanel_data.Workspace`.

The root app holds the global options (on the meta app, so they are accepted before or after
the command); each command group lives in its own module under ``cli/commands`` and is
registered lazily by import path, so ``mp --help`` imports none of polars, duckdb, pyarrow or
httpx. A group whose module is not part of this installation is not registered at all.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any

from cyclopts import App, Group, Parameter

from mixpanel_data._version import __version__
from mixpanel_data.cli._context import Context, OutputFormat, env_flag
from mixpanel_data.cli._errors import EXIT_OK, exit_code_for, report_error
from mixpanel_data.exceptions import MixpanelDataError

__all__ = ["app", "main"]

app = App(
    name="mp",
    help=(
        "Fetch Mixpanel data into a local DuckDB file once, then answer with SQL; "
        "run Mixpanel's live reports and schema discovery."
    ),
    version=__version__,
    help_format="plaintext",
)
app.meta.group_parameters = Group.create_ordered("Global options")

# (command name, module, attribute, help line). Commands are plain functions or sub-apps.
_COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("auth", "mixpanel_data.cli.commands.auth", "auth_app", "Manage accounts and credentials."),
    ("events", "mixpanel_data.cli.commands.events", "events_app", "Fetch and list events."),
    ("users", "mixpanel_data.cli.commands.users", "users_app", "Fetch user profiles."),
    ("db", "mixpanel_data.cli.commands.db", "db_app", "Inspect and manage the local database."),
    ("query", "mixpanel_data.cli.commands.query", "query", "Run SQL on the local database."),
    ("report", "mixpanel_data.cli.commands.report", "report_app", "Run Mixpanel reports."),
    ("schema", "mixpanel_data.cli.commands.schema", "schema_app", "Discover events and props."),
    ("raw", "mixpanel_data.cli.commands.raw", "raw_app", "Call Mixpanel endpoints directly."),
    ("explore", "mixpanel_data.cli.commands.explore", "explore_app", "Generate notebooks."),
    ("demo", "mixpanel_data.cli.commands.demo", "demo_app", "Run the Mixpanel emulator."),
    ("skill", "mixpanel_data.cli.commands.skill", "skill", "Print the agent skill."),
)


def _module_exists(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


for _name, _module, _attr, _help in _COMMANDS:
    if _module_exists(_module):
        app.command(f"{_module}:{_attr}", name=_name, help=_help)

app.register_install_completion_command(add_to_startup=False)


def _default_format() -> OutputFormat:
    return "table" if sys.stdout.isatty() else "json"


@contextmanager
def _verbose_logging(verbose: bool) -> Iterator[None]:
    """With --verbose, send the library's DEBUG log to stderr for this invocation only."""
    if not verbose:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("mixpanel_data")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@contextmanager
def _library_warnings(ctx: Context) -> Iterator[None]:
    """Show the library's own warnings (e.g. the legacy API secret) as one stderr line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    shown: set[str] = set()
    for item in caught:
        message = str(item.message)
        if item.filename.startswith(_PACKAGE_DIR) and message not in shown:
            shown.add(message)
            ctx.warn(message)
        elif not item.filename.startswith(_PACKAGE_DIR):
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


@app.meta.default
def launcher(
    *tokens: Annotated[str, Parameter(show=False, allow_leading_hyphen=True)],
    account: Annotated[str | None, Parameter(alias="-a", env_var="MP_ACCOUNT")] = None,
    workspace: Annotated[str | None, Parameter(alias="-w")] = None,
    db: Annotated[Path | None, Parameter()] = None,
    ephemeral: Annotated[bool, Parameter(negative="")] = False,
    demo: Annotated[bool, Parameter(negative="")] = False,
    format: Annotated[OutputFormat | None, Parameter(alias="-f", env_var="MP_FORMAT")] = None,
    quiet: Annotated[bool, Parameter(alias="-q", negative="")] = False,
    verbose: Annotated[bool, Parameter(alias="-v", negative="")] = False,
) -> int:
    """Fetch Mixpanel data into DuckDB once, then answer with SQL.

    Parameters
    ----------
    account
        Named account from the config file (default: the default account).
    workspace
        Named workspace (a separate DuckDB file per project; also MP_WORKSPACE).
    db
        Use this DuckDB file instead of the account's workspace (also MP_DB).
    ephemeral
        Use a temporary database, removed when the command exits (also MP_EPHEMERAL=1).
    demo
        Run against the built-in Mixpanel emulator and its demo data (also MP_DEMO=1).
    format
        Output format: json, jsonl, table, csv or plain (default: table on a terminal,
        json when piped).
    quiet
        Suppress progress and informational messages.
    verbose
        Log debug details (HTTP retries, rate-limit waits) to stderr.
    """
    command, bound, ignored = app.parse_args(tokens)
    if db is None and workspace is None and not ephemeral:
        # Environment defaults apply only when no flag chose the database, so an exported
        # MP_WORKSPACE never clashes with an explicit --db (flags > environment).
        db = Path(os.environ["MP_DB"]) if os.environ.get("MP_DB") else None
        workspace = os.environ.get("MP_WORKSPACE") or None if db is None else None
    ctx = Context(
        account=account,
        workspace_name=workspace,
        db=db,
        ephemeral=ephemeral,
        demo=demo or env_flag("MP_DEMO"),
        format=format or _default_format(),
        quiet=quiet,
        verbose=verbose,
    )
    extra: dict[str, Any] = {name: ctx for name, kind in ignored.items() if kind is Context}
    try:
        try:
            with _verbose_logging(verbose), _library_warnings(ctx):
                result = command(*bound.args, **bound.kwargs, **extra)
            if isinstance(result, int) and not isinstance(result, bool):
                return result
            from mixpanel_data.cli._output import render

            render(result, ctx.format, sys.stdout)
            sys.stdout.flush()
        finally:
            ctx.close()
    except MixpanelDataError as exc:
        report_error(exc, as_json=ctx.format == "json", stream=sys.stderr)
        return exit_code_for(exc)
    except BrokenPipeError:
        # The reader went away (`mp query ... | head`): not an error of ours.
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt as exc:
        sys.stderr.write("interrupted\n")
        return exit_code_for(exc)
    # A result may carry its own exit code (a fetch whose failed days are reported as data).
    code = getattr(result, "exit_code", EXIT_OK)
    return code if isinstance(code, int) else EXIT_OK


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    """Entry point of the ``mp`` and ``mixpanel-data`` console scripts."""
    app.meta()
