"""What a generated notebook works on: where the data lives, which days, which events.

An :class:`ExploreSpec` is everything the generators need; :func:`plan_exploration` fills in
what the user left out from the workspace (the days its events table already holds, the demo
project's days, or the last seven complete days).
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mixpanel_data.workspace import Workspace

__all__ = [
    "DEFAULT_DAYS",
    "ExploreKind",
    "ExploreSpec",
    "default_range",
    "literal",
    "plan_exploration",
    "printable",
]

ExploreKind = Literal["notebook", "marimo"]

# How many complete days a notebook over a live project explores by default: enough for daily
# charts, small enough that the first run's fetch stays quick.
DEFAULT_DAYS = 7


# Characters str.splitlines() breaks at. JSON escapes the control characters among them, but
# not U+0085, U+2028 and U+2029; tools that read source line by line (marimo's parser) would
# split a string literal there, so they are escaped too.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_UNESCAPED_BY_JSON = {ord(c): c.encode("unicode_escape").decode() for c in "\x85\u2028\u2029"}


def literal(text: str) -> str:
    """A double-quoted Python string literal for ``text``, on one line.

    JSON's string escapes are valid Python escapes, so ``json.dumps`` does the quoting.
    """
    return json.dumps(text, ensure_ascii=False).translate(_UNESCAPED_BY_JSON)


def printable(text: str) -> str:
    """``text`` with line-breaking characters shown as escapes (for one-line display)."""
    return "".join(c.encode("unicode_escape").decode() if c in LINE_BREAKS else c for c in text)


def _check_name(option: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"{option} holds an empty event name ({value!r})",
            hint='name events as Mixpanel shows them, e.g. "Sign Up"',
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"{option} holds a name that is not valid text ({value!r})",
            hint="pass event names as UTF-8 text",
        ) from None


@dataclass(frozen=True, kw_only=True)
class ExploreSpec:
    """The settings baked into a generated notebook.

    Parameters
    ----------
    from_date, to_date
        The days to explore, inclusive.
    events
        Fetch and chart only these events, in this order (empty: every event).
    funnel
        The funnel's steps, in order (empty: chosen from the data when the notebook runs).
    demo
        Connect to the built-in demo project (no credentials needed).
    account
        The named account to connect with (``None``: the default account).
    workspace
        The named local workspace (``None``: the current one).
    db
        A DuckDB file to open instead of the account's workspace.
    """

    from_date: dt.date
    to_date: dt.date
    events: tuple[str, ...] = ()
    funnel: tuple[str, ...] = ()
    demo: bool = False
    account: str | None = None
    workspace: str | None = None
    db: str | None = None

    def __post_init__(self) -> None:
        if self.from_date > self.to_date:
            raise ValidationError(
                f"the range starts after it ends: --from {self.from_date} is later than "
                f"--to {self.to_date}",
                hint="swap the dates, or pass only one of them",
            )
        for option, values in (("--include-events", self.events), ("funnel", self.funnel)):
            for value in values:
                _check_name(option, value)
        for option, text in (("--account", self.account), ("--workspace", self.workspace)):
            if text is not None:
                _check_name(option, text)
        if self.db is not None and self.workspace is not None:
            raise ValidationError(
                "a notebook opens either a database file or a workspace, not both",
                hint="drop --db or --workspace",
            )

    def connect_arguments(self) -> str:
        """The arguments of the ``mp.connect(...)`` call the notebook makes."""
        arguments: list[str] = []
        if self.account is not None:
            arguments.append(literal(self.account))
        if self.db is not None:
            arguments.append(f"path={literal(self.db)}")
        if self.workspace is not None:
            arguments.append(f"workspace={literal(self.workspace)}")
        if self.demo:
            arguments.append("demo=True")
        return ", ".join(arguments)

    def source(self) -> str:
        """One sentence that says where the notebook's data comes from."""
        if self.demo:
            return (
                "the built-in demo project (an in-process Mixpanel emulator with fixed data: "
                "no credentials, no network)"
            )
        where = f"the DuckDB file `{self.db}`" if self.db is not None else "the local workspace"
        if self.workspace is not None:
            where = f"the local workspace `{self.workspace}`"
        who = f"account `{self.account}`" if self.account is not None else "the default account"
        return f"{where}, fetching what it lacks from Mixpanel with {who}"

    def command_line(self, kind: ExploreKind, output: str | None = None) -> str:
        """The ``mp`` command that generates this notebook again."""
        argv = ["mp"]
        if self.demo:
            argv.append("--demo")
        if self.account is not None:
            argv += ["--account", self.account]
        if self.workspace is not None:
            argv += ["--workspace", self.workspace]
        if self.db is not None:
            argv += ["--db", self.db]
        argv += ["explore", kind]
        if output is not None:
            argv += ["--output", output]
        if self.events:
            argv += ["--include-events", *self.events]
        argv += ["--from", self.from_date.isoformat(), "--to", self.to_date.isoformat()]
        return shlex.join(argv)


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return tuple(seen)


