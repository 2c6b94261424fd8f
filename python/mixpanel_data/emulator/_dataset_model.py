"""The user base behind the synthetic dataset, decided once from the seed.

Each user gets, up front, a sign-up day, an engagement level that decays with age (so
retention curves are real), an intensity (how many events a visit holds), a place, a device
and a plan. Whether a user visits on a given day, when the visit starts and how many events it
holds are drawn from a per-day random stream, so any day can be generated on its own and the
same day always comes out the same; profiles are derived from those same draws, so every
profile agrees with the events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mixpanel_data.emulator._dataset_pools import (
    BROWSERS,
    CAMPAIGNS,
    DESKTOP_OS,
    DIURNAL_WEIGHTS,
    FIRST_NAMES,
    LAST_NAMES,
    MOBILE_MODELS,
    PLACES,
    PLANS,
    REFERRERS,
    TAGS,
    WEEKDAY_FACTORS,
)
from mixpanel_data.emulator._dataset_types import check_timezone

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from mixpanel_data.emulator._dataset_types import DatasetConfig

__all__ = [
    "DAY_MS",
    "EPOCH",
    "UserModel",
    "UserState",
    "Visit",
    "iso_utc",
    "stable_int",
    "stored_to_utc",
    "utc_offset_ms",
]

DAY_MS = 86_400_000
EPOCH = dt.datetime(1970, 1, 1)
# Share of the user base that signed up before the period starts (they come back less).
_PREEXISTING_SHARE = 0.35
_SIGNUP_EVENTS = 5.0
_SIGNUP_EVENT_SHARE = 0.5
_PREEXISTING_MAX_AGE_DAYS = 120
# Identified users have a $user_id and a profile; the rest stay anonymous ($device: ids).
_IDENTIFIED_SHARE = 0.92
_CORE_SHARE = 0.06
# Fewer events per visit than this on average and the visit probabilities are scaled down,
# so a small events_per_day with a large user base still gives multi-event sessions.
_MIN_EVENTS_PER_VISIT = 4.0
_ASCII_FOLD = str.maketrans({"Ł": "L", "ł": "l", "ø": "o", "Ø": "O", "ı": "i", "'": ""})
_DIURNAL_TOTAL = sum(DIURNAL_WEIGHTS)


def stable_int(*parts: object) -> int:
    """Return a 64-bit integer hash of ``parts`` that is the same in every process."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def iso_utc(epoch_ms: int) -> str:
    """Format epoch milliseconds as Mixpanel's profile date string ``YYYY-MM-DDTHH:MM:SS``."""
    return (EPOCH + dt.timedelta(milliseconds=epoch_ms)).strftime("%Y-%m-%dT%H:%M:%S")


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    return folded.encode("ascii", "ignore").decode().lower().replace(" ", "")


@dataclass(slots=True)
class UserState:
    """One member of the user base and the constant part of their events."""

    index: int
    distinct_id: str
    device_id: str
    identified: bool
    signup: int  # day index relative to the start; negative = before the period
    engagement: float
    floor: float
    tau: float
    intensity: float
    utc_offset: int
    platform: str  # "web" | "iOS" | "Android"
    base: dict[str, Any]  # default properties every event of this user carries
    base_anonymous: dict[str, Any]  # the same before they identified (no $user_id)
    profile: dict[str, Any]  # the profile properties that do not depend on activity
    created_ms: int  # sign-up instant (UTC ms) for users who signed up before the period


@dataclass(frozen=True, slots=True)
class Visit:
    """A user's activity on one day: when it starts (ms into the day) and how many events."""

    user: UserState
    start: int
    budget: int
    signup: bool


