"""The emulator dataset's configuration and its saved objects (funnels, cohorts, bookmarks).

These are plain frozen dataclasses: the emulator server renders them into Mixpanel's wire
shapes (``/funnels/list``, ``/cohorts/list``, ``/insights``), and the analytics engine reads
their definitions to compute the reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mixpanel_data.exceptions import ValidationError

__all__ = [
    "Bookmark",
    "DatasetConfig",
    "HardCases",
    "LengthUnit",
    "SavedCohort",
    "SavedFunnel",
]

LengthUnit = Literal["day", "hour", "minute", "second"]


@dataclass(frozen=True)
class HardCases:
    """How often the generator plants each awkward case that real Mixpanel data contains.

    Rates are fractions of a day's events. With ``guarantee`` on, every enabled case appears at
    least once in the dataset (on one "anchor" day chosen from the seed), so even a small
    dataset exercises every code path.

    Parameters
    ----------
    duplicate_rate
        Extra exact copies under Mixpanel's dedup key (event, distinct_id, time, $insert_id),
        each processed later (a larger ``mp_processing_time_ms``).
    duplicate_changed_rate
        Fraction of those copies whose other properties also differ; the later-processed copy
        is the one Mixpanel's reports show.
    missing_insert_id_rate
        Events sent without ``$insert_id``.
    reused_insert_id_rate
        Events that carry the ``$insert_id`` of a different event.
    empty_distinct_id_rate
        Extra server-side events with ``distinct_id: ""`` (not attributable to a user).
    missing_distinct_id_rate
        Extra events with no ``distinct_id`` key at all (old ``/track`` data).
    odd_names_rate
        Events carrying the awkward property names (``$x`` beside ``x``, ``Plan``/``plan``,
        dots, spaces, quotes, backslash, unicode, a 300-character name, names of our columns).
    multiline_rate
        Events with a string holding ``\\n``, U+2028 and U+2029.
    late_rate
        Events processed days after they happened (``mp_processing_time_ms`` ≫ ``time``).
    late_max_days
        The most days an event can arrive late.
    type_drift
        ``build`` changes JSON type across days (int, string, float) and ``price`` is a string
        on one platform.
    day_boundaries
        Every day holds an event at exactly 00:00:00.000 and one at 23:59:59.999.
    hot_shard_days
        How many days carry a hot-shard rewrite (``$hotshard_events`` + ``$hotshard_record``).
    hot_shard_threshold
        Events one distinct_id may send on a day before the rewrite starts (Mixpanel's real
        limit is 200K; the emulator scales it down).
    guarantee
        Force at least one instance of every enabled case into the dataset.
    """

    duplicate_rate: float = 0.004
    duplicate_changed_rate: float = 0.5
    missing_insert_id_rate: float = 0.005
    reused_insert_id_rate: float = 0.001
    empty_distinct_id_rate: float = 0.002
    missing_distinct_id_rate: float = 0.001
    odd_names_rate: float = 0.001
    multiline_rate: float = 0.001
    late_rate: float = 0.003
    late_max_days: int = 5
    type_drift: bool = True
    day_boundaries: bool = True
    hot_shard_days: int = 1
    hot_shard_threshold: int = 40
    guarantee: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_rate") and not 0.0 <= value <= 1.0:
                raise ValidationError(
                    f"HardCases.{f.name} is {value!r}, not a fraction",
                    hint="give a rate between 0.0 and 1.0",
                )
        if self.late_max_days < 1:
            raise ValidationError(
                f"HardCases.late_max_days is {self.late_max_days}", hint="give 1 or more days"
            )
        if self.hot_shard_days < 0 or self.hot_shard_threshold < 1:
            raise ValidationError(
                "HardCases.hot_shard_days must be >= 0 and hot_shard_threshold >= 1",
                hint="use hot_shard_days=0 to turn the hot-shard rewrite off",
            )

    @classmethod
    def none(cls) -> HardCases:
        """Return rates that plant no hard case at all (clean, well-formed data)."""
        return cls(
            duplicate_rate=0.0,
            duplicate_changed_rate=0.0,
            missing_insert_id_rate=0.0,
            reused_insert_id_rate=0.0,
            empty_distinct_id_rate=0.0,
            missing_distinct_id_rate=0.0,
            odd_names_rate=0.0,
            multiline_rate=0.0,
            late_rate=0.0,
            type_drift=False,
            day_boundaries=False,
            hot_shard_days=0,
            guarantee=False,
        )


@dataclass(frozen=True)
class DatasetConfig:
    """The knobs of the synthetic dataset; the same knobs always give byte-identical data.

    Parameters
    ----------
    seed
        Seeds every random choice. Another seed gives other data.
    start
        The first day of data.
    days
        How many consecutive days of data.
    events_per_day
        The target number of user events per day (weekdays a little above, weekends below;
        hard cases and sign-up sessions add a few). 0 leaves only the planted hard cases.
    users
        The size of the user base: some signed up before ``start``, the rest sign up during
        the period.
    project_id
        The project the data belongs to.
    timezone
        The project time zone (an IANA name). Query reports bucket days in it.
    legacy_timezone
        A project created before 2023: export days are days in ``timezone``, and the stored
        ``time`` is shifted into local time (Mixpanel docs: managing-projects, "Legacy time
        zone"). Otherwise export days are UTC days and ``time`` is UTC.
    hard_cases
        ``True`` for the default rates (:class:`HardCases`), ``False`` for none, or explicit
        rates. Always a :class:`HardCases` after construction.
    """

    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    days: int = 30
    events_per_day: int = 1000
    users: int = 500
    project_id: int = 1234567
    timezone: str = "UTC"
    legacy_timezone: bool = False
    hard_cases: HardCases | bool = field(default_factory=HardCases)

    def __post_init__(self) -> None:
        if isinstance(self.hard_cases, bool):
            rates = HardCases() if self.hard_cases else HardCases.none()
            object.__setattr__(self, "hard_cases", rates)
        if self.days < 1:
            raise ValidationError(f"DatasetConfig.days is {self.days}", hint="give 1 or more days")
        if self.events_per_day < 0:
            raise ValidationError(
                f"DatasetConfig.events_per_day is {self.events_per_day}", hint="give 0 or more"
            )
        if self.users < 1:
            raise ValidationError(
                f"DatasetConfig.users is {self.users}", hint="give 1 or more users"
            )
        if self.project_id < 1:
            raise ValidationError(
                f"DatasetConfig.project_id is {self.project_id}", hint="give a positive integer"
            )
        check_timezone(self.timezone)

    @property
    def rates(self) -> HardCases:
        """The hard-case rates (``hard_cases`` normalised to a :class:`HardCases`)."""
        assert isinstance(self.hard_cases, HardCases)  # normalised in __post_init__
        return self.hard_cases

    @property
    def end(self) -> dt.date:
        """The last day of data (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)


def check_timezone(name: str) -> ZoneInfo:
    """Return the zone named ``name``, or raise a :class:`ValidationError` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"unknown time zone {name!r}",
            hint="use an IANA name such as 'UTC' or 'America/Los_Angeles'",
        ) from exc


@dataclass(frozen=True)
class SavedFunnel:
    """A saved funnel, as ``/funnels/list`` lists it and ``/funnels`` computes it.

    ``steps`` are event names; ``step_where`` holds one optional segmentation expression per
    step (``None`` = no filter), the same length as ``steps``.
    """

    funnel_id: int
    name: str
    steps: tuple[str, ...]
    length: int = 14
    length_unit: LengthUnit = "day"
    step_where: tuple[str | None, ...] = ()

    def __post_init__(self) -> None:
        if not self.step_where:
            object.__setattr__(self, "step_where", (None,) * len(self.steps))
        if len(self.step_where) != len(self.steps):
            raise ValidationError(
                f"funnel {self.name!r}: {len(self.steps)} steps but "
                f"{len(self.step_where)} step filters",
                hint="give one filter (or None) per step",
            )


@dataclass(frozen=True)
class SavedCohort:
    """A saved cohort, as ``/cohorts/list`` lists it; ``members`` are distinct_ids.

    ``created`` is ``YYYY-MM-DD HH:MM:SS`` (a space, no zone) and ``is_visible`` is 0 or 1,
    as Mixpanel sends them.
    """

    id: int
    name: str
    description: str
    created: str
    is_visible: int
    project_id: int
    members: frozenset[str]

    @property
    def count(self) -> int:
        """The number of members (``count`` in ``/cohorts/list``)."""
        return len(self.members)


@dataclass(frozen=True)
class Bookmark:
    """A saved Insights report (``/insights?bookmark_id=``).

    ``type`` is ``general`` (total events) or ``unique`` (distinct users); ``unit`` buckets the
    series; ``breakdown`` is an event property to segment by, or ``None``.
    """

    id: int
    name: str
    events: tuple[str, ...]
    type: Literal["general", "unique"]
    unit: Literal["day", "week", "month"]
    from_date: dt.date
    to_date: dt.date
    breakdown: str | None = None
