"""Module-level conveniences for notebooks: ``mp.connect()``, ``mp.query_df(...)``.

``mp.connect()`` opens a workspace and makes it the module's default; ``mp.query``,
``mp.query_pl``, ``mp.query_df`` and ``mp.tables`` use that default (connecting with the
default account on first use). The default workspace releases the database file after each
call (``keep_open=False``), so the ``mp`` CLI in a terminal can read and write the same
file between notebook cells.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from mixpanel_data.workspace import Workspace

if TYPE_CHECKING:
    from pathlib import Path

    import pandas
    import polars

    from mixpanel_data._types_db import TableList

__all__ = ["connect", "query", "query_df", "query_pl", "tables"]

_default: Workspace | None = None
_guard = threading.Lock()


def connect(
    account: str | None = None,
    *,
    path: str | Path | None = None,
    workspace: str | None = None,
    read_only: bool = False,
    demo: bool = False,
    keep_open: bool = False,
) -> Workspace:
    """Open a workspace for a notebook and make it the default of ``mp.query`` & co.

    Takes the same arguments as :class:`Workspace`. A previous default is closed.

    Examples
    --------
    >>> import mixpanel_data as mp
    >>> ws = mp.connect()  # doctest: +SKIP
    >>> mp.query_df("SELECT event, count(*) AS n FROM events GROUP BY 1")  # doctest: +SKIP
    """
    global _default
    ws = Workspace(
        account,
        path=path,
        workspace=workspace,
        read_only=read_only,
        demo=demo,
        keep_open=keep_open,
    )
    with _guard:
        previous, _default = _default, ws
    if previous is not None:
        previous.close()
    return ws


def _current() -> Workspace:
    with _guard:
        ws = _default
    if ws is None or ws.closed:
        return connect()
    return ws


def query(sql: str, *, write: bool = False) -> list[dict[str, Any]]:
    """Run SQL on the default workspace; rows as dicts (see :meth:`Workspace.query`)."""
    return _current().query(sql, write=write)


def query_pl(sql: str, *, write: bool = False) -> polars.DataFrame:
    """Run SQL on the default workspace; a polars frame (see :meth:`Workspace.query_pl`)."""
    return _current().query_pl(sql, write=write)


def query_df(sql: str, *, write: bool = False) -> pandas.DataFrame:
    """Run SQL on the default workspace; a pandas frame (see :meth:`Workspace.query_df`)."""
    return _current().query_df(sql, write=write)


def tables() -> TableList:
    """The tables of the default workspace (see :meth:`Workspace.tables`)."""
    return _current().tables()
