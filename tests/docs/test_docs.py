"""Docs that prove themselves: every command in README.md and docs/*.md runs on the demo.

The fenced ```bash blocks of each document are read in order; every ``mp ...`` command in
them (a quoted argument may span lines, a trailing ``\\`` continues a line) runs through
``bash`` with ``MP_DEMO=1``, in a temp working folder and an ``MP_HOME`` of its own per
document (so a fetch early in a document feeds the queries after it). A command fails the
test when it exits non-zero or prints nothing on stdout (or, redirected with ``> FILE``,
writes nothing to the file). Other lines of a bash block (set-up such as ``bash
scripts/check``, ``marimo edit``) are not run here; ```python blocks run as scripts in the
same environment. Commands that need a terminal or never end (``mp auth
login``, ``mp demo serve``, ``mp db shell``) run with ``--help`` instead, which still proves
that they exist and parse.

A fast check binds every command with the CLI's parser, so a renamed option is caught
without running anything.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# README.md and every Markdown file under docs/ (SKILL.md among them).
DOCS = ("README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md")))
BIN = Path(sys.executable).parent
TIMEOUT = 300
# (command words) that wait for a terminal or run until stopped: run with --help instead.
INTERACTIVE = (("auth", "login"), ("demo", "serve"), ("db", "shell"))
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    """One runnable example of a document."""

    doc: str
    language: str  # "bash" (one mp command) or "python" (a script)
    text: str
    line: int

    @property
    def id(self) -> str:
        first = self.text.strip().splitlines()[0]
        return f"{self.doc}:{self.line}:{first[:60]}"


def _complete(command: str) -> bool:
    """Whether ``command`` is a whole shell command (no open quote, no trailing ``\\``)."""
    if command.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:  # "No closing quotation": the argument goes on on the next line
        return False
    return True


# A command line: optional VAR=value assignments, then mp (or mixpanel-data), maybe by path.
_COMMAND = re.compile(r"^((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)(?:\S*/)?(mp|mixpanel-data)(?=\s|$)")


def bash_commands(block: str) -> list[tuple[int, str]]:
    """The ``mp`` commands of a bash block, with their line offsets in the block.

    ``.venv/bin/mp`` and ``mixpanel-data`` count as ``mp`` (the path is dropped, so the
    command runs from any folder); leading ``VAR=value`` assignments are kept.
    """
    commands: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for offset, line in enumerate(block.splitlines()):
        if pending:
            pending.append(line)
        else:
            match = _COMMAND.match(line.strip())
            if match is None:
                continue
            pending, start = [_COMMAND.sub(r"\1mp", line.strip(), count=1)], offset
        text = "\n".join(pending)
        if _complete(text):
            commands.append((start, text))
            pending = []
    if pending:
        raise AssertionError(f"unterminated command in a bash block: {pending[0]!r}")
    return commands


def examples(doc: str) -> list[Example]:
    """Every runnable example of ``doc``, in document order."""
    text = (REPO / doc).read_text(encoding="utf-8")
    found: list[Example] = []
    for match in _FENCE.finditer(text):
        language, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 2  # the block's first line, 1-based
        if language == "bash":
            for offset, command in bash_commands(body):
                found.append(Example(doc, "bash", command, line + offset))
        elif language == "python":
            found.append(Example(doc, "python", body, line))
    return found


ALL = [example for doc in DOCS if (REPO / doc).is_file() for example in examples(doc)]


def _words(command: str) -> list[str]:
    """The arguments of the mp command (assignments before it and pipes after it dropped)."""
    words = shlex.split(command, comments=True)
    for stop in ("|", ">", ">>", "&&", ";"):
        if stop in words:
            words = words[: words.index(stop)]
    return words[words.index("mp") + 1 :]


def _command_path(words: list[str]) -> tuple[str, ...]:
    return tuple(w for w in words if not w.startswith("-"))[:2]


def _as_run(command: str) -> str:
    """The command as run: --help for the ones that wait for a terminal or never end."""
    if _command_path(_words(command)) in INTERACTIVE:
        return shlex.join(["mp", *_command_path(_words(command)), "--help"])
    return command


# -- fast: parse only -------------------------------------------------------------------------


def test_the_parser_finds_commands_across_lines() -> None:
    block = (
        'mp a "x\ny"\n# comment\necho no\nmp b \\\n  --c 1\nmp d  # trailing note\n'
        ".venv/bin/mp e\nMP_DEMO=1 mixpanel-data f\nmpx g\n"
    )
    assert bash_commands(block) == [
        (0, 'mp a "x\ny"'),
        (4, "mp b \\\n  --c 1"),
        (6, "mp d  # trailing note"),
        (7, "mp e"),
        (8, "MP_DEMO=1 mp f"),
    ]


def test_the_skill_has_runnable_examples() -> None:
    skill = [e for e in ALL if e.doc == "docs/SKILL.md"]
    assert len([e for e in skill if e.language == "bash"]) >= 10
    assert [e for e in skill if e.language == "python"]


@pytest.mark.parametrize("example", [e for e in ALL if e.language == "bash"], ids=lambda e: e.id)
def test_every_documented_command_binds(example: Example) -> None:
    from mixpanel_data.cli.app import app

    words = _words(_as_run(example.text))
    _, bound, _ = app.meta.parse_args(words)
    inner = list(bound.args)
    if "--help" in inner:
        return
    app.parse_args(inner, exit_on_error=False, print_error=False)


# -- slow: run against the demo ---------------------------------------------------------------


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Per document: its MP_HOME and its working folder (shared by its examples, in order)."""
    out: dict[str, tuple[Path, Path]] = {}
    for doc in DOCS:
        root = tmp_path_factory.mktemp(Path(doc).stem.replace(".", "-"))
        (root / "work").mkdir()
        (root / "home").mkdir()
        out[doc] = (root / "mp-home", root / "work")
    return out


