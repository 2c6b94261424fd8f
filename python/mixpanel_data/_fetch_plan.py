"""Planning a fetch before any request: which days, which chunks, within which budget.

Export days are days in the project's *export* time zone: UTC for projects created from
2023 on, the project's own time zone for older ones (Mixpanel docs, raw-event-export and
managing-projects). "Today" is taken in that zone too: Mixpanel refuses a ``to_date`` later
than today.

A day an earlier fetch completed with the same filters (or with no filter at all, which
covers any filtered fetch of that day) is skipped, so re-running an interrupted fetch
downloads only what is missing. A day whose completed fetch started before the day was
over holds only part of it: it is fetched again. So is a day fetched less than ``late_days``
after its end (:data:`LATE_DAYS` by default): mobile SDKs queue events offline and Mixpanel
accepts them up to 5 days late (Mixpanel docs, import-events: ``/track`` takes events up to
5 days old), so such a day may still grow. Re-fetching it is safe: rows are deduplicated.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mixpanel_data._fetch_runner import Chunk
from mixpanel_data.exceptions import ConfigError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from mixpanel_data._credentials import Credentials
    from mixpanel_data.api import RateBudget

__all__ = [
    "LATE_DAYS",
    "DayPlan",
    "day_end_utc",
    "describe_budget",
    "estimate_seconds",
    "event_filters",
    "export_zone",
    "plan_days",
]

LATE_DAYS = 5
"""Days after its end during which a fetched day is fetched again (late events may arrive)."""


def export_zone(credentials: Credentials) -> ZoneInfo:
    """The zone export days are counted in: the project's for legacy projects, else UTC.

    Raises
    ------
    ConfigError
        For a time zone name that is not an IANA zone.
    """
    name = credentials.timezone if credentials.legacy_timezone else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"the account's time zone {name!r} is not a known IANA time zone",
            hint="set the project's time zone as a name such as America/Los_Angeles",
        ) from exc


def day_end_utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant at which ``day`` ends in ``zone`` (naive UTC, like stored times)."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return midnight.astimezone(dt.UTC).replace(tzinfo=None)


def event_filters(
    events: Sequence[str] | None, where: str | None, limit: int | None
) -> dict[str, str]:
    """The filters of an events fetch, as recorded in the fetch log.

    Event names are sorted and de-duplicated, so ``--event A --event B`` and
    ``--event B --event A`` are the same fetch. Unset filters are left out: an unfiltered
    fetch has ``{}``.
    """
    filters: dict[str, str] = {}
    if events is not None:
        import orjson

        filters["events"] = orjson.dumps(sorted(set(events))).decode()
    if where is not None:
        filters["where"] = where
    if limit is not None:
        filters["limit"] = str(limit)
    return filters


class DayPlan:
    """The days of a range: those to fetch and those an earlier fetch completed.

    Attributes
    ----------
    days
        Every day of the range.
    to_fetch
        The days to request, ascending.
    skipped
        The days already complete.
    chunks
        The requests: one per day, or one for the whole range with ``limit``.
    refreshed
        The days to fetch again although an earlier fetch completed them, because it ran
        less than ``late_days`` after the day ended (late events may have arrived since).
    """

    def __init__(
        self,
        days: list[dt.date],
        to_fetch: list[dt.date],
        skipped: list[dt.date],
        chunks: list[Chunk],
        refreshed: list[dt.date] | None = None,
    ) -> None:
        self.days = days
        self.to_fetch = to_fetch
        self.skipped = skipped
        self.chunks = chunks
        self.refreshed = refreshed or []


def plan_days(
    from_date: dt.date,
    to_date: dt.date,
    *,
    today: dt.date,
    completed: Mapping[dt.date, dt.datetime | None] | Iterable[dt.date] = (),
    zone: ZoneInfo | None = None,
    single_chunk: bool = False,
    late_days: int = LATE_DAYS,
) -> DayPlan:
    """Split a range into the chunks to fetch.

    Parameters
    ----------
    from_date, to_date
        The inclusive range.
    today
        Today in the export zone; later days are refused.
    completed
        Days an earlier fetch completed: a mapping to when that fetch happened (UTC,
        naive) or just the days. A day fetched before it was over is not complete.
    zone
        The export zone (to know when a day is over); UTC by default.
    single_chunk
        One request for the whole range (a ``limit`` applies to a request, not a day).
    late_days
        A day counts as complete only if it was fetched at least this many days after it
        ended (late events may still arrive before); ``0`` trusts any fetch made after
        the day was over.

    Raises
    ------
    ValidationError
        For a backwards range or a range reaching past today.
    """
    if to_date < from_date:
        raise ValidationError(
            f"the range is backwards: --to {to_date} is before --from {from_date}",
            hint="pass the earlier day with --from",
        )
    if to_date > today:
        raise ValidationError(
            f"--to {to_date} is after today ({today}) in the project's export time zone",
            hint="Mixpanel refuses days that have not started; pass --to today or earlier",
        )
    zone = zone or ZoneInfo("UTC")
    days = [from_date + dt.timedelta(days=i) for i in range((to_date - from_date).days + 1)]
    done = _complete_days(completed, zone, dt.timedelta(days=late_days))
    ended = _complete_days(completed, zone, dt.timedelta(0))
    if single_chunk:
        whole = Chunk(from_date, to_date)
        if all(day in done for day in days):
            return DayPlan(days, [], days, [])
        refreshed = [day for day in days if day in ended and day not in done]
        return DayPlan(days, days, [], [whole], refreshed)
    to_fetch = [day for day in days if day not in done]
    skipped = [day for day in days if day in done]
    refreshed = [day for day in to_fetch if day in ended]
    return DayPlan(days, to_fetch, skipped, [Chunk(day, day) for day in to_fetch], refreshed)


def _complete_days(
    completed: Mapping[dt.date, dt.datetime | None] | Iterable[dt.date],
    zone: ZoneInfo,
    settle: dt.timedelta,
) -> set[dt.date]:
    if not hasattr(completed, "items"):
        return set(completed)
    done: set[dt.date] = set()
    for day, fetched_at in completed.items():
        if fetched_at is None or fetched_at >= day_end_utc(day, zone) + settle:
            done.add(day)
    return done


def describe_budget(budget: RateBudget) -> str:
    """``60/hour, 3/s, 100 concurrent`` (or ``unlimited``)."""
    parts = []
    if budget.per_hour is not None:
        parts.append(f"{budget.per_hour}/hour")
    if budget.per_second is not None:
        parts.append(f"{budget.per_second}/s")
    if budget.concurrent is not None:
        parts.append(f"{budget.concurrent} concurrent")
    return ", ".join(parts) if parts else "unlimited"


def estimate_seconds(requests: int, budget: RateBudget) -> float:
    """The least time ``requests`` take under ``budget``, starting from idle windows.

    Only waiting is counted: the first ``per_hour`` requests start at once, each further
    batch of ``per_hour`` waits an hour (and likewise per second). Download time comes on
    top.
    """
    if requests <= 0:
        return 0.0
    waits = [0.0]
    if budget.per_hour is not None:
        waits.append(math.floor((requests - 1) / budget.per_hour) * 3600.0)
    if budget.per_second is not None:
        waits.append(math.floor((requests - 1) / budget.per_second) * 1.0)
    return max(waits)
