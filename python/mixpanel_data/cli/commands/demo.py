"""``mp demo``: run the Mixpanel emulator as a local HTTP server."""

from __future__ import annotations

import datetime as dt
import shlex
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from cyclopts import App

from mixpanel_data.cli._context import CtxParam

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from mixpanel_data.emulator import Dataset, EmulatorServer

__all__ = ["demo_app", "serve"]

demo_app = App(
    name="demo",
    help="Run the Mixpanel emulator: a local Mixpanel-compatible API over synthetic data.",
)

# The knobs of the `--demo` dataset (DEMO_CONFIG), repeated here so `mp demo --help` stays
# fast; a test checks that they agree.
_DEMO_SEED = 20240531
_DEMO_START = dt.date(2024, 5, 2)
_DEMO_DAYS = 30
_DEMO_EVENTS_PER_DAY = 1500
_DEMO_USERS = 600
_DEMO_PROJECT_ID = 1234567


@demo_app.command
def serve(
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    seed: int = _DEMO_SEED,
    start: dt.date = _DEMO_START,
    days: int = _DEMO_DAYS,
    events_per_day: int = _DEMO_EVENTS_PER_DAY,
    users: int = _DEMO_USERS,
    project_id: int = _DEMO_PROJECT_ID,
    timezone: str = "UTC",
    legacy_timezone: bool = False,
    dataset: Path | None = None,
    profiles: Path | None = None,
    faults: str | None = None,
    fault_seed: int = 0,
    rate_limits: bool = False,
    time_scale: float = 1.0,
    today: dt.date | None = None,
    page_size: int = 1000,
    ctx: CtxParam,
) -> int:
    """Serve the Mixpanel emulator over HTTP until Ctrl-C.

    Prints the base URL and the settings that point `mp` (or any client) at it. With no
    dataset options it serves the same data as `--demo`.

    Parameters
    ----------
    port
        TCP port (0 picks a free one).
    host
        Interface to listen on (keep the loopback default unless you mean it).
    seed
        Seed of the synthetic dataset (same knobs, same bytes).
    start
        First day of synthetic data.
    days
        Number of days of synthetic data.
    events_per_day
        Approximate events per day.
    users
        Size of the synthetic user base.
    project_id
        Project id the data belongs to (and that credentials must name).
    timezone
        Project time zone (IANA name) for report buckets.
    legacy_timezone
        Export days and stored times in the project time zone (projects created before 2023).
    dataset
        Serve this NDJSON export file (gzip or not) instead of synthetic data.
    profiles
        Profiles for --dataset (engage results as JSON or NDJSON).
    faults
        Fault schedule, e.g. 'export:429@1,export:reset_mid_body(after=5000)@3'.
    fault_seed
        Seed for probabilistic faults ('*:503@p=0.1').
    rate_limits
        Enforce Mixpanel's rate limits (query 60/h, 5 at once; export 60/h, 3/s, 100 at once).
    time_scale
        Run the rate-limit clock this many times faster (3600: an hour per second).
    today
        The emulator's today (default: the dataset's last day).
    page_size
        Engage page size.
    """
    from mixpanel_data.emulator import (
        Dataset,
        DatasetConfig,
        Emulator,
        Faults,
        Limits,
    )
    from mixpanel_data.emulator import serve as start_server
    from mixpanel_data.exceptions import ValidationError

    if profiles is not None and dataset is None:
        raise ValidationError("--profiles needs --dataset", hint="pass the export file too")
    if dataset is not None:
        data = Dataset.from_files(
            dataset,
            profiles,
            project_id=project_id,
            timezone=timezone,
            legacy_timezone=legacy_timezone,
        )
    else:
        data = Dataset.generate(
            DatasetConfig(
                seed=seed,
                start=start,
                days=days,
                events_per_day=events_per_day,
                users=users,
                project_id=project_id,
                timezone=timezone,
                legacy_timezone=legacy_timezone,
            )
        )
    emulator = Emulator(
        data,
        faults=Faults.parse(faults, seed=fault_seed) if faults else None,
        limits=Limits(time_scale=time_scale) if rate_limits else None,
        today=today,
        page_size=page_size,
    )
    server = start_server(emulator, host=host, port=port)
    restore = _stop_on_sigterm()
    try:
        for line in _banner(server, data):
            ctx.info(line)
        while not server.wait(0.5):
            pass
    except KeyboardInterrupt:
        ctx.info("stopping the emulator")
    finally:
        restore()
        server.close()
        emulator.close()
    return 0


def _stop_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM stop the server like Ctrl-C (containers, process managers); undo after."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _banner(server: EmulatorServer, data: Dataset) -> list[str]:
    """The status lines: where the emulator listens and how to point a client at it."""
    creds = server.emulator.client_credentials(server.url)
    url = server.url
    span = f"{data.first_day}..{data.last_day}" if data.days else "no data"
    env = (
        f"export MP_QUERY_URL={url} MP_EXPORT_URL={url} "
        f"MP_USERNAME={shlex.quote(creds.username)} MP_SECRET={shlex.quote(creds.secret)} "
        f"MP_PROJECT_ID={creds.project_id}"
    )
    add = [
        "mp",
        "auth",
        "add",
        "emulator",
        "--username",
        creds.username,
        "--project-id",
        str(creds.project_id),
        "--query-url",
        url,
        "--export-url",
        url,
        "--secret-stdin",
    ]
    if creds.timezone != "UTC":
        add += ["--timezone", creds.timezone]
    if creds.legacy_timezone:
        add.append("--legacy-timezone")
    return [
        f"Mixpanel emulator serving {url} (project {creds.project_id}, {span}, "
        f"today {server.emulator.today})",
        f"  Query API: {url}/api/query/...   Raw export: {url}/api/2.0/export",
        "Point mp at it with environment variables:",
        f"  {env}",
        "or with a named account:",
        f"  echo {shlex.quote(creds.secret)} | {shlex.join(add)}",
        "Press Ctrl-C to stop.",
    ]
