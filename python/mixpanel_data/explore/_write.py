"""Writing a generated notebook to a file, never over an existing one unless asked."""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (msgspec reads field types at runtime)
import os
import shlex
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from mixpanel_data._result import Record
from mixpanel_data.exceptions import ValidationError
from mixpanel_data.explore._jupyter import notebook_json
from mixpanel_data.explore._marimo import marimo_source

if TYPE_CHECKING:
    from mixpanel_data.explore._spec import ExploreKind, ExploreSpec

__all__ = ["DEFAULT_OUTPUT", "ExploreResult", "render_exploration", "write_exploration"]

DEFAULT_OUTPUT: dict[ExploreKind, str] = {
    "notebook": "exploration.ipynb",
    "marimo": "exploration.py",
}
_SUFFIX: dict[ExploreKind, str] = {"notebook": ".ipynb", "marimo": ".py"}


class ExploreResult(Record, frozen=True, kw_only=True, dict=True):
    """A generated notebook: where it is, what it explores, and how to open and run it.

    Attributes
    ----------
    path
        The file written (absolute).
    kind
        ``notebook`` (Jupyter, .ipynb) or ``marimo`` (a marimo app, .py).
    from_date, to_date
        The days it explores.
    events
        The events it fetches and charts (empty: every event).
    funnel
        The funnel steps baked in (empty: chosen from the data when it runs).
    demo
        Whether it reads the built-in demo project.
    open_with
        The command that opens it for editing.
    run_with
        The command that runs it top to bottom (or serves the app).
    """

    path: str
    kind: str
    from_date: dt.date
    to_date: dt.date
    events: list[str]
    funnel: list[str]
    demo: bool
    open_with: str
    run_with: str


def render_exploration(spec: ExploreSpec, kind: ExploreKind, output: str | None = None) -> str:
    """The text of the ``kind`` notebook for ``spec`` (``output`` is shown in its command)."""
    command = spec.command_line(kind, output)
    if kind == "notebook":
        return notebook_json(spec, command=command)
    return marimo_source(spec, command=command)


def _check_output(path: Path, kind: ExploreKind, force: bool) -> None:
    suffix = _SUFFIX[kind]
    if path.suffix != suffix:
        raise ValidationError(
            f"--output {str(path)!r}: a {'Jupyter notebook' if kind == 'notebook' else 'marimo app'} "
            f"file must end in {suffix}",
            hint=f"name it e.g. {path.with_suffix(suffix).name}",
        )
    if path.is_dir():
        raise ValidationError(
            f"--output {str(path)!r} is a directory", hint=f"name a file, e.g. {path / 'x'}{suffix}"
        )
    if path.exists() and not force:
        raise ValidationError(
            f"{str(path)!r} already exists",
            hint="pass --force to overwrite it, or --output another file",
        )


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` through a temp file and a rename, so a reader never sees half of it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            Path(temp).chmod(0o644)
            Path(temp).replace(path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ValidationError(
            f"cannot write {str(path)!r}: {exc.strerror or exc}",
            hint="check that the folder exists and is writable, or pass --output elsewhere",
        ) from exc


def write_exploration(
    spec: ExploreSpec,
    kind: ExploreKind,
    output: str | Path | None = None,
    *,
    force: bool = False,
) -> ExploreResult:
    """Write the ``kind`` notebook for ``spec`` to ``output``.

    Parameters
    ----------
    spec
        What the notebook explores (see :func:`plan_exploration`).
    kind
        ``notebook`` for Jupyter (.ipynb) or ``marimo`` for a marimo app (.py).
    output
        The file to write (default ``exploration.ipynb`` / ``exploration.py``).
    force
        Overwrite the file if it exists.

    Raises
    ------
    ValidationError
        The file exists (without ``force``), has the wrong extension, or cannot be written.
    """
    if kind not in _SUFFIX:
        raise ValidationError(f"unknown notebook kind {kind!r}", hint="use notebook or marimo")
    shown = str(output) if output is not None else DEFAULT_OUTPUT[kind]
    path = Path(shown).expanduser()
    _check_output(path, kind, force)
    _write_text(path, render_exploration(spec, kind, None if output is None else shown))
    quoted = shlex.quote(shown)
    if kind == "notebook":
        open_with, run_with = f"jupyter lab {quoted}", f"jupyter execute {quoted}"
    else:
        open_with, run_with = f"marimo edit {quoted}", f"marimo run {quoted}"
    return ExploreResult(
        path=str(path.resolve()),
        kind=kind,
        from_date=spec.from_date,
        to_date=spec.to_date,
        events=list(spec.events),
        funnel=list(spec.funnel),
        demo=spec.demo,
        open_with=open_with,
        run_with=run_with,
    )
