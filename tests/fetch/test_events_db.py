"""Acceptance: events fetched into DuckDB equal the deduplicated dataset, whatever happens.

Each test drives the emulator's dataset (hard cases) or its fault injection and compares the
stored table with the oracle: the dataset's export lines, deduplicated on Mixpanel's key with
the latest processed copy kept.
"""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import random
from zoneinfo import ZoneInfo

import httpx
import orjson
import polars as pl
import pytest

from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, DatasetConfig, Emulator
from mixpanel_data.exceptions import BadRequestError, ValidationError
from mixpanel_data.store._sql import quote_ident
from mixpanel_data.workspace import Workspace

START = dt.date(2024, 1, 1)


def dataset(**kwargs) -> Dataset:
    config = {"seed": 21, "start": START, "days": 3, "events_per_day": 80, "users": 25}
    config.update(kwargs)
    return Dataset.generate(DatasetConfig(**config))


@pytest.fixture(scope="module")
def hard() -> Dataset:
    return dataset()


@pytest.fixture(scope="module")
def fetched(hard, tmp_path_factory):
    """One workspace holding the whole `hard` dataset, for tests that only read it."""
    emulator = Emulator(hard)
    client = MixpanelClient(
        emulator.client_credentials(),
        transport=emulator.transport(),
        limits=RateLimits.unlimited(),
    )
    ws = Workspace(path=tmp_path_factory.mktemp("fetched") / "db.duckdb", client=client)
    result = ws.fetch_events(START, last_day(hard))
    yield ws, result
    ws.close()
    client.close()


def last_day(data: Dataset) -> dt.date:
    return data.days[-1]


def test_table_equals_deduplicated_dataset(hard, fetched, oracle, stored):
    ws, result = fetched
    expected = oracle(hard)
    assert stored(ws) == expected
    assert result.table_rows == len(expected)
    assert result.rows_received == result.rows_added + result.duplicates_dropped
    assert result.duplicates_dropped > 0  # the dataset plants duplicates


def test_refetch_is_idempotent_even_with_replace_and_filters(hard, make_ws, oracle, stored):
    ws = make_ws(Emulator(hard))
    ws.fetch_events(START, last_day(hard))
    again = ws.fetch_events(START, last_day(hard))
    assert (again.days_skipped, again.days_fetched) == (3, 0)
    names = sorted({row[0] for row in oracle(hard)})[:2]
    filtered = ws.fetch_events(START, last_day(hard), events=names)
    assert filtered.days_skipped == 3  # an unfiltered fetch covers any filtered one
    ws.fetch_events(START, last_day(hard), replace=True)
    assert stored(ws) == oracle(hard)


def test_different_event_filters_compose(hard, make_ws, oracle, stored):
    ws = make_ws(Emulator(hard))
    names = sorted({row[0] for row in oracle(hard)})
    first, rest = names[:3], names[3:]
    a = ws.fetch_events(START, last_day(hard), events=first)
    b = ws.fetch_events(START, last_day(hard), events=rest)
    assert (a.days_fetched, b.days_fetched) == (3, 3)
    assert stored(ws) == oracle(hard)


def test_missing_insert_id_gets_a_stable_id(hard, make_ws, fetched):
    ws, _ = fetched
    query = "SELECT insert_id FROM events WHERE insert_id LIKE 'mpd-%' ORDER BY 1"
    first = ws.database.fetchall(query)
    assert first, "the dataset plants events without $insert_id"
    other = make_ws(Emulator(hard), name="b")
    other.fetch_events(START, last_day(hard), workers=3)
    assert other.database.fetchall(query) == first


def test_same_insert_id_on_different_events_kept_apart(hard, fetched, oracle):
    rows = oracle(hard)
    by_id: dict[str, set[str]] = {}
    for event, _, _, insert_id, _, _ in rows:
        if insert_id is not None:
            by_id.setdefault(insert_id, set()).add(event)
    reused = {k for k, v in by_id.items() if len(v) > 1}
    assert reused, "the dataset plants reused insert ids"
    ws, _ = fetched
    stored_events = ws.database.fetchall(
        "SELECT insert_id, count(DISTINCT event) FROM events GROUP BY 1 HAVING count(DISTINCT event) > 1"
    )
    assert {k for k, _ in stored_events} == reused


def test_boundary_times_land_on_their_day(hard, fetched):
    ws, _ = fetched
    times = {t for (t,) in ws.database.fetchall("SELECT strftime(time, '%H:%M:%S.%g') FROM events")}
    assert "00:00:00.000" in times
    assert "23:59:59.999" in times
    per_day = ws.database.fetchall(
        "SELECT day, count(*) FROM _mp_fetch_log JOIN events ON time::DATE = day GROUP BY day"
    )
    assert len(per_day) == 3


