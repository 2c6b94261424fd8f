"""``mp.connect()`` and the module-level ``mp.query`` family for notebooks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars
import pytest

from mixpanel_data import _notebook
from mixpanel_data.workspace import Workspace


@pytest.fixture(autouse=True)
def _no_default() -> Iterator[None]:
    yield
    if _notebook._default is not None:
        _notebook._default.close()
        _notebook._default = None


def test_connect_sets_the_default_used_by_query(sample_db: Path) -> None:
    ws = _notebook.connect(path=sample_db)
    assert isinstance(ws, Workspace)
    assert _notebook.query("SELECT count(*) AS n FROM notes") == [{"n": 2}]
    assert isinstance(_notebook.query_pl("SELECT 1 AS x"), polars.DataFrame)
    assert _notebook.query_df("SELECT 1 AS x").to_dict(orient="records") == [{"x": 1}]
    assert "events" in _notebook.tables()


def test_the_default_releases_the_file_between_calls(sample_db: Path) -> None:
    ws = _notebook.connect(path=sample_db)
    _notebook.query("SELECT 1")
    assert not ws.database.is_open


def test_connect_replaces_and_closes_the_previous_default(sample_db: Path, tmp_path: Path) -> None:
    first = _notebook.connect(path=sample_db)
    second = _notebook.connect(path=tmp_path / "other.duckdb")
    assert first.closed
    assert _notebook.query("SELECT count(*) AS n FROM duckdb_tables()") == [{"n": 0}]
    assert not second.closed


def test_query_connects_on_first_use(mp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MP_DEMO", "1")
    assert _notebook.query("SELECT 42 AS answer") == [{"answer": 42}]
    assert _notebook._default is not None
    assert _notebook._default.demo


def test_writes_through_the_module(tmp_path: Path) -> None:
    _notebook.connect(path=tmp_path / "w.duckdb")
    _notebook.query("CREATE TABLE t AS SELECT 1 AS x", write=True)
    assert _notebook.tables().names == ["t"]
