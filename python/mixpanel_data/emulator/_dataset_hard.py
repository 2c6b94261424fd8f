"""Plant the hard cases of real Mixpanel exports into one generated day.

Each case has a rate (a fraction of the day's events, see :class:`HardCases`) and an anchor
day derived from the seed; with ``guarantee`` on, the anchor day holds at least one instance,
so every enabled case shows up in any dataset. The cases draw from their own random stream,
so turning them on or off leaves the users' own events as they were.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from mixpanel_data.emulator._dataset_model import DAY_MS, stable_int
from mixpanel_data.emulator._dataset_pools import MULTILINE_STRINGS

if TYPE_CHECKING:
    from mixpanel_data.emulator._dataset_gen import DayGenerator

__all__ = ["HARD_CASE_KINDS", "anchor_day", "hot_shard_bot", "hot_shard_days", "odd_properties"]

HARD_CASE_KINDS: tuple[str, ...] = (
    "odd_names",
    "multiline",
    "missing_insert_id",
    "reused_insert_id",
    "late",
    "duplicate",
    "empty_distinct_id",
    "missing_distinct_id",
)

_LONG_NAME = ("a_very_long_property_name_" * 12)[:300]
_SERVER_LIB = {"mp_lib": "python", "$lib_version": "4.10.1"}


def anchor_day(seed: int, days: int, kind: str) -> int:
    """The day index on which a guaranteed instance of ``kind`` is planted."""
    return stable_int(seed, "anchor", kind) % days


def hot_shard_days(seed: int, days: int, count: int) -> frozenset[int]:
    """The day indexes that carry a hot-shard rewrite."""
    rng = random.Random(f"{seed}:hotshard")
    return frozenset(rng.sample(range(days), min(days, count)))


def hot_shard_bot(seed: int) -> str:
    """The distinct_id of the integration that floods one distinct_id on hot-shard days."""
    return f"load-test-{stable_int(seed, 'bot') % 16**6:06x}"


def odd_properties(rng: random.Random) -> dict[str, Any]:
    """Properties whose names trip up naive column mapping."""
    score = int(rng.random() * 100)
    return {
        "$score": score,  # a $-name beside the same plain name
        "score": score + 0.5,
        "Plan": "Pro",  # case collision (DuckDB identifiers are case-insensitive)
        "plan": "pro",
        "item.sku": "SKU-1001",  # a dot (looks like a JSON path)
        "Item Name": "Classic Runner",  # a space
        'say "hi"': 'she said "hi"',  # quotes
        "back\\slash": "C:\\temp\\new",  # a backslash
        "prénom": "Zoë",  # unicode
        "名前": "田中",
        "emoji 🎉": True,
        _LONG_NAME: 1,  # 300 characters
        # Names of the columns our events table adds beside the properties.
        "event": "shadow event",
        "properties": {"nested": True},
        "insert_id": "shadow-insert-id",
        "_fetched_at": "1999-12-31T23:59:59",
    }


def plant_hard_cases(gen: DayGenerator) -> None:
    """Mutate ``gen.events`` in place to hold the day's hard cases."""
    cfg = gen.model.config
    rates = cfg.rates
    rng = random.Random(f"{cfg.seed}:{gen.day_index}:hard")
    events = gen.events
    n = len(events)

    def count(kind: str, rate: float, minimum: int = 1) -> int:
        k = int(n * rate + rng.random()) if rate > 0 else 0
        if rates.guarantee and rate > 0 and gen.day_index == anchor_day(cfg.seed, cfg.days, kind):
            k = max(k, minimum)
        return k

    def sample(kind: str, rate: float, minimum: int = 1) -> list[dict[str, Any]]:
        k = min(count(kind, rate, minimum), n)
        return [events[i]["properties"] for i in rng.sample(range(n), k)]

    for props in sample("odd_names", rates.odd_names_rate):
        props.update(odd_properties(rng))
    for j, props in enumerate(sample("multiline", rates.multiline_rate)):
        pick = 0 if j == 0 else int(rng.random() * len(MULTILINE_STRINGS))
        props["note"] = MULTILINE_STRINGS[pick]
    for props in sample("missing_insert_id", rates.missing_insert_id_rate):
        # Mixpanel docs (event-deduplication): events sent without $insert_id are never
        # deduplicated; the export shows them without the key.
        props.pop("$insert_id", None)
    if n >= 2:
        for props in sample("reused_insert_id", rates.reused_insert_id_rate):
            donor = events[int(rng.random() * n)]["properties"]
            if donor is not props and "$insert_id" in donor:
                props["$insert_id"] = donor["$insert_id"]
    for props in sample("late", rates.late_rate):
        # Mobile SDKs queue events offline; they reach Mixpanel days after `time`.
        delay = (1 + int(rng.random() * rates.late_max_days)) * DAY_MS
        props["mp_processing_time_ms"] = (
            gen.to_utc(props["time"]) + delay + int(rng.random() * 3_600_000)
        )
    _plant_duplicates(gen, rng, count("duplicate", rates.duplicate_rate, 2))
    for _ in range(count("empty_distinct_id", rates.empty_distinct_id_rate)):
        _insert(events, rng, _server_event(gen, rng, distinct_id=""))
    for _ in range(count("missing_distinct_id", rates.missing_distinct_id_rate)):
        _insert(events, rng, _server_event(gen, rng, distinct_id=None))
    if rates.day_boundaries:
        _plant_boundaries(gen, rng)
    if gen.day_index in hot_shard_days(cfg.seed, cfg.days, rates.hot_shard_days):
        _plant_hot_shard(gen, rng)


