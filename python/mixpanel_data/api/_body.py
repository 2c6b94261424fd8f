"""Read a streamed response body, and notice when it was cut short.

httpx decompresses gzip bodies but does not complain when a gzip stream simply stops before
its end marker: the bytes that did arrive come out, and the loss goes unnoticed. An export
whose connection closed cleanly mid-stream would then look complete. :func:`iter_body`
therefore decompresses gzip itself and checks that every gzip member ran to its end, and it
turns transport faults during the body into :class:`ExportTruncatedError`.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import httpx

from mixpanel_data.exceptions import ExportTruncatedError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["iter_body"]

# zlib window bits: 16 + MAX_WBITS reads a gzip header and trailer, MAX_WBITS a zlib stream.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def _truncated(endpoint: str, detail: str) -> ExportTruncatedError:
    return ExportTruncatedError(
        f"the response body of {endpoint} was cut short: {detail}",
        endpoint=endpoint,
        hint="the data received so far is incomplete; request the same range again",
    )


def _inflate(chunks: Iterator[bytes], wbits: int, endpoint: str) -> Iterator[bytes]:
    """Decompress possibly multi-member gzip (or zlib) data, failing if it stops early."""
    decompressor = zlib.decompressobj(wbits)
    fed = False  # has the current member received any input?
    try:
        for chunk in chunks:
            while chunk:
                fed = True
                out = decompressor.decompress(chunk)
                if out:
                    yield out
                if not decompressor.eof:
                    break
                # One member ended; whatever follows starts the next one.
                chunk = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits)
                fed = False
        tail = decompressor.flush()
    except zlib.error as exc:
        raise _truncated(endpoint, f"corrupt compressed data ({exc})") from exc
    if tail:
        yield tail
    if fed and not decompressor.eof:
        raise _truncated(endpoint, "the compressed stream ended before its end marker")


def _raw_chunks(response: httpx.Response, chunk_size: int | None) -> Iterator[bytes]:
    if not response.is_stream_consumed:
        return response.iter_raw(chunk_size)
    # A response built in memory (``httpx.Response(content=...)`` from a test transport or the
    # emulator) was read eagerly by httpx, already decompressed without any check; its
    # in-memory stream still replays the raw bytes, so check those instead.
    stream = response.stream
    if not isinstance(stream, httpx.SyncByteStream):
        raise TypeError("iter_body needs a response from a synchronous client")
    return iter(stream)


def iter_body(response: httpx.Response, *, chunk_size: int | None = None) -> Iterator[bytes]:
    """Yield a streamed response's decompressed body, raising if it was cut short.

    Parameters
    ----------
    response
        A response from ``MixpanelClient.stream`` whose body has not been read.
    chunk_size
        Size of the raw (still compressed) reads; httpx's default when None.

    Raises
    ------
    ExportTruncatedError
        When the connection breaks or times out mid-body, or a gzip/deflate body is corrupt
        or ends before its end marker. What was yielded before is incomplete and should be
        thrown away.
    """
    endpoint = response.request.url.path
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    try:
        if encoding in ("", "identity"):
            yield from _raw_chunks(response, chunk_size)
        elif encoding in _WBITS:
            yield from _inflate(_raw_chunks(response, chunk_size), _WBITS[encoding], endpoint)
        else:
            # An encoding we did not ask for (e.g. br): let httpx decode it if it can.
            yield from response.iter_bytes(chunk_size)
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise _truncated(endpoint, f"{type(exc).__name__}: {exc}") from exc
