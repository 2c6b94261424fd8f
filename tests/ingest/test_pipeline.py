"""The pipeline helpers: decoding a body and prefetching in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator

import pytest

from mixpanel_data.exceptions import ExportTruncatedError
from mixpanel_data.ingest import EventDecoder, iter_event_batches, prefetch

LineMaker = Callable[..., bytes]


def test_iter_event_batches_numbers_lines_across_batches(
    decoder: EventDecoder, line: LineMaker
) -> None:
    body = b"".join(line(time=i) for i in range(5))
    batches = list(iter_event_batches([body[:7], body[7:]], decoder, batch_lines=2))
    assert [(b.first_line, b.rows) for b in batches] == [(1, 2), (3, 2), (5, 1)]


def test_prefetch_yields_everything_in_order() -> None:
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_prefetch_reraises_the_producers_error(decoder: EventDecoder, line: LineMaker) -> None:
    body = line(time=1) * 3 + b"terminated early"
    with pytest.raises(ExportTruncatedError):
        list(prefetch(iter_event_batches([body], decoder, batch_lines=1)))


def test_closing_prefetch_early_stops_the_producer() -> None:
    produced: list[int] = []
    stopped = threading.Event()

    def numbers() -> Iterator[int]:
        try:
            for n in range(10_000):
                produced.append(n)
                yield n
        finally:
            stopped.set()

    stream = prefetch(numbers(), depth=1)
    assert isinstance(stream, Generator)
    assert next(stream) == 0
    stream.close()
    assert stopped.is_set()
    assert len(produced) < 10_000


def test_prefetch_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(prefetch(iter([1]), depth=0))
