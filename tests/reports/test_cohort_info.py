"""``Workspace.cohort()`` and ``mp schema cohort``: one saved cohort and its members."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mixpanel_data
from mixpanel_data import CohortInfo, ValidationError
from mixpanel_data.api import MixpanelClient, RateLimits
from mixpanel_data.emulator import Dataset, Emulator, SavedCohort


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return Dataset.demo()


@pytest.fixture
def demo_ws(tmp_path: Path) -> Iterator[mixpanel_data.Workspace]:
    with mixpanel_data.Workspace(demo=True, path=tmp_path / "w.duckdb") as ws:
        yield ws


def _largest(demo: Dataset) -> SavedCohort:
    return max(demo.saved_cohorts, key=lambda c: c.count)


def test_by_name_and_by_id(demo: Dataset, demo_ws: mixpanel_data.Workspace) -> None:
    saved = _largest(demo)
    by_name = demo_ws.cohort(saved.name)
    assert isinstance(by_name, CohortInfo)
    assert by_name.id == saved.id
    assert by_name.name == saved.name
    assert by_name.description == saved.description
    assert by_name.created == saved.created
    assert by_name.is_visible is bool(saved.is_visible)
    assert by_name.count == saved.count == len(by_name.members)
    assert set(by_name.members) == saved.members
    assert len(set(by_name.members)) == len(by_name.members)

    assert demo_ws.cohort(saved.id) == by_name
    assert demo_ws.cohort(str(saved.id)) == by_name
    assert demo_ws.cohort(saved.name.upper()) == by_name

    frame = by_name.pl
    assert frame.columns == ["distinct_id"]
    assert frame.height == saved.count


def test_every_cohort_matches_the_dataset(demo: Dataset, demo_ws: mixpanel_data.Workspace) -> None:
    for saved in demo.saved_cohorts:
        info = demo_ws.cohort(saved.id)
        assert set(info.members) == saved.members
        assert info.count == saved.count


def test_limit(demo: Dataset, demo_ws: mixpanel_data.Workspace) -> None:
    saved = _largest(demo)
    info = demo_ws.cohort(saved.id, limit=5)
    assert len(info.members) == 5
    assert set(info.members) <= saved.members
    assert info.count == saved.count  # Mixpanel's count, not the members listed
    with pytest.raises(ValidationError, match="limit"):
        demo_ws.cohort(saved.id, limit=0)


def test_every_engage_page_is_read(demo: Dataset) -> None:
    """With small pages, the members span several Engage pages and all of them are listed."""
    saved = _largest(demo)
    page_size = 40
    assert saved.count > 3 * page_size
    requests: list[httpx.Request] = []
    emulator = Emulator(demo, page_size=page_size)

    def forward(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return emulator.handle(request)

    try:
        with (
            MixpanelClient(
                emulator.client_credentials(),
                transport=httpx.MockTransport(forward),
                limits=RateLimits.unlimited(),
            ) as client,
            mixpanel_data.Workspace(ephemeral=True, client=client) as ws,
        ):
            info = ws.cohort(saved.name)
    finally:
        emulator.close()
    assert set(info.members) == saved.members
    assert len(info.members) == saved.count
    engage = [r for r in requests if r.url.path == "/api/query/engage"]
    assert len(engage) == -(-saved.count // page_size)


@pytest.mark.parametrize("unknown", ["No such cohort", 999_999])
def test_unknown_cohort_lists_known_ones(
    demo: Dataset, demo_ws: mixpanel_data.Workspace, unknown: int | str
) -> None:
    with pytest.raises(ValidationError) as caught:
        demo_ws.cohort(unknown)
    assert str(unknown) in caught.value.message
    assert caught.value.hint is not None
    assert demo.saved_cohorts[0].name in caught.value.hint


def test_blank_name_is_refused(demo_ws: mixpanel_data.Workspace) -> None:
    with pytest.raises(ValidationError, match="empty"):
        demo_ws.cohort("  ")


def test_cli_json_shape(demo: Dataset, run_cli) -> None:
    saved = _largest(demo)
    code, out, err = run_cli("--demo", "schema", "cohort", saved.name, "-f", "json")
    assert code == 0, err
    body = json.loads(out)
    assert set(body) == {"id", "name", "count", "created", "description", "rows"}
    assert body["id"] == saved.id
    assert body["name"] == saved.name
    assert body["count"] == saved.count
    assert body["created"] == saved.created
    assert body["description"] == saved.description
    assert {row["distinct_id"] for row in body["rows"]} == saved.members
    assert all(set(row) == {"distinct_id"} for row in body["rows"])

    code, out, err = run_cli(
        "--demo", "schema", "cohort", str(saved.id), "--limit", "2", "-f", "json"
    )
    assert code == 0, err
    assert len(json.loads(out)["rows"]) == 2


def test_cli_unknown_cohort_exits_2(run_cli) -> None:
    code, out, err = run_cli("--demo", "schema", "cohort", "No such cohort", "-f", "json")
    assert code == 2
    assert out == ""
    assert "No such cohort" in err
