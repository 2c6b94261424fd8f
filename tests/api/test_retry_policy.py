"""The retry policy's pure parts: Retry-After parsing and jittered backoff."""

from __future__ import annotations

import random
import types

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mixpanel_data.api
from mixpanel_data.api._retry import (
    backoff_delay,
    is_retryable_error,
    is_retryable_status,
    parse_retry_after,
    retry_delay,
)

NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("30", 30.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("inf", None),
        ("NaN", None),
        ("soon", None),
        ("Tue, 14 Nov 2023 22:14:00 GMT", 40.0),
        ("Tue, 14 Nov 2023 22:14:00", 40.0),  # no zone: HTTP dates are GMT
        ("Tue, 14 Nov 2023 23:14:00 +0100", 40.0),
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),  # in the past
        ("Fri, 01 Jan 2100 00:00:00 GMT", 4102444800.0 - NOW),
        ("Fri, 99 Foo 2100 00:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, wallclock=lambda: NOW) == expected


@pytest.mark.parametrize("status", [429, 500, 501, 502, 503, 504, 599])
def test_retryable_statuses(status):
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 402, 403, 404, 408, 409, 422, 600])
def test_not_retryable_statuses(status):
    assert not is_retryable_status(status)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ReadError("reset"), True),
        (httpx.RemoteProtocolError("closed"), True),
        (httpx.ConnectTimeout("slow"), True),
        (httpx.ProxyError("proxy"), True),
        (httpx.UnsupportedProtocol("ftp"), False),
        (httpx.LocalProtocolError("bad header"), False),
    ],
)
def test_retryable_transport_errors(exc, expected):
    assert is_retryable_error(exc) is expected


@given(retry_index=st.integers(0, 10_000), seed=st.integers(0, 2**32))
def test_backoff_bounds(retry_index, seed):
    base = min(2.0 ** min(retry_index, 32), 60.0)
    delay = backoff_delay(retry_index, random.Random(seed))
    assert base * 0.5 <= delay <= base


@given(
    retry_after=st.none() | st.floats(0, 1e12, allow_nan=False),
    retry_index=st.integers(0, 50),
    cap=st.floats(0, 1000, allow_nan=False),
)
def test_retry_delay_never_exceeds_the_cap(retry_after, retry_index, cap):
    delay = retry_delay(retry_after, retry_index, rng=random.Random(0), max_retry_after=cap)
    assert 0 <= delay <= cap
    if retry_after is not None:
        assert delay == min(retry_after, cap)


def test_api_public_surface_is_explicit_and_sorted():
    # Endpoint submodules (export, engage, reports) become package attributes once imported.
    public = {
        name
        for name, value in vars(mixpanel_data.api).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert mixpanel_data.api.__all__ == sorted(mixpanel_data.api.__all__)
    assert set(mixpanel_data.api.__all__) == public - {"annotations"}
