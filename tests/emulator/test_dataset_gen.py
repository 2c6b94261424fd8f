"""The synthetic dataset: determinism, shape, realism, and every hard case planted."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import subprocess
import sys
from collections import Counter, defaultdict
from typing import Any

import orjson
import pytest

from mixpanel_data.emulator._dataset import DEMO_CONFIG, Dataset
from mixpanel_data.emulator._dataset_types import DatasetConfig, HardCases
from mixpanel_data.exceptions import ValidationError

DAY_MS = 86_400_000
EPOCH = dt.date(1970, 1, 1)
SMALL = DatasetConfig(seed=7, start=dt.date(2024, 3, 1), days=6, events_per_day=300, users=120)


def day_start(day: dt.date) -> int:
    return (day - EPOCH).days * DAY_MS


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return Dataset.demo()


@pytest.fixture(scope="module")
def demo_events(demo: Dataset) -> list[tuple[dt.date, dict[str, Any]]]:
    return [(day, event) for day, events in demo.iter_days() for event in events]


# -- determinism ---------------------------------------------------------------------------


def test_same_config_gives_identical_bytes() -> None:
    a, b = Dataset.generate(SMALL), Dataset.generate(SMALL)
    for day in SMALL.start, SMALL.end:
        assert a.export_lines(day, time_in_ms=True) == b.export_lines(day, time_in_ms=True)
        assert a.export_lines(day, time_in_ms=False) == b.export_lines(day, time_in_ms=False)


def test_another_seed_gives_other_data() -> None:
    a = Dataset.generate(SMALL)
    b = Dataset.generate(DatasetConfig(**{**SMALL.__dict__, "seed": 8}))
    assert a.export_lines(SMALL.start, time_in_ms=True) != b.export_lines(
        SMALL.start, time_in_ms=True
    )


def test_bytes_do_not_depend_on_the_hash_seed(demo: Dataset) -> None:
    # Set iteration order changes with PYTHONHASHSEED; the data must not.
    code = (
        "import hashlib; from mixpanel_data.emulator._dataset import Dataset; ds = Dataset.demo();"
        "print(hashlib.sha256(b''.join(ds.export_lines(d, time_in_ms=True) for d in ds.days[:3])"
        " + repr(ds.profiles[:20]).encode()).hexdigest())"
    )
    here = hashlib.sha256(
        b"".join(demo.export_lines(d, time_in_ms=True) for d in demo.days[:3])
        + repr(demo.profiles[:20]).encode()
    ).hexdigest()
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == here


def test_a_day_does_not_depend_on_which_days_came_before() -> None:
    whole = Dataset.generate(SMALL)
    for day in whole.days:
        whole.events_for_day(day)
    alone = Dataset.generate(SMALL)
    last = SMALL.end
    assert alone.export_lines(last, time_in_ms=True) == whole.export_lines(last, time_in_ms=True)


def test_an_evicted_day_comes_back_identical() -> None:
    ds = Dataset.generate(SMALL, cache_events=1)
    first = ds.export_lines(SMALL.start, time_in_ms=True)
    ds.events_for_day(SMALL.end)  # evicts the first day
    assert ds.export_lines(SMALL.start, time_in_ms=True) == first


# -- days and time -------------------------------------------------------------------------


def test_days_cover_the_period(demo: Dataset) -> None:
    assert demo.days == tuple(
        DEMO_CONFIG.start + dt.timedelta(days=i) for i in range(DEMO_CONFIG.days)
    )
    assert demo.days[-1] == dt.date(2024, 5, 31)
    assert demo.events_for_day(dt.date(2024, 6, 1)) == []
    assert demo.export_lines(dt.date(2024, 6, 1), time_in_ms=False) == b""


def test_every_event_lies_in_its_export_day(demo_events: list[tuple[dt.date, dict]]) -> None:
    for day, event in demo_events:
        assert day_start(day) <= event["properties"]["time"] < day_start(day) + DAY_MS


def test_every_day_has_events_at_both_boundaries(demo: Dataset) -> None:
    for day, events in demo.iter_days():
        times = {e["properties"]["time"] - day_start(day) for e in events}
        assert {0, DAY_MS - 1} <= times


def test_export_renders_seconds_unless_time_in_ms(demo: Dataset) -> None:
    day = demo.days[3]
    events = demo.events_for_day(day)
    ms_lines = demo.export_lines(day, time_in_ms=True).split(b"\n")
    s_lines = demo.export_lines(day, time_in_ms=False).split(b"\n")
    assert ms_lines[-1] == s_lines[-1] == b""  # every line ends with \n
    for event, ms_line, s_line in zip(events, ms_lines, s_lines, strict=False):
        in_ms, in_s = orjson.loads(ms_line), orjson.loads(s_line)
        assert in_ms == event
        assert in_s["properties"]["time"] == event["properties"]["time"] // 1000
        assert in_s["properties"]["mp_processing_time_ms"] == in_ms["properties"].get(
            "mp_processing_time_ms"
        )
        assert list(in_s["properties"]) == list(in_ms["properties"])


def test_export_lines_split_only_on_newline(demo: Dataset) -> None:
    # U+2028/U+2029 are raw inside JSON strings: str.splitlines() would cut those lines.
    for day in demo.days:
        body = demo.export_lines(day, time_in_ms=True)
        lines = body.split(b"\n")[:-1]
        assert len(lines) == len(demo.events_for_day(day))
        if "\u2028" in body.decode():
            assert len(body.decode().splitlines()) > len(lines)
            return
    pytest.fail("no U+2028 in the demo export")


# -- realism -------------------------------------------------------------------------------


def test_event_frequencies_are_skewed(demo_events: list[tuple[dt.date, dict]]) -> None:
    counts = Counter(e["event"] for _, e in demo_events)
    assert counts.most_common(1)[0][0] == "Page View"
    assert len([n for n in counts if not n.startswith("$")]) >= 20
    assert counts["Page View"] > 10 * counts["Purchase"] > 0
    assert counts["View Item"] > counts["Add to Cart"] > counts["Checkout Started"]
    assert counts["Checkout Started"] > counts["Purchase"]


def test_volume_follows_events_per_day(demo: Dataset) -> None:
    total = sum(len(events) for _, events in demo.iter_days())
    assert 0.9 < total / (DEMO_CONFIG.events_per_day * DEMO_CONFIG.days) < 1.15


def test_onboarding_forms_an_ordered_funnel(demo_events: list[tuple[dt.date, dict]]) -> None:
    steps = ("Sign Up", "Onboarding Started", "Profile Completed", "Onboarding Finished")
    first: dict[str, dict[str, int]] = defaultdict(dict)
    for _, e in demo_events:
        if e["event"] in steps:
            p = e["properties"]
            first[e["event"]].setdefault(p["distinct_id"], p["time"])
    users = [set(first[s]) for s in steps]
    assert len(users[0]) > len(users[1]) > len(users[2]) > len(users[3]) > 0
    for earlier, later in itertools.pairwise(steps):
        assert set(first[later]) <= set(first[earlier])
        assert all(first[earlier][u] < first[later][u] for u in first[later])


def test_users_sign_up_once_and_only_act_from_then_on(
    demo_events: list[tuple[dt.date, dict]],
) -> None:
    signups: dict[str, set[int]] = defaultdict(set)
    first_seen: dict[str, int] = {}
    for _, e in demo_events:
        p = e["properties"]
        if did := p.get("distinct_id"):
            first_seen[did] = min(first_seen.get(did, p["time"]), p["time"])
            if e["event"] == "Sign Up":
                signups[did].add(p["time"])
    assert len(signups) > 300
    assert all(len(times) == 1 for times in signups.values())  # copies share the time
    # Only the anonymous page views of the sign-up visit come before the sign-up itself.
    for did, (signed_up,) in signups.items():
        assert signed_up - first_seen[did] < 3_600_000


def test_retention_decays(demo_events: list[tuple[dt.date, dict]]) -> None:
    signup: dict[str, dt.date] = {}
    active: dict[str, set[dt.date]] = defaultdict(set)
    for day, e in demo_events:
        did = e["properties"].get("distinct_id")
        if did:
            active[did].add(day)
            if e["event"] == "Sign Up":
                signup.setdefault(did, day)
    cohort = [u for u, d in signup.items() if d <= DEMO_CONFIG.start + dt.timedelta(days=15)]

    def retained(offset: int) -> float:
        back = sum(1 for u in cohort if signup[u] + dt.timedelta(days=offset) in active[u])
        return back / len(cohort)

    assert len(cohort) > 100
    assert retained(1) > retained(7) > 0.02
    assert retained(1) > 0.2


def test_properties_hold_every_json_type(demo_events: list[tuple[dt.date, dict]]) -> None:
    seen: set[str] = set()
    for _, e in demo_events[:20_000]:
        for value in e["properties"].values():
            if value is None:
                seen.add("null")
            elif isinstance(value, bool):
                seen.add("bool")
            elif isinstance(value, int):
                seen.add("int")
            elif isinstance(value, float):
                seen.add("float")
            elif isinstance(value, str):
                seen.add("str")
            elif isinstance(value, dict):
                seen.add("object")
            elif isinstance(value, list):
                seen.add("list")
                if value and all(isinstance(v, dict) for v in value):
                    seen.add("list of objects")
    assert seen == {"null", "bool", "int", "float", "str", "object", "list", "list of objects"}


def test_default_properties_are_present(demo_events: list[tuple[dt.date, dict]]) -> None:
    keys: Counter[str] = Counter()
    for _, e in demo_events:
        keys.update(e["properties"].keys())
    for key in (
        "$browser", "$os", "$city", "$region", "mp_country_code", "$device_id", "$user_id",
        "$current_url", "$referrer", "utm_source", "utm_medium", "utm_campaign", "mp_lib",
        "$lib_version", "$insert_id", "mp_processing_time_ms", "time", "distinct_id",
    ):  # fmt: skip
        assert keys[key] > 0, key


def test_purchases_carry_amount_and_currency(demo_events: list[tuple[dt.date, dict]]) -> None:
    purchases = [e["properties"] for _, e in demo_events if e["event"] == "Purchase"]
    assert purchases
    assert all(isinstance(p["amount"], float) for p in purchases)
    assert {p["currency"] for p in purchases} >= {"USD", "EUR"}


# -- hard cases ----------------------------------------------------------------------------


def test_duplicates_share_the_dedup_key_and_differ_in_processing_time(
    demo_events: list[tuple[dt.date, dict]],
) -> None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for _, e in demo_events:
        p = e["properties"]
        if "$insert_id" in p:
            groups[(e["event"], p.get("distinct_id"), p["time"], p["$insert_id"])].append(p)
    dups = [g for g in groups.values() if len(g) > 1]
    assert dups
    assert all(len({p["mp_processing_time_ms"] for p in g}) == len(g) for g in dups)

    def rest(p: dict) -> dict:
        return {k: v for k, v in p.items() if k != "mp_processing_time_ms"}

    assert any(rest(g[0]) == rest(g[1]) for g in dups)  # exact copies
    assert any(rest(g[0]) != rest(g[1]) for g in dups)  # the later copy changed


def test_insert_id_missing_and_reused(demo_events: list[tuple[dt.date, dict]]) -> None:
    assert any("$insert_id" not in e["properties"] for _, e in demo_events)
    owners: dict[str, set[tuple]] = defaultdict(set)
    for _, e in demo_events:
        p = e["properties"]
        if "$insert_id" in p:
            owners[p["$insert_id"]].add((e["event"], p.get("distinct_id"), p["time"]))
    assert any(len(o) > 1 for o in owners.values())


def test_distinct_id_empty_and_missing(demo_events: list[tuple[dt.date, dict]]) -> None:
    assert any(e["properties"].get("distinct_id") == "" for _, e in demo_events)
    assert any(
        "distinct_id" not in e["properties"] and not e["event"].startswith("$")
        for _, e in demo_events
    )


def test_a_property_changes_type_across_days(demo_events: list[tuple[dt.date, dict]]) -> None:
    types: dict[str, set[dt.date]] = defaultdict(set)
    for day, e in demo_events:
        if "build" in e["properties"]:
            types[type(e["properties"]["build"]).__name__].add(day)
    assert set(types) == {"int", "str", "float"}
    assert types["int"].isdisjoint(types["str"])
    prices = {type(e["properties"]["price"]) for _, e in demo_events if "price" in e["properties"]}
    assert prices == {float, str}


def test_odd_property_names(demo_events: list[tuple[dt.date, dict]]) -> None:
    odd = [e["properties"] for _, e in demo_events if "$score" in e["properties"]]
    assert odd
    keys = set(odd[0])
    assert {"$score", "score", "Plan", "plan", "item.sku", "Item Name", 'say "hi"', "back\\slash",
            "prénom", "名前", "event", "properties", "insert_id", "_fetched_at"} <= keys  # fmt: skip
    assert any(len(k) == 300 for k in keys)


def test_strings_with_line_separators(demo_events: list[tuple[dt.date, dict]]) -> None:
    text = "".join(
        v for _, e in demo_events for v in e["properties"].values() if isinstance(v, str)
    )
    assert "\n" in text
    assert "\u2028" in text
    assert "\u2029" in text


def test_late_events(demo_events: list[tuple[dt.date, dict]]) -> None:
    lags = [
        p["mp_processing_time_ms"] - p["time"]
        for _, e in demo_events
        if "mp_processing_time_ms" in (p := e["properties"])
    ]
    assert any(lag > DAY_MS for lag in lags)
    assert min(lags) > 0
    assert sorted(lags)[len(lags) // 2] < 10_000  # most are processed within seconds


def test_hot_shard_rewrite(demo_events: list[tuple[dt.date, dict]]) -> None:
    rewritten = [e["properties"] for _, e in demo_events if e["event"] == "$hotshard_events"]
    records = [e["properties"] for _, e in demo_events if e["event"] == "$hotshard_record"]
    assert rewritten
    assert len(records) == 1
    bot = records[0]["hotshard_distinct_id"]
    assert all(p["distinct_id"] == "" for p in rewritten)
    assert all(p["mp_original_distinct_id"] == bot for p in rewritten)
    assert {p["mp_original_event_name"] for p in rewritten} <= {"Page View", "Search"}
    before = [e for _, e in demo_events if e["properties"].get("distinct_id") == bot]
    assert len(before) == HardCases().hot_shard_threshold
    assert max(e["properties"]["time"] for e in before) < min(p["time"] for p in rewritten)


def found_hard_cases(days: list[tuple[dt.date, list[dict[str, Any]]]]) -> set[str]:
    """The kinds of hard case present in a dataset's days, found by scanning."""
    found: set[str] = set()
    keys: dict[tuple, list[dict]] = defaultdict(list)
    owners: dict[str, set[tuple]] = defaultdict(set)
    build_types: set[type] = set()
    for day, events in days:
        start = day_start(day)
        for e in events:
            p = e["properties"]
            if "$insert_id" not in p:
                found.add("missing_insert_id")
            else:
                keys[(e["event"], p.get("distinct_id"), p["time"], p["$insert_id"])].append(p)
                owners[p["$insert_id"]].add((e["event"], p.get("distinct_id"), p["time"]))
            if p.get("distinct_id") == "":
                found.add("empty_distinct_id")
            if "distinct_id" not in p and not e["event"].startswith("$"):
                found.add("missing_distinct_id")
            if "$score" in p and "score" in p and "Plan" in p and "plan" in p:
                found.add("odd_names")
            if any(isinstance(v, str) and "\u2028" in v for v in p.values()):
                found.add("multiline")
            if p["mp_processing_time_ms"] - p["time"] > DAY_MS:
                found.add("late")
            if p["time"] - start in (0, DAY_MS - 1):
                found.add(f"boundary_{p['time'] - start}")
            if e["event"] == "$hotshard_events" and p["mp_original_distinct_id"]:
                found.add("hot_shard")
            if "build" in p:
                build_types.add(type(p["build"]))
    for group in keys.values():
        if len(group) > 1:
            found.add("duplicate")
    if any(len(o) > 1 for o in owners.values()):
        found.add("reused_insert_id")
    if len(build_types) > 1:
        found.add("type_drift")
    return found


