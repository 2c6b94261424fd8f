"""Schema discovery against the emulator, and its per-workspace cache."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from mixpanel_data._schema_cache import SchemaCache
from mixpanel_data._workspace_schema import infer_type
from mixpanel_data.types import SchemaEventList


def test_events_with_30_day_counts(ws, recorder, dataset) -> None:
    listing = ws.schema_events(limit=5)
    assert len(listing) == 5
    assert not listing.cached
    counts = [e.count_30d for e in listing]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > 0
    assert recorder.paths() == ["/api/query/events/names", "/api/query/events"]
    assert recorder.requests[1].url.params["interval"] == "30"
    # The counts are the last 30 local days' (up to the emulator's "today").
    top = listing.events[0]
    local = ws.event_counts([top.event], from_date="2024-02-17", to_date="2024-03-17", local=True)
    assert top.count_30d == local.total
    assert listing.pl.columns == ["event", "count_30d"]


def test_properties_with_types_and_examples(ws, recorder) -> None:
    listing = ws.schema_properties("Purchase", limit=8)
    assert len(listing) == 8
    assert recorder.paths().count("/api/query/events/properties/values") == 8
    by_name = {p.property: p for p in listing}
    if "amount" in by_name:
        assert by_name["amount"].type == "number"
    assert all(p.count and p.count > 0 for p in listing)
    assert all(p.example_values for p in listing)
    numbers = ws.schema_properties("Purchase", limit=8, type="number")
    assert all(p.type == "number" for p in numbers)
    assert numbers.cached
    assert listing.pl.schema["example_values"].is_nested()


def test_values_with_count_and_percent(ws) -> None:
    listing = ws.schema_values("Purchase", "currency")
    assert listing.values[0].count >= listing.values[-1].count
    assert sum(v.percent for v in listing) == pytest.approx(100.0, abs=0.05)
    local = ws.property_counts(
        "Purchase", "currency", from_date="2024-02-17", to_date="2024-03-17", local=True
    )
    totals = local.pl.group_by("segment").agg(pl.col("value").sum())
    assert dict(totals.iter_rows()) == {v.value: v.count for v in listing}
    assert len(ws.schema_values("Purchase", "currency", limit=1)) == 1


def test_funnels_cohorts_top_events(ws, dataset) -> None:
    funnels = ws.schema_funnels()
    assert [(f.funnel_id, f.name) for f in funnels] == [
        (f.funnel_id, f.name) for f in dataset.saved_funnels
    ]
    cohorts = ws.schema_cohorts()
    first = dataset.saved_cohorts[0]
    assert cohorts.cohorts[0].id == first.id
    assert cohorts.cohorts[0].count == first.count
    assert isinstance(cohorts.cohorts[0].created, dt.datetime)
    assert {c.is_visible for c in cohorts} == {bool(c.is_visible) for c in dataset.saved_cohorts}
    top = ws.schema_top_events(limit=3)
    assert len(top) == 3
    assert top.type == "general"


def test_cache_reuse_refresh_and_expiry(ws, recorder) -> None:
    first = ws.schema_funnels()
    again = ws.schema_funnels()
    assert not first.cached
    assert again.cached
    assert again.funnels == first.funnels
    assert recorder.paths().count("/api/query/funnels/list") == 1
    assert ws.schema_funnels(refresh=True).cached is False
    assert recorder.paths().count("/api/query/funnels/list") == 2
    assert ws.clear_schema_cache() >= 1
    ws.schema_funnels()
    assert recorder.paths().count("/api/query/funnels/list") == 3
    # Per workspace, under MP_HOME.
    assert ws._schema_cache.directory.is_relative_to(ws.home / "cache" / "schema")


def test_cache_ttl_and_bad_files(tmp_path) -> None:
    now = [1000.0]
    cache = SchemaCache(tmp_path / "c", clock=lambda: now[0])
    cache.put("k", SchemaEventList(events=[]))
    assert cache.get("k", SchemaEventList, ttl=60) is not None
    now[0] += 61
    assert cache.get("k", SchemaEventList, ttl=60) is None
    for path in (tmp_path / "c").glob("*.json"):
        path.write_text("{not json")
    assert cache.get("k", SchemaEventList, ttl=1e9) is None
    memory = SchemaCache(None)
    memory.put("k", SchemaEventList(events=[]))
    assert memory.get("k", SchemaEventList, ttl=1) is not None
    assert memory.clear() == 1


@pytest.mark.parametrize(
    ("examples", "kind"),
    [
        (["1", "2.5", "-3e4"], "number"),
        (["true", "false"], "boolean"),
        (["2024-01-01T10:00:00", "2024-02-01"], "datetime"),
        (['["a"]', "[]"], "list"),
        (['{"a": 1}'], "object"),
        (["Chrome", "1"], "string"),
        (["null", "undefined"], "unknown"),
        ([], "unknown"),
    ],
)
def test_infer_type(examples, kind) -> None:
    assert infer_type(examples) == kind
