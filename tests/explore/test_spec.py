"""What a generated notebook explores: validation, defaults, the baked-in connection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from mixpanel_data.exceptions import ValidationError
from mixpanel_data.explore import DEFAULT_DAYS, ExploreSpec, default_range, plan_exploration
from mixpanel_data.workspace import Workspace, ephemeral

MAY_2 = dt.date(2024, 5, 2)
MAY_31 = dt.date(2024, 5, 31)


def _events_db(path: Path, first: str, last: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE events (event VARCHAR, time TIMESTAMP, distinct_id VARCHAR);"
        f"INSERT INTO events VALUES ('Sign Up', TIMESTAMP '{first}', 'a'),"
        f" ('Purchase', TIMESTAMP '{last}', 'a')"
    ).fetchall()
    con.close()
    return path


def test_dates_in_the_wrong_order_are_refused() -> None:
    with pytest.raises(ValidationError, match="--from 2024-05-31 is later than --to 2024-05-02"):
        ExploreSpec(from_date=MAY_31, to_date=MAY_2)


@pytest.mark.parametrize("name", ["", "  "])
def test_empty_event_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="--include-events holds an empty event name"):
        ExploreSpec(from_date=MAY_2, to_date=MAY_31, events=("Sign Up", name))


def test_names_that_are_not_text_are_refused() -> None:
    with pytest.raises(ValidationError, match="not valid text"):
        ExploreSpec(from_date=MAY_2, to_date=MAY_31, events=("bad\udcff",))


def test_a_file_and_a_workspace_are_exclusive() -> None:
    with pytest.raises(ValidationError, match="either a database file or a workspace"):
        ExploreSpec(from_date=MAY_2, to_date=MAY_31, db="/x.duckdb", workspace="w")


@pytest.mark.parametrize(
    ("spec", "arguments"),
    [
        (ExploreSpec(from_date=MAY_2, to_date=MAY_31), ""),
        (ExploreSpec(from_date=MAY_2, to_date=MAY_31, demo=True), "demo=True"),
        (
            ExploreSpec(from_date=MAY_2, to_date=MAY_31, account="prod", workspace="q2"),
            '"prod", workspace="q2"',
        ),
        (
            ExploreSpec(from_date=MAY_2, to_date=MAY_31, db='/tmp/a "b".duckdb'),
            r'path="/tmp/a \"b\".duckdb"',
        ),
    ],
)
def test_connect_arguments(spec: ExploreSpec, arguments: str) -> None:
    assert arguments == spec.connect_arguments()


def test_command_line_regenerates_the_same_notebook() -> None:
    spec = ExploreSpec(from_date=MAY_2, to_date=MAY_31, events=("Sign Up", "Purchase"), demo=True)
    expected = (
        "mp --demo explore marimo --output app.py --include-events 'Sign Up' Purchase "
        "--from 2024-05-02 --to 2024-05-31"
    )
    assert expected == spec.command_line("marimo", "app.py")


def test_demo_defaults_to_the_demo_days() -> None:
    with Workspace(demo=True, read_only=True) as ws:
        spec = plan_exploration(ws)
    assert (spec.from_date, spec.to_date) == (MAY_2, MAY_31)
    assert spec.demo
    assert spec.events == ()
    assert spec.funnel == ()


def test_local_events_give_the_default_days(tmp_path: Path) -> None:
    path = _events_db(tmp_path / "local.duckdb", "2024-03-04 10:00:00", "2024-03-09 23:59:00")
    with Workspace(path=path, read_only=True) as ws:
        assert (dt.date(2024, 3, 4), dt.date(2024, 3, 9)) == default_range(ws)
        spec = plan_exploration(ws)
    assert str(path.resolve()) == spec.db
    assert not spec.demo


def test_without_local_events_the_last_complete_days(tmp_path: Path) -> None:
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    with Workspace(path=tmp_path / "empty.duckdb", read_only=True) as ws:
        first, last = default_range(ws, today=dt.date(2024, 7, 10))
    assert dt.date(2024, 7, 9) == last
    assert (last - first).days + 1 == DEFAULT_DAYS


def test_only_one_end_given(tmp_path: Path) -> None:
    path = _events_db(tmp_path / "local.duckdb", "2024-03-04 10:00:00", "2024-03-20 10:00:00")
    with Workspace(path=path, read_only=True) as ws:
        from_only = plan_exploration(ws, from_date=dt.date(2024, 3, 10))
        to_only = plan_exploration(ws, to_date=dt.date(2024, 3, 12))
        after = plan_exploration(ws, from_date=dt.date(2024, 4, 1))
        before = plan_exploration(ws, to_date=dt.date(2024, 3, 1))
    assert (dt.date(2024, 3, 10), dt.date(2024, 3, 20)) == (from_only.from_date, from_only.to_date)
    assert (dt.date(2024, 3, 4), dt.date(2024, 3, 12)) == (to_only.from_date, to_only.to_date)
    assert (dt.date(2024, 4, 1), dt.date(2024, 4, 7)) == (after.from_date, after.to_date)
    assert (dt.date(2024, 2, 24), dt.date(2024, 3, 1)) == (before.from_date, before.to_date)


def test_events_are_deduplicated_and_two_make_a_funnel() -> None:
    with Workspace(demo=True, read_only=True) as ws:
        two = plan_exploration(ws, events=["Sign Up", "Purchase", "Sign Up"])
        one = plan_exploration(ws, events=["Sign Up"])
    assert two.events == ("Sign Up", "Purchase")
    assert two.funnel == ("Sign Up", "Purchase")
    assert one.events == ("Sign Up",)
    assert one.funnel == ()


def test_names_given_are_baked_in(tmp_path: Path) -> None:
    with Workspace(demo=True, workspace="q2", read_only=True) as ws:
        spec = plan_exploration(ws, workspace="q2", account="prod")
    assert (spec.account, spec.workspace) == ("prod", "q2")


def test_an_ephemeral_workspace_is_refused() -> None:
    with (
        ephemeral(demo=True) as ws,
        pytest.raises(ValidationError, match="cannot use an ephemeral workspace"),
    ):
        plan_exploration(ws)
