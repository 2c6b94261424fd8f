"""The chunk runner: parallel downloads, one writer, retries, bounded buffering."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mixpanel_data._fetch_progress import ProgressTracker
from mixpanel_data._fetch_runner import Chunk, ChunkRunner
from mixpanel_data.exceptions import (
    BadRequestError,
    ExportTruncatedError,
    ServerError,
    StorageError,
)

D0 = dt.date(2024, 1, 1)


def chunks(n: int) -> list[Chunk]:
    days = [D0 + dt.timedelta(days=i) for i in range(n)]
    return [Chunk(d, d) for d in days]


class FakeSource:
    """Each chunk has ``batches`` batches of ints; scripted failures per (chunk, attempt)."""

    def __init__(self, batches: int = 3, fail: dict | None = None) -> None:
        self.batches = batches
        self.fail = fail or {}  # {(day, attempt): exception or (after, exception)}
        self.attempts: dict[dt.date, int] = {}
        self.open_now = 0
        self.max_open = 0
        self.produced = 0
        self.consumed = 0
        self.max_buffered = 0
        self.lock = threading.Lock()

    @contextmanager
    def open(self, chunk: Chunk) -> Iterator[Iterator[int]]:
        with self.lock:
            attempt = self.attempts.get(chunk.from_date, 0) + 1
            self.attempts[chunk.from_date] = attempt
            self.open_now += 1
            self.max_open = max(self.max_open, self.open_now)
        try:
            plan = self.fail.get((chunk.from_date, attempt))
            if isinstance(plan, Exception):
                raise plan
            yield self._batches(chunk, plan)
        finally:
            with self.lock:
                self.open_now -= 1

    def _batches(self, chunk: Chunk, plan: tuple[int, Exception] | None) -> Iterator[int]:
        for i in range(self.batches):
            if plan is not None and i == plan[0]:
                raise plan[1]
            with self.lock:
                self.produced += 1
                self.max_buffered = max(self.max_buffered, self.produced - self.consumed)
            yield chunk.from_date.toordinal() * 100 + i


class FakeStore:
    """All-or-nothing per chunk, like a transaction."""

    def __init__(self, source: FakeSource, fail_on: dt.date | None = None) -> None:
        self.source = source
        self.rows: dict[dt.date, list[int]] = {}
        self.fail_on = fail_on

    def write(self, chunk: Chunk, batches: Iterator[int]) -> int:
        if chunk.from_date == self.fail_on:
            raise StorageError("disk full")
        pending = []
        for batch in batches:
            with self.source.lock:
                self.source.consumed += 1
            pending.append(batch)
        self.rows[chunk.from_date] = pending  # commit
        return len(pending)


def run(source, store, todo, **kwargs):
    events = []
    tracker = ProgressTracker("events", "events", sum(c.days for c in todo), events.append)
    kwargs.setdefault("workers", 3)
    kwargs.setdefault("attempts", 3)
    kwargs.setdefault("queue_depth", 2)
    runner = ChunkRunner(source.open, store.write, tracker=tracker, sleep=lambda s: None, **kwargs)
    return runner.run(todo), tracker, events


def test_every_chunk_is_stored_whole():
    source = FakeSource(batches=4)
    store = FakeStore(source)
    outcomes, tracker, _ = run(source, store, chunks(10))
    assert [o.chunk for o in outcomes] == chunks(10)
    assert all(o.stats == 4 and o.error is None for o in outcomes)
    assert sorted(store.rows) == [c.from_date for c in chunks(10)]
    assert tracker.units_done == 10
    assert tracker.requests == 10


def test_workers_bound_downloads_and_buffering():
    source = FakeSource(batches=20)
    store = FakeStore(source)
    run(source, store, chunks(12), workers=3, queue_depth=2)
    assert source.max_open <= 3
    # Each worker holds at most queue_depth batches plus the one it is trying to hand over.
    assert source.max_buffered <= 3 * (2 + 1) + 1


@pytest.mark.parametrize(
    "fault",
    [
        ExportTruncatedError("terminated early"),
        ServerError("503", status_code=503),
    ],
)
def test_a_chunk_failing_mid_body_is_retried_from_scratch(fault):
    day = D0 + dt.timedelta(days=2)
    source = FakeSource(batches=3, fail={(day, 1): (2, fault)})
    store = FakeStore(source)
    outcomes, tracker, events = run(source, store, chunks(4))
    assert outcomes[2].attempts == 2
    assert outcomes[2].error is None
    expected = [day.toordinal() * 100 + i for i in range(3)]
    assert store.rows[day] == expected
    assert "retrying" in [e.stage for e in events]
    assert tracker.requests == 5


def test_a_chunk_that_keeps_failing_is_reported_and_others_finish():
    day = D0 + dt.timedelta(days=1)
    fault = ServerError("still down", status_code=502)
    source = FakeSource(fail={(day, n): fault for n in (1, 2, 3)})
    store = FakeStore(source)
    outcomes, tracker, events = run(source, store, chunks(3), attempts=3)
    assert outcomes[1].error is fault
    assert outcomes[1].attempts == 3
    assert day not in store.rows
    assert sorted(store.rows) == [D0, D0 + dt.timedelta(days=2)]
    assert (tracker.units_done, tracker.units_failed) == (2, 1)
    assert events[-1].stage in {"failed", "committed"}


def test_a_4xx_stops_the_fetch():
    day = D0 + dt.timedelta(days=5)
    source = FakeSource(fail={(day, 1): BadRequestError("bad where", status_code=400)})
    store = FakeStore(source)
    with pytest.raises(BadRequestError, match="bad where"):
        run(source, store, chunks(8), workers=1)
    # Chunks stored before the refusal stay stored.
    assert sorted(store.rows) == [D0 + dt.timedelta(days=i) for i in range(5)]


def test_a_storage_error_stops_the_fetch_without_hanging():
    source = FakeSource(batches=50)
    store = FakeStore(source, fail_on=D0 + dt.timedelta(days=1))
    with pytest.raises(StorageError, match="disk full"):
        run(source, store, chunks(6), workers=3, queue_depth=1)
    assert source.open_now == 0


def test_progress_callback_errors_do_not_break_the_fetch():
    def broken(_):
        raise RuntimeError("boom")

    source = FakeSource()
    store = FakeStore(source)
    tracker = ProgressTracker("events", "events", 3, broken)
    runner = ChunkRunner(
        source.open, store.write, workers=2, attempts=1, queue_depth=1, tracker=tracker
    )
    outcomes = runner.run(chunks(3))
    assert all(o.error is None for o in outcomes)


def test_decode_slots_bound_concurrent_decoding():
    class Counting(FakeSource):
        def __init__(self) -> None:
            super().__init__(batches=5)
            self.decoding = 0
            self.max_decoding = 0

        def _batches(self, chunk, plan):
            with self.lock:
                self.decoding += 1
                self.max_decoding = max(self.max_decoding, self.decoding)
            try:
                yield from super()._batches(chunk, plan)
            finally:
                with self.lock:
                    self.decoding -= 1

    source = Counting()
    store = FakeStore(source)
    outcomes, _, _ = run(source, store, chunks(8), workers=4, decode_slots=1)
    assert all(o.error is None for o in outcomes)
    assert source.max_decoding == 1
    assert source.max_open >= 2  # requests still start while another body is decoded


def test_an_abort_does_not_wait_for_a_silent_server(monkeypatch):
    monkeypatch.setattr("mixpanel_data._fetch_runner._ABANDON_WAIT", 0.2)
    stuck = threading.Event()
    release = threading.Event()

    class Silent(FakeSource):
        def _batches(self, chunk, plan):
            if chunk.from_date == D0 + dt.timedelta(days=1):
                stuck.set()
                release.wait(30)  # a read blocked on a server that sends nothing
                return
            yield from super()._batches(chunk, plan)

    source = Silent()
    store = FakeStore(source, fail_on=D0)

    def failing_write(chunk, batches):
        stuck.wait(10)  # fail only once the other worker is blocked
        return store.write(chunk, batches)

    tracker = ProgressTracker("events", "events", 2)
    runner = ChunkRunner(
        source.open, failing_write, workers=2, attempts=1, queue_depth=1, tracker=tracker
    )
    try:
        with pytest.raises(StorageError):
            runner.run(chunks(2))
        assert not release.is_set()  # run() returned while the read was still blocked
    finally:
        release.set()
