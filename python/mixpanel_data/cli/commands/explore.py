"""``mp explore``: generate a Jupyter notebook or a marimo app over the workspace.

The generated file connects to the same workspace as the command (``--demo``, ``--account``,
``--workspace`` and ``--db`` are baked in), fetches the days its local table lacks, and charts
daily counts, a funnel and retention with altair. It never overwrites a file without
``--force``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from cyclopts import App, Parameter

from mixpanel_data.cli._context import CtxParam
from mixpanel_data.explore import ExploreKind, ExploreResult, plan_exploration, write_exploration

__all__ = ["explore_app", "marimo", "notebook"]

explore_app = App(
    name="explore",
    help="Generate a Jupyter notebook or a marimo app that explores the workspace.",
)

Events = Annotated[
    list[str] | None, Parameter(name="--include-events", consume_multiple=True, negative="")
]
FromDate = Annotated[dt.date | None, Parameter(name="--from")]
ToDate = Annotated[dt.date | None, Parameter(name="--to")]
Force = Annotated[bool, Parameter(negative="")]


def _generate(
    kind: ExploreKind,
    ctx: CtxParam,
    output: Path | None,
    events: list[str] | None,
    from_date: dt.date | None,
    to_date: dt.date | None,
    force: bool,
) -> ExploreResult:
    spec = plan_exploration(
        ctx.open_workspace(read_only=True),
        events=events or (),
        from_date=from_date,
        to_date=to_date,
        workspace=ctx.workspace_name,
    )
    return write_exploration(spec, kind, output, force=force)


@explore_app.command
def notebook(
    *,
    output: Annotated[Path | None, Parameter(alias="-o")] = None,
    include_events: Events = None,
    from_date: FromDate = None,
    to_date: ToDate = None,
    force: Force = False,
    ctx: CtxParam,
) -> ExploreResult:
    """Write a Jupyter notebook (nbformat 4) that explores the workspace.

    It fetches what the local database lacks, loads polars frames with SQL, and charts
    daily counts, a funnel and retention with altair. Run it with `jupyter execute FILE`.

    Parameters
    ----------
    output
        The file to write (default: exploration.ipynb).
    include_events
        Fetch and chart only these events (several may follow the option); with two or
        more they are also the funnel's steps, in order.
    from_date
        First day, inclusive (default: the first day of the local events, or of the demo
        data, or a week ago).
    to_date
        Last day, inclusive (default: the last day of the local events, or yesterday).
    force
        Overwrite the file if it exists.
    """
    return _generate("notebook", ctx, output, include_events, from_date, to_date, force)


@explore_app.command
def marimo(
    *,
    output: Annotated[Path | None, Parameter(alias="-o")] = None,
    include_events: Events = None,
    from_date: FromDate = None,
    to_date: ToDate = None,
    force: Force = False,
    ctx: CtxParam,
) -> ExploreResult:
    """Write a marimo app (a plain .py file) that explores the workspace.

    Same content as the notebook, with a date-range picker and event selectors. Edit it
    with `marimo edit FILE`, serve it with `marimo run FILE`, or run it as a script with
    `python FILE`.

    Parameters
    ----------
    output
        The file to write (default: exploration.py).
    include_events
        Fetch and chart only these events (several may follow the option); with two or
        more they are also the funnel's steps, in order.
    from_date
        First day, inclusive (default: the first day of the local events, or of the demo
        data, or a week ago).
    to_date
        Last day, inclusive (default: the last day of the local events, or yesterday).
    force
        Overwrite the file if it exists.
    """
    return _generate("marimo", ctx, output, include_events, from_date, to_date, force)