ALL_HARD_CASES = {
    "missing_insert_id", "empty_distinct_id", "missing_distinct_id", "odd_names", "multiline",
    "late", "boundary_0", f"boundary_{DAY_MS - 1}", "hot_shard", "duplicate", "reused_insert_id",
    "type_drift",
}  # fmt: skip


def test_every_hard_case_is_in_the_demo(demo: Dataset) -> None:
    assert found_hard_cases(list(demo.iter_days())) == ALL_HARD_CASES


def test_every_hard_case_is_in_a_tiny_dataset() -> None:
    config = DatasetConfig(seed=99, start=dt.date(2024, 1, 1), days=4, events_per_day=60, users=40)
    ds = Dataset.generate(config)
    assert found_hard_cases(list(ds.iter_days())) == ALL_HARD_CASES


def test_one_hard_case_can_be_turned_off() -> None:
    rates = HardCases(duplicate_rate=0.0, hot_shard_days=0)
    ds = Dataset.generate(DatasetConfig(**{**SMALL.__dict__, "hard_cases": rates}))
    assert found_hard_cases(list(ds.iter_days())) == ALL_HARD_CASES - {"duplicate", "hot_shard"}


def test_no_hard_cases_gives_clean_data() -> None:
    config = DatasetConfig(**{**SMALL.__dict__, "hard_cases": False})
    ds = Dataset.generate(config)
    keys: Counter[tuple] = Counter()
    for _, events in ds.iter_days():
        for e in events:
            p = e["properties"]
            assert p.get("distinct_id")
            assert not e["event"].startswith("$")
            assert "$score" not in p
            assert p["mp_processing_time_ms"] - p["time"] < DAY_MS
            keys[(e["event"], p["distinct_id"], p["time"], p["$insert_id"])] += 1
    assert max(keys.values()) == 1
    assert found_hard_cases(list(ds.iter_days())) == set()
    assert len({type(e["properties"].get("build", 0)) for _, ev in ds.iter_days() for e in ev}) == 1


