"""The events fetch orchestration over the in-process emulator, with a dict-backed sink.

These tests pin the orchestration (planning, resume, faults, retries, progress); the tests
in test_events_db.py run the same paths into DuckDB.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping

import msgspec
import orjson
import pytest

from mixpanel_data._fetch_events import ChunkStats, EventsFetchSpec, fetch_events, plan_events
from mixpanel_data._fetch_runner import Chunk
from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator
from mixpanel_data.exceptions import (
    AuthenticationError,
    BadRequestError,
    ExportTruncatedError,
    ValidationError,
)

START = dt.date(2024, 1, 1)
NOW = dt.datetime(2024, 2, 1, 12, tzinfo=dt.UTC).timestamp()


class DictSink:
    """Keeps rows per day in memory; all-or-nothing per chunk."""

    def __init__(self) -> None:
        self.days: dict[dt.date, list[dict]] = {}
        self.log: dict[tuple[dt.date, str], dt.datetime] = {}
        self.begun: list[bool] = []
        self.finished: list[tuple[bool, bool]] = []
        self.aborted = 0
        self.lock = threading.Lock()

    def completed(self, filters: Mapping[str, str]) -> dict[dt.date, dt.datetime | None]:
        key = orjson.dumps(dict(filters)).decode()
        return {day: at for (day, k), at in self.log.items() if k == key}

    def decode(self, body: Iterator[bytes], chunk: Chunk) -> Iterator[list[dict]]:
        data = b"".join(body)
        lines = [line for line in data.split(b"\n") if line.strip()]
        batch = []
        for line in lines:
            try:
                batch.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                raise ExportTruncatedError(f"bad line {line[:40]!r}") from None
            if len(batch) == 50:
                yield batch
                batch = []
        if batch:
            yield batch

    def write(self, chunk: Chunk, batches: Iterator[list[dict]], filters) -> ChunkStats:
        rows = [row for batch in batches for row in batch]
        with self.lock:
            self.days[chunk.from_date] = rows
            self.log[(chunk.from_date, orjson.dumps(dict(filters)).decode())] = dt.datetime(
                2024, 2, 1
            )
        return ChunkStats(rows_received=len(rows), rows_added=len(rows))

    def rows_in(self, batch: list[dict]) -> int:
        return len(batch)

    def begin(self, *, replace: bool) -> None:
        self.begun.append(replace)

    def finish(self, *, replace: bool, complete: bool) -> int:
        self.finished.append((replace, complete))
        return sum(len(v) for v in self.days.values())

    def abort(self, *, replace: bool) -> None:
        self.aborted += 1


@pytest.fixture
def dataset() -> Dataset:
    return Dataset.generate(
        DatasetConfig(seed=11, start=START, days=5, events_per_day=60, users=20)
    )


def client_for(emulator: Emulator, **kwargs) -> MixpanelClient:
    kwargs.setdefault("limits", RateLimits.unlimited())
    return MixpanelClient(
        emulator.client_credentials(),
        transport=emulator.transport(),
        sleep=lambda s: None,
        **kwargs,
    )


def expected_lines(dataset: Dataset, day: dt.date) -> list[dict]:
    return [orjson.loads(x) for x in dataset.export_lines(day, time_in_ms=True).splitlines() if x]


def run(emulator, sink, **spec):
    spec.setdefault("from_date", START)
    spec.setdefault("to_date", START + dt.timedelta(days=4))
    with client_for(emulator) as client:
        return fetch_events(
            EventsFetchSpec(**spec),
            client=client,
            sink=sink,
            wallclock=lambda: NOW,
            sleep=lambda s: None,
        )


def test_every_day_is_fetched_whole(dataset):
    sink = DictSink()
    progress = []
    with client_for(Emulator(dataset)) as client:
        result = fetch_events(
            EventsFetchSpec(from_date=START, to_date=START + dt.timedelta(days=4)),
            client=client,
            sink=sink,
            wallclock=lambda: NOW,
            on_progress=progress.append,
        )
    assert sorted(sink.days) == list(dataset.days)
    for day in dataset.days:
        assert sink.days[day] == expected_lines(dataset, day)
    assert result.days_fetched == 5
    assert result.days_failed == 0
    assert result.rows_received == sum(len(v) for v in sink.days.values())
    assert result.exit_code == 0
    assert result.bytes > 0
    assert progress[0].stage == "started"
    assert progress[-1].stage == "finished"
    assert progress[-1].units_done == 5


@pytest.mark.parametrize(
    "faults",
    [
        "export:terminated_early(after=500)@2",
        "export:malformed_line(line=3)@1",
        "export:reset_mid_body(after=700)@3",
        "export:disconnect_mid_body(after=700)@3",
        "export:429@1-2,export:429_no_retry_after@4",
        "export:503@2,export:500@3",
        "export:reset_before_headers@1",
        "export:bad_gzip@2",
    ],
)
def test_faults_fail_one_chunk_which_is_retried(dataset, faults):
    sink = DictSink()
    emulator = Emulator(dataset, faults=faults)
    result = run(emulator, sink, workers=2)
    assert emulator.faults.fired, "the fault schedule never fired"
    assert result.failures == []
    for day in dataset.days:
        assert sink.days[day] == expected_lines(dataset, day)


def test_a_day_that_keeps_failing_is_named(dataset):
    sink = DictSink()
    emulator = Emulator(dataset, faults="export:terminated_early(after=100)@*")
    result = run(emulator, sink, to_date=START + dt.timedelta(days=1), attempts=2)
    assert [f.from_date for f in result.failures] == [START, START + dt.timedelta(days=1)]
    assert result.failed_days == [START, START + dt.timedelta(days=1)]
    assert {f.error for f in result.failures} == {"ExportTruncatedError"}
    assert result.exit_code == 4
    assert sink.days == {}
    assert sink.finished == [(False, False)]


def test_a_400_stops_the_fetch_with_mixpanels_message(dataset):
    sink = DictSink()
    with pytest.raises(BadRequestError) as info:
        run(Emulator(dataset), sink, where="properties[")
    assert "properties[" in info.value.message or info.value.body
    assert sink.aborted == 1


def test_bad_credentials_stop_the_fetch(dataset):
    emulator = Emulator(dataset)
    good = emulator.client_credentials()
    bad = msgspec.structs.replace(good, secret="wrong-secret")
    client = MixpanelClient(bad, transport=emulator.transport(), limits=RateLimits.unlimited())
    spec = EventsFetchSpec(from_date=START, to_date=START)
    with client, pytest.raises(AuthenticationError):
        fetch_events(spec, client=client, sink=DictSink(), wallclock=lambda: NOW)


def test_resume_fetches_only_missing_days(dataset):
    sink = DictSink()
    run(Emulator(dataset), sink, to_date=START + dt.timedelta(days=1))
    emulator = Emulator(dataset)
    result = run(emulator, sink)
    assert result.days_skipped == 2
    assert result.days_fetched == 3
    assert sorted(sink.days) == list(dataset.days)


def test_event_filter_is_its_own_fetch(dataset):
    sink = DictSink()
    run(Emulator(dataset), sink)
    name = expected_lines(dataset, START)[0]["event"]
    result = run(Emulator(dataset), sink, events=(name,))
    assert result.days_skipped == 0
    assert all(row["event"] == name for rows in sink.days.values() for row in rows)


def test_limit_is_one_request(dataset):
    sink = DictSink()
    seen = []
    emulator = Emulator(dataset)
    handler = emulator.handle

    def spy(request):
        seen.append(dict(request.url.params))
        return handler(request)

    import httpx

    with MixpanelClient(
        emulator.client_credentials(),
        transport=httpx.MockTransport(spy),
        limits=RateLimits.unlimited(),
    ) as client:
        result = fetch_events(
            EventsFetchSpec(from_date=START, to_date=START + dt.timedelta(days=4), limit=7),
            client=client,
            sink=sink,
            wallclock=lambda: NOW,
        )
    assert len(seen) == 1
    assert (seen[0]["from_date"], seen[0]["to_date"], seen[0]["limit"]) == (
        "2024-01-01",
        "2024-01-05",
        "7",
    )
    assert result.rows_received == 7
    assert result.days_fetched == 5


def test_future_days_are_refused_before_any_request(dataset):
    with pytest.raises(ValidationError, match="after today"):
        run(Emulator(dataset), DictSink(), to_date=dt.date(2024, 3, 1))


def test_dry_run_plan(dataset):
    sink = DictSink()
    run(Emulator(dataset), sink, to_date=START + dt.timedelta(days=1))
    with client_for(Emulator(dataset), limits=RateLimits()) as client:
        plan = plan_events(
            EventsFetchSpec(from_date=START, to_date=START + dt.timedelta(days=9), workers=8),
            client=client,
            completed=sink.completed({}),
            wallclock=lambda: NOW,
        )
    assert (plan.days_total, plan.days_to_fetch, plan.days_skipped) == (10, 8, 2)
    assert plan.requests == 8
    assert plan.budget == "60/hour, 3/s, 100 concurrent"
    assert plan.estimated_seconds == 2.0
    assert plan.first_day == START + dt.timedelta(days=2)
