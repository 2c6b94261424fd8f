"""Wire the splitter and a decoder together, optionally a step ahead in a thread."""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, TypeVar

from mixpanel_data.ingest._lines import DEFAULT_BATCH_BYTES, DEFAULT_BATCH_LINES, iter_line_blocks

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from mixpanel_data.ingest._batch import EventBatch
    from mixpanel_data.ingest._decode import EventDecoder

__all__ = ["iter_event_batches", "prefetch"]

T = TypeVar("T")

_DONE = object()


def iter_event_batches(
    chunks: Iterable[bytes],
    decoder: EventDecoder,
    *,
    batch_lines: int = DEFAULT_BATCH_LINES,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
) -> Iterator[EventBatch]:
    """Decode an export body, given as byte chunks, into batches.

    Parameters
    ----------
    chunks
        The decompressed response body in chunks of any size.
    decoder
        The fetch's decoder (it keeps the types it learnt for the next streams).
    batch_lines, batch_bytes
        Batch size (see :func:`iter_line_blocks`).

    Raises
    ------
    ExportTruncatedError
        The body ended early (raised before the damaged tail is decoded).
    APIDecodeError
        A malformed line.
    """
    for block in iter_line_blocks(chunks, batch_lines=batch_lines, batch_bytes=batch_bytes):
        yield decoder.decode(block)


def prefetch(items: Iterable[T], *, depth: int = 1) -> Iterator[T]:
    """Iterate ``items`` in a background thread, up to ``depth`` items ahead of the consumer.

    Decoding (DuckDB, which releases the GIL) then overlaps with whatever the consumer does
    with the previous item, e.g. inserting it. An exception in the producer is re-raised in
    the consumer; closing the returned iterator early stops the producer.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    source = iter(items)

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    # The consumer went away: close the source now (in this thread, which
                    # owns it) so its cleanup, e.g. an HTTP response, runs promptly.
                    close = getattr(source, "close", None)
                    if close is not None:
                        close()
                    return
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(exc)
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="mp-ingest-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
