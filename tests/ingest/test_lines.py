"""The line splitter: complete lines only, whatever the chunking; truncation detection."""

from __future__ import annotations

import itertools

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixpanel_data.exceptions import ExportTruncatedError
from mixpanel_data.ingest import LineSplitter, iter_line_blocks, split_lines

LINES = [
    orjson.dumps({"event": "a", "properties": {"time": 1, "city": "São Paulo"}}),
    orjson.dumps(
        {"event": "b", "properties": {"time": 2, "emoji": "🎉 done", "sep": "x\u2028y\u2029z"}}
    ),
    orjson.dumps({"event": "c", "properties": {"time": 3, "cjk": "東京", "esc": "line\nbreak"}}),
]
BODY = b"\n".join(LINES) + b"\n"


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def _lines_of(chunks: list[bytes], **kwargs: int) -> list[bytes]:
    out: list[bytes] = []
    for block in iter_line_blocks(chunks, **kwargs):
        out.extend(split_lines(block.data))
    return out


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=30))
def test_any_chunking_gives_the_same_lines(cuts: list[int]) -> None:
    assert _lines_of(_chunks(BODY, cuts)) == LINES


@settings(max_examples=100, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=30),
    batch_lines=st.integers(min_value=1, max_value=4),
)
def test_any_chunking_and_batch_size_numbers_lines_from_one(
    cuts: list[int], batch_lines: int
) -> None:
    blocks = list(iter_line_blocks(_chunks(BODY, cuts), batch_lines=batch_lines))
    assert [b.first_line for b in blocks] == [
        1 + sum(x.lines for x in blocks[:i]) for i in range(len(blocks))
    ]
    assert all(b.lines <= batch_lines for b in blocks)
    assert sum(b.lines for b in blocks) == 3


def test_a_cut_inside_a_multibyte_character_is_rejoined() -> None:
    cut = BODY.index("ã".encode()) + 1  # between the two bytes of 'ã'
    splitter = LineSplitter()
    assert splitter.feed(BODY[:cut]) == b""
    rest = splitter.feed(BODY[cut:])
    assert split_lines(rest) == LINES
    assert "São Paulo" in rest.decode()


def test_u2028_and_u2029_inside_strings_are_not_line_breaks() -> None:
    lines = split_lines(next(iter(iter_line_blocks([BODY]))).data)
    assert len(lines) == 3
    assert "x\u2028y\u2029z" in orjson.loads(lines[1])["properties"]["sep"]


def test_every_line_ending_in_newline_leaves_no_tail() -> None:
    splitter = LineSplitter()
    assert splitter.feed(BODY) == BODY
    assert splitter.finish() == b""


def test_a_last_line_without_newline_is_returned_at_the_end() -> None:
    splitter = LineSplitter()
    assert splitter.feed(BODY.rstrip(b"\n")) == b"\n".join(LINES[:2]) + b"\n"
    assert splitter.finish() == LINES[2]


def test_an_empty_body_is_a_complete_empty_export() -> None:
    assert list(iter_line_blocks([])) == []
    assert list(iter_line_blocks([b""])) == []


def test_blank_lines_are_kept_for_line_numbers() -> None:
    blocks = list(iter_line_blocks([b"\n" + LINES[0] + b"\n\n" + LINES[1] + b"\n"]))
    assert sum(b.lines for b in blocks) == 4
    assert [x for x in split_lines(blocks[0].data) if x] == LINES[:2]


@pytest.mark.parametrize(
    "tail",
    [
        b'{"event":"d","properties":{"time":4,"ci terminated early',
        b"terminated early",
        b"export terminated early\n",
        b"[terminated early]\n\n",
        b'{"event":"d","properties":{"time":4,"ci\nexport terminated early\n',
    ],
    ids=[
        "cut-then-marker",
        "bare-marker",
        "marker-line",
        "bracketed-marker",
        "cut-line-then-marker-line",
    ],
)
def test_terminated_early_tails_raise_truncation(tail: bytes) -> None:
    with pytest.raises(ExportTruncatedError, match="terminated early"):
        list(iter_line_blocks([BODY, tail], batch_lines=1))


def test_a_cut_last_record_without_marker_raises_truncation() -> None:
    with pytest.raises(ExportTruncatedError, match="last record is cut"):
        list(iter_line_blocks([BODY + b'{"event":"d","prop']))


def test_the_damaged_tail_never_reaches_the_consumer() -> None:
    body = BODY * 3 + b'{"event":"d","prop\nterminated early\n'
    seen: list[bytes] = []

    def consume() -> None:
        chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
        for block in iter_line_blocks(chunks, batch_lines=2):
            seen.extend(split_lines(block.data))

    with pytest.raises(ExportTruncatedError):
        consume()
    assert b"terminated early" not in b"".join(seen)
    assert all(orjson.loads(x) for x in seen)


def test_one_huge_chunk_is_cut_into_bounded_blocks() -> None:
    body = BODY * 1000
    blocks = list(iter_line_blocks([body], batch_lines=100, batch_bytes=4096))
    assert max(b.lines for b in blocks) <= 100
    assert max(len(b.data) for b in blocks) <= 4096
    assert b"".join(b.data for b in blocks) == body


def test_a_line_longer_than_the_byte_cap_makes_its_own_block() -> None:
    long = orjson.dumps({"event": "big", "properties": {"time": 1, "blob": "x" * 5000}}) + b"\n"
    blocks = list(iter_line_blocks([BODY + long + BODY], batch_bytes=1000))
    assert long in [b.data for b in blocks]


def test_batch_sizes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        list(iter_line_blocks([BODY], batch_lines=0))
