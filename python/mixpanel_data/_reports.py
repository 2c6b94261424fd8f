"""The report service behind the Workspace's report methods: live, local, compare, save.

The :class:`ReportRunner` is what the Workspace mixins call: it knows the project's time
zone and "today" (Query API days are the project's local days), opens the local tables for
``local=True``, calls Mixpanel otherwise, and stores results with ``save_as``. Every report
method of the Workspace is one query built by :mod:`mixpanel_data._reports_query` and one
call to :meth:`ReportRunner.run`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mixpanel_data.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mixpanel_data._reports_local import LocalTables
    from mixpanel_data._result import Result
    from mixpanel_data._workspace_core import WorkspaceCore
    from mixpanel_data.api import MixpanelClient

__all__ = ["ReportRunner"]

log = logging.getLogger(__name__)

Q = TypeVar("Q")
R = TypeVar("R", bound="Result")


class ReportRunner:
    """Runs reports for one workspace.

    Parameters
    ----------
    workspace
        The workspace: its credentials (time zone), client and database.
    """

    def __init__(self, workspace: WorkspaceCore) -> None:
        self._ws = workspace

    # -- the project's calendar ------------------------------------------------------------

    @property
    def timezone(self) -> str:
        """The project's time zone (UTC when no credentials are at hand)."""
        try:
            zone = self._ws.credentials.timezone
        except ConfigError:
            return "UTC"
        return zone or "UTC"

    @property
    def today(self) -> dt.date:
        """Today in the project's time zone (the demo emulator's own "today" in demo mode)."""
        if self._ws.demo:
            from mixpanel_data.emulator import demo_emulator

            return demo_emulator().today
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return dt.datetime.now(zone).date()

    # -- running -----------------------------------------------------------------------------

    @property
    def client(self) -> MixpanelClient:
        """The workspace's Mixpanel client."""
        return self._ws.client

    def live(self, compute: Callable[[MixpanelClient, Q], R], query: Q) -> R:
        """Compute a report with Mixpanel's Query API."""
        return compute(self._ws.client, query)

    def local(
        self, compute: Callable[[LocalTables, Q], R], query: Q, *, table: str = "events"
    ) -> R:
        """Compute a report from the workspace's tables."""
        from mixpanel_data._reports_local import LocalTables

        with self._ws.database.reading() as con:
            tables = LocalTables(con, tz=self.timezone, table=table, today=self.today)
            return compute(tables, query)

    def run(
        self,
        live: Callable[[MixpanelClient, Q], R],
        local: Callable[[LocalTables, Q], R],
        query: Q,
        *,
        use_local: bool,
        table: str,
        save_as: str | None,
    ) -> R:
        """Compute a report live or locally, and store it when ``save_as`` names a table."""
        result = self.local(local, query, table=table) if use_local else self.live(live, query)
        return self.save(result, save_as)

    def save(self, result: R, save_as: str | None) -> R:
        """Store ``result`` as table ``save_as`` (when given); returns the result."""
        if save_as is not None:
            from mixpanel_data._reports_save import save_report

            rows = save_report(self._ws.database, save_as, result)
            log.info("saved %d rows as table %r", rows, save_as)
        return result

    def fetch_for(
        self, events: list[str], from_date: dt.date, to_date: dt.date, *, table: str
    ) -> bool:
        """Fetch what the workspace lacks of ``events`` for the local days given.

        Export days are UTC days (or the project's zone for projects created before 2023)
        while report days are the project's local days, so one more day on each side is
        fetched; days the fetch log already has complete are skipped by the fetch service.
        Returns False when this installation has no fetch service (nothing fetched).
        """
        fetch: Any = getattr(self._ws, "fetch_events", None)
        if fetch is None:
            log.warning("no fetch service: computing from the events already in %r", table)
            return False
        utc_today = dt.datetime.now(dt.UTC).date()
        last = min(to_date + dt.timedelta(days=1), self.today, utc_today)
        first = min(from_date - dt.timedelta(days=1), last)
        fetch(first, last, events=events, table=table)
        return True
