"""The profiles fetch orchestration over the in-process emulator, with a dict-backed sink."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from mixpanel_data._fetch_events import ChunkStats
from mixpanel_data._fetch_users import UsersFetchSpec, active_since_where, fetch_users, plan_users
from mixpanel_data._types_fetch import FetchProgress
from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator
from mixpanel_data.exceptions import BadRequestError, ValidationError


class DictUsers:
    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}
        self.staging: dict[str, dict] | None = None
        self.events: list[str] = []

    def begin(self, *, replace: bool) -> None:
        self.events.append(f"begin:{replace}")
        if replace:
            self.staging = {}

    def write(self, profiles, filters) -> ChunkStats:
        target = self.staging if self.staging is not None else self.rows
        added = sum(1 for distinct_id, _ in profiles if distinct_id not in target)
        for distinct_id, properties in profiles:
            target[distinct_id] = properties
        return ChunkStats(
            rows_received=len(profiles), rows_added=added, rows_updated=len(profiles) - added
        )

    def finish(self, *, replace: bool, filters) -> int:
        self.events.append(f"finish:{replace}")
        if replace:
            assert self.staging is not None
            self.rows, self.staging = self.staging, None
        return len(self.rows)

    def abort(self, *, replace: bool) -> None:
        self.events.append(f"abort:{replace}")
        self.staging = None


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetConfig(seed=5, start=dt.date(2024, 1, 1), days=10, events_per_day=150, users=60)
    )


def client_for(emulator: Emulator) -> MixpanelClient:
    return MixpanelClient(
        emulator.client_credentials(),
        transport=emulator.transport(),
        limits=RateLimits.unlimited(),
        sleep=lambda s: None,
    )


def run(emulator, sink, **spec):
    with client_for(emulator) as client:
        return fetch_users(UsersFetchSpec(**spec), client=client, sink=sink)


def all_profiles(dataset):
    return {str(p["$distinct_id"]): p["$properties"] for p in dataset.profiles}


@pytest.mark.parametrize("page_size", [7, 10, 1000])
def test_every_profile_once(dataset, page_size):
    sink = DictUsers()
    result = run(Emulator(dataset, page_size=page_size), sink, parallel=3)
    assert sink.rows == all_profiles(dataset)
    assert result.table_rows == len(dataset.profiles)
    assert result.rows_added == len(dataset.profiles)
    assert result.pages == len(dataset.profiles) // page_size + 1


def test_refetch_updates(dataset):
    sink = DictUsers()
    run(Emulator(dataset), sink)
    result = run(Emulator(dataset), sink)
    assert (result.rows_added, result.rows_updated) == (0, len(dataset.profiles))


def test_expired_session_restarts_once(dataset):
    sink = DictUsers()
    emulator = Emulator(dataset, page_size=10, session_ttl=0.0)
    with pytest.raises(BadRequestError, match="uncached query"):
        run(emulator, sink, parallel=1)
    assert sink.events[-1] == "abort:False"


def test_expired_session_once_is_cured(dataset):
    clock = [0.0]
    emulator = Emulator(dataset, page_size=10, session_ttl=5.0, clock=lambda: clock[0])

    class Ager(DictUsers):
        def write(self, profiles, filters):
            # The first session dies after page 2 has been stored; the restart gets a new one.
            if len(self.rows) == 20 and not getattr(self, "aged", False):
                self.aged = True
                clock[0] += 10
            return super().write(profiles, filters)

    sink = Ager()
    result = run(emulator, sink, parallel=1)
    assert sink.rows == all_profiles(dataset)
    assert result.rows_updated >= 10


def test_cohort_by_name(dataset):
    cohort = dataset.saved_cohorts[0]
    sink = DictUsers()
    result = run(Emulator(dataset), sink, cohort=cohort.name)
    assert set(sink.rows) == set(cohort.members)
    assert result.requests == result.pages + 1


def test_unknown_cohort(dataset):
    with pytest.raises(ValidationError, match="no saved cohort"):
        run(Emulator(dataset), DictUsers(), cohort="No such cohort")


def test_active_since(dataset):
    day = dt.date(2024, 1, 8)
    sink = DictUsers()
    run(Emulator(dataset), sink, active_since=day)
    expected = {
        k for k, v in all_profiles(dataset).items() if v.get("$last_seen", "") >= "2024-01-08T00"
    }
    assert set(sink.rows) == expected
    assert 0 < len(expected) < len(dataset.profiles)


def test_properties_and_where(dataset):
    sink = DictUsers()
    run(
        Emulator(dataset), sink, where='properties["plan"] == "free"', properties=("plan", "$email")
    )
    assert sink.rows
    assert all(set(v) <= {"plan", "$email"} for v in sink.rows.values())
    assert all(v["plan"] == "free" for v in sink.rows.values())


def test_replace_swaps_only_at_the_end(dataset):
    sink = DictUsers()
    sink.rows = {"old": {}}
    run(Emulator(dataset), sink, mode="replace")
    assert "old" not in sink.rows
    assert sink.events == ["begin:True", "finish:True"]


def test_where_and_active_since_combine():
    spec = UsersFetchSpec(where='properties["a"] == 1', active_since=dt.date(2024, 2, 3))
    assert spec.where_clause() == (
        '(properties["a"] == 1) and ' + active_since_where(dt.date(2024, 2, 3))
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"cohort": "x", "cohort_id": 3}, {"table": "_mp_x"}, {"parallel": 9}, {"where": " "}],
)
def test_bad_specs(kwargs):
    with pytest.raises(ValidationError):
        UsersFetchSpec(**kwargs)


def test_plan(dataset):
    with client_for(Emulator(dataset)) as client:
        plan = plan_users(UsersFetchSpec(cohort="Paid"), client=client)
    assert plan.kind == "users"
    assert plan.requests == 2
    assert plan.filters == {"cohort": "Paid"}


def test_bytes_count_every_engage_body_and_show_in_progress(dataset):
    # A restart downloads pages again, and they count again: bytes are the pages received
    # (the refusal of the expired session carries no data and does not count).
    clock = [0.0]
    emulator = Emulator(dataset, page_size=10, session_ttl=5.0, clock=lambda: clock[0])
    bodies: list[int] = []

    def spy(request: httpx.Request) -> httpx.Response:
        response = emulator.handle(request)
        body = response.read()
        if response.status_code == 200:
            bodies.append(len(body))
        if len(bodies) == 3 and clock[0] == 0:  # the first session dies after three pages
            clock[0] += 10
        return response

    snapshots: list[FetchProgress] = []
    client = MixpanelClient(
        emulator.client_credentials(),
        transport=httpx.MockTransport(spy),
        limits=RateLimits.unlimited(),
        sleep=lambda s: None,
    )
    with client:
        result = fetch_users(
            UsersFetchSpec(parallel=1),
            client=client,
            sink=DictUsers(),
            on_progress=snapshots.append,
        )
    assert result.pages > len(dataset.profiles) // 10 + 1  # some pages came twice
    assert result.bytes == sum(bodies) > 0
    assert snapshots[-1].stage == "finished"
    assert snapshots[-1].bytes == result.bytes
