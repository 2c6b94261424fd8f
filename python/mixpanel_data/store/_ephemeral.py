"""Removing ephemeral databases when the process ends, however it ends.

An ephemeral workspace is a temp file named after its process
(``$MP_HOME/data/.tmp/<pid>-<token>.duckdb``). It is removed, with its WAL and spill
folder:

- when its Workspace is closed;
- at normal interpreter exit (``atexit``) — which also covers Ctrl-C, because Python turns
  SIGINT into ``KeyboardInterrupt`` and exits normally when nobody catches it;
- on SIGTERM (and on SIGINT when its disposition is the OS default, which kills without
  running ``atexit``): the handler removes the files, then restores the default
  disposition and re-sends the signal, so the process still dies *by that signal* (exit
  status 128+N for the parent shell).

A signal handler someone else installed is chained: we call it rather than clean up,
because only it knows whether the process is ending (an interactive notebook's SIGINT
handler is the usual example: interrupting a cell must not delete the workspace the next
cell uses). If it ends the process by raising ``SystemExit``/``KeyboardInterrupt``,
``atexit`` still removes the files.

Processes killed with SIGKILL (or a power cut) leave files behind; ``mp db prune --temp``
removes those whose process is gone (checking both that the PID is dead and that no process
holds the file's lock).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

from mixpanel_data.store._files import remove_database_files

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import FrameType

__all__ = ["cleanup_all", "register", "unregister"]

log = logging.getLogger(__name__)

_registry: dict[Path, Callable[[], None]] = {}
_registry_lock = threading.Lock()
_atexit_installed = False
_signals_installed = False
_previous: dict[int, Any] = {}


def register(path: Path, close: Callable[[], None]) -> None:
    """Remove ``path`` (after calling ``close``) at exit or on a terminating signal."""
    with _registry_lock:
        _registry[path] = close
    _install()


def unregister(path: Path, *, remove: bool = True) -> None:
    """Forget ``path``; remove its files now unless ``remove`` is False."""
    with _registry_lock:
        _registry.pop(path, None)
    if remove:
        remove_database_files(path)


def cleanup_all(*, close: bool = True) -> None:
    """Remove every registered ephemeral database (closing connections first if asked)."""
    with _registry_lock:
        items = list(_registry.items())
        _registry.clear()
    for path, closer in items:
        if close:
            try:
                closer()
            except Exception as exc:
                log.debug("closing %s before removal failed: %s", path, exc)
        remove_database_files(path)


def _install() -> None:
    global _atexit_installed, _signals_installed
    if not _atexit_installed:
        _atexit_installed = True
        atexit.register(cleanup_all)
    if _signals_installed:
        return
    if threading.current_thread() is not threading.main_thread():
        # Python only lets the main thread set handlers; atexit still covers normal exits,
        # and the next ephemeral workspace made on the main thread installs them.
        log.debug("ephemeral workspace created off the main thread: no signal handlers yet")
        return
    _signals_installed = True
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        if previous is signal.SIG_IGN:
            continue  # the process ignores it: it will not end us
        if signum == signal.SIGINT and previous is signal.default_int_handler:
            continue  # KeyboardInterrupt -> normal exit -> atexit removes the files
        _previous[signum] = previous
        signal.signal(signum, _on_signal)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    # Default disposition: the process is about to die without running atexit. Remove the
    # files without closing connections (another thread may be mid-statement; the process
    # ends in a moment anyway), then die by the same signal.
    cleanup_all(close=False)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
