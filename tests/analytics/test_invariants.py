"""Property-based checks of invariants that hold for any event data.

- funnel step counts never increase, and the buckets add up to the whole range;
- unique users never exceed total events (segmentation);
- retention counts never exceed the cohort size; unbounded counts never increase;
- frequency arrays never increase and a[0] equals the day's unique users.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixpanel_data.analytics import frequency, funnel, retention, segmentation

START = dt.datetime(2024, 6, 1)
USERS = st.sampled_from(["u1", "u2", "u3", "u4", "", None])
EVENT = st.tuples(
    st.sampled_from(["A", "B", "C"]),
    st.integers(min_value=0, max_value=4 * 86400 - 1),  # seconds into 06-01..06-04
    USERS,
    st.sampled_from(["i1", "i2", "i3"]),  # few insert ids: duplicates happen
    st.integers(min_value=0, max_value=3),  # processing time
)
DATASETS = st.lists(EVENT, max_size=40)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(
        'CREATE TABLE events (event VARCHAR, "time" TIMESTAMP, distinct_id VARCHAR, '
        "insert_id VARCHAR, mp_processing_time_ms BIGINT, properties JSON)"
    )
    yield connection
    connection.close()


def load(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.execute("DELETE FROM events")
    if rows:
        con.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, '{}')",
            [
                (event, START + dt.timedelta(seconds=s), user, insert_id, processed)
                for event, s, user, insert_id, processed in rows
            ],
        )


@SETTINGS
@given(rows=DATASETS, grace=st.sampled_from([0.0, 2.0]))
def test_funnel_counts_never_increase(db: duckdb.DuckDBPyConnection, rows, grace) -> None:
    load(db, rows)
    result = funnel(
        db, ["A", "B", "A", "C"], "2024-06-01", "2024-06-03", length=1, grace_seconds=grace
    )
    for bucket in (*result.buckets, *result.overall):
        counts = [step.count for step in bucket.steps]
        assert counts == sorted(counts, reverse=True)
        assert all(0.0 <= step.overall_conv_ratio <= 1.0 for step in bucket.steps)
        assert all(step.avg_time is None or step.avg_time >= 0 for step in bucket.steps)
    for k in range(4):
        per_day = sum(bucket.steps[k].count for bucket in result.buckets)
        assert per_day == result.overall[0].steps[k].count


@SETTINGS
@given(rows=DATASETS, unit=st.sampled_from(["hour", "day", "week"]))
def test_unique_never_exceeds_general(db: duckdb.DuckDBPyConnection, rows, unit) -> None:
    load(db, rows)
    general = segmentation(db, "A", "2024-06-01", "2024-06-04", unit=unit).values().get("A", {})
    unique = segmentation(db, "A", "2024-06-01", "2024-06-04", unit=unit, type="unique")
    for date, users in unique.values().get("A", {}).items():
        assert users <= general[date]
    # Deduplication never leaves more events than distinct dedup keys.
    keys = {(e, s, u, i) for e, s, u, i, _p in rows if e == "A"}
    assert sum(general.values()) == len(keys)


@SETTINGS
@given(
    rows=DATASETS,
    kind=st.sampled_from(["birth", "compounded"]),
    mode=st.sampled_from(["calendar", "rolling"]),
)
def test_retention_counts_never_exceed_the_cohort(
    db: duckdb.DuckDBPyConnection, rows, kind, mode
) -> None:
    load(db, rows)
    common = {"event": "B", "retention_type": kind, "interval_count": 3, "mode": mode}
    bounded = retention(db, "A", "2024-06-01", "2024-06-02", **common)
    unbounded = retention(db, "A", "2024-06-01", "2024-06-02", unbounded=True, **common)
    for cohort in bounded.cohorts:
        assert all(0 <= count <= cohort.first for count in cohort.counts)
    for cohort in unbounded.cohorts:
        assert all(count <= cohort.first for count in cohort.counts)
        assert list(cohort.counts) == sorted(cohort.counts, reverse=True)
    assert [c.first for c in bounded.cohorts] == [c.first for c in unbounded.cohorts]


@SETTINGS
@given(rows=DATASETS)
def test_frequency_is_cumulative(db: duckdb.DuckDBPyConnection, rows) -> None:
    load(db, rows)
    result = frequency(db, "A", "2024-06-01", "2024-06-04")
    unique = segmentation(db, "A", "2024-06-01", "2024-06-04", type="unique").values()
    for period in result.periods:
        assert list(period.counts) == sorted(period.counts, reverse=True)
        assert period.counts[0] == unique.get("A", {}).get(period.date, 0)
