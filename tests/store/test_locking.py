"""Two processes at once, for real: readers share, a writer fails fast and names the other.

A helper process opens the file (read-only or read-write), says "ready", and holds it until
its stdin closes, so no test depends on timing.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mixpanel_data.exceptions import DatabaseLockedError
from mixpanel_data.store._database import Database
from mixpanel_data.store._files import is_locked
from mixpanel_data.workspace import Workspace

HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
con.execute("SELECT count(*) FROM notes").fetchall()
print("ready", flush=True)
sys.stdin.readline()
con.close()
"""


@contextmanager
def _holding(path: Path, mode: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()


def test_readers_do_not_block_each_other(sample_db: Path) -> None:
    with _holding(sample_db, "ro"):
        reader = Database(sample_db, read_only=True, lock_timeout=0)
        assert reader.fetchall("SELECT count(*) FROM notes") == [(2,)]
        reader.close()


def test_writer_meeting_a_reader_fails_fast_naming_it(sample_db: Path) -> None:
    with _holding(sample_db, "ro") as proc:
        writer = Database(sample_db, lock_timeout=0)
        with pytest.raises(DatabaseLockedError) as info:
            writer.execute("DELETE FROM notes")
    error = info.value
    assert f"process {proc.pid}" in error.message
    assert "open for reading" in error.message
    assert f"wait for process {proc.pid}" in (error.hint or "")
    assert str(sample_db) == error.path


def test_reader_meeting_a_writer_waits_then_explains(sample_db: Path) -> None:
    naps: list[float] = []
    with _holding(sample_db, "rw") as proc:
        reader = Database(sample_db, read_only=True, lock_timeout=0.05, sleep=naps.append)
        with pytest.raises(DatabaseLockedError) as info:
            reader.fetchall("SELECT 1")
    assert f"process {proc.pid}" in info.value.message
    assert "open for writing" in info.value.message
    assert naps  # it retried before giving up


def test_second_writer_fails_and_nothing_is_corrupted(sample_db: Path) -> None:
    with _holding(sample_db, "rw"):
        writer = Database(sample_db, lock_timeout=0)
        with pytest.raises(DatabaseLockedError):
            writer.execute("DROP TABLE events")
    after = Database(sample_db, read_only=True)
    assert after.fetchall("SELECT count(*) FROM events") == [(10,)]
    after.close()


def test_workspace_query_reports_the_lock(sample_db: Path) -> None:
    with (
        _holding(sample_db, "rw") as proc,
        Workspace(path=sample_db, read_only=True, lock_timeout=0) as ws,
        pytest.raises(DatabaseLockedError, match=f"process {proc.pid}"),
    ):
        ws.query("SELECT 1")


def test_is_locked_sees_other_processes(sample_db: Path) -> None:
    assert not is_locked(sample_db)
    with _holding(sample_db, "ro"):
        assert is_locked(sample_db)
    with _holding(sample_db, "rw"):
        assert is_locked(sample_db)
    assert not is_locked(sample_db)
