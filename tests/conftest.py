"""Fixtures shared by every test.

- Every test gets its own ``MP_HOME`` (config, data, workspaces) under ``tmp_path``, and the
  environment variables that would point at real accounts are removed.
- No test may open a socket to anything but the loopback interface: an autouse guard makes
  such a connect fail loudly.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest

_ENV_VARS = (
    "MP_HOME",
    "MP_ACCOUNT",
    "MP_USERNAME",
    "MP_SECRET",
    "MP_PROJECT_ID",
    "MP_REGION",
    "MP_WORKSPACE_ID",
    "MP_API_SECRET",
    "MP_PROJECT_TOKEN",
    "MP_QUERY_URL",
    "MP_EXPORT_URL",
    "MP_EPHEMERAL",
    "MP_FORMAT",
    "MP_DEMO",
    "MP_DB",
    "MP_WORKSPACE",
)


@pytest.fixture(autouse=True)
def mp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated MP_HOME for each test, with no account variables from the outside."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "mp-home"
    monkeypatch.setenv("MP_HOME", str(home))
    return home


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return isinstance(address, str | bytes)  # AF_UNIX paths are local


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection to an address outside 127.0.0.0/8 and ::1."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``mp`` in-process: ``code, out, err = run_cli("db", "tables", "-f", "json")``."""
    from mixpanel_data.cli.app import app

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = app.meta(list(argv), result_action="return_value")
        except SystemExit as exc:  # cyclopts usage errors exit directly
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return (0 if code is None else int(code)), captured.out, captured.err

    return run