# -- profiles and saved objects -------------------------------------------------------------


def test_profiles_agree_with_events(demo: Dataset, demo_events: list[tuple[dt.date, dict]]) -> None:
    by_user: dict[str, list[int]] = defaultdict(list)
    for _, e in demo_events:
        if did := e["properties"].get("distinct_id"):
            by_user[did].append(e["properties"]["time"])
    profiles = {p["$distinct_id"]: p["$properties"] for p in demo.profiles}
    assert len(profiles) == len(demo.profiles) > 300
    assert set(profiles) <= set(by_user)
    top = sorted(by_user, key=lambda u: len(by_user[u]), reverse=True)[:50]
    assert sum(u in profiles for u in top) >= 40
    for did, props in profiles.items():
        last_seen = dt.datetime.fromisoformat(props["$last_seen"]).replace(tzinfo=dt.UTC)
        assert int(last_seen.timestamp()) in {t // 1000 for t in by_user[did]}
        assert props["$created"] <= props["$last_seen"]
        for key in ("$email", "$name", "$first_name", "$last_name", "$city", "$region",
                    "$country_code", "$timezone", "plan"):  # fmt: skip
            assert isinstance(props[key], str), key
        assert isinstance(props["ltv"], float)
        assert isinstance(props["tags"], list)


def test_saved_cohorts_members_come_from_the_data(
    demo: Dataset, demo_events: list[tuple[dt.date, dict]]
) -> None:
    purchasers = {
        e["properties"]["distinct_id"]
        for _, e in demo_events
        if e["event"] == "Purchase" and e["properties"].get("distinct_id")
    }
    everyone = {e["properties"].get("distinct_id") for _, e in demo_events}
    cohorts = {c.name: c for c in demo.saved_cohorts}
    assert cohorts["Purchasers"].members == purchasers
    for cohort in demo.saved_cohorts:
        assert cohort.count == len(cohort.members) > 0
        assert cohort.members <= everyone | {p["$distinct_id"] for p in demo.profiles}
        assert cohort.is_visible in (0, 1)
        assert dt.datetime.strptime(cohort.created, "%Y-%m-%d %H:%M:%S")
        assert cohort.project_id == demo.project_id
    assert demo.cohort(1000) is cohorts["Purchasers"]
    assert demo.cohort(1) is None


def test_saved_funnels_and_bookmarks_name_real_events(
    demo: Dataset, demo_events: list[tuple[dt.date, dict]]
) -> None:
    names = {e["event"] for _, e in demo_events}
    assert demo.saved_funnels
    for funnel in demo.saved_funnels:
        assert set(funnel.steps) <= names
        assert len(funnel.step_where) == len(funnel.steps)
        assert demo.funnel(funnel.funnel_id) is funnel
    for bookmark in demo.bookmarks:
        assert set(bookmark.events) <= names
        assert demo.days[0] <= bookmark.from_date <= bookmark.to_date <= demo.days[-1]
        assert demo.bookmark(bookmark.id) is bookmark


# -- legacy time zone ----------------------------------------------------------------------


def test_legacy_projects_store_local_time() -> None:
    config = DatasetConfig(
        seed=3, start=dt.date(2024, 3, 9), days=3, events_per_day=200, users=80,
        timezone="America/Los_Angeles", legacy_timezone=True,
    )  # fmt: skip
    ds = Dataset.generate(config)
    offsets = set()
    lags = []
    for day, events in ds.iter_days():
        to_utc = ds.to_utc(day)
        for e in events:
            p = e["properties"]
            assert day_start(day) <= p["time"] < day_start(day) + DAY_MS
            offsets.add(to_utc(p["time"]) - p["time"])
            lags.append(p["mp_processing_time_ms"] - to_utc(p["time"]))
    # mp_processing_time_ms is true UTC: it trails the true event instant, not the local one.
    assert min(lags) > 0
    assert sorted(lags)[len(lags) // 2] < 10_000
    # PST is UTC-8, PDT (from 2024-03-10 02:00) UTC-7: stored local time lags UTC.
    assert offsets == {8 * 3_600_000, 7 * 3_600_000}


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"days": 0}, {"users": 0}, {"events_per_day": -1}, {"timezone": "Mars/Base"},
     {"project_id": 0}],
)  # fmt: skip
def test_bad_config_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        DatasetConfig(**kwargs)


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValidationError, match="duplicate_rate"):
        HardCases(duplicate_rate=2.0)


def test_hard_cases_flag_is_normalised() -> None:
    assert DatasetConfig(hard_cases=True).rates == HardCases()
    assert DatasetConfig(hard_cases=False).rates == HardCases.none()
