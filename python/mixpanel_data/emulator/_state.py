"""What endpoint handlers see: the emulator's shared state and one call's context."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mixpanel_data.emulator._sessions import Sessions

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from mixpanel_data.emulator._dataset import Dataset
    from mixpanel_data.emulator._wire import Params

__all__ = ["Call", "State"]


@dataclass
class State:
    """Shared, thread-safe state of one emulator.

    Parameters
    ----------
    dataset
        The data served.
    today
        The emulator's "today" in the project time zone (``to_date`` may not be later).
    page_size
        Engage page size.
    session_ttl
        Seconds (on ``clock``) an engage ``session_id`` stays valid.
    clock
        Monotonic seconds; sessions expire on it.
    """

    dataset: Dataset
    today: dt.date
    page_size: int
    session_ttl: float
    clock: Callable[[], float]
    _db: duckdb.DuckDBPyConnection | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    sessions: Sessions = field(init=False, repr=False)

    def __post_init__(self) -> None:
        noon = dt.datetime.combine(self.today, dt.time(12), tzinfo=dt.UTC)
        self.sessions = Sessions(
            ttl=self.session_ttl, clock=self.clock, epoch=int(noon.timestamp())
        )

    @property
    def timezone(self) -> str:
        """The project time zone (IANA name)."""
        return self.dataset.timezone

    @property
    def computed_at(self) -> str:
        """A fixed ``computed_at`` stamp (noon UTC of ``today``), so answers are reproducible."""
        return f"{self.today.isoformat()}T12:00:00.000000+00:00"

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the in-memory DuckDB holding the dataset (loaded on first use)."""
        with self._lock:
            if self._db is None:
                import duckdb

                con = duckdb.connect(":memory:")
                self.dataset.to_duckdb(con, "events", users_table="users")
                self._db = con
            return self._db.cursor()

    def close(self) -> None:
        """Close the DuckDB connection, if one was opened."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


@dataclass
class Call:
    """One request as a handler sees it: parameters, the project and the shared state."""

    params: Params
    project_id: int
    endpoint: str
    state: State
