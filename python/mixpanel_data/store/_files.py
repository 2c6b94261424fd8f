"""Where database files live, and file-level operations on them.

Layout under ``$MP_HOME`` (default ``~/.mp``)::

    data/<project_id>/<workspace>.duckdb     one file per named workspace ("default" first)
    data/<project_id>/.workspace             the name of the current workspace
    data/.tmp/<pid>-<token>.duckdb           ephemeral workspaces (the PID tells `prune` whose)

A DuckDB database is more than its file: ``<file>.wal`` holds committed changes not yet
checkpointed, and ``<file>.tmp/`` is where DuckDB spills large operations. Removing a
database removes all three.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
from typing import TYPE_CHECKING

from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "DEFAULT_WORKSPACE",
    "EXTENSION",
    "companion_files",
    "data_dir",
    "file_bytes",
    "held_lock",
    "is_locked",
    "new_ephemeral_path",
    "pid_of_ephemeral",
    "project_dir",
    "read_current_workspace",
    "remove_database_files",
    "temp_dir",
    "validate_workspace_name",
    "workspace_names",
    "write_current_workspace",
]

log = logging.getLogger(__name__)

DEFAULT_WORKSPACE = "default"
EXTENSION = ".duckdb"
_STATE_FILE = ".workspace"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EPHEMERAL = re.compile(r"^(\d+)-[0-9a-f]+\.duckdb$")


def data_dir(home: Path) -> Path:
    """``$MP_HOME/data``: every project's databases."""
    return home / "data"


def project_dir(home: Path, project_id: int | str) -> Path:
    """The folder holding one project's workspaces."""
    return data_dir(home) / str(project_id)


def temp_dir(home: Path) -> Path:
    """The folder of ephemeral databases."""
    return data_dir(home) / ".tmp"


def validate_workspace_name(name: str) -> str:
    """Check a workspace name: letters, digits, ``_ . -``; it must start with a letter/digit.

    The rule keeps every name a plain file name inside the project folder: no separators,
    no ``..``, no hidden files, nothing a shell or another OS would mangle.

    Raises
    ------
    ValidationError
        The name is empty, too long or has other characters.
    """
    if name.endswith(EXTENSION):
        name = name[: -len(EXTENSION)]
    if not _NAME.match(name) or ".." in name:
        raise ValidationError(
            f"invalid workspace name {name!r}",
            hint="use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit "
            "(e.g. q4-analysis)",
        )
    return name


def workspace_names(folder: Path) -> list[str]:
    """The workspaces (``*.duckdb`` files) in a project folder, sorted."""
    if not folder.is_dir():
        return []
    names = []
    for entry in folder.iterdir():
        if entry.suffix == EXTENSION and entry.is_file() and _NAME.match(entry.stem):
            names.append(entry.stem)
    return sorted(names)


def read_current_workspace(folder: Path) -> str:
    """The current workspace of a project (``default`` when none was chosen)."""
    try:
        name = (folder / _STATE_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return DEFAULT_WORKSPACE
    try:
        return validate_workspace_name(name)
    except ValidationError:
        log.warning("ignoring an invalid workspace name in %s", folder / _STATE_FILE)
        return DEFAULT_WORKSPACE


def write_current_workspace(folder: Path, name: str) -> None:
    """Remember ``name`` as the project's current workspace (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    state = folder / _STATE_FILE
    tmp = folder / f"{_STATE_FILE}.{os.getpid()}.tmp"
    tmp.write_text(name + "\n", encoding="utf-8")
    tmp.replace(state)


def companion_files(path: Path) -> list[Path]:
    """The database file and its companions: the WAL and DuckDB's spill folder."""
    return [path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".tmp")]


def file_bytes(path: Path) -> tuple[int, int]:
    """Sizes of the database file and of its WAL (0 when absent)."""
    sizes = []
    for item in companion_files(path)[:2]:
        try:
            sizes.append(item.stat().st_size)
        except OSError:
            sizes.append(0)
    return sizes[0], sizes[1]


def remove_database_files(path: Path) -> int:
    """Delete a database file, its WAL and spill folder; return the bytes freed."""
    freed = 0
    for item in companion_files(path):
        try:
            if item.is_dir() and not item.is_symlink():
                freed += sum(f.stat().st_size for f in item.rglob("*") if f.is_file())
                shutil.rmtree(item, ignore_errors=True)
            else:
                freed += item.stat().st_size
                item.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.debug("could not remove %s: %s", item, exc)
    return freed


def new_ephemeral_path(home: Path) -> Path:
    """A fresh, unused path for an ephemeral database, named after this process."""
    folder = temp_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{os.getpid()}-{secrets.token_hex(6)}{EXTENSION}"


def pid_of_ephemeral(path: Path) -> int | None:
    """The PID an ephemeral database's name records (``None`` for other names)."""
    name = path.name
    for suffix in (".wal", ".tmp"):
        if name.endswith(EXTENSION + suffix):
            name = name[: -len(suffix)]
    match = _EPHEMERAL.match(name)
    return int(match.group(1)) if match else None


@contextlib.contextmanager
def held_lock(path: Path) -> Iterator[bool]:
    """Hold an exclusive lock on a database file for the block.

    Yields ``True`` when the lock was taken (no process has the file open; while the block
    runs none can open it, so it can be removed safely), ``False`` when another process
    holds it, or the file is gone.

    DuckDB locks its file with POSIX record locks (``fcntl``), so a non-blocking exclusive
    lock on a second descriptor fails exactly when another process holds one (a reader or a
    writer). Never use this on a file this process has open: closing the descriptor would
    drop this process's own locks on it (a POSIX rule).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: assume busy rather than risk data
        yield False
        return
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def is_locked(path: Path) -> bool:
    """Whether another process has the database file open (as a reader or a writer)."""
    if not path.exists():
        return False
    with held_lock(path) as taken:
        return not taken
