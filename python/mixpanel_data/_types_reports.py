"""Result types of the reports: Mixpanel's live answers and the same reports computed locally.

Every report is a frozen, keyword-only msgspec Struct (see :mod:`mixpanel_data._result`)
holding its parameters and tidy rows; ``.pl`` is the polars frame (one row per date ×
segment, per step, or per cohort × period), ``.df`` the pandas one. ``source`` says where the
numbers came from: ``live`` (Mixpanel's Query API) or ``local`` (computed from the
workspace's tables with :mod:`mixpanel_data.analytics`).

Bucket keys are kept as Mixpanel writes them (``yyyy-mm-dd`` for day, week and month
buckets, ``yyyy-mm-dd HH:MM:SS`` local time for hours and minutes); the frames turn them
into ``Date`` (or ``Datetime``) columns.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (msgspec reads field types at runtime)
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec

from mixpanel_data._result import Result

if TYPE_CHECKING:
    import polars

__all__ = [
    "EventCountsResult",
    "NumericAverageResult",
    "NumericBucketResult",
    "NumericSumResult",
    "PropertyCountsResult",
    "ReportResult",
    "ReportSource",
    "SegmentationResult",
    "SeriesRow",
    "date_column",
]

ReportSource = Literal["live", "local"]
"""Where a report's numbers come from: Mixpanel's Query API, or the local tables."""

Measure = Literal["count", "unique", "average", "sum"]


def date_column(name: str, keys: list[str]) -> polars.Series:
    """Bucket keys as a ``Date`` column, or ``Datetime`` when any key has a time of day."""
    import polars

    raw = polars.Series(name, keys, dtype=polars.String)
    if all(len(key) == 10 for key in keys):
        return raw.str.to_date("%Y-%m-%d")
    return raw.str.replace("T", " ").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us")


class ReportResult(Result, frozen=True, kw_only=True, dict=True):
    """What every report has: where it was computed, and a note about how.

    Subclasses name their report (``_report``), their parameters (``_param_names``, in the
    header's order; ``_param()`` says how one is shown when that is not the field's value)
    and the columns that identify a row (``_key_columns()``, used by comparisons).
    """

    source: ReportSource = "live"
    note: str | None = None

    _report: ClassVar[str] = "report"
    _param_names: ClassVar[tuple[str, ...]] = ()

    def _param(self, name: str) -> Any:
        """The header's value of the parameter ``name``: by default the field of that name."""
        return getattr(self, name)

    def _params(self) -> dict[str, Any]:
        return {name: self._param(name) for name in self._param_names}

    def _header(self) -> dict[str, Any] | None:
        header: dict[str, Any] = {"report": self._report}
        header.update((k, v) for k, v in self._params().items() if v is not None)
        header["source"] = self.source
        if self.note:
            header["note"] = self.note
        return header

    def _key_columns(self) -> list[str]:
        """The columns that identify a row of the frame."""
        return []


class SeriesRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One cell of a time series: a bucket, a segment and the value measured there."""

    date: str
    segment: str | None = None
    value: int | float | None = None


class _SeriesResult(ReportResult, frozen=True, kw_only=True, dict=True):
    """A value per time bucket (and segment): one row per date × segment."""

    from_date: dt.date
    to_date: dt.date
    unit: str
    rows: list[SeriesRow] = msgspec.field(default_factory=list)

    # The name of the segment column in the frame; None when the report has no segments.
    _segment_column: ClassVar[str | None] = "segment"
    _float_values: ClassVar[bool] = False

    def _segment_name(self) -> str | None:
        return self._segment_column

    def _value_is_float(self) -> bool:
        return self._float_values

    def _key_columns(self) -> list[str]:
        segment = self._segment_name()
        return ["date"] if segment is None else ["date", segment]

    def _to_frame(self) -> polars.DataFrame:
        import polars

        value_type = polars.Float64 if self._value_is_float() else polars.Int64
        columns = [date_column("date", [row.date for row in self.rows])]
        segment = self._segment_name()
        if segment is not None:
            columns.append(
                polars.Series(segment, [row.segment for row in self.rows], dtype=polars.String)
            )
        values = [row.value for row in self.rows]
        columns.append(polars.Series("value", values, dtype=value_type, strict=False))
        return polars.DataFrame(columns)

    @property
    def total(self) -> int | float:
        """The sum of every value (a count over the range when the measure adds up)."""
        return sum(row.value for row in self.rows if row.value is not None)

    def series(self) -> dict[str, dict[str, int | float | None]]:
        """The values as ``{segment: {date: value}}`` (the segment is ``""`` when there is none)."""
        out: dict[str, dict[str, int | float | None]] = {}
        for row in self.rows:
            out.setdefault(row.segment or "", {})[row.date] = row.value
        return out


class SegmentationResult(_SeriesResult, frozen=True, kw_only=True, dict=True):
    """Counts of one event per time bucket, optionally segmented (Mixpanel's segmentation).

    Rows: ``date``, ``segment`` (only with ``group_by``; ``"undefined"`` where the
    property is not set) and ``value``: the number of events (``count``), of distinct users
    (``unique``), events per user (``average``), or with ``property`` the sum or the mean of
    that property (``sum``/``average``). Dates without data have 0 (no value for a mean).
    """

    event: str
    measure: Measure = "count"
    property: str | None = None
    group_by: str | None = None
    where: str | None = None

    _report: ClassVar[str] = "segmentation"
    _param_names: ClassVar[tuple[str, ...]] = (
        "event",
        "from_date",
        "to_date",
        "unit",
        "measure",
        "property",
        "group_by",
        "where",
    )

    def _segment_name(self) -> str | None:
        return "segment" if self.group_by is not None else None

    def _value_is_float(self) -> bool:
        return self.measure in ("average", "sum")


class EventCountsResult(_SeriesResult, frozen=True, kw_only=True, dict=True):
    """Counts of several events per time bucket (Mixpanel's ``/events``).

    Rows: ``date``, ``event``, ``value`` (events, distinct users or events per user).
    """

    events: list[str]
    measure: Literal["count", "unique", "average"] = "count"

    _report: ClassVar[str] = "event-counts"
    _param_names: ClassVar[tuple[str, ...]] = ("events", "from_date", "to_date", "unit", "measure")
    _segment_column: ClassVar[str | None] = "event"

    def _value_is_float(self) -> bool:
        return self.measure == "average"


class PropertyCountsResult(_SeriesResult, frozen=True, kw_only=True, dict=True):
    """Counts of one event per time bucket and value of a property (``/events/properties``).

    Rows: ``date``, ``segment`` (the property's value as text, ``"undefined"`` where it is
    not set) and ``value``.
    """

    event: str
    property: str
    measure: Literal["count", "unique", "average"] = "count"
    values: list[str] | None = None
    limit: int | None = None

    _report: ClassVar[str] = "property-counts"
    _param_names: ClassVar[tuple[str, ...]] = (
        "event",
        "property",
        "from_date",
        "to_date",
        "unit",
        "measure",
        "values",
        "limit",
    )

    def _value_is_float(self) -> bool:
        return self.measure == "average"


# The header of every numeric report (buckets, sum, average).
_NUMERIC_PARAMS = ("event", "property", "from_date", "to_date", "unit", "measure", "where")


class NumericBucketResult(_SeriesResult, frozen=True, kw_only=True, dict=True):
    """Counts of one event per time bucket and numeric range of a property.

    Rows: ``date``, ``bucket`` (Mixpanel's label, e.g. ``"2,000 - 2,100"``), ``value``.
    """

    event: str
    property: str
    measure: Literal["count", "unique", "average"] = "count"
    where: str | None = None

    _report: ClassVar[str] = "numeric"
    _param_names: ClassVar[tuple[str, ...]] = _NUMERIC_PARAMS
    _segment_column: ClassVar[str | None] = "bucket"

    def _value_is_float(self) -> bool:
        return self.measure == "average"

    def _param(self, name: str) -> Any:
        if name == "measure":
            return "buckets" if self.measure == "count" else f"buckets ({self.measure})"
        return super()._param(name)


class _NumericValueResult(_SeriesResult, frozen=True, kw_only=True, dict=True):
    """One number per time bucket computed from a numeric property (a sum or a mean)."""

    event: str
    property: str
    where: str | None = None

    _report: ClassVar[str] = "numeric"
    _param_names: ClassVar[tuple[str, ...]] = _NUMERIC_PARAMS
    _segment_column: ClassVar[str | None] = None
    _float_values: ClassVar[bool] = True
    # The measure the header names: "sum" or "average".
    _measure: ClassVar[str]

    def _param(self, name: str) -> Any:
        return self._measure if name == "measure" else super()._param(name)


class NumericSumResult(_NumericValueResult, frozen=True, kw_only=True, dict=True):
    """The sum of a numeric property of one event per time bucket (``/segmentation/sum``).

    Rows: ``date``, ``value`` (0 for buckets without the event; a value that is not a number
    counts as 0, as Mixpanel documents).
    """

    _measure: ClassVar[str] = "sum"


class NumericAverageResult(_NumericValueResult, frozen=True, kw_only=True, dict=True):
    """The mean of a numeric property of one event per time bucket (``/segmentation/average``).

    Rows: ``date``, ``value`` (null for buckets without a numeric value).
    """

    _measure: ClassVar[str] = "average"
