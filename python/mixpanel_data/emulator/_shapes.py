"""Mixpanel's wire shapes for the report results computed by ``mixpanel_data.analytics``.

The quirks are deliberate, because clients meet them in real answers (Mixpanel docs,
query.openapi.yaml examples):

- ``series`` (segmentation, /events, /events/properties) is not sorted: the spec's own
  example lists ``2011-08-08, 2011-08-09, 2011-08-06, 2011-08-07``. The emulator rotates the
  sorted buckets by half, the same way every time;
- a date without data is missing from its value map (a client reads it as 0);
- whole-number sums go out as integers (the spec types them integer), fractional ones as
  floats;
- Insights keys are ISO timestamps with the project's UTC offset.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mixpanel_data.emulator._wire import Reply, json_reply

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mixpanel_data.analytics import Series

__all__ = [
    "iso_local",
    "number",
    "series_reply",
    "unsorted",
]


def unsorted(dates: Sequence[str]) -> list[str]:
    """Every bucket, in Mixpanel's unsorted order (the sorted list rotated by half)."""
    half = len(dates) // 2
    return [*dates[half:], *dates[:half]]


def number(value: Any) -> Any:
    """A whole float as an int; other values unchanged (``None`` stays ``None``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def series_reply(series: Series, *, csv_format: bool = False) -> Reply:
    """``{"data": {"series": [...], "values": {...}}, "legend_size": N}``, or CSV.

    ``legend_size`` is the number of keys in ``values`` (the spec calls it "List of all
    dates", which is wrong; the examples count the series).
    """
    values = series.values()
    if csv_format:
        return _csv(series.dates, values)
    return json_reply(
        {
            "data": {"series": unsorted(series.dates), "values": values},
            "legend_size": len(values),
        }
    )


def _csv(dates: Sequence[str], values: dict[str, dict[str, int | float]]) -> Reply:
    # Mixpanel does not document its CSV layout; the emulator answers one row per
    # (date, series) with a header, dates ascending, series in rank order (a design choice).
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "series", "value"])
    for date in dates:
        for name, cells in values.items():
            writer.writerow([date, name, cells.get(date, 0)])
    return Reply(status=200, body=out.getvalue().encode(), content_type="text/csv; charset=utf-8")


def iso_local(key: str, timezone: str) -> str:
    """A ``yyyy-mm-dd`` (or ``yyyy-mm-dd HH:MM:SS``) bucket key as ISO with the zone's offset."""
    moment = dt.datetime.fromisoformat(key)
    return moment.replace(tzinfo=ZoneInfo(timezone)).isoformat()
