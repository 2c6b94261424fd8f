"""The saved funnels, cohorts and Insights bookmarks a dataset's project holds.

Cohort members are not listed by hand: each cohort is a rule over the data (who purchased,
who was active on many days, who went quiet), evaluated by one scan of the events.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mixpanel_data.emulator._dataset_types import Bookmark, SavedCohort, SavedFunnel

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ActivitySummary",
    "generated_bookmarks",
    "generated_cohorts",
    "generated_funnels",
    "replay_bookmarks",
    "replay_cohorts",
    "summarize",
]


@dataclass
class ActivitySummary:
    """Per distinct_id: the event names done and the day indexes active (from one scan)."""

    days: tuple[dt.date, ...]
    names: dict[str, set[str]] = field(default_factory=dict)
    active_days: dict[str, set[int]] = field(default_factory=dict)
    event_counts: Counter[str] = field(default_factory=Counter)

    def did(self, event: str) -> frozenset[str]:
        """The distinct_ids that did ``event`` at least once."""
        return frozenset(d for d, names in self.names.items() if event in names)


def summarize(
    days: tuple[dt.date, ...], per_day: Iterable[list[dict[str, Any]]]
) -> ActivitySummary:
    """Scan every day's events once; events without a user (``""`` or no id) are skipped."""
    summary = ActivitySummary(days)
    names, active, counts = summary.names, summary.active_days, summary.event_counts
    for index, events in enumerate(per_day):
        for event in events:
            name = event["event"]
            counts[name] += 1
            did = event["properties"].get("distinct_id")
            if did is None or did == "":
                continue
            key = did if isinstance(did, str) else str(did)
            names.setdefault(key, set()).add(name)
            active.setdefault(key, set()).add(index)
    return summary


def _created(day: dt.date, hour: int) -> str:
    # /cohorts/list sends `created` as "YYYY-MM-DD HH:MM:SS": a space and no zone.
    return f"{day.isoformat()} {hour:02d}:{(hour * 7) % 60:02d}:{(hour * 13) % 60:02d}"


def generated_funnels() -> list[SavedFunnel]:
    """The saved funnels of the synthetic project."""
    return [
        SavedFunnel(
            funnel_id=7509,
            name="Signup funnel",
            steps=("Sign Up", "Onboarding Started", "Profile Completed", "Onboarding Finished"),
            length=7,
            length_unit="day",
        ),
        SavedFunnel(
            funnel_id=9070,
            name="Checkout",
            steps=("View Item", "Add to Cart", "Checkout Started", "Purchase"),
            length=1,
            length_unit="day",
        ),
        SavedFunnel(
            funnel_id=9071,
            name="Search to USD purchase",
            steps=("Search", "View Item", "Purchase"),
            length=2,
            length_unit="hour",
            step_where=(None, None, 'properties["currency"] == "USD"'),
        ),
    ]


def generated_bookmarks(first: dt.date, last: dt.date) -> list[Bookmark]:
    """The saved Insights reports of the synthetic project, over its period."""
    two_weeks = max(first, last - dt.timedelta(days=13))
    week = max(first, last - dt.timedelta(days=6))
    return [
        Bookmark(
            41001, "Sign-ups and logins", ("Sign Up", "Login"), "general", "day", two_weeks, last
        ),
        Bookmark(41002, "Weekly purchasers", ("Purchase",), "unique", "week", first, last),
        Bookmark(
            41003,
            "Page views by browser",
            ("Page View",),
            "general",
            "day",
            week,
            last,
            breakdown="$browser",
        ),
        Bookmark(
            41004, "Monthly active users", ("App Opened", "Login"), "unique", "month", first, last
        ),
    ]


def generated_cohorts(
    summary: ActivitySummary, profiles: list[dict[str, Any]], project_id: int
) -> list[SavedCohort]:
    """The saved cohorts of the synthetic project, their members derived from the data."""
    days = summary.days
    first = days[0]
    n = len(days)
    power_days = max(2, -(-n * 2 // 5))  # active on at least 40% of the days
    quiet = min(7, max(1, n // 3))  # churn risk: nothing in the last `quiet` days
    power = frozenset(d for d, active in summary.active_days.items() if len(active) >= power_days)
    churn = frozenset(d for d, active in summary.active_days.items() if max(active) < n - quiet)
    paying = frozenset(
        p["$distinct_id"]
        for p in profiles
        if p["$properties"].get("plan") in ("starter", "pro", "enterprise")
    )
    before = first - dt.timedelta(days=20)
    return [
        SavedCohort(
            1000,
            "Purchasers",
            "Made at least one purchase",
            _created(before, 9),
            1,
            project_id,
            summary.did("Purchase"),
        ),
        SavedCohort(
            1001,
            "Power users",
            f"Active on {power_days} or more days",
            _created(before, 10),
            1,
            project_id,
            power,
        ),
        SavedCohort(
            1002,
            "Churn risk",
            f"Seen, but not in the last {quiet} days",
            _created(before + dt.timedelta(days=3), 23),
            0,
            project_id,
            churn,
        ),
        SavedCohort(
            1003,
            "Onboarded",
            "",
            _created(before + dt.timedelta(days=5), 14),
            1,
            project_id,
            summary.did("Onboarding Finished"),
        ),
        SavedCohort(
            1004,
            "Paying plans",
            "Profiles on a paid plan",
            _created(before + dt.timedelta(days=8), 16),
            0,
            project_id,
            paying,
        ),
    ]


def replay_cohorts(summary: ActivitySummary, project_id: int) -> list[SavedCohort]:
    """Generic cohorts for replayed data: everyone seen, and those who came back."""
    if not summary.days:
        return []
    created = _created(summary.days[0], 9)
    everyone = frozenset(summary.active_days)
    returning = frozenset(d for d, active in summary.active_days.items() if len(active) >= 2)
    return [
        SavedCohort(1000, "Active users", "Did any event", created, 1, project_id, everyone),
        SavedCohort(
            1001, "Returning users", "Active on 2 or more days", created, 1, project_id, returning
        ),
    ]


def replay_bookmarks(summary: ActivitySummary) -> list[Bookmark]:
    """One bookmark for replayed data: the three most common events, per day."""
    if not summary.days:
        return []
    top = tuple(name for name, _ in summary.event_counts.most_common(3))
    return [Bookmark(41001, "Top events", top, "general", "day", summary.days[0], summary.days[-1])]
