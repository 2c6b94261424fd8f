"""Run a fetch as chunks: several downloads in flight, one writer, retries of failed chunks.

The shape (DESIGN.md §2, the fetch path): each chunk (an export day) is downloaded and
decoded by a worker thread, batch by batch, into a small bounded queue. One writer (the
calling thread, which owns the DuckDB connection) takes the chunks in the order their first
batch arrives and stores each one whole, in one transaction, while the other workers keep
downloading. Memory is bounded by ``workers × (queue_depth + 1)`` batches, never by the size
of an export.

A chunk whose body turns out incomplete (``terminated early``, a cut gzip stream, a reset
mid-body, a malformed line) or whose request ran out of retries (429, 5xx, no connection)
fails alone: its transaction is rolled back, so its partial rows are discarded, and it is
downloaded again from scratch, up to ``attempts`` times, after a backoff. Any other error
(Mixpanel refusing the request with a 4xx, the database failing) stops the whole fetch:
the chunks committed so far stay committed, the others are abandoned.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from mixpanel_data.api._retry import backoff_delay
from mixpanel_data.exceptions import (
    APIConnectionError,
    APIDecodeError,
    ExportTruncatedError,
    RateLimitError,
    ServerError,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator, Sequence
    from contextlib import AbstractContextManager

    from mixpanel_data._fetch_progress import ProgressTracker

__all__ = ["Chunk", "ChunkOutcome", "ChunkRunner", "is_retryable_chunk_error"]

log = logging.getLogger(__name__)

B = TypeVar("B")
S = TypeVar("S")

_RETRYABLE: tuple[type[BaseException], ...] = (
    ExportTruncatedError,
    APIDecodeError,
    ServerError,
    RateLimitError,
    APIConnectionError,
)
_POLL = 0.1
_ABANDON_WAIT = 2.0


def is_retryable_chunk_error(exc: BaseException) -> bool:
    """Whether downloading the chunk again may succeed.

    An incomplete or malformed body, a rate limit or an outage that outlasted the client's
    own retries: yes. Mixpanel refusing the request (other 4xx), the database failing, or a
    bug: no, the same request would fail the same way.
    """
    return isinstance(exc, _RETRYABLE)


@dataclass(frozen=True, order=True)
class Chunk:
    """A range of export days fetched by one request (usually one day)."""

    from_date: dt.date
    to_date: dt.date

    def __str__(self) -> str:
        if self.from_date == self.to_date:
            return self.from_date.isoformat()
        return f"{self.from_date.isoformat()}..{self.to_date.isoformat()}"

    @property
    def days(self) -> int:
        """How many days the chunk covers."""
        return (self.to_date - self.from_date).days + 1


@dataclass
class ChunkOutcome(Generic[S]):
    """How a chunk ended: the writer's stats, or the error of its last attempt."""

    chunk: Chunk
    attempts: int
    stats: S | None = None
    error: BaseException | None = None


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


@dataclass(eq=False)
class _Job:
    chunk: Chunk
    attempt: int
    delay: float
    items: queue.Queue[object]
    cancel: threading.Event = field(default_factory=threading.Event)
    announced: bool = False