class UserModel:
    """The user base of one :class:`DatasetConfig`, plus the per-day activity draws."""

    def __init__(self, config: DatasetConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.zone: ZoneInfo = check_timezone(config.timezone)
        self.day0_ms = (config.start - EPOCH.date()).days * DAY_MS
        # Sign-up visits hold ~5 events each; keep them to about half of all events, so a
        # large user base over a small event volume signs up fewer users during the period.
        budget = _SIGNUP_EVENT_SHARE * config.events_per_day * config.days / _SIGNUP_EVENTS
        self.signup_share = min(1.0 - _PREEXISTING_SHARE, budget / config.users)
        rng = random.Random(f"{config.seed}:users")
        self.users: list[UserState] = [self._make_user(rng, i) for i in range(config.users)]
        self.activity_scale = self._activity_scale()

    # -- the user base ---------------------------------------------------------------------

    def _make_user(self, rng: random.Random, index: int) -> UserState:
        cfg = self.config
        if rng.random() >= self.signup_share:
            signup = -rng.randint(1, _PREEXISTING_MAX_AGE_DAYS)
        else:
            signup = rng.randrange(cfg.days)
        identified = rng.random() < _IDENTIFIED_SHARE
        device_id = _uuid(rng)
        distinct_id = f"u_{rng.getrandbits(40):010x}" if identified else f"$device:{device_id}"
        place = _weighted_place(rng)
        city, region, country, tz_name, offset, _ = place
        roll = rng.random()
        platform = "web" if roll < 0.62 else ("iOS" if roll < 0.84 else "Android")
        base = self._base_properties(rng, platform, city, region, country, device_id)
        if identified:
            base["$user_id"] = distinct_id
        base = dict(sorted(base.items()))
        anonymous = {k: v for k, v in base.items() if k != "$user_id"}
        first = FIRST_NAMES[int(rng.random() * len(FIRST_NAMES))]
        last = LAST_NAMES[int(rng.random() * len(LAST_NAMES))]
        plan = PLANS[int(rng.random() * len(PLANS))]
        ltv = 0.0 if plan == "free" else round(rng.lognormvariate(4.5, 0.9), 2)
        if plan == "free" and rng.random() < 0.3:
            ltv = round(rng.uniform(5, 80), 2)
        tags = sorted({TAGS[int(rng.random() * len(TAGS))] for _ in range(rng.randrange(4))})
        profile: dict[str, Any] = {
            "$email": f"{_ascii(first)}.{_ascii(last)}{index}@example.com",
            "$name": f"{first} {last}",
            "$first_name": first,
            "$last_name": last,
            "$city": city,
            "$region": region,
            "$country_code": country,
            "$timezone": tz_name,
            "plan": plan,
            "ltv": ltv,
            "tags": tags,
        }
        if rng.random() < 0.25:
            profile["$phone"] = f"+1-555-{rng.randrange(10_000):04d}"
        if plan in ("pro", "enterprise"):
            profile["company"] = {"name": f"{last} & Co", "seats": rng.randrange(2, 200)}
        created_ms = self.day0_ms + signup * DAY_MS + rng.randrange(DAY_MS)
        # A small core of loyal users comes back most days (the "power users").
        core = rng.random() < _CORE_SHARE
        return UserState(
            index=index,
            distinct_id=distinct_id,
            device_id=device_id,
            identified=identified,
            signup=signup,
            engagement=0.92 if core else min(0.95, 0.08 + rng.betavariate(1.4, 2.6)),
            floor=0.8 if core else (0.0 if rng.random() < 0.2 else rng.uniform(0.15, 0.55)),
            tau=rng.uniform(2.0, 9.0),
            intensity=rng.lognormvariate(0.0, 0.7),
            utc_offset=offset,
            platform=platform,
            base=base,
            base_anonymous=anonymous,
            profile=profile,
            created_ms=created_ms,
        )

    @staticmethod
    def _base_properties(
        rng: random.Random, platform: str, city: str, region: str, country: str, device: str
    ) -> dict[str, Any]:
        # Mixpanel docs (default-properties): ingestion adds $city/$region/mp_country_code
        # from the IP; the SDK adds mp_lib, $lib_version, $os, and per platform the rest.
        props: dict[str, Any] = {
            "$city": city,
            "$region": region,
            "mp_country_code": country,
            "$device_id": device,
        }
        if platform == "web":
            referrer = REFERRERS[int(rng.random() * len(REFERRERS))]
            domain = "$direct" if referrer == "$direct" else referrer.split("/")[2]
            props |= {
                "$browser": BROWSERS[int(rng.random() * len(BROWSERS))],
                "$browser_version": rng.choice((118, 119, 120, 121, 122)),
                "$os": DESKTOP_OS[int(rng.random() * len(DESKTOP_OS))],
                "$screen_height": rng.choice((768, 900, 1080, 1440)),
                "$screen_width": rng.choice((1366, 1440, 1920, 2560)),
                "$initial_referrer": referrer,
                "$initial_referring_domain": domain,
                "$referrer": referrer,
                "mp_lib": "web",
                "$lib_version": "2.55.1",
            }
            if rng.random() < 0.4:
                source, medium, campaign = CAMPAIGNS[int(rng.random() * len(CAMPAIGNS))]
                props |= {"utm_source": source, "utm_medium": medium, "utm_campaign": campaign}
        else:
            models = MOBILE_MODELS[platform]
            props |= {
                "$os": platform,
                "$os_version": "17.4" if platform == "iOS" else "14",
                "$model": models[int(rng.random() * len(models))],
                "$manufacturer": "Apple" if platform == "iOS" else "Google",
                "$app_version_string": rng.choice(("3.2.0", "3.2.1", "3.3.0")),
                "$wifi": rng.random() < 0.7,
                "mp_lib": "swift" if platform == "iOS" else "android",
                "$lib_version": "4.2.0" if platform == "iOS" else "7.4.1",
            }
        return props

    def _activity_scale(self) -> float:
        """Scale visit odds down when the user base is large for the events per day."""
        cfg = self.config
        if cfg.events_per_day == 0:
            return 1.0
        samples = sorted({0, cfg.days // 3, (2 * cfg.days) // 3, cfg.days - 1})
        expected = sum(sum(self._visit_odds(u, i, 1.0) for u in self.users) for i in samples) / len(
            samples
        )
        if expected <= 0:
            return 1.0
        return min(1.0, cfg.events_per_day / (_MIN_EVENTS_PER_VISIT * expected))

    @staticmethod
    def _visit_odds(user: UserState, day_index: int, scale: float) -> float:
        age = day_index - user.signup
        if age < 0:
            return 0.0
        if age == 0:
            return 1.0
        decay = user.floor + (1.0 - user.floor) * math.exp(-age / user.tau)
        return scale * user.engagement * decay

    # -- days ------------------------------------------------------------------------------

    def day_start_ms(self, day_index: int) -> int:
        """The epoch ms of the day's first instant, as stored in ``time`` (UTC or wall)."""
        return self.day0_ms + day_index * DAY_MS

    def window_offset_hours(self, day_index: int) -> int:
        """Hours the export day is shifted from UTC (0 unless the project is legacy)."""
        if not self.config.legacy_timezone:
            return 0
        off = self.utc_offset_ms(self.day_start_ms(day_index))
        return round(off / 3_600_000)

    def utc_offset_ms(self, wall_ms: int) -> int:
        """The project zone's UTC offset (ms) at a local wall-clock time."""
        return utc_offset_ms(self.zone, wall_ms)

    def utc_shift(self, day_index: int) -> int | None:
        """The constant ms to subtract from that day's stored ``time`` to get UTC, or
        ``None`` when the project zone changes its offset during the day (DST)."""
        if not self.config.legacy_timezone:
            return 0
        start = self.day_start_ms(day_index)
        first = self.utc_offset_ms(start)
        return first if first == self.utc_offset_ms(start + DAY_MS - 1) else None

    def to_utc(self, day_index: int) -> Callable[[int], int]:
        """Return a function from a stored ``time`` of that day to true UTC ms."""
        return stored_to_utc(
            self.zone if self.config.legacy_timezone else None, self.day_start_ms(day_index)
        )

    def visits(self, day_index: int) -> list[Visit]:
        """Who is active on that day, from when, with how many events; deterministic."""
        cfg = self.config
        if cfg.events_per_day == 0:
            return []
        rng = random.Random(f"{self.seed}:{day_index}:activity")
        day = cfg.start + dt.timedelta(days=day_index)
        weekday = WEEKDAY_FACTORS[day.weekday()]
        scale = self.activity_scale * (0.85 + 0.15 * weekday)
        active: list[UserState] = []
        for user in self.users:
            odds = self._visit_odds(user, day_index, scale)
            if odds > 0.0 and (odds >= 1.0 or rng.random() < odds):
                active.append(user)
        if not active:
            return []
        target = cfg.events_per_day * weekday
        total = sum(u.intensity for u in active)
        shift = self.window_offset_hours(day_index)
        visits = []
        for user in active:
            hour = (_diurnal_hour(rng) - user.utc_offset + shift) % 24
            start = min(max(hour * 3_600_000 + rng.randrange(3_600_000), 1), DAY_MS - 2)
            budget = max(1, int(target * user.intensity / total + rng.random()))
            visits.append(Visit(user, start, budget, user.signup == day_index))
        return visits

    def profiles(self) -> list[dict[str, Any]]:
        """Engage results for identified users seen in the period, in user order.

        ``$created`` is the sign-up instant (the first event of the sign-up visit when that
        falls in the period) and ``$last_seen`` the start of the user's last visit.
        """
        first_seen: dict[int, int] = {}
        last_seen: dict[int, int] = {}
        created: dict[int, int] = {}
        for day_index in range(self.config.days):
            to_utc = self.to_utc(day_index)
            start = self.day_start_ms(day_index)
            for visit in self.visits(day_index):
                idx = visit.user.index
                instant = to_utc(start + visit.start)
                first_seen.setdefault(idx, instant)
                last_seen[idx] = instant
                if visit.signup:
                    created[idx] = instant
        results = []
        for user in self.users:
            if not user.identified or user.index not in first_seen:
                continue
            props = {
                "$created": iso_utc(created.get(user.index, user.created_ms)),
                "$last_seen": iso_utc(last_seen[user.index]),
                **user.profile,
            }
            results.append({"$distinct_id": user.distinct_id, "$properties": props})
        return results


def utc_offset_ms(zone: ZoneInfo, wall_ms: int) -> int:
    """The UTC offset (ms) of ``zone`` at a local wall-clock time given as epoch-like ms."""
    local = (EPOCH + dt.timedelta(milliseconds=wall_ms)).replace(tzinfo=zone)
    offset = local.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() * 1000)


def stored_to_utc(zone: ZoneInfo | None, day_start_ms: int) -> Callable[[int], int]:
    """Return a function from a stored ``time`` (ms) on the day starting at ``day_start_ms``
    to true UTC ms.

    Legacy projects (created before 2023) store ``time`` shifted into the project time zone
    (Mixpanel docs: managing-projects, export-methods); pass their ``zone``. Newer projects
    store UTC: pass ``None`` and get the identity.
    """
    if zone is None:
        return _identity
    first = utc_offset_ms(zone, day_start_ms)
    if first == utc_offset_ms(zone, day_start_ms + DAY_MS - 1):
        return lambda ms: ms - first
    return lambda ms: ms - utc_offset_ms(zone, ms)


def _identity(ms: int) -> int:
    return ms


def _weighted_place(rng: random.Random) -> tuple[str, str, str, str, int, int]:
    total = sum(p[5] for p in PLACES)
    pick = rng.random() * total
    for place in PLACES:
        pick -= place[5]
        if pick < 0:
            return place
    return PLACES[-1]


def _diurnal_hour(rng: random.Random) -> int:
    pick = rng.random() * _DIURNAL_TOTAL
    for hour, weight in enumerate(DIURNAL_WEIGHTS):
        pick -= weight
        if pick < 0:
            return hour
    return 23
