"""The emulator's dataset: a seeded synthetic project, or a replay of a user's own export.

A :class:`Dataset` serves raw events one export day at a time, exactly as Mixpanel's Raw
Event Export sends them, plus the project's profiles, saved funnels, cohorts and Insights
bookmarks. Synthetic days are generated on demand from ``(seed, day)`` alone, so a
multi-million-event dataset streams day by day in bounded memory and the same knobs always
give byte-identical responses. Generated days are kept in a small LRU cache.

Events are Mixpanel export dicts, ``{"event": name, "properties": {"time": ms, ...}}``, with
``time`` always in milliseconds here (the export endpoint renders seconds or ms). They are
shared with the cache: treat them as read-only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixpanel_data.emulator._dataset_gen import generate_day
from mixpanel_data.emulator._dataset_io import load_duckdb, render_export_lines
from mixpanel_data.emulator._dataset_model import EPOCH, UserModel
from mixpanel_data.emulator._dataset_replay import ReplaySource, TimeUnit
from mixpanel_data.emulator._dataset_saved import (
    ActivitySummary,
    generated_bookmarks,
    generated_cohorts,
    generated_funnels,
    replay_bookmarks,
    replay_cohorts,
    summarize,
)
from mixpanel_data.emulator._dataset_types import (
    Bookmark,
    DatasetConfig,
    SavedCohort,
    SavedFunnel,
    check_timezone,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import duckdb

__all__ = ["DEMO_CONFIG", "Dataset", "day_of"]

# The fixed dataset behind `--demo`: 30 days ending 2024-05-31, ~1500 events a day.
DEMO_CONFIG = DatasetConfig(
    seed=20240531,
    start=dt.date(2024, 5, 2),
    days=30,
    events_per_day=1500,
    users=600,
    project_id=1234567,
)
_DEFAULT_CACHE_EVENTS = 250_000


class _DayCache:
    """An LRU of decoded days, bounded by their total number of events (keeps at least one)."""

    def __init__(self, max_events: int) -> None:
        self._max = max_events
        self._days: OrderedDict[dt.date, list[dict[str, Any]]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, day: dt.date) -> list[dict[str, Any]] | None:
        with self._lock:
            events = self._days.get(day)
            if events is not None:
                self._days.move_to_end(day)
            return events

    def put(self, day: dt.date, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._lock:
            present = self._days.get(day)
            if present is not None:  # another thread generated it meanwhile; keep one copy
                return present
            self._days[day] = events
            self._size += len(events)
            while self._size > self._max and len(self._days) > 1:
                _, dropped = self._days.popitem(last=False)
                self._size -= len(dropped)
            return events


class Dataset:
    """A Mixpanel project's data for the emulator: events per day, profiles, saved objects.

    Build one with :meth:`generate`, :meth:`demo` or :meth:`from_files`; the constructor is
    internal.

    Attributes
    ----------
    config
        The synthetic configuration, or ``None`` for replayed files.
    project_id, timezone, legacy_timezone
        The project the data belongs to; query reports bucket days in ``timezone``. With
        ``legacy_timezone`` (projects created before 2023) export days are days in
        ``timezone`` and the stored ``time`` is local time; otherwise both are UTC.
    days
        The export days that have data, ascending.
    """

    def __init__(
        self,
        *,
        config: DatasetConfig | None,
        project_id: int,
        timezone: str,
        legacy_timezone: bool,
        days: tuple[dt.date, ...],
        load_day: Callable[[dt.date], list[dict[str, Any]]],
        to_utc: Callable[[dt.date], Callable[[int], int]],
        profiles: Callable[[], list[dict[str, Any]]],
        saved_funnels: list[SavedFunnel],
        cohorts: Callable[[ActivitySummary, list[dict[str, Any]]], list[SavedCohort]],
        bookmarks: Callable[[ActivitySummary], list[Bookmark]] | list[Bookmark],
        cache_events: int,
        export_body: Callable[[dt.date, bool], bytes | None] | None = None,
    ) -> None:
        self.config = config
        self.project_id = project_id
        self.timezone = timezone
        self.legacy_timezone = legacy_timezone
        self.days = days
        self.saved_funnels = saved_funnels
        self._day_set = frozenset(days)
        self._load_day = load_day
        self._to_utc = to_utc
        self._export_body = export_body
        self._make_profiles = profiles
        self._make_cohorts = cohorts
        self._bookmarks = bookmarks
        self._cache = _DayCache(cache_events)
        self._lock = threading.Lock()
        self._profiles: list[dict[str, Any]] | None = None
        self._summary: ActivitySummary | None = None
        self._cohorts: list[SavedCohort] | None = None

    # -- constructors ----------------------------------------------------------------------

    @classmethod
    def generate(
        cls, config: DatasetConfig | None = None, *, cache_events: int = _DEFAULT_CACHE_EVENTS
    ) -> Dataset:
        """Return the synthetic dataset of ``config`` (days are generated when first asked).

        Parameters
        ----------
        config
            The knobs; the defaults of :class:`DatasetConfig` when omitted.
        cache_events
            How many generated events to keep decoded in memory (at least one day is kept).
        """
        config = config or DatasetConfig()
        model = UserModel(config)
        start = config.start
        days = tuple(start + dt.timedelta(days=i) for i in range(config.days))
        project_id = config.project_id

        def load_day(day: dt.date) -> list[dict[str, Any]]:
            return generate_day(model, (day - start).days)

        def to_utc(day: dt.date) -> Callable[[int], int]:
            return model.to_utc((day - start).days)

        return cls(
            config=config,
            project_id=project_id,
            timezone=config.timezone,
            legacy_timezone=config.legacy_timezone,
            days=days,
            load_day=load_day,
            to_utc=to_utc,
            profiles=model.profiles,
            saved_funnels=generated_funnels(),
            cohorts=lambda summary, profiles: generated_cohorts(summary, profiles, project_id),
            bookmarks=generated_bookmarks(days[0], days[-1]),
            cache_events=cache_events,
        )

    @classmethod
    def demo(cls) -> Dataset:
        """Return the fixed dataset behind ``--demo`` (:data:`DEMO_CONFIG`)."""
        return cls.generate(DEMO_CONFIG)

    @classmethod
    def from_files(
        cls,
        events: Path | str | Sequence[Path | str],
        profiles: Path | str | None = None,
        *,
        project_id: int = DEMO_CONFIG.project_id,
        timezone: str = "UTC",
        legacy_timezone: bool = False,
        time_unit: TimeUnit = "auto",
        saved_funnels: Sequence[SavedFunnel] = (),
        cache_events: int = _DEFAULT_CACHE_EVENTS,
    ) -> Dataset:
        """Replay a real Mixpanel export (NDJSON, gzip or not) and optional profiles.

        Parameters
        ----------
        events
            One export file or several; lines ``{"event": ..., "properties": {...}}``.
        profiles
            Engage results as a JSON array, NDJSON, or saved engage responses.
        project_id, timezone, legacy_timezone
            The project the files came from (see :class:`Dataset`).
        time_unit
            The unit of ``properties.time`` in the files: ``"s"`` (the export's default),
            ``"ms"`` (``time_in_ms=true``), or ``"auto"`` to tell from the values.
        saved_funnels
            Funnels the emulator should list; replayed data has none by default.
        cache_events
            How many decoded events to keep in memory.

        Raises
        ------
        ValidationError
            A file is missing, unreadable, not NDJSON, or mixes time units.
        """
        paths = [Path(events)] if isinstance(events, str | Path) else [Path(p) for p in events]
        zone = check_timezone(timezone)
        source = ReplaySource(
            paths,
            Path(profiles) if profiles is not None else None,
            time_unit=time_unit,
            zone=zone if legacy_timezone else None,
        )
        return cls(
            config=None,
            project_id=project_id,
            timezone=timezone,
            legacy_timezone=legacy_timezone,
            days=source.days,
            load_day=source.load_day,
            to_utc=source.to_utc,
            profiles=lambda: source.profiles,
            saved_funnels=list(saved_funnels),
            cohorts=lambda summary, _profiles: replay_cohorts(summary, project_id),
            bookmarks=replay_bookmarks,
            cache_events=cache_events,
            # The kept bytes of a replayed day are its export body: no decoding needed.
            export_body=lambda day, time_in_ms: source.export_body(day, time_in_ms=time_in_ms),
        )

    # -- events ----------------------------------------------------------------------------

    def events_for_day(self, day: dt.date) -> list[dict[str, Any]]:
        """The raw events of one export day (``time`` in ms), in export order; read-only.

        A day without data (or outside the dataset) gives an empty list.
        """
        if day not in self._day_set:
            return []
        events = self._cache.get(day)
        if events is None:
            events = self._cache.put(day, self._load_day(day))
        return events

    def export_lines(self, day: dt.date, *, time_in_ms: bool) -> bytes:
        """The NDJSON body Mixpanel's export sends for one day, byte-identical per config.

        ``time`` is whole seconds unless ``time_in_ms``; each line ends with ``\\n``; a day
        without data gives ``b""``.
        """
        if self._export_body is not None and day in self._day_set:
            body = self._export_body(day, time_in_ms)
            if body is not None:
                return body
        return render_export_lines(self.events_for_day(day), time_in_ms=time_in_ms)

    def iter_days(self) -> Iterator[tuple[dt.date, list[dict[str, Any]]]]:
        """Yield ``(day, events)`` for every day with data, in order."""
        for day in self.days:
            yield day, self.events_for_day(day)

    def to_utc(self, day: dt.date) -> Callable[[int], int]:
        """A function from a stored ``time`` (ms) on ``day`` to true UTC ms.

        The identity unless ``legacy_timezone``, where ``time`` is stored as local time.
        """
        return self._to_utc(day)

    @property
    def first_day(self) -> dt.date | None:
        """The first day with data."""
        return self.days[0] if self.days else None

    @property
    def last_day(self) -> dt.date | None:
        """The last day with data."""
        return self.days[-1] if self.days else None

    # -- profiles and saved objects ---------------------------------------------------------

    @property
    def profiles(self) -> list[dict[str, Any]]:
        """Engage results ``{"$distinct_id": str, "$properties": {...}}``; read-only."""
        with self._lock:
            if self._profiles is None:
                self._profiles = self._make_profiles()
            return self._profiles

    def _activity(self) -> ActivitySummary:
        with self._lock:
            if self._summary is None:
                self._summary = summarize(self.days, (self._load_or_cached(d) for d in self.days))
            return self._summary

    @property
    def saved_cohorts(self) -> list[SavedCohort]:
        """Saved cohorts; members come from rules over the data (one scan, then cached)."""
        if self._cohorts is None:
            cohorts = self._make_cohorts(self._activity(), self.profiles)
            with self._lock:
                self._cohorts = cohorts
        return self._cohorts

    @property
    def bookmarks(self) -> list[Bookmark]:
        """Saved Insights reports (``/insights?bookmark_id=``)."""
        if isinstance(self._bookmarks, list):
            return self._bookmarks
        return self._bookmarks(self._activity())

    def cohort(self, cohort_id: int) -> SavedCohort | None:
        """The saved cohort with that id, or ``None``."""
        return next((c for c in self.saved_cohorts if c.id == cohort_id), None)

    def funnel(self, funnel_id: int) -> SavedFunnel | None:
        """The saved funnel with that id, or ``None``."""
        return next((f for f in self.saved_funnels if f.funnel_id == funnel_id), None)

    def bookmark(self, bookmark_id: int) -> Bookmark | None:
        """The saved Insights report with that id, or ``None``."""
        return next((b for b in self.bookmarks if b.id == bookmark_id), None)

    # -- DuckDB ----------------------------------------------------------------------------

    def to_duckdb(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str = "events",
        *,
        users_table: str = "users",
    ) -> int:
        """Load every event and profile into DuckDB; return the number of event rows.

        Creates (or replaces) ``table`` with ``event VARCHAR, time TIMESTAMP (true UTC, ms),
        distinct_id VARCHAR, insert_id VARCHAR, mp_processing_time_ms BIGINT, properties
        JSON`` (the raw properties, ``time`` in ms as stored) and ``users_table`` with
        ``distinct_id VARCHAR, properties JSON``. Rows are raw: no deduplication, as the
        export applies none. Runs in one transaction.

        Raises
        ------
        StorageError
            DuckDB refused the load (read-only connection, open transaction...).
        """
        days = ((self._load_or_cached(day), self._to_utc(day)) for day in self.days)
        return load_duckdb(con, days, self.profiles, table=table, users_table=users_table)

    def _load_or_cached(self, day: dt.date) -> list[dict[str, Any]]:
        # A full scan must not evict the days a server is busy answering from.
        cached = self._cache.get(day)
        return cached if cached is not None else self._load_day(day)

    def __repr__(self) -> str:
        source = f"seed={self.config.seed}" if self.config else "replay"
        span = f"{self.first_day}..{self.last_day}" if self.days else "empty"
        return f"<Dataset {source} project_id={self.project_id} days={span}>"


def day_of(epoch_ms: int) -> dt.date:
    """The UTC calendar day of an epoch-ms value (the export day of a stored ``time``)."""
    return EPOCH.date() + dt.timedelta(days=epoch_ms // 86_400_000)
