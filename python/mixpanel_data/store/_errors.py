"""Turning DuckDB's exceptions into the library's, with the details a user needs.

DuckDB reports where a statement went wrong only inside its message text::

    Binder Error: Referenced column "nope" not found in FROM clause!
    Candidate bindings: "a"

    LINE 1: select nope from x
                   ^^^^

The caret line is the only position DuckDB's Python binding exposes, so we read it back into
a character offset in the SQL the user wrote (the ``LINE`` excerpt is shortened with ``...``
for long lines, which we undo by locating the excerpt in the original line).
A lock conflict names the other process the same way: ``Conflicting lock is held in
/usr/bin/python3 (PID 4242)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mixpanel_data.exceptions import (
    DatabaseLockedError,
    ReadOnlyError,
    SQLError,
    StorageError,
)

__all__ = [
    "LockHolder",
    "describe_process",
    "error_position",
    "is_config_conflict",
    "is_lock_conflict",
    "lock_holder",
    "sql_error",
    "storage_error",
]

_LINE = re.compile(r"^LINE (\d+): (.*)$")
_PID = re.compile(r"\(PID (\d+)\)")
_WORD = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds a DuckDB file lock, as far as the error message tells."""

    pid: int | None
    reader: bool
    """True when the holder has the file open read-only (DuckDB then says so)."""

    def describe(self) -> str:
        """``process 4242 (mp events fetch)``, or ``another process``."""
        if self.pid is None:
            return "another process"
        what = describe_process(self.pid)
        return f"process {self.pid} ({what})" if what else f"process {self.pid}"


def is_lock_conflict(exc: duckdb.Error) -> bool:
    """Whether ``exc`` is DuckDB failing to take a file lock another process holds."""
    return isinstance(exc, duckdb.IOException) and "Could not set lock on file" in str(exc)


def is_config_conflict(exc: duckdb.Error) -> bool:
    """Whether ``exc`` is this process already having the file open in another mode."""
    return isinstance(exc, duckdb.ConnectionException) and "different configuration" in str(exc)


def lock_holder(exc: duckdb.Error) -> LockHolder:
    """Read the holder of a lock out of DuckDB's lock-conflict message."""
    text = str(exc)
    match = _PID.search(text)
    return LockHolder(
        pid=int(match.group(1)) if match else None,
        reader="read-only mode" in text,
    )


def describe_process(pid: int) -> str:
    """A short, secret-free description of a running process: ``mp events fetch``.

    Only the program name and the command words that follow it are shown; options and
    their values (which could hold a secret) never are.
    """
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        argv = [a for a in cmdline.read_bytes().decode(errors="replace").split("\0") if a]
    except OSError:
        return ""
    if not argv:
        return ""
    # A console script runs as `python /path/bin/mp ...`: show the script, not the interpreter.
    if Path(argv[0]).name.startswith("python") and len(argv) > 1 and not argv[1].startswith("-"):
        argv = argv[1:]
    words = [Path(argv[0]).name]
    for arg in argv[1:4]:
        if not _WORD.match(arg):
            break
        words.append(arg)
    return " ".join(words)


def error_position(message: str, sql: str, offset: int = 0) -> int | None:
    """The 0-based offset in ``sql`` that DuckDB's caret points at, if it shows one.

    ``offset`` is where the failing statement starts in ``sql`` (DuckDB numbers lines within
    the statement it ran).
    """
    lines = message.split("\n")
    for index, line in enumerate(lines[:-1]):
        match = _LINE.match(line)
        if not match:
            continue
        caret = lines[index + 1].find("^")
        if caret < 0:
            return None
        prefix = len(line) - len(match.group(2))
        column = caret - prefix
        excerpt = match.group(2)
        statement = sql[offset:]
        source_lines = statement.split("\n")
        number = int(match.group(1)) - 1
        if not 0 <= number < len(source_lines):
            return None
        source = source_lines[number]
        if excerpt.startswith("..."):
            shown = excerpt[3:]
            if shown.endswith("..."):
                shown = shown[:-3]
            start = source.find(shown)
            if start < 0:
                return None
            column = start + column - 3
        if not 0 <= column <= len(source):
            return None
        return offset + sum(len(s) + 1 for s in source_lines[:number]) + column
    return None


def _headline(message: str) -> str:
    """DuckDB's message without the LINE excerpt, on one line."""
    head = message.split("\n\nLINE ")[0]
    return " ".join(part.strip() for part in head.split("\n") if part.strip())


def _line_column(sql: str, position: int) -> tuple[int, int]:
    before = sql[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return line, column


def sql_error(
    exc: duckdb.Error,
    sql: str,
    *,
    offset: int = 0,
    path: str | None = None,
    position: int | None = None,
) -> StorageError:
    """Map an error from running user SQL to ``SQLError`` (or a more specific error).

    The message is DuckDB's own, followed by the line and column it points at and the text
    there; ``position`` is the 0-based character offset in ``sql`` (read from the message
    unless given).
    """
    if isinstance(exc, duckdb.InterruptException):
        raise KeyboardInterrupt from exc
    text = str(exc)
    if "attached in read-only mode" in text:
        return ReadOnlyError(
            _headline(text),
            path=path,
            hint="this statement writes; pass --write (write=True in the library)",
        )
    if is_lock_conflict(exc):
        return storage_error(exc, path=path)
    if position is None:
        position = error_position(text, sql, offset)
    message = _headline(text)
    if position is not None:
        line, column = _line_column(sql, position)
        near = sql[position : position + 24].split("\n")[0]
        message += f" (at line {line}, column {column}"
        message += f': "{near}")' if near.strip() else ")"
    hint = None
    if isinstance(exc, duckdb.CatalogException):
        hint = "`mp db tables` lists the tables (ws.tables() in the library)"
    return SQLError(message, path=path, position=position, hint=hint)


def storage_error(exc: duckdb.Error, *, path: str | None = None, doing: str = "") -> StorageError:
    """Map any other DuckDB error (opening, locking, I/O) to a ``StorageError``."""
    if isinstance(exc, duckdb.InterruptException):
        raise KeyboardInterrupt from exc
    where = f" {path}" if path else ""
    if is_lock_conflict(exc):
        holder = lock_holder(exc)
        role = "reading" if holder.reader else "writing"
        return DatabaseLockedError(
            f"the database{where} is locked: {holder.describe()} has it open for {role}",
            path=path,
            hint=(
                f"wait for {holder.describe()} to finish (or stop it), then retry; "
                "DuckDB lets one process write, or many read, at a time"
            ),
        )
    text = _headline(str(exc))
    prefix = f"{doing}: " if doing else ""
    if isinstance(exc, duckdb.IOException) and "not a valid DuckDB database" in text:
        return StorageError(
            f"{prefix}{text}",
            path=path,
            hint="the file is not a DuckDB database, or was written by an incompatible "
            "DuckDB version (mixpanel_data needs DuckDB 2.x files)",
        )
    return StorageError(f"{prefix}{text}", path=path)
