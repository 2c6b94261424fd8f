"""Property: for any dataset and any fault schedule, the fetched table is the deduplicated data."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator, Fault, Faults
from mixpanel_data.workspace import Workspace

# Body faults fail a chunk (retried by the fetch); status and connection faults are retried by
# the client. Zones without DST keep local times unambiguous (DST days have their own test).
KINDS = [
    "terminated_early",
    "malformed_line",
    "reset_mid_body",
    "disconnect_mid_body",
    "bad_gzip",
    "429",
    "500",
    "503",
    "reset_before_headers",
    "slow",
]
ZONES = ["UTC", "Asia/Kolkata", "Asia/Kathmandu"]


@st.composite
def fault_schedules(draw: st.DrawFn) -> Faults:
    rules = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(KINDS))
        rules.append(
            Fault(
                kind=kind,
                endpoint="export",
                requests=frozenset({draw(st.integers(1, 6))}),
                after=draw(st.integers(0, 20_000)),
                line=draw(st.integers(1, 40)),
                retry_after=draw(st.sampled_from([None, 0.0, 2.0])),
                delay=0.5,
            )
        )
    return Faults(rules, seed=draw(st.integers(0, 1000)))


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    legacy = draw(st.booleans())
    return Dataset.generate(
        DatasetConfig(
            seed=draw(st.integers(0, 10_000)),
            start=dt.date(2024, 4, 1) + dt.timedelta(days=draw(st.integers(0, 200))),
            days=draw(st.integers(1, 3)),
            events_per_day=draw(st.integers(0, 60)),
            users=draw(st.integers(3, 30)),
            timezone=draw(st.sampled_from(ZONES)) if legacy else "UTC",
            legacy_timezone=legacy,
            hard_cases=draw(st.booleans()),
        )
    )


@settings(
    max_examples=int(os.environ.get("MP_PROPERTY_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=datasets(), faults=fault_schedules(), workers=st.integers(1, 3))
def test_fetched_table_is_the_deduplicated_dataset(oracle, stored, data, faults, workers):
    emulator = Emulator(data, faults=faults, sleep=lambda s: None)
    client = MixpanelClient(
        emulator.client_credentials(),
        transport=emulator.transport(),
        limits=RateLimits.unlimited(),
        sleep=lambda s: None,
    )
    with (
        tempfile.TemporaryDirectory() as folder,
        client,
        Workspace(path=Path(folder) / "p.duckdb", client=client) as ws,
    ):
        result = ws.fetch_events(data.days[0], data.days[-1], workers=workers, attempts=6)
        assert result.failures == []
        assert stored(ws) == oracle(data)
        assert result.table_rows == len(oracle(data))
