"""Removing database files nobody needs: ephemeral leftovers and old workspaces.

A file is removed only while we hold its lock (see :func:`held_lock`), so a file some
process has open is never removed, and none can open it while it goes. For an ephemeral
file we also check that the process its name records is gone: a process that created its
workspace but has not opened the file yet holds no lock, yet the file is in use.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import TYPE_CHECKING, Literal

from mixpanel_data._process import pid_alive
from mixpanel_data._types_db import PrunedFile
from mixpanel_data.exceptions import ValidationError
from mixpanel_data.store._files import (
    EXTENSION,
    companion_files,
    held_lock,
    pid_of_ephemeral,
    remove_database_files,
    temp_dir,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["parse_age", "prune_old", "prune_temp"]

_AGE = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$")
_UNITS = {
    "": "days",
    "d": "days",
    "day": "days",
    "days": "days",
    "h": "hours",
    "hour": "hours",
    "hours": "hours",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "m": "minutes",
    "min": "minutes",
    "minutes": "minutes",
}

Outcome = tuple[list[PrunedFile], list[PrunedFile]]


def parse_age(value: str | dt.timedelta) -> dt.timedelta:
    """``30d``, ``12h``, ``2w``, ``90m`` (minutes) or a bare number of days, as a timedelta.

    Raises
    ------
    ValidationError
        The text is not an age.
    """
    if isinstance(value, dt.timedelta):
        age = value
    else:
        match = _AGE.match(value.lower())
        unit = _UNITS.get(match.group(2)) if match else None
        if match is None or unit is None:
            raise ValidationError(
                f"cannot read {value!r} as an age",
                hint="use a number and a unit: 30d (days), 12h (hours), 2w (weeks), 90m (minutes)",
            )
        age = dt.timedelta(**{unit: int(match.group(1))})
    if age <= dt.timedelta(0):
        raise ValidationError(f"the age must be positive, got {value!r}", hint="e.g. 30d")
    return age


def _size(path: Path) -> int:
    total = 0
    for item in companion_files(path):
        try:
            if item.is_dir():
                total += sum(f.stat().st_size for f in item.rglob("*") if f.is_file())
            else:
                total += item.stat().st_size
        except OSError:
            continue
    return total


def _remove(path: Path, *, dry_run: bool) -> bool:
    """Remove a database's files while holding its lock; False when someone holds it."""
    if not path.exists():  # only companions are left (a WAL, a spill folder)
        if not dry_run:
            remove_database_files(path)
        return True
    with held_lock(path) as taken:
        if not taken:
            return False
        if not dry_run:
            remove_database_files(path)
        return True


def prune_temp(home: Path, *, dry_run: bool = False) -> Outcome:
    """Remove ephemeral databases whose process is gone (never one in use)."""
    folder = temp_dir(home)
    removed: list[PrunedFile] = []
    spared: list[PrunedFile] = []
    if not folder.is_dir():
        return removed, spared
    seen: set[Path] = set()
    for entry in sorted(folder.iterdir()):
        pid = pid_of_ephemeral(entry)
        if pid is None:
            continue
        database = entry
        for suffix in (".wal", ".tmp"):
            if database.name.endswith(EXTENSION + suffix):
                database = database.with_name(database.name[: -len(suffix)])
        if database in seen:
            continue
        seen.add(database)
        size = _size(database)
        if pid == os.getpid():
            spared.append(_file(database, "temp", size, "used by this process"))
        elif pid_alive(pid):
            spared.append(_file(database, "temp", size, f"process {pid} is running"))
        elif not _remove(database, dry_run=dry_run):
            spared.append(_file(database, "temp", size, "open in another process"))
        else:
            removed.append(_file(database, "temp", size, f"process {pid} has exited"))
    return removed, spared


def prune_old(
    folder: Path,
    names: Iterable[str],
    older_than: dt.timedelta,
    *,
    keep: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> Outcome:
    """Remove workspaces of a project not modified for ``older_than`` (never ``keep``)."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - older_than
    removed: list[PrunedFile] = []
    spared: list[PrunedFile] = []
    for name in names:
        path = folder / f"{name}{EXTENSION}"
        stamps = [p.stat().st_mtime for p in companion_files(path)[:2] if p.exists()]
        if not stamps:
            continue
        modified = dt.datetime.fromtimestamp(max(stamps), dt.UTC)
        if modified >= cutoff:
            continue
        size = _size(path)
        age = f"last modified {modified:%Y-%m-%d}"
        if name == keep:
            spared.append(_file(path, "workspace", size, f"the current workspace ({age})"))
        elif not _remove(path, dry_run=dry_run):
            spared.append(_file(path, "workspace", size, f"open in another process ({age})"))
        else:
            removed.append(_file(path, "workspace", size, age))
    return removed, spared


def _file(path: Path, kind: Literal["temp", "workspace"], size: int, reason: str) -> PrunedFile:
    return PrunedFile(path=str(path), kind=kind, bytes=size, reason=reason)
