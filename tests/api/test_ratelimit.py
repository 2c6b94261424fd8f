"""The client-side rate limiter: budgets, configuration, and a property test under threads."""

from __future__ import annotations

import logging
import queue
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixpanel_data.api import RateBudget, RateLimiter, RateLimits
from mixpanel_data.exceptions import ValidationError


class Clock:
    """A fake monotonic clock shared by threads; ``sleep`` advances it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def make(budget: RateBudget) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(budget, name="test", clock=clock, sleep=clock.sleep), clock


def test_defaults_are_mixpanels_documented_budgets():
    limits = RateLimits()
    assert limits.query == RateBudget(per_hour=60, concurrent=5)
    assert limits.export == RateBudget(per_second=3, per_hour=60, concurrent=100)
    assert RateLimits.mixpanel_defaults() == limits


def test_engage_shares_the_query_budget():
    limits = RateLimits(query=RateBudget(per_hour=400, concurrent=10))
    assert limits.budget_for("engage") == RateBudget(per_hour=400, concurrent=10)
    assert limits.budget_for("query") == RateBudget(per_hour=400, concurrent=10)
    assert limits.budget_for("export") == RateBudget(per_second=3, per_hour=60, concurrent=100)


def test_unlimited():
    limits = RateLimits.unlimited()
    assert limits.query.is_unlimited
    assert limits.export.is_unlimited
    limiter, clock = make(limits.export)
    for _ in range(1000):
        limiter.acquire()
    assert limiter.in_flight == 1000
    assert clock.sleeps == []


@pytest.mark.parametrize("field", ["per_second", "per_hour", "concurrent"])
@pytest.mark.parametrize("value", [0, -1, True, 1.5, "5"])
def test_budget_values_must_be_positive_integers(field, value):
    with pytest.raises(ValidationError, match=f"RateBudget.{field} must be a positive integer"):
        RateBudget(**{field: value})


def test_per_second_budget():
    limiter, _ = make(RateBudget(per_second=3))
    starts = [limiter.acquire() for _ in range(7)]
    assert starts[:3] == [0.0, 0.0, 0.0]
    assert starts[3] == pytest.approx(1.0)
    assert starts[6] == pytest.approx(2.0)


def test_per_hour_budget():
    limiter, clock = make(RateBudget(per_hour=60))
    for _ in range(60):
        with limiter.slot():
            clock.sleep(10.0)  # one request every 10 s: the 60th starts at 590 s
    started = limiter.acquire()
    assert started == pytest.approx(3600.0)


def test_release_without_acquire_is_a_bug():
    limiter, _ = make(RateBudget(concurrent=1))
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        limiter.release()


def test_slot_is_released_on_error():
    limiter, _ = make(RateBudget(concurrent=1))
    with pytest.raises(ZeroDivisionError), limiter.slot():
        _ = 1 / 0
    assert limiter.in_flight == 0


def test_release_wakes_a_caller_waiting_for_concurrency():
    limiter, _ = make(RateBudget(concurrent=2))
    limiter.acquire()
    limiter.acquire()
    got = threading.Event()

    def waiter() -> None:
        limiter.acquire()
        got.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    limiter.release()
    thread.join(timeout=30)
    assert got.is_set()
    assert limiter.in_flight == 2


def test_waits_are_logged_at_debug(caplog):
    caplog.set_level(logging.DEBUG, logger="mixpanel_data.api._ratelimit")
    limiter, _ = make(RateBudget(per_second=1))
    limiter.acquire()
    limiter.acquire()
    assert any("rate limit (test): waiting 1.000 s" in r.getMessage() for r in caplog.records)


# -- property: the budget holds under concurrent callers ------------------------------------

budgets = st.builds(
    RateBudget,
    per_second=st.none() | st.integers(1, 4),
    per_hour=st.none() | st.integers(1, 12),
    concurrent=st.none() | st.integers(1, 4),
)
# Each job: (fake seconds the worker idles before asking, fake seconds it holds the slot).
jobs_strategy = st.lists(
    st.tuples(
        st.floats(0, 2, allow_nan=False, allow_infinity=False),
        st.floats(0, 1.5, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=25,
)


def _max_in_window(starts: list[float], length: float) -> int:
    """The most starts in any window ``(t - length, t]`` ending at a start ``t``."""
    return max(sum(1 for s in starts if t - length < s <= t) for t in starts)


@settings(max_examples=60, deadline=None)
@given(budget=budgets, workers=st.integers(1, 6), jobs=jobs_strategy)
def test_limiter_never_exceeds_its_budget(budget, workers, jobs):
    limiter, clock = make(budget)
    pending: queue.SimpleQueue[tuple[float, float]] = queue.SimpleQueue()
    for job in jobs:
        pending.put(job)
    starts: list[float] = []
    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        nonlocal in_flight, most_in_flight
        try:
            while True:
                try:
                    idle, hold = pending.get_nowait()
                except queue.Empty:
                    return
                clock.sleep(idle)
                with limiter.slot() as started:
                    with lock:
                        starts.append(started)
                        in_flight += 1
                        most_in_flight = max(most_in_flight, in_flight)
                    clock.sleep(hold)
                    with lock:
                        in_flight -= 1
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)  # a guard against deadlock, not a timing assertion
    assert not any(thread.is_alive() for thread in threads), "limiter deadlocked"
    assert failures == []
    assert len(starts) == len(jobs)
    assert limiter.in_flight == 0
    if budget.per_second is not None:
        assert _max_in_window(starts, 1.0) <= budget.per_second
    if budget.per_hour is not None:
        assert _max_in_window(starts, 3600.0) <= budget.per_hour
    if budget.concurrent is not None:
        assert most_in_flight <= budget.concurrent


@settings(max_examples=100, deadline=None)
@given(
    per_second=st.none() | st.integers(1, 4),
    per_hour=st.none() | st.integers(1, 12),
    gaps=st.lists(
        st.floats(0, 700, allow_nan=False, allow_infinity=False), min_size=1, max_size=40
    ),
)
def test_limiter_waits_only_when_a_window_is_full(per_second, per_hour, gaps):
    """Single caller: a request is delayed only if, just before it started, a window was full."""
    limiter, clock = make(RateBudget(per_second=per_second, per_hour=per_hour))
    windows = [
        (length, limit) for length, limit in ((1.0, per_second), (3600.0, per_hour)) if limit
    ]
    starts: list[float] = []
    for gap in gaps:
        clock.sleep(gap)
        asked = clock()
        started = limiter.acquire()
        if started > asked:
            just_before = started - 1e-5
            assert any(
                sum(1 for s in starts if just_before - length < s) >= limit
                for length, limit in windows
            )
        starts.append(started)