class ChunkRunner(Generic[B, S]):
    """Download chunks in parallel and store them one at a time.

    Parameters
    ----------
    open_chunk
        Opens one chunk's download: a context manager yielding its decoded batches. It
        raises for a failed request, and the iterator raises for an incomplete body.
    write_chunk
        Stores one chunk from an iterator of its batches, all or nothing; returns stats.
        An exception raised by the iterator must propagate (after rolling back).
    workers
        Chunks downloading at once.
    attempts
        Tries per chunk (the first one included) for retryable errors.
    queue_depth
        Decoded batches a worker may hold ahead of the writer.
    decode_slots
        Workers that may read and decode a body at once (``None``: all of them). Requests
        beyond that wait for their first byte (the slow part of an export) concurrently,
        then for a slot; decoding is CPU-bound, so more at once only adds memory.
    tracker
        Counts requests and reports committed/retrying/failed chunks.
    sleep
        Waits before a retry; by default an interruptible wait.
    rng
        Randomness for the backoff jitter.
    """

    def __init__(
        self,
        open_chunk: Callable[[Chunk], AbstractContextManager[Iterator[B]]],
        write_chunk: Callable[[Chunk, Iterator[B]], S],
        *,
        workers: int,
        attempts: int,
        queue_depth: int,
        tracker: ProgressTracker,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        units: Callable[[Chunk], int] | None = None,
        decode_slots: int | None = None,
    ) -> None:
        self._open = open_chunk
        self._write = write_chunk
        self._workers = max(1, workers)
        self._attempts = max(1, attempts)
        self._depth = max(1, queue_depth)
        self._tracker = tracker
        self._stop = threading.Event()
        self._sleep = sleep if sleep is not None else self._interruptible_sleep
        self._rng = rng if rng is not None else random.Random()
        self._units = units if units is not None else (lambda chunk: chunk.days)
        slots = self._workers if decode_slots is None else max(1, min(decode_slots, self._workers))
        self._slots = threading.BoundedSemaphore(slots)

    def _interruptible_sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    # -- the writer side (the calling thread) --------------------------------------------------

    def run(self, chunks: Sequence[Chunk]) -> list[ChunkOutcome[S]]:
        """Fetch and store every chunk; return one outcome per chunk, in chunk order.

        Raises
        ------
        MixpanelDataError
            The first non-retryable error (a 4xx from Mixpanel, a storage error); chunks
            committed before it stay committed.
        """
        todo: deque[tuple[Chunk, int, float]] = deque((c, 1, 0.0) for c in chunks)
        ready: queue.Queue[_Job] = queue.Queue()
        active: list[_Job] = []
        outcomes: dict[Chunk, ChunkOutcome[S]] = {}
        pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="mp-fetch")
        running: list[Future[None]] = []
        try:
            while todo or active:
                while todo and len(active) < self._workers:
                    chunk, attempt, delay = todo.popleft()
                    job = _Job(chunk, attempt, delay, queue.Queue(maxsize=self._depth))
                    active.append(job)
                    running.append(pool.submit(self._produce, job, ready))
                job = ready.get()
                active.remove(job)
                retry = self._store(job, outcomes)
                if retry is not None:
                    todo.appendleft(retry)
        except BaseException:
            self._stop.set()
            for job in active:
                job.cancel.set()
            # Workers notice within a poll interval, unless a read is blocked on a silent
            # server: do not hang on those (closing the client ends them).
            wait(running, timeout=_ABANDON_WAIT)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return [outcomes[c] for c in chunks]

    def _store(
        self, job: _Job, outcomes: dict[Chunk, ChunkOutcome[S]]
    ) -> tuple[Chunk, int, float] | None:
        """Write one chunk; record its outcome or return the retry to schedule."""
        chunk = job.chunk
        try:
            stats = self._write(chunk, self._drain(job))
        except Exception as exc:
            job.cancel.set()
            if not is_retryable_chunk_error(exc):
                raise
            if job.attempt < self._attempts:
                delay = backoff_delay(job.attempt - 1, self._rng)
                log.info(
                    "chunk %s failed (attempt %d of %d): %s; retrying in %.1f s",
                    chunk,
                    job.attempt,
                    self._attempts,
                    exc,
                    delay,
                )
                self._tracker.stage("retrying", day=chunk.from_date, message=str(exc))
                return (chunk, job.attempt + 1, delay)
            log.warning("chunk %s failed after %d attempts: %s", chunk, job.attempt, exc)
            outcomes[chunk] = ChunkOutcome(chunk, job.attempt, error=exc)
            self._tracker.stage(
                "failed", day=chunk.from_date, message=str(exc), failed=self._units(chunk)
            )
            return None
        job.cancel.set()  # a writer that stopped early leaves the worker nothing to do
        outcomes[chunk] = ChunkOutcome(chunk, job.attempt, stats=stats)
        self._tracker.stage("committed", day=chunk.from_date, done=self._units(chunk))
        return None

    @staticmethod
    def _drain(job: _Job) -> Iterator[B]:
        while True:
            item = job.items.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]  # everything else the worker puts is a batch

    # -- the worker side -----------------------------------------------------------------------

    def _produce(self, job: _Job, ready: queue.Queue[_Job]) -> None:
        try:
            if job.delay > 0:
                self._sleep(job.delay)
            if self._stop.is_set():
                return
            self._tracker.add_request()
            with self._open(job.chunk) as batches:
                # The answer has started: wait for a decoding slot, then read it whole.
                if not self._acquire_slot(job):
                    return
                try:
                    for batch in batches:
                        if not self._put(job, batch, ready):
                            return
                finally:
                    self._slots.release()
            self._put(job, _END, ready)
        except BaseException as exc:
            self._put(job, _Failure(exc), ready)

    def _acquire_slot(self, job: _Job) -> bool:
        """Take a decoding slot; False when the job was abandoned meanwhile."""
        while not (job.cancel.is_set() or self._stop.is_set()):
            if self._slots.acquire(timeout=_POLL):
                return True
        return False

    def _put(self, job: _Job, item: object, ready: queue.Queue[_Job]) -> bool:
        """Hand an item to the writer; False when the job was abandoned meanwhile."""
        if not job.announced:
            job.announced = True
            ready.put(job)
        while not job.cancel.is_set():
            try:
                job.items.put(item, timeout=_POLL)
            except queue.Full:
                continue
            return True
        return False
