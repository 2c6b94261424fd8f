"""``mp explore notebook|marimo`` and ``mp skill``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from mixpanel_data.explore import skill_text

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("kind", "name", "opener"),
    [("notebook", "a.ipynb", "jupyter lab"), ("marimo", "a.py", "marimo edit")],
)
def test_explore_writes_the_file_and_says_how_to_open_it(
    run_cli, tmp_path: Path, kind: str, name: str, opener: str
) -> None:
    target = tmp_path / "out" / name
    code, out, err = run_cli(
        "--demo",
        "explore",
        kind,
        "--output",
        str(target),
        "--include-events",
        "Sign Up",
        "Purchase",
        "-f",
        "json",
    )
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["path"] == str(target)
    assert result["kind"] == kind
    assert (result["from_date"], result["to_date"]) == ("2024-05-02", "2024-05-31")
    assert result["events"] == result["funnel"] == ["Sign Up", "Purchase"]
    assert result["demo"] is True
    assert result["open_with"] == f"{opener} {target}"
    assert target.is_file()


def test_explore_defaults_to_exploration_files_here(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli("--demo", "explore", "notebook", "-f", "json")[0] == 0
    assert run_cli("--demo", "explore", "marimo", "-f", "json")[0] == 0
    nbformat.validate(nbformat.read(tmp_path / "exploration.ipynb", as_version=4))
    assert "app = marimo.App(" in (tmp_path / "exploration.py").read_text(encoding="utf-8")


def test_explore_never_overwrites_without_force(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "keep.py"
    target.write_text("# mine\n", encoding="utf-8")
    code, out, err = run_cli("--demo", "explore", "marimo", "--output", str(target))
    assert code == 2
    assert out == ""
    assert "already exists" in err
    assert "--force" in err
    assert target.read_text(encoding="utf-8") == "# mine\n"
    code, _, _ = run_cli("--demo", "explore", "marimo", "--output", str(target), "--force")
    assert code == 0
    assert "app = marimo.App(" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("kind", "name"), [("notebook", "a.py"), ("marimo", "a.ipynb")])
def test_explore_refuses_the_wrong_extension(run_cli, tmp_path: Path, kind: str, name: str) -> None:
    code, _, err = run_cli("--demo", "explore", kind, "--output", str(tmp_path / name))
    assert code == 2
    assert "must end in" in err
    assert not (tmp_path / name).exists()


def test_explore_bakes_in_the_dates_given(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "a.ipynb"
    code, out, _ = run_cli(
        "--demo",
        "explore",
        "notebook",
        "-o",
        str(target),
        "--from",
        "2024-05-10",
        "--to",
        "2024-05-12",
        "-f",
        "json",
    )
    assert code == 0
    assert (json.loads(out)["from_date"], json.loads(out)["to_date"]) == (
        "2024-05-10",
        "2024-05-12",
    )
    text = target.read_text(encoding="utf-8")
    assert "FROM_DATE = dt.date(2024, 5, 10)" in text
    assert "TO_DATE = dt.date(2024, 5, 12)" in text


def test_explore_refuses_a_backwards_range(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli(
        "--demo",
        "explore",
        "notebook",
        "-o",
        str(tmp_path / "a.ipynb"),
        "--from",
        "2024-05-12",
        "--to",
        "2024-05-10",
    )
    assert code == 2
    assert "--from 2024-05-12 is later than --to 2024-05-10" in err


def test_explore_bakes_in_a_database_file(run_cli, tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "mine.duckdb"
    duckdb.connect(str(db)).close()
    target = tmp_path / "a.py"
    code, _, err = run_cli("--db", str(db), "explore", "marimo", "-o", str(target))
    assert (code, err) == (0, "")
    assert f'ws = mp.connect(path="{db}")' in target.read_text(encoding="utf-8")


def test_explore_without_credentials_says_what_to_do(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("explore", "marimo", "-o", str(tmp_path / "a.py"))
    assert code == 3
    assert "--demo" in err
    assert not (tmp_path / "a.py").exists()


def test_explore_refuses_an_ephemeral_workspace(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli(
        "--demo", "--ephemeral", "explore", "marimo", "-o", str(tmp_path / "a.py")
    )
    assert code == 2
    assert "ephemeral" in err


@pytest.mark.parametrize("fmt", ["json", "table", "plain"])
def test_skill_prints_the_skill_as_is(run_cli, fmt: str) -> None:
    code, out, err = run_cli("skill", "-f", fmt)
    assert (code, err) == (0, "")
    assert out == skill_text()


def test_the_skill_has_its_front_matter() -> None:
    text = skill_text()
    assert text.startswith("---\nname: mixpanel-data\ndescription: ")
    front = text.split("---\n")[1]
    fields = dict(line.split(": ", 1) for line in front.splitlines())
    assert list(fields) == ["name", "description"]
    # The Agent Skills format: a lowercase, hyphenated name; a description of at most 1024
    # characters that says what the skill does and when to use it.
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fields["name"])
    assert len(fields["description"]) <= 1024
    assert "Use when" in fields["description"]
    for heading in (
        "## When to use each path",
        "## Workflow patterns",
        "## Command reference",
        "## Best practices",
    ):
        assert heading in text


def test_docs_skill_is_the_packaged_skill() -> None:
    assert (REPO / "docs" / "SKILL.md").read_text(encoding="utf-8") == skill_text()