def _local_range(ws: Workspace, table: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day (UTC) of the events the local table holds, if any."""
    for info in ws.tables().tables:
        if info.name == table and info.first_time is not None and info.last_time is not None:
            return info.first_time.date(), info.last_time.date()
    return None


def _demo_range() -> tuple[dt.date, dt.date]:
    from mixpanel_data.emulator import DEMO_CONFIG

    return DEMO_CONFIG.start, DEMO_CONFIG.start + dt.timedelta(days=DEMO_CONFIG.days - 1)


def default_range(
    ws: Workspace, *, today: dt.date | None = None, table: str = "events"
) -> tuple[dt.date, dt.date]:
    """The days a notebook explores when none are given.

    The days the local events table already holds; else, for the demo, the demo project's
    days; else the last :data:`DEFAULT_DAYS` complete (UTC) days.
    """
    local = _local_range(ws, table)
    if local is not None:
        return local
    if ws.demo:
        return _demo_range()
    last = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)
    return last - dt.timedelta(days=DEFAULT_DAYS - 1), last


def _complete_range(
    ws: Workspace, from_date: dt.date | None, to_date: dt.date | None, today: dt.date | None
) -> tuple[dt.date, dt.date]:
    """Fill a missing end of the range: the default range's end, or a default-length span."""
    if from_date is not None and to_date is not None:
        return from_date, to_date
    first, last = default_range(ws, today=today)
    span = dt.timedelta(days=DEFAULT_DAYS - 1)
    if from_date is not None:
        return from_date, last if last >= from_date else from_date + span
    if to_date is not None:
        return (first if first <= to_date else to_date - span), to_date
    return first, last


def plan_exploration(
    ws: Workspace,
    *,
    events: Sequence[str] = (),
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    account: str | None = None,
    workspace: str | None = None,
    today: dt.date | None = None,
) -> ExploreSpec:
    """Decide what a notebook over ``ws`` explores.

    Parameters
    ----------
    ws
        The workspace the notebook will open (its demo flag and ``--db`` path are baked in;
        its events table tells the default days).
    events
        Fetch and chart only these events; with two or more they are also the funnel.
    from_date, to_date
        The days to explore (a missing end comes from :func:`default_range`).
    account, workspace
        The account and workspace names the user gave (baked in only when given, so the
        notebook otherwise follows the defaults, as ``mp`` does).
    today
        The current day (tests); default: today in UTC.

    Raises
    ------
    ValidationError
        An ephemeral workspace (gone when the command exits), dates in the wrong order, or
        an empty event name.
    ConfigError
        The workspace needs credentials that cannot be found.
    """
    if ws.ephemeral:
        raise ValidationError(
            "a notebook cannot use an ephemeral workspace: it is removed when this command exits",
            hint="drop --ephemeral (or MP_EPHEMERAL), or pass --db PATH to keep the data",
        )
    chosen = _unique(list(events))
    start, end = _complete_range(ws, from_date, to_date, today)
    return ExploreSpec(
        from_date=start,
        to_date=end,
        events=chosen,
        funnel=chosen if len(chosen) >= 2 else (),
        demo=ws.demo,
        account=account if account is not None else ws.account,
        workspace=workspace,
        db=str(ws.path.resolve()) if ws.by_path else None,
    )