def test_seconds_mode(make_ws, oracle, stored):
    data = dataset(days=2, events_per_day=40)
    ws = make_ws(Emulator(data))
    ws.fetch_events(START, last_day(data), time_in_ms=False)
    # Whole seconds only: each expected time truncated to the second (dedup keys change too,
    # so compare the sets of (event, second) pairs).
    expected = {(r[0], r[2] // 1000 * 1000) for r in oracle(data)}
    got = {(r[0], r[2]) for r in stored(ws)}
    assert got == expected
    log = ws.database.fetchall("SELECT DISTINCT filters FROM _mp_fetch_log")
    assert log == [('{"time_in_ms":"false"}',)]


def test_schema_drift_widens_columns(hard, fetched):
    ws, _ = fetched
    types = dict(
        ws.database.fetchall(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'events'"
        )
    )
    # `build` changes JSON type across days (int, string, float): the column holds them all.
    assert types["build"] == "VARCHAR"
    values = {
        v
        for (v,) in ws.database.fetchall(
            "SELECT DISTINCT build FROM events WHERE build IS NOT NULL"
        )
    }
    raw = {
        orjson.dumps(v).decode() if not isinstance(v, str) else v
        for (v,) in ws.database.fetchall(
            "SELECT DISTINCT properties->>'$.build' FROM events WHERE properties->>'$.build' IS NOT NULL"
        )
    }
    assert values == raw


def test_odd_and_colliding_names(fetched):
    ws, _ = fetched
    columns = ws.database.fetchall(
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'events'"
    )
    names = {name for name, _ in columns}
    assert {"event", "time", "distinct_id", "insert_id", "properties", "_fetched_at"} <= names
    # Every property column records the key it holds; every stored key has exactly one
    # column (Mixpanel's own time/distinct_id/$insert_id/mp_processing_time_ms feed the
    # top-level columns), however odd the name: `$x` beside `x`, `Plan`/`plan`, dots,
    # spaces, quotes, unicode, a 300-character name, names of our own columns.
    held = {orjson.loads(c)["mp_property"]: n for n, c in columns if c and c.startswith("{")}
    properties = [
        orjson.loads(text)
        for (text,) in ws.database.fetchall("SELECT properties::VARCHAR FROM events")
    ]
    keys = {k for p in properties for k in p}
    valued = {k for p in properties for k, v in p.items() if v is not None}
    reserved = {"time", "distinct_id", "$insert_id", "mp_processing_time_ms"}
    # A key only ever null gets no column (yet): its type is unknown.
    assert set(held) == {k for k in valued - reserved if k and "\x00" not in k}
    odd = {"$score", "score", "Plan", "plan", "item.sku", 'say "hi"', "back\\slash", "名前"}
    assert odd | {"event", "properties", "insert_id", "_fetched_at"} <= keys
    assert held["event"] == "prop_event"
    assert held["properties"] == "prop_properties"
    assert held["$score"] == "$score"
    assert held["score"] == "score"
    assert held["Plan"].lower() != held["plan"].lower()
    assert held["item.sku"] == "item.sku"
    # The public schema says which property each column holds (and None for ours).
    schema = ws.table_schema("events")
    assert {c.property: c.name for c in schema if c.property is not None} == held
    assert schema["event"].property is None
    assert schema.pl.filter(pl.col("name") == "prop_event")["property"].to_list() == ["event"]
    # Each column is null exactly where its key is absent or null.
    for key, column in held.items():
        pointer = "/" + key.replace("~", "~0").replace("/", "~1")
        (mismatches,) = ws.database.fetchall(
            f"SELECT count(*) FROM events WHERE ({quote_ident(column)} IS NULL) <> "
            "(json_extract(properties, ?) IS NULL OR json_extract(properties, ?)::VARCHAR = 'null')",
            [pointer, pointer],
        )[0]
        assert mismatches == 0, key


def test_strings_with_line_separators_survive(hard, fetched):
    ws, _ = fetched
    texts = [t for (t,) in ws.database.fetchall("SELECT properties::VARCHAR FROM events")]
    values = [v for t in texts for v in orjson.loads(t).values() if isinstance(v, str)]
    assert any("\n" in v for v in values)
    assert any("\u2028" in v for v in values)
    assert any("\u2029" in v for v in values)


def _fold_aware(rows, zone):
    """Rows with any time inside a repeated local hour replaced by that local time.

    A legacy project's export gives local wall-clock times; when DST ends, an hour of local
    times happens twice and cannot be mapped back to one instant. The store documents which
    occurrence it picks; the emulator's generator may have meant the other.
    """
    out = collections.Counter()
    for row in rows:
        local = dt.datetime.fromtimestamp(row[2] / 1000, tz=zone).replace(tzinfo=None)
        early = local.replace(fold=0, tzinfo=zone).utcoffset()
        late = local.replace(fold=1, tzinfo=zone).utcoffset()
        key = ("repeated hour", local.isoformat()) if early != late else row[2]
        out[(row[0], row[1], key, row[3], row[4], row[5])] += 1
    return out


@pytest.mark.parametrize("start", [dt.date(2024, 3, 9), dt.date(2024, 11, 2)])
def test_legacy_time_zone_dst_days(make_ws, oracle, stored, start):
    # Projects created before 2023 export local days with local times: 2024-03-10 (23 h) and
    # 2024-11-03 (25 h) in New York.
    zone = ZoneInfo("America/New_York")
    data = dataset(
        start=start,
        days=3,
        events_per_day=60,
        timezone="America/New_York",
        legacy_timezone=True,
    )
    ws = make_ws(Emulator(data))
    ws.fetch_events(start, last_day(data))
    got, expected = stored(ws), oracle(data)
    assert len(got) == len(expected)
    assert _fold_aware(got, zone) == _fold_aware(expected, zone)
    # Every day's rows are that local day's: the first and last stored times are the local
    # midnights of the range, in UTC.
    first = dt.datetime.combine(start, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last_day(data) + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    times = [r[2] for r in got]
    assert min(times) == int(first.timestamp() * 1000)
    assert max(times) == int(end.astimezone(dt.UTC).timestamp() * 1000) - 1


def test_empty_days(make_ws):
    data = dataset(days=3, events_per_day=0, hard_cases=False)
    ws = make_ws(Emulator(data))
    result = ws.fetch_events(START, last_day(data))
    assert (result.days_fetched, result.table_rows) == (3, 0)
    assert ws.database.fetchall("SELECT count(*) FROM _mp_fetch_log") == [(3,)]
    again = ws.fetch_events(START, last_day(data))
    assert again.days_skipped == 3
    assert ws.list_events().events == []


FAULTS = [
    "export:terminated_early(after=3000)@1",
    "export:terminated_early(after=0)@2",
    "export:malformed_line(line=5)@2",
    "export:reset_mid_body(after=2000)@1",
    "export:disconnect_mid_body(after=4000)@2",
    "export:429@1",
    "export:429_no_retry_after@2",
    "export:503@1,export:500@2,export:502@3",
    "export:reset_before_headers@2",
]


@pytest.fixture(scope="module")
def small() -> Dataset:
    return dataset(seed=5, days=2, events_per_day=50)


@pytest.mark.parametrize("faults", FAULTS)
def test_faults_change_nothing(small, make_ws, oracle, stored, faults):
    emulator = Emulator(small, faults=faults)
    ws = make_ws(emulator)
    result = ws.fetch_events(START, last_day(small), workers=2)
    assert emulator.faults.fired
    assert result.failures == []
    assert stored(ws) == oracle(small)


def test_429_waits_for_retry_after(hard, make_ws, sleeps):
    ws = make_ws(Emulator(hard, faults="export:429(retry_after=7)@1"))
    ws.fetch_events(START, START)
    assert 7.0 in sleeps.calls


def test_a_day_that_keeps_failing_is_reported(hard, make_ws, oracle, stored):
    emulator = Emulator(hard, faults="export:503@2+")
    ws = make_ws(emulator, max_retries=1)
    result = ws.fetch_events(START, last_day(hard), workers=1, attempts=2)
    assert result.days_fetched == 1
    assert result.failed_days == [START + dt.timedelta(days=1), START + dt.timedelta(days=2)]
    assert result.exit_code == 4
    assert stored(ws) == oracle(hard, [START])
    # Running again once Mixpanel is back fetches only the failed days.
    healed = make_ws(Emulator(hard), name="db")
    again = healed.fetch_events(START, last_day(hard))
    assert (again.days_skipped, again.days_fetched) == (1, 2)


def test_400_stops_with_mixpanels_message(hard, make_ws):
    ws = make_ws(Emulator(hard))
    with pytest.raises(BadRequestError) as info:
        ws.fetch_events(START, last_day(hard), where='properties["x" ==')
    assert info.value.status_code == 400
    assert info.value.body


def test_replace_keeps_old_table_until_complete(hard, make_ws, oracle, stored):
    ws = make_ws(Emulator(hard))
    ws.fetch_events(START, START)
    before = stored(ws)
    broken = make_ws(Emulator(hard, faults="export:503@2+"), name="db", max_retries=0)
    result = broken.fetch_events(START, last_day(hard), replace=True, attempts=1)
    assert result.failures
    assert stored(broken) == before  # not replaced
    assert broken.database.fetchall(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_mp_staging_%'"
    ) == [(0,)]
    fixed = make_ws(Emulator(hard), name="db")
    fixed.fetch_events(START, last_day(hard), replace=True)
    assert stored(fixed) == oracle(hard)


def test_limit(hard, make_ws):
    ws = make_ws(Emulator(hard))
    result = ws.fetch_events(START, last_day(hard), limit=25)
    assert result.rows_received == 25
    assert ws.database.fetchall("SELECT count(DISTINCT day) FROM _mp_fetch_log") == [(3,)]
    with pytest.raises(ValidationError):
        ws.fetch_events(START, START, limit=0)


def test_list_events(hard, fetched, oracle):
    ws, _ = fetched
    listing = ws.list_events()
    counts = {}
    for row in oracle(hard):
        counts[row[0]] = counts.get(row[0], 0) + 1
    assert {e.event: e.count for e in listing.events} == counts
    assert listing.events == sorted(listing.events, key=lambda e: (-e.count, e.event))
    assert listing.pl.height == len(counts)


class _Pieces(httpx.SyncByteStream):
    """A body delivered in pieces of 1 to 7 bytes (gzip members and characters split)."""

    def __init__(self, data: bytes, seed: int) -> None:
        self.data = data
        self.rng = random.Random(seed)

    def __iter__(self):
        at = 0
        while at < len(self.data):
            size = self.rng.randint(1, 7)
            yield self.data[at : at + size]
            at += size


def test_gzip_and_characters_split_anywhere(hard, tmp_path, oracle, stored):
    emulator = Emulator(hard)

    def pieces(request: httpx.Request) -> httpx.Response:
        day = dt.date.fromisoformat(request.url.params["from_date"])
        body = hard.export_lines(day, time_in_ms=True)
        packed = gzip.compress(body)
        return httpx.Response(
            200,
            headers={"Content-Encoding": "gzip"},
            stream=_Pieces(packed, seed=day.toordinal()),
        )

    client = MixpanelClient(
        emulator.client_credentials(), transport=httpx.MockTransport(pieces),
        limits=RateLimits.unlimited(),
    )  # fmt: skip
    with client, Workspace(path=tmp_path / "split.duckdb", client=client) as ws:
        ws.fetch_events(START, last_day(hard))
        assert stored(ws) == oracle(hard)
    # The dataset does hold multi-byte characters and line separators to split.
    bodies = b"".join(hard.export_lines(day, time_in_ms=True) for day in hard.days)
    assert "\u2028".encode() in bodies
    assert "名前".encode() in bodies


def test_fetch_settings_are_restored(hard, make_ws):
    ws = make_ws(Emulator(hard))
    query = "SELECT current_setting('memory_limit'), current_setting('checkpoint_threshold')"
    before = ws.database.fetchall(query)
    ws.fetch_events(START, START)
    assert ws.database.fetchall(query) == before
    with pytest.raises(BadRequestError):
        ws.fetch_events(last_day(hard), last_day(hard), where='properties["x" ==')
    assert ws.database.fetchall(query) == before


def test_recent_days_are_fetched_again_for_late_events(make_ws, oracle, stored):
    # Mixpanel accepts events up to 5 days late: a day fetched sooner than that after its
    # end is fetched again next time (idempotently); late_days=0 trusts it.
    today = dt.datetime.now(dt.UTC).date()
    recent = dataset(start=today - dt.timedelta(days=3), days=3)
    ws = make_ws(Emulator(recent))
    first = ws.fetch_events(recent.days[0], recent.days[-1])
    assert (first.days_fetched, first.days_refreshed) == (3, 0)
    again = ws.fetch_events(recent.days[0], recent.days[-1])
    assert (again.days_fetched, again.days_skipped, again.rows_added) == (3, 0, 0)
    assert again.days_refreshed == 3
    assert stored(ws) == oracle(recent)
    trusted = ws.fetch_events(recent.days[0], recent.days[-1], late_days=0)
    assert (trusted.days_fetched, trusted.days_skipped) == (0, 3)
    plan = ws.plan_fetch_events(recent.days[0], recent.days[-1])
    assert (plan.days_to_fetch, plan.days_refreshed) == (3, 3)
    with pytest.raises(ValidationError, match="late_days"):
        ws.fetch_events(recent.days[0], late_days=-1)
