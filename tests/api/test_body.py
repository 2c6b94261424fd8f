"""iter_body: decompress a streamed body and notice every way it can be cut short."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import httpx
import pytest

from mixpanel_data.api import iter_body
from mixpanel_data.exceptions import ExportTruncatedError

LINES = b"".join(b'{"event":"e%d","properties":{"time":%d}}\n' % (i, i) for i in range(2000))
REQUEST = httpx.Request("GET", "https://data.mixpanel.com/api/2.0/export")


class _Chunks(httpx.SyncByteStream):
    """A network-like body: yields its chunks, then optionally fails."""

    def __init__(self, chunks: list[bytes], fault: Exception | None = None) -> None:
        self.chunks = chunks
        self.fault = fault

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.fault is not None:
            raise self.fault


def streamed(
    data: bytes, *, encoding: str | None = None, size: int = 1000, fault: Exception | None = None
) -> httpx.Response:
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    headers = {"Content-Encoding": encoding} if encoding else {}
    return httpx.Response(200, stream=_Chunks(chunks, fault), headers=headers, request=REQUEST)


def in_memory(data: bytes, *, encoding: str | None = None) -> httpx.Response:
    headers = {"Content-Encoding": encoding} if encoding else {}
    return httpx.Response(200, content=data, headers=headers, request=REQUEST)


@pytest.mark.parametrize("build", [streamed, in_memory])
def test_identity_body(build):
    assert b"".join(iter_body(build(LINES))) == LINES


@pytest.mark.parametrize("build", [streamed, in_memory])
@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "GZIP"])
def test_gzip_body(build, encoding):
    assert b"".join(iter_body(build(gzip.compress(LINES), encoding=encoding))) == LINES


def test_deflate_body():
    assert b"".join(iter_body(streamed(zlib.compress(LINES), encoding="deflate"))) == LINES


def test_multi_member_gzip_body():
    data = gzip.compress(LINES[:1000]) + gzip.compress(LINES[1000:])
    assert b"".join(iter_body(streamed(data, encoding="gzip", size=7))) == LINES


def test_empty_gzip_body_is_empty():
    assert b"".join(iter_body(streamed(b"", encoding="gzip"))) == b""


@pytest.mark.parametrize("build", [streamed, in_memory])
def test_gzip_cut_before_its_end_marker(build):
    data = gzip.compress(LINES)
    with pytest.raises(ExportTruncatedError, match="before its end marker"):
        b"".join(iter_body(build(data[: len(data) // 2], encoding="gzip")))


def test_second_gzip_member_cut():
    data = gzip.compress(LINES[:1000]) + gzip.compress(LINES[1000:])
    with pytest.raises(ExportTruncatedError):
        b"".join(iter_body(streamed(data[:-4], encoding="gzip")))


def test_corrupt_gzip():
    data = bytearray(gzip.compress(LINES))
    data[20:40] = b"\xff" * 20
    with pytest.raises(ExportTruncatedError, match="corrupt"):
        b"".join(iter_body(streamed(bytes(data), encoding="gzip")))


def _drain(body: Iterator[bytes], received: bytearray) -> None:
    """Collect into ``received`` what arrives before the body fails."""
    for chunk in body:
        received.extend(chunk)


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadTimeout("timed out"),
    ],
)
def test_transport_fault_mid_body(fault):
    received = bytearray()
    body = iter_body(streamed(LINES, fault=fault))
    with pytest.raises(ExportTruncatedError) as info:
        _drain(body, received)
    assert bytes(received) == LINES
    assert info.value.endpoint == "/api/2.0/export"
    assert type(fault).__name__ in str(info.value)


def test_transport_fault_mid_gzip_body():
    data = gzip.compress(LINES)
    with pytest.raises(ExportTruncatedError):
        b"".join(iter_body(streamed(data[:100], encoding="gzip", fault=httpx.ReadError("reset"))))