def _environment(home: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MP_")}
    env.update(
        MP_DEMO="1",
        MP_HOME=str(home),
        HOME=str(work.parent / "home"),
        MARIMO_SKIP_UPDATE_CHECK="1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


@pytest.mark.slow
@pytest.mark.parametrize("example", ALL, ids=lambda e: e.id)
def test_every_documented_example_runs_on_the_demo(
    example: Example, places: dict[str, tuple[Path, Path]]
) -> None:
    home, work = places[example.doc]
    if example.language == "bash":
        argv = ["bash", "-o", "pipefail", "-c", _as_run(example.text)]
    else:
        argv = [sys.executable, "-c", example.text]
    done = subprocess.run(
        argv,
        cwd=work,
        env=_environment(home, work),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    where = f"{example.doc} line {example.line}:\n{example.text}\n"
    assert done.returncode == 0, f"{where}exit {done.returncode}\n{done.stderr}"
    target = _redirect_target(example) if example.language == "bash" else None
    if target is not None:  # `mp skill > SKILL.md`: the output went to the file
        written = work / target
        assert written.is_file(), f"{where}did not write {target}\n{done.stderr}"
        assert written.stat().st_size > 0, f"{where}wrote an empty {target}\n{done.stderr}"
    else:
        assert done.stdout.strip(), f"{where}printed nothing on stdout\n{done.stderr}"


def _redirect_target(example: Example) -> str | None:
    """The file a command's stdout is redirected to (``> FILE``), if any."""
    words = shlex.split(example.text, comments=True)
    for arrow in (">", ">>"):
        if arrow in words and words.index(arrow) + 1 < len(words):
            return words[words.index(arrow) + 1]
    return None


def _cli_commands() -> list[str]:
    """Every command of the CLI as ``group sub`` (or ``group`` alone), meta options excluded."""
    from mixpanel_data.cli.app import app

    def names(node: object) -> list[str]:
        return [n for n in node if not n.startswith("-")]  # type: ignore[attr-defined]

    found: list[str] = []
    for group in names(app):
        subs = names(app[group])
        found += [f"{group} {sub}" for sub in subs] if subs else [group]
    return found


def test_the_skill_names_every_command() -> None:
    """The skill keeps up with the CLI: every command appears in it (a new one must be taught).

    ``mp a b|c`` in the reference names ``a b`` and ``a c``; commands in the examples count.
    """
    text = (REPO / "docs" / "SKILL.md").read_text(encoding="utf-8")
    taught: set[str] = set()
    for group, subs in re.findall(r"(?:`|^)mp ([a-z-]+)(?: ([a-z|-]+))?", text, re.MULTILINE):
        taught.add(group)
        taught |= {f"{group} {sub}" for sub in subs.split("|") if sub}
    assert [c for c in _cli_commands() if c not in taught] == []
