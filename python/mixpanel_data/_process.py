"""Process helpers shared by the store and the ingest layers."""

from __future__ import annotations

import errno
import os

__all__ = ["pid_alive"]


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists (signal 0 probes without signalling)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to someone else
    except OSError as exc:
        return exc.errno != errno.ESRCH
    return True
