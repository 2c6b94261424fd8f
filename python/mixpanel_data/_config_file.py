"""Reading and writing the config file: a small TOML emitter, atomic private writes, a lock.

The config file holds secrets, so it is written atomically (a temporary file in the same
directory, fsync, ``os.replace``) and is created with mode 0600 from the start: it is never,
even briefly, readable by other users. The directory that holds it (``$MP_HOME``) is kept at
0700. Reading uses the standard library's ``tomllib``; writing uses :func:`dumps`, which covers
the subset of TOML the config file needs (tables, strings, integers, floats, booleans).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mixpanel_data.exceptions import ConfigError

__all__ = ["dumps", "ensure_private_dir", "format_key", "load_toml", "lock", "write_private"]

log = logging.getLogger(__name__)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
# tomllib (Python < 3.14) reports positions only inside the message text.
_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


# -- emitting ----------------------------------------------------------------------------


def _string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate cannot be written as UTF-8, and TOML forbids it in escapes.
            raise ValueError("TOML strings cannot contain lone surrogate characters")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_key(key: str) -> str:
    """A TOML key: bare when it is made of letters, digits, ``-`` and ``_``, else quoted."""
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write a {type(value).__name__} to the config file")


def _table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if v is not None and not isinstance(v, Mapping)]
    children = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    # A table with scalars (or an empty one, so it survives a round trip) needs its header;
    # a table holding only sub-tables is created implicitly by their headers.
    if path and (scalars or not children):
        if lines:
            lines.append("")
        lines.append("[" + ".".join(format_key(k) for k in path) + "]")
    lines.extend(f"{format_key(k)} = {_value(v)}" for k, v in scalars)
    for key, child in children:
        _table(lines, (*path, key), child)


def dumps(document: Mapping[str, Any], *, header: str = "") -> str:
    """Serialise nested mappings of strings, numbers and booleans as TOML.

    ``None`` values are left out (TOML has no null). ``header`` lines become ``#`` comments
    at the top of the document.
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    body: list[str] = []
    _table(body, (), document)
    return "\n".join(lines + body) + "\n"


# -- reading -----------------------------------------------------------------------------


def load_toml(path: Path) -> dict[str, Any] | None:
    """Parse a TOML file; ``None`` when it does not exist.

    Raises
    ------
    ConfigError
        The file cannot be read or is not valid TOML. The message names the file, the line
        and the column, but never quotes the line (it may hold a secret).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config file {path}: {exc.strerror or exc}",
            hint="check the file's permissions, or point MP_HOME at another directory",
        ) from exc
    _warn_if_exposed(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: the config file is not valid UTF-8",
            hint="fix the file in an editor, or remove it and run `mp auth login`",
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        match = _POSITION.search(reason)
        where = f"{path}, line {match[1]}, column {match[2]}" if match else str(path)
        reason = _POSITION.sub("", reason) if match else reason
        raise ConfigError(
            f"{where}: the config file is not valid TOML ({reason})",
            hint="fix that line in an editor, or remove the file and run `mp auth login`",
        ) from exc


_warned: set[Path] = set()


def _warn_if_exposed(path: Path) -> None:
    # Once per file and process: a command reads the file several times.
    if os.name != "posix" or path in _warned:
        return
    with contextlib.suppress(OSError):
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            _warned.add(path)
            log.warning(
                "the config file %s holds secrets but is accessible to other users "
                "(mode %o); run: chmod 600 %s",
                path,
                stat.S_IMODE(mode),
                path,
            )


# -- writing -----------------------------------------------------------------------------


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (mode 0700) if needed, and tighten it to 0700 if it is looser."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the directory {directory}: {exc.strerror or exc}",
            hint="set MP_HOME to a directory you can write to",
        ) from exc
    if os.name != "posix":
        return
    try:
        mode = stat.S_IMODE(directory.stat().st_mode)
        if mode & 0o077:
            directory.chmod(0o700)
    except OSError as exc:
        log.warning("cannot restrict %s to mode 0700: %s", directory, exc.strerror or exc)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, readable and writable by the owner only.

    The data goes to a temporary file in the same directory, created with mode 0600
    (``mkstemp`` never creates it more open), is flushed to disk, and then renamed over the
    target, so readers see either the old file or the new one. A symlinked config file is
    followed, so the link is kept and its target is replaced.
    """
    target = path.resolve() if path.is_symlink() else path
    ensure_private_dir(target.parent)
    data = text.encode("utf-8")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the config file {target}: {exc.strerror or exc}",
            hint="check the permissions of its directory",
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), 0o600)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            f"cannot write the config file {target}: {exc.strerror or exc}",
            hint="check the free space and the permissions of its directory",
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # Make the rename itself durable; not every platform can open a directory.
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory/.config.lock`` for a read-modify-write.

    Two ``mp auth`` commands running at once then cannot lose each other's change. Platforms
    without ``fcntl`` (Windows) run without the lock; the write itself stays atomic.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    ensure_private_dir(directory)
    lock_path = directory / ".config.lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(
            f"cannot open the lock file {lock_path}: {exc.strerror or exc}",
            hint="check the permissions of MP_HOME",
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
