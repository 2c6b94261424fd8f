"""`mp events fetch` as a real process against a loopback emulator: kill -9, a second writer.

The emulator runs in this process behind a real HTTP server on 127.0.0.1; the fetch runs in
a child process pointed at it with MP_QUERY_URL/MP_EXPORT_URL/MP_USERNAME/MP_SECRET/
MP_PROJECT_ID. A ``slow`` fault holds one day's answer back, so the child is known to be
mid-fetch (the days before it committed, that one in flight) when it is killed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator, serve
from mixpanel_data.workspace import Workspace

pytestmark = [pytest.mark.network, pytest.mark.slow]

START = dt.date(2024, 2, 1)
DAYS = 5
LAST = START + dt.timedelta(days=DAYS - 1)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return Dataset.generate(
        DatasetConfig(seed=77, start=START, days=DAYS, events_per_day=60, users=20)
    )


def child_env(server, home) -> dict[str, str]:
    creds = server.emulator.client_credentials(server.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MP_")}
    env.update(
        MP_HOME=str(home),
        MP_QUERY_URL=server.url,
        MP_EXPORT_URL=server.url,
        MP_USERNAME=creds.username,
        MP_SECRET=creds.secret,
        MP_PROJECT_ID=str(creds.project_id),
    )
    return env


def fetch_command(db) -> list[str]:
    return [
        sys.executable, "-m", "mixpanel_data", "--db", str(db), "--format", "json",
        "events", "fetch", "--from", START.isoformat(), "--to", LAST.isoformat(),
        "--workers", "1",
    ]  # fmt: skip


def wait_for_fault(emulator: Emulator, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not emulator.faults.fired:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the slow day was never requested"
        time.sleep(0.05)


def read_table(db, stored) -> list:
    with Workspace(path=db, read_only=True) as ws:
        return stored(ws)


def test_kill_9_then_resume_gives_the_uninterrupted_rows(data, tmp_path, oracle, stored):
    db = tmp_path / "killed.duckdb"
    # The 4th export request (day 4) answers only after a long pause: days 1-3 are stored
    # (one worker stores a day before asking for the next) and day 4 is in flight.
    emulator = Emulator(data, faults="export:slow(delay=30)@4")
    with serve(emulator) as server:
        env = child_env(server, tmp_path / "home")
        proc = subprocess.Popen(
            fetch_command(db), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            wait_for_fault(emulator, proc)
            time.sleep(0.3)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL

        again = subprocess.run(fetch_command(db), env=env, capture_output=True, timeout=300)
        assert again.returncode == 0, again.stderr.decode()
        result = json.loads(again.stdout)
        assert (result["days_skipped"], result["days_fetched"]) == (3, 2)
    assert read_table(db, stored) == oracle(data)


def test_a_second_writer_fails_fast_naming_the_first(data, tmp_path):
    db = tmp_path / "shared.duckdb"
    emulator = Emulator(data, faults="export:slow(delay=30)@1")
    with serve(emulator) as server:
        env = child_env(server, tmp_path / "home")
        first = subprocess.Popen(
            fetch_command(db), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            wait_for_fault(emulator, first)
            second = subprocess.run(fetch_command(db), env=env, capture_output=True, timeout=120)
            assert first.poll() is None, "the first writer should still be fetching"
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
    assert second.returncode == 1
    error = json.loads(second.stderr)["error"]
    assert error["type"] == "DatabaseLockedError"
    assert str(first.pid) in error["message"]


def test_real_sockets_gzip_and_faults(data, tmp_path, oracle, stored):
    # Over real sockets the body arrives gzipped in arbitrary TCP chunks; resets and cuts are
    # real connection faults.
    faults = "export:reset_mid_body(after=3000)@1,export:terminated_early(after=5000)@3"
    emulator = Emulator(data, faults=faults)
    with serve(emulator) as server:
        creds = emulator.client_credentials(server.url)
        client = MixpanelClient(creds, limits=RateLimits.unlimited())
        with client, Workspace(path=tmp_path / "net.duckdb", client=client) as ws:
            result = ws.fetch_events(START, LAST, workers=3)
            assert result.failures == []
            assert stored(ws) == oracle(data)
    assert {f.kind for f in emulator.faults.fired} == {"reset_mid_body", "terminated_early"}
