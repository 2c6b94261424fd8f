"""Ephemeral workspaces leave nothing behind: normal exit, SIGTERM, SIGINT (real processes);
``prune --temp`` removes what a killed process left and spares a live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mixpanel_data.store._files import companion_files, new_ephemeral_path, pid_of_ephemeral
from mixpanel_data.workspace import Workspace, ephemeral

# The child makes an ephemeral workspace, writes to it (so the file and its WAL exist),
# reports the path and waits for a line on stdin (or a signal). It waits in short select()
# slices: a signal may be delivered to one of DuckDB's or polars' threads, and Python runs
# its handler only when the main thread next gets control.
WAIT = """
import select
def wait_for_stdin():
    while not select.select([sys.stdin], [], [], 0.05)[0]:
        pass
    sys.stdin.readline()
"""

CHILD = (
    WAIT
    + """
import signal, sys
# A shell starts background jobs with SIGINT ignored; act like a program run from a terminal.
if "int-default" in sys.argv:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if "int-dfl" in sys.argv:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
import mixpanel_data.workspace as w
ws = w.Workspace(ephemeral=True)
ws.query("CREATE TABLE t AS SELECT range AS x FROM range(1000)", write=True)
print(ws.path, flush=True)
wait_for_stdin()
if sys.argv[1:] == ["close"]:
    ws.close()
"""
)

CHAINED = (
    WAIT
    + """
import signal, sys
def mine(signum, frame):
    print("handled", flush=True)
    sys.exit(7)
signal.signal(signal.SIGTERM, mine)
import mixpanel_data.workspace as w
ws = w.Workspace(ephemeral=True)
ws.query("CREATE TABLE t AS SELECT 1 AS x", write=True)
print(ws.path, flush=True)
wait_for_stdin()
"""
)


@contextmanager
def _child(
    mp_home: Path, code: str = CHILD, *args: str
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    env = {**os.environ, "MP_HOME": str(mp_home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        path = Path(proc.stdout.readline().strip())
        assert path.name, proc.stderr.read() if proc.stderr else ""
        yield proc, path
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _leftovers(path: Path) -> list[Path]:
    return [p for p in companion_files(path) if p.exists()]


@pytest.mark.slow
def test_ephemeral_file_lives_in_the_temp_folder_named_by_pid(mp_home: Path) -> None:
    with _child(mp_home) as (proc, path):
        assert path.parent == mp_home / "data" / ".tmp"
        assert pid_of_ephemeral(path) == proc.pid
        assert path.exists()
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()


@pytest.mark.slow
def test_normal_exit_removes_the_files(mp_home: Path) -> None:
    with _child(mp_home) as (proc, path):
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    assert _leftovers(path) == []


@pytest.mark.slow
def test_close_removes_the_files(mp_home: Path) -> None:
    with _child(mp_home, CHILD, "close") as (proc, path):
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    assert _leftovers(path) == []


def test_sigterm_removes_the_files_and_still_terminates(mp_home: Path) -> None:
    with _child(mp_home) as (proc, path):
        assert path.exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == -signal.SIGTERM
    assert _leftovers(path) == []


def test_sigint_removes_the_files(mp_home: Path) -> None:
    # Python's own SIGINT handling: KeyboardInterrupt, a normal exit, atexit cleans up.
    with _child(mp_home, CHILD, "int-default") as (proc, path):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) != 0
        assert proc.stderr is not None
        assert "KeyboardInterrupt" in proc.stderr.read()
    assert _leftovers(path) == []


def test_sigint_with_the_default_disposition_removes_the_files(mp_home: Path) -> None:
    # SIGINT left at the OS default would kill without atexit: our handler cleans first.
    with _child(mp_home, CHILD, "int-dfl") as (proc, path):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == -signal.SIGINT
    assert _leftovers(path) == []


@pytest.mark.slow
def test_a_programs_own_sigterm_handler_is_chained(mp_home: Path) -> None:
    with _child(mp_home, CHAINED) as (proc, path):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 7
        assert proc.stdout is not None
        assert proc.stdout.read().strip() == "handled"
    assert _leftovers(path) == []


def test_prune_removes_a_killed_process_files_and_spares_a_live_one(mp_home: Path) -> None:
    with _child(mp_home) as (killed, dead_path):
        killed.kill()
        killed.wait(timeout=30)
    assert dead_path.exists()  # SIGKILL: nobody could clean up
    with _child(mp_home) as (live, live_path), Workspace(path=mp_home / "x.duckdb") as ws:
        result = ws.prune(temp=True)
        assert [r.path for r in result.removed] == [str(dead_path)]
        assert [(s.path, s.reason) for s in result.spared] == [
            (str(live_path), f"process {live.pid} is running")
        ]
        assert live_path.exists()
        assert _leftovers(dead_path) == []
        assert live.stdin is not None
        live.stdin.close()


@pytest.mark.slow
def test_prune_spares_a_file_locked_by_another_process(mp_home: Path) -> None:
    # A dead PID in the name, but some process still has the file open: never removed.
    stale = mp_home / "data" / ".tmp" / "999999999-abcdef.duckdb"
    stale.parent.mkdir(parents=True)
    hold = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print(sys.argv[1], flush=True); sys.stdin.readline()"
    with _child(mp_home, hold, str(stale)) as (proc, _), Workspace(path=mp_home / "x.duckdb") as ws:
        result = ws.prune(temp=True)
        assert [(s.path, s.reason) for s in result.spared] == [
            (str(stale), "open in another process")
        ]
        assert stale.exists()
        assert proc.stdin is not None
        proc.stdin.close()


def test_prune_dry_run_removes_nothing(mp_home: Path) -> None:
    stale = mp_home / "data" / ".tmp" / "999999999-abcdef.duckdb"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    stale.with_name(stale.name + ".wal").write_bytes(b"wal")
    with Workspace(path=mp_home / "x.duckdb") as ws:
        plan = ws.prune(dry_run=True)
        assert ([r.path for r in plan.removed], plan.dry_run) == ([str(stale)], True)
        assert stale.exists()
        done = ws.prune()
    assert done.freed_bytes == 3
    assert _leftovers(stale) == []


def test_in_process_ephemeral_context_manager(mp_home: Path) -> None:
    with ephemeral() as ws:
        ws.query("CREATE TABLE t AS SELECT 1 AS x", write=True)
        path = ws.path
        assert path.exists()
        assert ws.ephemeral
    assert _leftovers(path) == []


def test_ephemeral_from_the_environment(mp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MP_EPHEMERAL", "1")
    with Workspace() as ws:
        assert ws.ephemeral
        assert ws.path.parent == mp_home / "data" / ".tmp"


def test_new_ephemeral_paths_are_unique(mp_home: Path) -> None:
    assert new_ephemeral_path(mp_home) != new_ephemeral_path(mp_home)
