"""Result types of the user-flow reports: funnels, retention, frequency, Insights, activity.

See :mod:`mixpanel_data._types_reports` for what every report shares (``source``, ``note``,
the header of parameters, tidy frames).
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (msgspec reads field types at runtime)
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec

from mixpanel_data._result import Record
from mixpanel_data._types_reports import ReportResult, date_column

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars

__all__ = [
    "ActivityEvent",
    "ActivityFeedResult",
    "FrequencyResult",
    "FrequencyRow",
    "FunnelResult",
    "FunnelStep",
    "InsightsResult",
    "InsightsRow",
    "RetentionResult",
    "RetentionRow",
]


def _report_keys(bucket: str | None, group_by: str | None, *rest: str) -> list[str]:
    """A report's key columns: its bucket (if it has one), the segment with ``group_by``, ``rest``."""
    keys = [bucket] if bucket is not None else []
    if group_by is not None:
        keys.append("segment")
    return [*keys, *rest]


def _rows_frame(
    rows: Sequence[Any],
    dates: tuple[str, list[str]] | None,
    group_by: str | None,
    schema: dict[str, Any],
    *,
    strict: bool = True,
) -> polars.DataFrame:
    """The frame of a report's ``rows``.

    Its columns: the bucket column named and filled by ``dates`` (if any), ``segment`` with
    ``group_by``, then one per ``schema`` entry (the rows' attribute of that name, of that
    polars type).
    """
    import polars

    columns: list[polars.Series] = []
    if dates is not None:
        columns.append(date_column(*dates))
    if group_by is not None:
        columns.append(polars.Series("segment", [r.segment for r in rows], dtype=polars.String))
    for name, dtype in schema.items():
        values = [getattr(r, name) for r in rows]
        columns.append(polars.Series(name, values, dtype=dtype, strict=strict))
    return polars.DataFrame(columns)


class FunnelStep(Record, frozen=True, kw_only=True, dict=True):
    """One step of a funnel (for one entry bucket and segment, when the funnel has them).

    Attributes
    ----------
    step
        1-based position of the step.
    event
        The step's event.
    users
        Users who reached this step.
    conversion_rate
        ``users`` divided by the users who entered (step 1); 1.0 for step 1 when anyone
        entered.
    step_conversion_rate
        ``users`` divided by the previous step's users.
    avg_time, avg_time_from_start
        Mean seconds from the previous step, and from step 1, over the users who reached this
        step (``None`` for step 1 and when nobody did).
    date
        The entry bucket, with ``unit``; ``None`` for the whole range.
    segment
        The segment (value of ``group_by`` on the entering event); ``None`` without one.
    """

    step: int
    event: str
    users: int
    conversion_rate: float
    step_conversion_rate: float
    avg_time: float | None = None
    avg_time_from_start: float | None = None
    date: str | None = None
    segment: str | None = None


class FunnelResult(ReportResult, frozen=True, kw_only=True, dict=True):
    """A funnel: how many users went through each step, in order, within the window.

    Rows: one per step (per entry bucket with ``unit``, per segment with ``group_by``):
    ``step``, ``event``, ``users``, ``conversion_rate`` (from step 1),
    ``step_conversion_rate`` (from the previous step), ``avg_time``,
    ``avg_time_from_start`` (seconds).
    """

    events: list[str]
    from_date: dt.date
    to_date: dt.date
    funnel_id: int | None = None
    name: str | None = None
    window: str | None = None
    unit: str | None = None
    group_by: str | None = None
    where: str | None = None
    steps: list[FunnelStep] = msgspec.field(default_factory=list)

    _report: ClassVar[str] = "funnel"
    _param_names: ClassVar[tuple[str, ...]] = (
        "funnel_id",
        "name",
        "events",
        "from_date",
        "to_date",
        "window",
        "unit",
        "group_by",
        "where",
    )

    def _key_columns(self) -> list[str]:
        bucket = "date" if self.unit is not None else None
        return _report_keys(bucket, self.group_by, "step", "event")

    @property
    def conversion_rate(self) -> float:
        """Overall conversion from the first step to the last, over the whole funnel.

        Summed over every entry bucket and segment shown.
        """
        entered = sum(s.users for s in self.steps if s.step == 1)
        last = len(self.events)
        completed = sum(s.users for s in self.steps if s.step == last)
        return completed / entered if entered else 0.0

    def _to_frame(self) -> polars.DataFrame:
        import polars

        dates = ("date", [s.date or "" for s in self.steps]) if self.unit is not None else None
        schema: dict[str, Any] = {
            "step": polars.Int64,
            "event": polars.String,
            "users": polars.Int64,
            "conversion_rate": polars.Float64,
            "step_conversion_rate": polars.Float64,
            "avg_time": polars.Float64,
            "avg_time_from_start": polars.Float64,
        }
        return _rows_frame(self.steps, dates, self.group_by, schema, strict=False)


class RetentionRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One cohort × period cell of a retention report."""

    cohort: str
    period: int
    cohort_size: int
    users: int
    segment: str | None = None

    @property
    def rate(self) -> float:
        """``users / cohort_size`` (0.0 for an empty cohort)."""
        return self.users / self.cohort_size if self.cohort_size else 0.0


class RetentionResult(ReportResult, frozen=True, kw_only=True, dict=True):
    """Retention: of the users born in each cohort, how many came back in each later period.

    Rows: ``cohort`` (the cohort's first day), ``segment`` (with ``group_by``),
    ``cohort_size``, ``period`` (0 = within the first interval), ``users``, ``rate``.
    Periods that had not started by the day the report ran are left out.
    """

    born_event: str | None
    return_event: str | None
    from_date: dt.date
    to_date: dt.date
    unit: str = "day"
    interval: int = 1
    periods: int = 1
    retention_type: Literal["birth", "compounded"] = "birth"
    unbounded: bool = False
    group_by: str | None = None
    where: str | None = None
    born_where: str | None = None
    rows: list[RetentionRow] = msgspec.field(default_factory=list)

    _report: ClassVar[str] = "retention"
    _param_names: ClassVar[tuple[str, ...]] = (
        "born_event",
        "return_event",
        "from_date",
        "to_date",
        "unit",
        "interval",
        "periods",
        "retention_type",
        "unbounded",
        "group_by",
        "where",
        "born_where",
    )

    def _param(self, name: str) -> Any:
        # The header leaves out what is the default (one-unit interval, bounded retention).
        if name == "return_event":
            return self.return_event or "any event"
        if name == "interval":
            return self.interval if self.interval != 1 else None
        if name == "unbounded":
            return self.unbounded or None
        return super()._param(name)

    def _key_columns(self) -> list[str]:
        return _report_keys("cohort", self.group_by, "period")

    def _to_frame(self) -> polars.DataFrame:
        import polars

        dates = ("cohort", [r.cohort for r in self.rows])
        schema: dict[str, Any] = {
            "cohort_size": polars.Int64,
            "period": polars.Int64,
            "users": polars.Int64,
            "rate": polars.Float64,
        }
        return _rows_frame(self.rows, dates, self.group_by, schema)


class FrequencyRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Users of one period (and segment) active in a number of distinct hours or days."""

    date: str
    bucket: str
    users: int
    segment: str | None = None


class FrequencyResult(ReportResult, frozen=True, kw_only=True, dict=True):
    """Frequency: how many distinct hours or days (``count_by``) users did the event per period.

    Rows: ``date`` (the period), ``segment`` (with ``group_by``), ``bucket`` (a number of
    active hours/days such as ``"3"``, or a range from ``buckets`` such as ``"2-5"`` or
    ``"11+"``) and ``users`` active in exactly that many (that range of) hours or days.
    Without ``buckets``, single numbers from 1 up to the largest one any user reached.
    """

    event: str | None
    from_date: dt.date
    to_date: dt.date
    unit: str = "week"
    count_by: str = "day"
    buckets: str | None = None
    group_by: str | None = None
    where: str | None = None
    rows: list[FrequencyRow] = msgspec.field(default_factory=list)

    _report: ClassVar[str] = "frequency"
    _param_names: ClassVar[tuple[str, ...]] = (
        "event",
        "from_date",
        "to_date",
        "unit",
        "count_by",
        "buckets",
        "group_by",
        "where",
    )

    def _param(self, name: str) -> Any:
        return (self.event or "any event") if name == "event" else super()._param(name)

    def _key_columns(self) -> list[str]:
        return _report_keys("date", self.group_by, "bucket")

    def _to_frame(self) -> polars.DataFrame:
        import polars

        dates = ("date", [r.date for r in self.rows])
        schema: dict[str, Any] = {"bucket": polars.String, "users": polars.Int64}
        return _rows_frame(self.rows, dates, self.group_by, schema)


class InsightsRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One value of an Insights report: its labels (one per header), its bucket, the value."""

    labels: list[str]
    date: str
    value: int | float | None = None


def _label_column(header: str) -> str:
    # "$event" is the metric level of every Insights report; the others are breakdowns,
    # named after their property.
    return "event" if header == "$event" else header


class InsightsResult(ReportResult, frozen=True, kw_only=True, dict=True):
    """A saved Insights report (a bookmark), flattened to one row per label × date.

    Rows: one column per level of ``headers`` (``event`` for ``$event``, then each
    breakdown property), ``date`` (the bucket, in the project's time zone) and ``value``.
    """

    bookmark_id: int | None
    from_date: dt.date
    to_date: dt.date
    headers: list[str] = msgspec.field(default_factory=lambda: ["$event"])
    unit: str | None = None
    measure: str | None = None
    computed_at: str | None = None
    rows: list[InsightsRow] = msgspec.field(default_factory=list)

    _report: ClassVar[str] = "insights"
    _param_names: ClassVar[tuple[str, ...]] = (
        "bookmark_id",
        "from_date",
        "to_date",
        "headers",
        "unit",
        "measure",
    )

    def _key_columns(self) -> list[str]:
        return [*(_label_column(h) for h in self.headers), "date"]

    def _to_frame(self) -> polars.DataFrame:
        import polars

        columns = [
            polars.Series(
                _label_column(header),
                [r.labels[i] if i < len(r.labels) else None for r in self.rows],
                dtype=polars.String,
            )
            for i, header in enumerate(self.headers)
        ]
        columns.append(date_column("date", [r.date for r in self.rows]))
        columns.append(
            polars.Series("value", [r.value for r in self.rows], dtype=polars.Float64, strict=False)
        )
        return polars.DataFrame(columns)


class ActivityEvent(Record, frozen=True, kw_only=True, dict=True):
    """One event of a user's activity feed.

    ``time`` is naive UTC (second precision, as Mixpanel's feed gives it); ``properties``
    are the event's other properties (without ``time`` and the distinct id).
    """

    time: dt.datetime
    distinct_id: str
    event: str
    properties: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def insert_id(self) -> str | None:
        """The event's ``$insert_id`` (``None`` when it has none)."""
        value = self.properties.get("$insert_id")
        return None if value is None else str(value)


class ActivityFeedResult(ReportResult, frozen=True, kw_only=True, dict=True):
    """The events of some users over a date range, oldest first (Mixpanel's activity feed).

    Rows: ``time`` (UTC), ``distinct_id``, ``event``, ``insert_id`` (the event's
    ``$insert_id``, which tells apart events of the same second), ``properties`` (JSON text,
    keys sorted).
    """

    distinct_ids: list[str]
    from_date: dt.date
    to_date: dt.date
    events: list[ActivityEvent] = msgspec.field(default_factory=list)

    _report: ClassVar[str] = "activity"
    _param_names: ClassVar[tuple[str, ...]] = ("distinct_ids", "from_date", "to_date")

    def _key_columns(self) -> list[str]:
        return ["time", "distinct_id", "event", "insert_id"]

    def _to_frame(self) -> polars.DataFrame:
        import orjson
        import polars

        def text(props: dict[str, Any]) -> str:
            return orjson.dumps(props, option=orjson.OPT_SORT_KEYS, default=str).decode()

        return polars.DataFrame(
            [
                polars.Series("time", [e.time for e in self.events], dtype=polars.Datetime("us")),
                polars.Series(
                    "distinct_id", [e.distinct_id for e in self.events], dtype=polars.String
                ),
                polars.Series("event", [e.event for e in self.events], dtype=polars.String),
                polars.Series("insert_id", [e.insert_id for e in self.events], dtype=polars.String),
                polars.Series(
                    "properties", [text(e.properties) for e in self.events], dtype=polars.String
                ),
            ]
        )
