"""Wire shapes of the time-series endpoints, decoded into :class:`analytics.Series`.

Mixpanel docs (query.openapi.yaml): ``/segmentation``, ``/segmentation/numeric``,
``/events`` and ``/events/properties`` answer::

    {
        "data": {"series": ["2024-06-01", ...], "values": {"<segment>": {"<date>": 120}}},
        "legend_size": 1,
    }

``series`` is not sorted (the spec's own example lists 08-08, 08-09, 08-06, 08-07) and a
date without data may be missing from a segment's map (it means 0), so the decoder sorts the
buckets and keeps only the cells that are there. ``/segmentation/sum`` and
``/segmentation/average`` answer ``{"results": {"<date>": 5120.75}, "status": "ok"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from mixpanel_data.api._wire_common import bucket_key, convert

if TYPE_CHECKING:
    from mixpanel_data.analytics import Series

__all__ = ["decode_results", "decode_series"]


class _SeriesData(msgspec.Struct, frozen=True):
    series: list[str] = msgspec.field(default_factory=list)
    values: dict[str, dict[str, int | float | None]] = msgspec.field(default_factory=dict)


class _SeriesWire(msgspec.Struct, frozen=True):
    data: _SeriesData
    legend_size: int | None = None


class _ResultsWire(msgspec.Struct, frozen=True):
    results: dict[str, int | float | None] = msgspec.field(default_factory=dict)
    status: str | None = None
    computed_at: str | None = None


def _series(
    unit: str,
    dates: list[str],
    values: dict[str, dict[str, int | float | None]],
    *,
    floats: bool,
) -> Series:
    import polars

    from mixpanel_data.analytics import Series

    keys = {bucket_key(d) for d in dates}
    records: list[tuple[str, str, int | float]] = []
    for segment, cells in values.items():
        for date, value in cells.items():
            key = bucket_key(date)
            keys.add(key)
            if value is None:
                continue
            if not floats and isinstance(value, float) and value.is_integer():
                value = int(value)
            records.append((key, segment, value))
    value_type = polars.Float64 if floats else polars.Int64
    frame = polars.DataFrame(
        {
            "date": [r[0] for r in records],
            "segment": [r[1] for r in records],
            "value": [r[2] for r in records],
        },
        schema={"date": polars.String, "segment": polars.String, "value": value_type},
        strict=False,
    )
    return Series(unit=unit, dates=tuple(sorted(keys)), segments=tuple(values), frame=frame)


def decode_series(payload: object, *, endpoint: str, unit: str, floats: bool = False) -> Series:
    """Decode a ``{"data": {"series", "values"}}`` body.

    ``floats`` keeps the values as floats (averages); counts become integers.
    """
    wire = convert(payload, _SeriesWire, endpoint)
    return _series(unit, wire.data.series, wire.data.values, floats=floats)


def decode_results(payload: object, *, endpoint: str, unit: str, segment: str) -> Series:
    """Decode a ``{"results": {date: value}}`` body (sum, average) as one-segment series."""
    wire = convert(payload, _ResultsWire, endpoint)
    return _series(unit, [], {segment: dict(wire.results)}, floats=True)
