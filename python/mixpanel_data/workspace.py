"""The :class:`Workspace`: the one object every CLI command and notebook works through.

A workspace ties together a Mixpanel project's credentials, an API client and a local
DuckDB database. Each feature area adds its methods through a mixin (local SQL and
introspection, files and workspaces, fetching, reports, ...); the class below only
assembles them.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from mixpanel_data._workspace_admin import _AdminMixin
from mixpanel_data._workspace_cohort import _CohortMixin
from mixpanel_data._workspace_fetch import _FetchMixin
from mixpanel_data._workspace_reports_flows import _FlowReportsMixin
from mixpanel_data._workspace_schema import _SchemaMixin

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mixpanel_data._credentials import Credentials
    from mixpanel_data.api import MixpanelClient

__all__ = ["Workspace", "ephemeral"]


class Workspace(_FetchMixin, _FlowReportsMixin, _CohortMixin, _SchemaMixin, _AdminMixin):
    """A Mixpanel project's credentials, API client and local DuckDB database.

    Parameters
    ----------
    account
        The named account to use (default: ``MP_ACCOUNT``, else the default account).
    path
        Use this DuckDB file (``--db``); no credentials are needed for local work.
    workspace
        A named workspace of the project (default: the current one, ``default`` at first).
    read_only
        Open the database read-only: many readers can share it, writes are refused.
    ephemeral
        Use a temporary database, removed when the workspace closes, at exit, and on
        SIGTERM/SIGINT (also ``MP_EPHEMERAL=1``).
    demo
        Talk to the built-in Mixpanel emulator and its demo project (also ``MP_DEMO=1``).
    client
        A ready Mixpanel client (tests, custom transports); its credentials are used.
    credentials
        Credentials to use instead of resolving them.
    keep_open
        Keep the database file open (and locked) between calls; ``False`` closes it after
        each call so other ``mp`` processes can take turns.
    lock_timeout
        Seconds to wait when another process has the file locked (default: 3 s to read,
        0.5 s to write; also ``MP_LOCK_TIMEOUT``).

    The database file is ``$MP_HOME/data/<project_id>/<workspace>.duckdb`` unless ``path``
    or ``ephemeral`` says otherwise. Nothing is opened until first used.

    Examples
    --------
    >>> import mixpanel_data as mp
    >>> with mp.Workspace(path="analytics.duckdb") as ws:  # doctest: +SKIP
    ...     ws.query_pl("SELECT event, count(*) AS n FROM events GROUP BY 1")
    """

    # Every capability comes from the mixins; a new area adds its mixin to the bases.


@contextmanager
def ephemeral(
    account: str | None = None,
    *,
    demo: bool = False,
    client: MixpanelClient | None = None,
    credentials: Credentials | None = None,
) -> Iterator[Workspace]:
    """A workspace over a temporary database that is removed when the block ends.

    Examples
    --------
    >>> with mp.ephemeral(demo=True) as ws:  # doctest: +SKIP
    ...     ws.query("SELECT 42 AS answer")
    [{'answer': 42}]
    """
    workspace = Workspace(
        account, ephemeral=True, demo=demo, client=client, credentials=credentials
    )
    try:
        yield workspace
    finally:
        workspace.close()
