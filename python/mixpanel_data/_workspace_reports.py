"""Workspace methods for the time-series reports, and comparing live with local.

Every report method answers from Mixpanel's Query API by default (``source="live"``), or
from the workspace's own tables with ``local=True`` (same result type, computed with
:mod:`mixpanel_data.analytics`); :meth:`_ReportsMixin.compare` runs both and puts them side
by side. ``save_as`` stores the tidy frame as a table registered as a report (queryable with
``mp query``). Dates are the project's local days, both inclusive; ``to_date`` defaults to
today in the project's time zone.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (public signatures)
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from mixpanel_data import _reports_live as live_reports
from mixpanel_data import _reports_local as local_reports
from mixpanel_data._reports import ReportRunner
from mixpanel_data._reports_query import (
    EventCountsQuery,
    NumericQuery,
    PropertyCountsQuery,
    SegmentationQuery,
    check_choice,
    check_expression,
    check_limit,
    check_names,
    check_range,
    property_expression,
)
from mixpanel_data._types_reports import (
    EventCountsResult,
    NumericAverageResult,
    NumericBucketResult,
    NumericSumResult,
    PropertyCountsResult,
    ReportResult,
    SegmentationResult,
)
from mixpanel_data._workspace_core import WorkspaceCore
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mixpanel_data._reports_compare import ReportComparison

__all__ = ["COUNT_MEASURES", "_ReportsMixin", "checked_event", "checked_group"]

SeriesUnit = Literal["minute", "hour", "day", "week", "month"]
CountMeasure = Literal["count", "unique", "average"]
_SERIES_UNITS = ("minute", "hour", "day", "week", "month")
COUNT_MEASURES = ("count", "unique", "average")


def checked_event(name: object, option: str = "event") -> str:
    """``name`` when it is a non-empty event name (``option`` names it in the error)."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"{option} must be a non-empty event name, got {name!r}")
    return name


def checked_group(group_by: str | None) -> str | None:
    """``group_by`` once it parses as a property name or expression (or is None)."""
    if group_by is not None:
        property_expression(group_by, "group_by")
    return group_by


def _check_counts(by: str, measure: str) -> None:
    """Check the unit and measure of event and property counts (Mixpanel's ``/events``).

    Those endpoints count unique users only per day, week or month.
    """
    check_choice(by, "by", _SERIES_UNITS)
    check_choice(measure, "measure", COUNT_MEASURES)
    if measure == "unique" and by in ("minute", "hour"):
        raise ValidationError(
            f"Mixpanel has no unique counts by {by}", hint="use --by day, week or month"
        )


