"""Turning a :class:`Reply` into what goes on the wire: gzip negotiation, framing, drops.

Both front ends (the in-process transport and the socket server) consume a
:class:`Delivery`: final status and headers, an iterator of wire bytes, an optional delay
before the first byte, and where the connection should drop. A connection drop surfaces as a
:class:`ConnectionDrop` raised by the chunk iterator at the point of the drop (or by
:attr:`Delivery.drop_before_headers`); the server turns it into a real reset or close of the
socket, the in-process transport into the httpx exception a client would see.

A streamed body is gzip-compressed piece by piece at level 1, the pieces compressed in
parallel on a small thread pool (zlib drops the GIL while it works): each piece is a raw
deflate run of its own, ended by a sync flush, so the concatenation is one ordinary gzip
stream, decodable piece by piece as it arrives, and the bytes do not depend on the number
of threads. (Priming each piece with the previous 32 KB of input gains about 1% on a
256 KB export piece: not worth it.)
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mixpanel_data.emulator._wire import Reply

__all__ = [
    "GZIP_MIN_BYTES",
    "ConnectionDrop",
    "Delivery",
    "DropKind",
    "deliver",
]

# Mixpanel docs (raw-event-export): with Accept-Encoding: gzip, a body over 1400 bytes is
# gzip-compressed and marked Content-Encoding: gzip; smaller bodies go out plain.
GZIP_MIN_BYTES = 1400
# Level 1: on export NDJSON it is several times faster than the default level 6, for a body
# about 40% larger; any level is a valid gzip body for the client.
_LEVEL = 1
_MEM_LEVEL = 8
# magic, deflate, no flags, mtime 0, "fastest" extra flags, OS unix: what zlib writes itself.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\x03"
# An empty final block (fixed Huffman codes): ends the deflate stream after a sync flush.
_FINAL_BLOCK = b"\x03\x00"
_THREADS = min(4, os.cpu_count() or 1)
_INLINE_MAX = 64 * 1024  # smaller pieces are compressed on the sending thread
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()

DropKind = Literal["reset", "disconnect"]


class ConnectionDrop(Exception):  # noqa: N818 - a signal, not an error of the emulator
    """Raised where the connection must drop: ``reset`` (TCP RST) or ``disconnect`` (FIN)."""

    def __init__(self, how: DropKind) -> None:
        super().__init__(how)
        self.how: DropKind = how


@dataclass
class Delivery:
    """A response ready for a front end.

    ``content_length`` is ``None`` for a chunked (streamed) body. ``chunks`` yields wire
    bytes (already gzip-compressed when ``Content-Encoding: gzip`` is set) and raises
    :class:`ConnectionDrop` where the connection must drop. ``close`` must be called once
    the body has been sent or abandoned.
    """

    status: int
    headers: list[tuple[str, str]]
    chunks: Iterator[bytes]
    content_length: int | None
    delay: float = 0.0
    drop_before_headers: DropKind | None = None
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Release what the reply held (rate-limit slots, open generators); idempotent."""
        callbacks, self.on_close = self.on_close, []
        for callback in callbacks:
            callback()


@dataclass(frozen=True)
class WireFaults:
    """The transport-level faults to apply while delivering one reply."""

    delay: float = 0.0
    drop_before_headers: DropKind | None = None
    drop_after: int | None = None
    drop_how: DropKind = "reset"
    fake_gzip_header: bool = False


def _peek(chunks: Iterator[bytes], limit: int) -> tuple[list[bytes], int, bool]:
    """Read chunks until more than ``limit`` bytes are buffered; say whether it ended."""
    head: list[bytes] = []
    size = 0
    for chunk in chunks:
        if not chunk:
            continue
        head.append(chunk)
        size += len(chunk)
        if size > limit:
            return head, size, False
    return head, size, True


