"""Split an NDJSON byte stream into complete lines, in blocks, and detect truncated exports.

The Raw Event Export API streams one JSON object per line, separated by ``\\n`` only. The
splitter works on bytes, never on decoded text: a UTF-8 multi-byte sequence never contains the
byte ``0x0A``, so cutting after a ``\\n`` can never split a character, and U+2028/U+2029 (which
``str.splitlines`` would treat as line breaks) are left alone inside their strings.

A ``200`` export can end early: Mixpanel cuts the last record and writes ``terminated early``
(older forms: a line ``export terminated early``, or ``[terminated early]``) where the next
record would be, with nothing failing at the transport level (Mixpanel docs, raw-data-export-api;
the same check is what Mixpanel's own mixpanel-utils does). The only reliable test is that the
last non-blank line parses as a JSON object; :func:`iter_line_blocks` holds one block back until
the stream has ended, so a cut record is always reported as a truncation, never as a malformed
line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from mixpanel_data.exceptions import ExportTruncatedError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_BATCH_LINES",
    "LineBlock",
    "LineSplitter",
    "check_last_line",
    "iter_line_blocks",
    "split_lines",
]

DEFAULT_BATCH_LINES = 50_000
DEFAULT_BATCH_BYTES = 64 * 1024 * 1024
_EXCERPT = 120
_BLANK = b" \t\r\n"


def _excerpt(line: bytes) -> str:
    text = line.decode("utf-8", errors="replace").strip()
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


@dataclass(frozen=True, slots=True)
class LineBlock:
    """A run of complete NDJSON lines cut from a stream.

    Attributes
    ----------
    data
        The lines, each ending with ``\\n`` (only the stream's very last line may lack it).
        Blank lines are kept so that line numbers stay those of the stream.
    first_line
        1-based number, in the whole stream, of the first line of ``data``.
    lines
        Number of lines in ``data``, blank ones included.
    """

    data: bytes
    first_line: int
    lines: int


class LineSplitter:
    """Incremental splitter: feed byte chunks, get back only complete lines.

    Examples
    --------
    >>> s = LineSplitter()
    >>> s.feed(b'{"a": 1}\\n{"b"')
    b'{"a": 1}\\n'
    >>> s.feed(b": 2}\\n")
    b'{"b": 2}\\n'
    >>> s.finish()
    b''
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._last_line = b""
        self.bytes_seen = 0
        """Bytes fed so far."""

    def feed(self, chunk: bytes) -> bytes:
        """Add ``chunk``; return the complete lines it finishes (``b""`` if none)."""
        self.bytes_seen += len(chunk)
        cut = chunk.rfind(b"\n")
        if cut < 0:
            self._pending += chunk
            return b""
        if self._pending:
            self._pending += chunk[: cut + 1]
            out = bytes(self._pending)
            self._pending = bytearray(chunk[cut + 1 :])
        else:
            out = chunk[: cut + 1]
            self._pending = bytearray(chunk[cut + 1 :])
        self._remember_last(out)
        return out

    def _remember_last(self, block: bytes) -> None:
        end = len(block.rstrip(_BLANK))
        if end == 0:
            return
        start = block.rfind(b"\n", 0, end) + 1
        self._last_line = block[start:end]

    def finish(self) -> bytes:
        """End the stream: return its unterminated last line (or ``b""``).

        Raises
        ------
        ExportTruncatedError
            When the last non-blank line of the stream is not a JSON object: the export was cut
            short (``terminated early``) and the whole request must be retried.
        """
        tail = bytes(self._pending)
        self._pending = bytearray()
        if tail.strip(_BLANK):
            self._last_line = tail.strip(_BLANK)
        check_last_line(self._last_line)
        return tail


def check_last_line(line: bytes) -> None:
    """Raise :class:`ExportTruncatedError` unless ``line`` (the last non-blank line) is complete.

    An empty ``line`` means an empty export (Mixpanel answers ``200`` with no body when no event
    matches), which is complete.
    """
    if not line:
        return
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        return
    marker = b"terminated early" in line.lower()
    reason = "Mixpanel ended it with 'terminated early'" if marker else "its last record is cut"
    raise ExportTruncatedError(
        f"the export stream is incomplete: {reason} (last line: {_excerpt(line)!r})",
        hint="nothing of this request was stored; retry it",
    )


def split_lines(data: bytes) -> list[bytes]:
    """Return the lines of ``data`` without their ``\\n`` (a final empty piece is dropped)."""
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def _nth_newline(data: bytes, n: int) -> int:
    """Return the index of the ``n``-th ``\\n`` (1-based) in ``data``; ``n`` must not exceed the count."""
    pos = -1
    for _ in range(n):
        pos = data.index(b"\n", pos + 1)
    return pos


def _cut(data: bytes, batch_lines: int, batch_bytes: int) -> tuple[bytes, bytes, int]:
    """Cut a head of at most ``batch_lines`` lines and about ``batch_bytes`` bytes off ``data``."""
    if len(data) >= batch_bytes:
        end = data.rfind(b"\n", 0, batch_bytes) + 1
        if end == 0:  # a single line longer than batch_bytes: take it whole
            end = data.index(b"\n") + 1
        head = data[:end]
        count = head.count(b"\n")
        if count > batch_lines:
            end = _nth_newline(head, batch_lines) + 1
            count = batch_lines
    else:
        end = _nth_newline(data, batch_lines) + 1
        count = batch_lines
    return data[:end], data[end:], count


def iter_line_blocks(
    chunks: Iterable[bytes],
    *,
    batch_lines: int = DEFAULT_BATCH_LINES,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
) -> Iterator[LineBlock]:
    """Group a byte stream into blocks of complete lines, checking the stream is complete.

    Each block holds ``batch_lines`` lines (the last one fewer) and at most about
    ``batch_bytes`` bytes, so memory is bounded by the batch whatever the chunking. One block is
    held back until the stream ends (or the next block is full), so a truncated export raises
    :class:`ExportTruncatedError` before its damaged tail reaches a decoder.

    Parameters
    ----------
    chunks
        The response body in chunks of any size (as they come off a gzip-decoding stream).
    batch_lines
        Lines per block.
    batch_bytes
        Soft cap on a block's size in bytes (a single longer line still makes one block).

    Yields
    ------
    LineBlock
        Blocks in stream order. An empty export yields nothing.

    Raises
    ------
    ExportTruncatedError
        At the end of the stream, when its last non-blank line is not a JSON object.
    """
    if batch_lines < 1 or batch_bytes < 1:
        raise ValueError("batch_lines and batch_bytes must be positive")
    splitter = LineSplitter()
    parts: list[bytes] = []
    size = 0
    count = 0
    next_line = 1
    held: LineBlock | None = None

    def emit(data: bytes, lines: int) -> LineBlock:
        nonlocal next_line
        block = LineBlock(data=data, first_line=next_line, lines=lines)
        next_line += lines
        return block

    for chunk in chunks:
        complete = splitter.feed(chunk)
        if not complete:
            continue
        parts.append(complete)
        size += len(complete)
        count += complete.count(b"\n")
        while count >= batch_lines or size >= batch_bytes:
            data = b"".join(parts)
            head, rest, head_count = _cut(data, batch_lines, batch_bytes)
            parts = [rest] if rest else []
            size = len(rest)
            count -= head_count
            if held is not None:
                yield held
            held = emit(head, head_count)
    tail = splitter.finish()
    data = b"".join(parts) + tail
    if held is not None:
        yield held
    if data:
        yield emit(data, data.count(b"\n") + (0 if data.endswith(b"\n") else 1))
