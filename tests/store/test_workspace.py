"""Workspace: where the database lives, credentials, named workspaces, file operations."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mixpanel_data._credentials import Credentials
from mixpanel_data.exceptions import (
    ConfigError,
    DatabaseLockedError,
    ReadOnlyError,
    StorageError,
    ValidationError,
)
from mixpanel_data.workspace import Workspace

CREDS = Credentials(username="u.mp-service-account", secret="s3cret-value", project_id=4242)


@pytest.fixture
def project(mp_home: Path) -> Path:
    """The data folder of project 4242."""
    return mp_home / "data" / "4242"


def test_default_workspace_path(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        assert (ws.path, ws.workspace_name, ws.project_id) == (
            project / "default.duckdb",
            "default",
            4242,
        )


def test_named_workspace_path(project: Path) -> None:
    with Workspace(credentials=CREDS, workspace="q4") as ws:
        assert ws.path == project / "q4.duckdb"


def test_credentials_from_the_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MP_USERNAME", "env.mp-service-account")
    monkeypatch.setenv("MP_SECRET", "env-secret")
    monkeypatch.setenv("MP_PROJECT_ID", "4242")
    with Workspace() as ws:
        assert ws.path == project / "default.duckdb"


def test_demo_mode_uses_the_demo_project(mp_home: Path) -> None:
    from mixpanel_data.emulator import DEMO_PROJECT_ID

    with Workspace(demo=True) as ws:
        assert ws.path == mp_home / "data" / str(DEMO_PROJECT_ID) / "default.duckdb"


def test_demo_mode_from_the_environment(mp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MP_DEMO", "1")
    with Workspace() as ws:
        assert ws.demo


def test_no_credentials_says_what_to_do(mp_home: Path) -> None:
    with Workspace() as ws, pytest.raises(ConfigError) as info:
        _ = ws.path
    hint = info.value.hint or ""
    assert "mp auth login" in hint
    assert "--db" in hint
    assert "--demo" in hint


def test_path_needs_no_credentials(tmp_path: Path) -> None:
    with Workspace(path=tmp_path / "x.duckdb") as ws:
        assert ws.query("SELECT 1 AS one") == [{"one": 1}]
        assert ws.workspace_name == "x"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"path": "x.duckdb", "workspace": "q4"},
        {"path": "x.duckdb", "ephemeral": True},
        {"workspace": "q4", "ephemeral": True},
        {"path": ""},
    ],
)
def test_contradictory_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Workspace(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["../escape", "a/b", ".hidden", "", "x" * 65, "a..b", "with space", "-dash"]
)
def test_workspace_names_cannot_escape_the_data_folder(name: str) -> None:
    with pytest.raises(ValidationError, match="invalid workspace name"):
        Workspace(credentials=CREDS, workspace=name)


def test_nothing_is_opened_until_used(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        _ = ws.path
        assert not project.exists()


def test_closed_workspace_refuses_use(tmp_path: Path) -> None:
    ws = Workspace(path=tmp_path / "x.duckdb")
    ws.close()
    with pytest.raises(ValidationError, match="closed"):
        ws.query("SELECT 1")


def test_lock_timeout_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MP_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValidationError, match="MP_LOCK_TIMEOUT"):
        Workspace(path=tmp_path / "x.duckdb")


def test_raw_connection_and_release(tmp_path: Path) -> None:
    with Workspace(path=tmp_path / "x.duckdb") as ws:
        ws.connection.execute("CREATE TABLE t AS SELECT 1 AS x")
        ws.release()
        assert not ws.database.is_open
        assert ws.query("SELECT x FROM t") == [{"x": 1}]


# -- named workspaces ------------------------------------------------------------------------


def test_workspace_lifecycle(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        assert [(w.name, w.current, w.exists) for w in ws.workspaces()] == [
            ("default", True, False)
        ]
        created = ws.create_workspace("q4-analysis")
        assert (created.name, created.exists, created.current) == ("q4-analysis", True, False)
        assert ws.switch_workspace("q4-analysis").current
    with Workspace(credentials=CREDS) as ws:
        assert ws.path == project / "q4-analysis.duckdb"
        assert ws.tables().names == []
        assert [(w.name, w.current) for w in ws.workspaces()] == [
            ("default", False),
            ("q4-analysis", True),
        ]
        deleted = ws.delete_workspace("q4-analysis")
        assert deleted.name == "q4-analysis"
        assert not (project / "q4-analysis.duckdb").exists()
    with Workspace(credentials=CREDS) as ws:
        assert ws.workspace_name == "default"


def test_create_an_existing_workspace(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        ws.create_workspace("a")
        with pytest.raises(ValidationError, match="already exists"):
            ws.create_workspace("a")


def test_switch_to_a_missing_workspace(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws, pytest.raises(ValidationError) as info:
        ws.switch_workspace("nope")
    assert "mp db workspace create nope" in (info.value.hint or "")


def test_switch_back_to_default_always_works(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        assert ws.switch_workspace("default").name == "default"


HOLD = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.readline()"


def test_delete_a_workspace_in_use(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        ws.create_workspace("busy")
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(project / "busy.duckdb")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdin is not None
        try:
            assert proc.stdout.readline().strip() == "ready"
            with pytest.raises(DatabaseLockedError, match="open in another process"):
                ws.delete_workspace("busy")
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)
            proc.stdout.close()
    assert (project / "busy.duckdb").exists()


def test_workspaces_need_a_project(tmp_path: Path) -> None:
    with Workspace(path=tmp_path / "x.duckdb") as ws, pytest.raises(ValidationError, match="--db"):
        ws.workspaces()


# -- this database ---------------------------------------------------------------------------


def test_info(sample_db: Path) -> None:
    with Workspace(path=sample_db, read_only=True) as ws:
        info = ws.info()
    assert (info.name, info.path, info.exists, info.tables, info.read_only, info.project_id) == (
        "sample",
        str(sample_db),
        True,
        4,
        True,
        None,
    )
    assert info.size_bytes > 0


def test_info_of_the_current_workspace(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        ws.query("CREATE TABLE t AS SELECT 1 AS x", write=True)
        info = ws.info()
    assert (info.project_id, info.current, info.tables) == (4242, True, 1)


def test_size(sample_db: Path) -> None:
    with Workspace(path=sample_db, read_only=True) as ws:
        size = ws.size()
    assert size.file_bytes == sample_db.stat().st_size
    assert size.total_bytes == size.file_bytes + size.wal_bytes
    assert size.total.endswith(("KiB", "MiB"))


def test_vacuum_reclaims_space(tmp_path: Path) -> None:
    path = tmp_path / "big.duckdb"
    with Workspace(path=path) as ws:
        ws.query(
            "CREATE TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(300000);"
            "CREATE TABLE keep AS SELECT 1 AS x",
            write=True,
        )
    with Workspace(path=path) as ws:
        ws.query("DROP TABLE big", write=True)
        result = ws.vacuum()
        assert result.bytes_after < result.bytes_before
        assert ws.query("SELECT x FROM keep") == [{"x": 1}]
    assert not any(p.name.startswith(".big.duckdb.rewrite") for p in tmp_path.iterdir())


def test_reset_drops_everything(sample_db: Path) -> None:
    with Workspace(path=sample_db) as ws:
        result = ws.reset()
        assert result.dropped == ["events", "notes", "signups", "users"]
        assert ws.tables().names == []
        assert ws.query("SELECT count(*) AS n FROM _mp_tables") == [{"n": 0}]


def test_reset_of_a_read_only_workspace(sample_db: Path) -> None:
    with Workspace(path=sample_db, read_only=True) as ws, pytest.raises(ReadOnlyError):
        ws.reset()


def test_shell_without_duckdb_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with Workspace(path=tmp_path / "x.duckdb") as ws, pytest.raises(StorageError) as info:
        ws.shell()
    assert "not installed" in info.value.message
    assert "duckdb.org" in (info.value.hint or "")


def test_shell_runs_duckdb_on_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "duckdb"
    record = tmp_path / "argv.txt"
    fake.write_text(f'#!/bin/sh\necho "$@" > {record}\nexit 3\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    with Workspace(path=tmp_path / "x.duckdb", read_only=True) as ws:
        assert ws.shell() == 3
    assert record.read_text().split() == ["-readonly", str(tmp_path / "x.duckdb")]


# -- prune -----------------------------------------------------------------------------------


def _age(path: Path, days: int) -> None:
    stamp = (dt.datetime.now() - dt.timedelta(days=days)).timestamp()
    os.utime(path, (stamp, stamp))


def test_prune_old_workspaces(project: Path) -> None:
    with Workspace(credentials=CREDS) as ws:
        for name in ("old", "recent", "default"):
            ws.create_workspace(name)
    _age(project / "old.duckdb", 40)
    _age(project / "default.duckdb", 40)
    with Workspace(credentials=CREDS) as ws:
        plan = ws.prune(temp=False, older_than="30d", dry_run=True)
        assert [Path(f.path).name for f in plan.removed] == ["old.duckdb"]
        assert (project / "old.duckdb").exists()
        done = ws.prune(temp=False, older_than="30d")
    assert [Path(f.path).name for f in done.removed] == ["old.duckdb"]
    assert [(Path(f.path).name, f.reason.split(" (")[0]) for f in done.spared] == [
        ("default.duckdb", "the current workspace")
    ]
    assert not (project / "old.duckdb").exists()
    assert (project / "recent.duckdb").exists()


@pytest.mark.parametrize("age", ["soon", "-3d", "0", "3y"])
def test_prune_rejects_bad_ages(tmp_path: Path, age: str) -> None:
    with Workspace(path=tmp_path / "x.duckdb") as ws, pytest.raises(ValidationError):
        ws.prune(older_than=age)


def test_prune_needs_something_to_do(tmp_path: Path) -> None:
    with Workspace(path=tmp_path / "x.duckdb") as ws, pytest.raises(ValidationError):
        ws.prune(temp=False)


def test_fixture_types(make_sample: Callable[[Path], Path], tmp_path: Path) -> None:
    assert make_sample(tmp_path / "s.duckdb").exists()