def _deflate_piece(piece: bytes) -> bytes:
    """Raw-deflate ``piece`` as a self-contained run of blocks (not the last of the stream)."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, _MEM_LEVEL)
    # The sync flush ends the piece on a byte boundary (and makes it decodable on arrival).
    return compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _compress_pool() -> ThreadPoolExecutor:
    global _pool  # one pool for the process, made when first needed
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="mixpanel-emulator-gzip")
        return _pool


def _gzip_stream(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """Gzip the chunks one piece per chunk, a few pieces compressing ahead in parallel.

    A piece goes out as soon as it and those before it are compressed (a slow source, such
    as a filtered export decoding its next day, does not hold back what is ready), and at
    most a few pieces are in flight.
    """
    pool = _compress_pool() if _THREADS > 1 else None
    ahead = 2 * _THREADS
    pending: deque[Future[bytes]] = deque()
    crc = 0
    size = 0
    prefix = _GZIP_HEADER
    try:
        for chunk in _chain(head, rest):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            if pool is None or (not pending and len(chunk) < _INLINE_MAX):
                # Small, with nothing ahead of it: a hand-off would only delay it.
                done: Future[bytes] = Future()
                done.set_result(_deflate_piece(chunk))
                pending.append(done)
            else:
                pending.append(pool.submit(_deflate_piece, chunk))
            while pending and (len(pending) >= ahead or pending[0].done()):
                yield prefix + pending.popleft().result()
                prefix = b""
        while pending:
            yield prefix + pending.popleft().result()
            prefix = b""
        yield prefix + _FINAL_BLOCK + struct.pack("<II", crc, size & 0xFFFFFFFF)
    finally:
        for future in pending:
            future.cancel()


def _chain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from head
    for chunk in rest:
        if chunk:
            yield chunk


def _cut(chunks: Iterator[bytes], after: int, how: DropKind) -> Iterator[bytes]:
    """Yield the first ``after`` bytes, then drop the connection."""
    sent = 0
    for chunk in chunks:
        room = after - sent
        if room <= 0:
            break
        piece = chunk[:room]
        sent += len(piece)
        if piece:
            yield piece
    raise ConnectionDrop(how)


def deliver(reply: Reply, *, accept_gzip: bool, faults: WireFaults | None = None) -> Delivery:
    """Encode ``reply`` for the wire: gzip when asked and worth it, framing, faults.

    A complete (non-streamed) body, or a streamed one that turns out to be small, is sent
    with a Content-Length; a larger streamed body is sent chunked, compressed piece by piece.
    """
    wire = faults or WireFaults()
    source: Iterator[bytes] = iter([reply.body]) if isinstance(reply.body, bytes) else reply.body
    headers: list[tuple[str, str]] = [("Content-Type", reply.content_type)]
    headers.extend(reply.headers.items())

    compress = accept_gzip and not wire.fake_gzip_header
    if isinstance(reply.body, bytes):
        head, size, ended = [reply.body], len(reply.body), True
    else:
        # Peek at a streamed body: a small one is sent whole, plain, with a Content-Length.
        head, size, ended = _peek(source, GZIP_MIN_BYTES)
    if compress and size <= GZIP_MIN_BYTES:
        compress = False
    if wire.fake_gzip_header:
        # A fault: claim gzip on a plain body, so the client's decoder fails.
        headers.append(("Content-Encoding", "gzip"))
    elif compress:
        headers.append(("Content-Encoding", "gzip"))
        headers.append(("Vary", "Accept-Encoding"))

    body: Iterator[bytes]
    content_length: int | None
    if ended:
        payload = b"".join(head)
        if compress:
            payload = zlib.compress(payload, _LEVEL, wbits=31)
        content_length = len(payload)
        body = iter([payload]) if payload else iter([])
    else:
        content_length = None
        body = _gzip_stream(head, source) if compress else _chain(head, source)

    if content_length is None:
        headers.append(("Transfer-Encoding", "chunked"))
    else:
        headers.append(("Content-Length", str(content_length)))

    if wire.drop_after is not None:
        after = wire.drop_after
        if content_length is not None:
            # A drop after the whole body would go unnoticed: keep it inside the body.
            after = min(after, max(content_length - 1, 0))
        body = _cut(body, after, wire.drop_how)

    return Delivery(
        status=reply.status,
        headers=headers,
        chunks=body,
        content_length=content_length,
        delay=wire.delay,
        drop_before_headers=wire.drop_before_headers,
        on_close=[reply.close],
    )
