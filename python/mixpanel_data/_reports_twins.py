"""What the local twin of a live report needs that the caller may not have said.

Mixpanel runs saved funnels and saved Insights reports by id without describing them, so
the local computation of a comparison takes their definition from the live answer: a
funnel's step events; an Insights report's events, dates, bucket unit and breakdown. The
conversion window of a saved funnel and the measure of an Insights report are not in the
answers: pass ``window`` / ``measure`` to match them (the local defaults are 7 days and
``count``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

from mixpanel_data._types_reports_flows import FunnelResult, InsightsResult

if TYPE_CHECKING:
    from mixpanel_data._types_reports import ReportResult

__all__ = ["infer_unit", "local_options"]


def infer_unit(keys: list[str], from_date: dt.date | None = None) -> str:
    """The bucket unit behind a report's bucket keys: hour, month, week or day.

    A week or month bucket starts on its Monday or first day, which can be before the
    report's first day: that tells them apart from days even with a single key.
    """
    if any(len(key) > 10 for key in keys):
        return "hour"
    days = sorted({dt.date.fromisoformat(key) for key in keys})
    if not days:
        return "day"
    gaps = {(b - a).days for a, b in itertools.pairwise(days)}
    early = from_date is not None and days[0] < from_date
    if all(day.day == 1 for day in days) and (min(gaps, default=0) >= 28 or early):
        return "month"
    if all(day.weekday() == 0 for day in days) and (gaps == {7} or (early and not gaps)):
        return "week"
    return "day"


def local_options(
    live: ReportResult, args: tuple[Any, ...], options: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments of the local run of a report whose live answer is ``live``."""
    opts = dict(options)
    if isinstance(live, FunnelResult):
        given = args[0] if args else opts.get("steps")
        if given is None:
            # A saved funnel's steps come from the live answer.
            args = args[1:]
            opts["steps"] = list(live.events)
    elif isinstance(live, InsightsResult):
        # Unset (None) options take the live answer's definition.
        learned = {
            "events": list(dict.fromkeys(row.labels[0] for row in live.rows if row.labels)),
            "from_date": live.from_date,
            "to_date": live.to_date,
            "by": infer_unit([row.date for row in live.rows], live.from_date),
            "group_by": live.headers[1] if len(live.headers) > 1 else None,
        }
        for name, value in learned.items():
            if opts.get(name) is None:
                opts[name] = value
    return args, opts