def _insert(events: list[dict[str, Any]], rng: random.Random, event: dict[str, Any]) -> None:
    events.insert(int(rng.random() * (len(events) + 1)), event)


def _plant_duplicates(gen: DayGenerator, rng: random.Random, k: int) -> None:
    """Copies under the same dedup key, processed later; some with other properties changed.

    Mixpanel docs (event-deduplication): the key is (event, distinct_id, time, $insert_id)
    and reports show the most recently processed copy; the raw export shows every copy.
    """
    events = gen.events
    n = len(events)
    if n == 0:
        return
    for j, i in enumerate(rng.sample(range(n), min(k, n))):
        original = events[i]
        props = dict(original["properties"])
        props["mp_processing_time_ms"] += 1000 + int(rng.random() * 6 * 3_600_000)
        # The first two copies: one exact, one changed, so both kinds exist wherever k >= 2.
        changed = j == 1 if j < 2 else rng.random() < gen.rates.duplicate_changed_rate
        if changed and gen.rates.duplicate_changed_rate > 0:
            if "amount" in props:
                props["amount"] = round(props["amount"] * 0.9, 2)  # a corrected price
            else:
                props["$lib_version"] = "2.55.2"  # retried by an updated SDK
        _insert(events, rng, {"event": original["event"], "properties": props})


def _server_event(
    gen: DayGenerator, rng: random.Random, *, distinct_id: str | None
) -> dict[str, Any]:
    """A server-side event with ``distinct_id: ""`` or an old ``/track`` one without the key."""
    stored = gen.start + 1 + int(rng.random() * (DAY_MS - 2))
    props: dict[str, Any] = {"time": stored}
    if distinct_id is not None:
        props["distinct_id"] = distinct_id
    props["$insert_id"] = rng.randbytes(16).hex()
    props["mp_processing_time_ms"] = gen.to_utc(stored) + 400 + int(rng.random() * 2000)
    if distinct_id is None:
        props |= {
            "mp_lib": "web",
            "$lib_version": "2.30.0",
            "$browser": "Chrome",
            "$current_url": "https://shop.example.com/legacy",
            "mp_country_code": "US",
        }
        return {"event": "Page View", "properties": props}
    props |= _SERVER_LIB
    props |= {"notification_type": "weekly_digest", "batch_id": int(rng.random() * 10_000)}
    return {"event": "Notification Received", "properties": props}


def _plant_boundaries(gen: DayGenerator, rng: random.Random) -> None:
    """One event at exactly 00:00:00.000 and one at 23:59:59.999 of the export day."""
    # Someone who signed up before this day: a visit at midnight must not precede a sign-up.
    day = gen.day_index
    users = (
        [u for u in gen.visitors if u.signup < day]
        or [u for u in gen.model.users if u.signup < day]
        or gen.model.users
    )
    for t in (0, DAY_MS - 1):
        user = users[int(rng.random() * len(users))]
        custom = {
            "page_title": "Home",
            "load_time_ms": 200,
            "scroll_depth": 0.0,
            "is_logged_in": True,
        }
        _insert(gen.events, rng, gen.make_event(user, "Page View", t, custom))


def _plant_hot_shard(gen: DayGenerator, rng: random.Random) -> None:
    """A burst from one distinct_id past the (scaled-down) hot-shard limit.

    Mixpanel docs (hot-shard-limits): once a distinct_id passes the daily limit, its later
    events that day become ``$hotshard_events`` with ``distinct_id: ""`` and keep the
    originals in ``mp_original_event_name`` / ``mp_original_distinct_id``; a
    ``$hotshard_record`` event records the remediation.
    """
    rates = gen.rates
    bot = hot_shard_bot(gen.model.config.seed)
    threshold = rates.hot_shard_threshold
    total = threshold + max(3, threshold // 4)
    t = 1 + int(rng.random() * (DAY_MS - 4 * 3_600_000))
    block: list[dict[str, Any]] = []
    for j in range(total):
        t += 100 + int(rng.random() * 3000)
        stored = gen.start + t
        processed = gen.to_utc(stored) + 300 + int(rng.random() * 1000)
        insert_id = rng.randbytes(16).hex()
        name = "Search" if rng.random() < 0.3 else "Page View"
        if j == threshold:
            block.append(
                {
                    "event": "$hotshard_record",
                    "properties": {
                        "time": stored,
                        "$insert_id": rng.randbytes(16).hex(),
                        "mp_processing_time_ms": processed,
                        "hotshard_distinct_id": bot,
                    },
                }
            )
        if j < threshold:
            head: dict[str, Any] = {"time": stored, "distinct_id": bot}
            event = name
        else:
            head = {
                "time": stored,
                "distinct_id": "",
                "mp_original_event_name": name,
                "mp_original_distinct_id": bot,
            }
            event = "$hotshard_events"
        block.append(
            {
                "event": event,
                "properties": {
                    **head,
                    "$insert_id": insert_id,
                    "mp_processing_time_ms": processed,
                    **_SERVER_LIB,
                    "$city": "Ashburn",
                    "$region": "Virginia",
                    "mp_country_code": "US",
                },
            }
        )
    at = int(rng.random() * (len(gen.events) + 1))
    gen.events[at:at] = block
