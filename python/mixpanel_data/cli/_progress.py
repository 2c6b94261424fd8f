"""A progress bar on stderr, driven by the library's ``on_progress`` callback.

The library never draws anything: a fetch reports :class:`~mixpanel_data.types.FetchProgress`
snapshots and this module turns them into a rich progress bar (days or pages, rows, MB,
rate, ETA). It is drawn only when stderr is a terminal and ``--quiet`` is off
(``ctx.show_progress``); otherwise the callback is ``None`` and nothing is printed.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from rich.progress import Progress, TaskID

    from mixpanel_data._types_fetch import FetchProgress
    from mixpanel_data.cli._context import Context

__all__ = ["FetchProgressBar", "fetch_progress", "format_bytes", "format_rate"]


def format_bytes(count: int) -> str:
    """``12.3 MB`` style (decimal units, as network tools count)."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover - the loop always returns


def format_rate(per_second: float) -> str:
    """``5.6k/s`` style."""
    if per_second >= 1_000_000:
        return f"{per_second / 1_000_000:.1f}M/s"
    if per_second >= 1000:
        return f"{per_second / 1000:.1f}k/s"
    return f"{per_second:.0f}/s"


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA --:--"
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"ETA {hours}:{minutes:02d}:{secs:02d}"
    return f"ETA {minutes:02d}:{secs:02d}"


class FetchProgressBar:
    """A rich progress bar fed with :class:`FetchProgress` snapshots.

    Parameters
    ----------
    stream
        Where to draw (stderr).
    unit
        What a unit of progress is (``days``, ``pages``).
    force_terminal
        Draw even when ``stream`` is not a terminal (tests).
    """

    def __init__(self, stream: TextIO, *, unit: str, force_terminal: bool | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self._unit = unit
        console = Console(file=stream, force_terminal=force_terminal, highlight=False)
        self._progress: Progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.completed:.0f}/{task.total:.0f} " + unit),
            TextColumn("{task.fields[rows]}"),
            TextColumn("{task.fields[size]}"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),
            TextColumn("{task.fields[note]}", style="yellow"),
            console=console,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task: TaskID | None = None
        self.updates = 0

    def __enter__(self) -> FetchProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def __call__(self, snapshot: FetchProgress) -> None:
        """Update the bar from one snapshot (the ``on_progress`` callback)."""
        fields: dict[str, Any] = {
            "rows": f"{snapshot.rows:,} {'profiles' if snapshot.kind == 'users' else 'events'}",
            "size": format_bytes(snapshot.bytes),
            "rate": format_rate(snapshot.rate),
            "eta": _format_eta(snapshot.eta),
            "note": _note(snapshot),
        }
        finished = snapshot.units_done + snapshot.units_failed
        if self._task is None:
            self._task = self._progress.add_task(
                f"{snapshot.kind} → {snapshot.table}",
                total=max(snapshot.units_total, 1),
                completed=finished,
                **fields,
            )
        else:
            self._progress.update(
                self._task,
                total=max(snapshot.units_total, finished, 1),
                completed=finished,
                **fields,
            )
        self.updates += 1


def _note(snapshot: FetchProgress) -> str:
    if snapshot.stage == "retrying" and snapshot.day is not None:
        return f"retrying {snapshot.day}"
    if snapshot.units_failed:
        return f"{snapshot.units_failed} failed"
    return ""


@contextmanager
def fetch_progress(ctx: Context, *, unit: str) -> Iterator[Callable[[FetchProgress], None] | None]:
    """Yield an ``on_progress`` callback drawing on stderr, or ``None`` when not wanted."""
    if not ctx.show_progress:
        yield None
        return
    with FetchProgressBar(ctx.stderr, unit=unit) as bar:
        yield bar