class _ReportsMixin(WorkspaceCore):
    """Segmentation, event and property counts, numeric reports; live vs local."""

    @cached_property
    def _reports(self) -> ReportRunner:
        return ReportRunner(self)

    def segmentation(
        self,
        event: str,
        *,
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        by: SeriesUnit = "day",
        group_by: str | None = None,
        measure: Literal["count", "unique", "average", "sum"] = "count",
        property: str | None = None,
        where: str | None = None,
        limit: int | None = None,
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> SegmentationResult:
        """Count an event per day (week, month, hour), optionally grouped by a property.

        Parameters
        ----------
        event
            The event to count.
        from_date, to_date
            The days, both inclusive, in the project's time zone (``to_date``: today).
        by
            The time bucket.
        group_by
            A property name (or a segmentation expression) to segment by.
        measure
            ``count`` (events), ``unique`` (distinct users), ``average`` (events per user,
            or with ``property`` the mean of that property) or ``sum`` (of ``property``).
        property
            The numeric property summed or averaged.
        where
            A segmentation expression filtering the events, e.g.
            ``properties["$os"] == "Mac OS X"``.
        limit
            With ``group_by``: keep the largest segments (Mixpanel's default is 60).
        local
            Compute from the workspace's ``table`` instead of asking Mixpanel.
        table
            The events table read by ``local``.
        save_as
            Also store the rows as a table of this name.

        Returns
        -------
        SegmentationResult
            One row per date (× segment): ``date``, ``segment``, ``value``.

        Examples
        --------
        >>> ws.segmentation(
        ...     "Sign Up", from_date="2024-01-01", group_by="$browser"
        ... )  # doctest: +SKIP
        """
        check_choice(by, "by", _SERIES_UNITS)
        check_choice(measure, "measure", ("count", "unique", "average", "sum"))
        if measure == "sum" and property is None:
            raise ValidationError(
                "measure sum needs the property to add up", hint="pass --property, e.g. amount"
            )
        if property is not None and measure in ("count", "unique"):
            raise ValidationError(
                f"--property goes with --measure sum or average, not {measure}",
                hint="pass --measure sum or --measure average",
            )
        if property is not None:
            property_expression(property)
        checked_group(group_by)
        start, end = check_range(from_date, to_date, self._reports.today)
        query = SegmentationQuery(
            event=checked_event(event),
            from_date=start,
            to_date=end,
            unit=by,
            measure=measure,
            property=property,
            group_by=group_by,
            where=check_expression(where, "where"),
            limit=check_limit(limit),
        )
        return self._reports.run(
            live_reports.segmentation,
            local_reports.segmentation,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )

    def event_counts(
        self,
        events: Sequence[str],
        *,
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        by: SeriesUnit = "day",
        measure: CountMeasure = "count",
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> EventCountsResult:
        """Count several events per time bucket (Mixpanel's ``/events``).

        ``measure`` is ``count``, ``unique`` or ``average`` (events per user); Mixpanel
        has no unique counts per hour or minute. Rows: ``date``, ``event``, ``value``.
        Other parameters as for :meth:`segmentation`.
        """
        _check_counts(by, measure)
        start, end = check_range(from_date, to_date, self._reports.today)
        query = EventCountsQuery(
            events=tuple(check_names(events, "events")),
            from_date=start,
            to_date=end,
            unit=by,
            measure=measure,
        )
        return self._reports.run(
            live_reports.event_counts,
            local_reports.event_counts,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )

    def property_counts(
        self,
        event: str,
        property: str,
        *,
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        by: SeriesUnit = "day",
        measure: CountMeasure = "count",
        values: Sequence[str] | None = None,
        limit: int | None = None,
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> PropertyCountsResult:
        """Count an event per time bucket and value of one property (``/events/properties``).

        ``values`` keeps only those values (each listed, with or without data); ``limit``
        keeps the most common values (Mixpanel's default is 255). Rows: ``date``,
        ``segment`` (the value), ``value`` (the count). Other parameters as for
        :meth:`segmentation`.
        """
        _check_counts(by, measure)
        property_expression(property)
        start, end = check_range(from_date, to_date, self._reports.today)
        query = PropertyCountsQuery(
            event=checked_event(event),
            property=property,
            from_date=start,
            to_date=end,
            unit=by,
            measure=measure,
            values=tuple(check_names(values, "values")) if values is not None else None,
            limit=check_limit(limit),
        )
        return self._reports.run(
            live_reports.property_counts,
            local_reports.property_counts,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )

    def numeric(
        self,
        event: str,
        *,
        property: str,
        measure: Literal["buckets", "sum", "average"] = "buckets",
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        by: Literal["hour", "day"] = "day",
        where: str | None = None,
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> NumericBucketResult | NumericSumResult | NumericAverageResult:
        """A numeric property of an event per hour or day: in ranges, summed or averaged.

        ``buckets`` counts the events per numeric range of ``property``
        (``/segmentation/numeric``; rows ``date``, ``bucket``, ``value``); ``sum`` and
        ``average`` add it up or average it (``/segmentation/sum``, ``/average``; rows
        ``date``, ``value``). Other parameters as for :meth:`segmentation`.
        """
        check_choice(measure, "measure", ("buckets", "sum", "average"))
        check_choice(by, "by", ("hour", "day"), hint="Mixpanel's numeric reports use hour or day")
        property_expression(property)
        start, end = check_range(from_date, to_date, self._reports.today)
        query = NumericQuery(
            event=checked_event(event),
            property=property,
            from_date=start,
            to_date=end,
            unit=by,
            measure=measure,
            where=check_expression(where, "where"),
        )
        return self._reports.run(
            live_reports.numeric,
            local_reports.numeric,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )

    def numeric_buckets(self, event: str, **options: Any) -> NumericBucketResult:
        """Counts of ``event`` per numeric range of ``property`` (see :meth:`numeric`)."""
        result = self.numeric(event, measure="buckets", **options)
        assert isinstance(result, NumericBucketResult)
        return result

    def numeric_sum(self, event: str, **options: Any) -> NumericSumResult:
        """The sum of ``property`` over ``event`` per hour or day (see :meth:`numeric`)."""
        result = self.numeric(event, measure="sum", **options)
        assert isinstance(result, NumericSumResult)
        return result

    def numeric_average(self, event: str, **options: Any) -> NumericAverageResult:
        """The mean of ``property`` over ``event`` per hour or day (see :meth:`numeric`)."""
        result = self.numeric(event, measure="average", **options)
        assert isinstance(result, NumericAverageResult)
        return result

    # -- live vs local ---------------------------------------------------------------------

    def compare(
        self, report: Callable[..., ReportResult], /, *args: Any, **options: Any
    ) -> ReportComparison:
        """Run a report live and locally, and put the two side by side.

        Parameters
        ----------
        report
            A report method of this workspace, e.g. ``ws.segmentation``.
        *args, **options
            Its arguments (without ``local``). ``save_as`` stores the comparison.

        Returns
        -------
        ReportComparison
            One row per key (date, segment, step...) with each value live, local and their
            difference, and ``agree``; ``.agree`` is true when every row agrees.

        Examples
        --------
        >>> cmp = ws.compare(ws.segmentation, "Sign Up", from_date="2024-05-01")  # doctest: +SKIP
        >>> cmp.agree  # doctest: +SKIP
        True
        """
        from mixpanel_data._reports_compare import compare_reports
        from mixpanel_data._reports_twins import local_options

        if "local" in options:
            raise ValidationError("compare runs the report both ways; drop the local option")
        save_as = options.pop("save_as", None)
        live = report(*args, **options, local=False)
        if live.source != "live":
            raise ValidationError(
                f"this {live._report} report has no Mixpanel endpoint (it was computed "
                "locally), so there is nothing live to compare with",
                hint="compare a report that Mixpanel answers (a saved funnel: --id)",
            )
        local_args, local_kwargs = local_options(live, args, options)
        local = report(*local_args, **local_kwargs, local=True)
        return self._reports.save(compare_reports(live, local), save_as)
