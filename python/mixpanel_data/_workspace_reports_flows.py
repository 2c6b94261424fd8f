"""Workspace methods for the user-flow reports: funnels, retention, frequency, Insights, activity.

Live by default, ``local=True`` from the workspace's tables, ``save_as`` to keep the rows
(see :mod:`mixpanel_data._workspace_reports`). A funnel over a list of event names has no
public Mixpanel endpoint (only saved funnels do, and JQL is being retired), so it is always
computed locally: without ``local=True`` the events it needs are fetched first (what the
workspace lacks of them, for the range plus the conversion window), and the result's
``note`` says so.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from mixpanel_data import _reports_live as live_reports
from mixpanel_data import _reports_local as local_reports
from mixpanel_data._reports_query import (
    ActivityQuery,
    FrequencyQuery,
    FunnelQuery,
    InsightsQuery,
    RetentionQuery,
    check_choice,
    check_expression,
    check_limit,
    check_names,
    check_range,
    parse_buckets,
    parse_window,
    to_date_value,
)
from mixpanel_data._workspace_reports import (
    COUNT_MEASURES,
    _ReportsMixin,
    checked_event,
    checked_group,
)
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mixpanel_data._types_reports_flows import (
        ActivityFeedResult,
        FrequencyResult,
        FunnelResult,
        InsightsResult,
        RetentionResult,
    )

__all__ = ["ADHOC_FUNNEL_NOTE", "_FlowReportsMixin"]

ADHOC_FUNNEL_NOTE = (
    "computed locally: Mixpanel has no endpoint for an unsaved funnel, so its events were "
    "fetched into the workspace and the funnel computed from them"
)
_CALENDAR_UNITS = ("day", "week", "month")
_DEFAULT_PERIODS = {"day": 7, "week": 4, "month": 3}
_WINDOW_SECONDS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}


class _FlowReportsMixin(_ReportsMixin):
    """Funnels, retention, frequency, Insights and the activity feed."""

    def funnel(
        self,
        steps: Sequence[str] | None = None,
        *,
        funnel_id: int | None = None,
        name: str | None = None,
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        window: str | int | None = None,
        by: Literal["day", "week", "month"] | None = None,
        group_by: str | None = None,
        where: str | None = None,
        limit: int | None = None,
        local: bool = False,
        fetch: bool = True,
        table: str = "events",
        save_as: str | None = None,
    ) -> FunnelResult:
        """A funnel: a saved one (``funnel_id`` or ``name``), or over a list of events.

        Parameters
        ----------
        steps
            The step events, in order. Without ``funnel_id``/``name`` the funnel is
            computed locally (Mixpanel has no endpoint for unsaved funnels).
        funnel_id, name
            A saved funnel (``mp schema funnels`` lists them).
        from_date, to_date
            Users who entered (did step 1) on these days count; completions may come later.
        window
            The conversion window: ``7d``, ``2w``, ``12h``, ``30m`` (a number alone is days;
            at most 90 days). Saved funnels default to their own, others to 7 days.
        by
            Also split the funnel by entry day, week or month.
        group_by
            Segment by a property of the entering event.
        where
            Filter every step's events.
        limit
            With ``group_by``: keep the largest segments (Mixpanel's default is 255).
        local
            Compute from ``table`` without asking Mixpanel (or fetching).
        fetch
            For an unsaved funnel: fetch the missing events first (set False to use only
            what the workspace holds).
        table, save_as
            As for :meth:`segmentation`.

        Returns
        -------
        FunnelResult
            One row per step (× entry bucket, × segment); ``.conversion_rate`` overall.
        """
        if funnel_id is not None and name is not None:
            raise ValidationError("pass a funnel id or a funnel name, not both")
        if by is not None:
            check_choice(by, "by", _CALENDAR_UNITS)
        start, end = check_range(from_date, to_date, self._reports.today)
        query = FunnelQuery(
            from_date=start,
            to_date=end,
            steps=tuple(check_names(steps, "steps")) if steps is not None else None,
            funnel_id=funnel_id,
            name=name,
            window=parse_window(window),
            unit=by,
            group_by=checked_group(group_by),
            where=check_expression(where, "where"),
            limit=check_limit(limit),
        )
        saved = funnel_id is not None or name is not None
        if not saved and query.steps is None:
            raise ValidationError(
                "a funnel needs its steps or a saved funnel",
                hint='pass the step events ("Sign Up" "Purchase"), or --id / --name',
            )
        if saved and not local:
            result = self._reports.live(live_reports.funnel, query)
            return self._reports.save(result, save_as)
        note = None
        if not saved and not local:
            if query.steps is not None and len(query.steps) < 2:
                raise ValidationError("a funnel needs at least two steps")
            note = ADHOC_FUNNEL_NOTE
            if fetch:
                length, unit = query.window or local_reports.DEFAULT_WINDOW
                after = dt.timedelta(seconds=length * _WINDOW_SECONDS[unit])
                last = end + dt.timedelta(days=after.days + (1 if after.seconds else 0))
                if not self._reports.fetch_for(list(query.steps or ()), start, last, table=table):
                    note += " (no fetch service here: only the events already stored were used)"

        def compute(db: local_reports.LocalTables, q: FunnelQuery) -> FunnelResult:
            return local_reports.funnel(db, q, note=note)

        result = self._reports.local(compute, query, table=table)
        return self._reports.save(result, save_as)

    def retention(
        self,
        born_event: str | None,
        *,
        return_event: str | None = None,
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        by: Literal["day", "week", "month"] = "day",
        interval: int = 1,
        periods: int | None = None,
        retention_type: Literal["birth", "compounded"] = "birth",
        unbounded: bool = False,
        group_by: str | None = None,
        where: str | None = None,
        born_where: str | None = None,
        limit: int | None = None,
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> RetentionResult:
        """Retention: users born (first did ``born_event``) per cohort, and who came back.

        Parameters
        ----------
        born_event
            The event that puts a user in a cohort (required for ``birth`` retention).
        return_event
            The event that counts as coming back; ``None`` (``--return any``): any event.
        from_date, to_date
            The cohorts' days.
        by
            Cohort and period unit (calendar days, weeks or months, project time zone).
        interval
            Units per period.
        periods
            Periods counted after period 0 (default 7 days, 4 weeks or 3 months).
        retention_type
            ``birth`` (first time) or ``compounded`` (recurring).
        unbounded
            Count a user in a period when they came back then or in any later period.
        group_by, where, born_where
            Segment by a property of the birth event; filter returns; filter births.
        limit, local, table, save_as
            As for :meth:`segmentation`.

        Returns
        -------
        RetentionResult
            One row per cohort × period: ``cohort_size``, ``users``, ``rate``.
        """
        check_choice(by, "by", _CALENDAR_UNITS)
        check_choice(retention_type, "retention_type", ("birth", "compounded"))
        if born_event is None and retention_type == "birth":
            raise ValidationError(
                "birth retention needs the event that starts a cohort", hint="pass --born EVENT"
            )
        numbers: tuple[tuple[object, str], ...] = ((interval, "interval"), (periods, "periods"))
        for value, label in numbers:
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValidationError(f"{label} must be a whole number, got {value!r}")
        if interval < 1 or (periods is not None and periods < 0):
            raise ValidationError("interval must be at least 1 and periods at least 0")
        start, end = check_range(from_date, to_date, self._reports.today)
        query = RetentionQuery(
            born_event=born_event
            if born_event is None
            else checked_event(born_event, "born_event"),
            return_event=None if return_event in (None, "any") else return_event,
            from_date=start,
            to_date=end,
            unit=by,
            interval=interval,
            periods=periods if periods is not None else _DEFAULT_PERIODS[by],
            retention_type=retention_type,
            unbounded=unbounded,
            group_by=checked_group(group_by),
            where=check_expression(where, "where"),
            born_where=check_expression(born_where, "born_where"),
            limit=check_limit(limit),
        )
        return self._reports.run(
            live_reports.retention,
            local_reports.retention,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )

    def frequency(
        self,
        event: str | None,
        *,
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        by: Literal["day", "week", "month"] = "week",
        count_by: Literal["hour", "day"] | None = None,
        buckets: str | None = None,
        group_by: str | None = None,
        where: str | None = None,
        limit: int | None = None,
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> FrequencyResult:
        """Frequency: users by how many distinct days (or hours) of each period they did it.

        Parameters
        ----------
        event
            The event; ``None`` counts any event.
        by
            The period: day, week or month.
        count_by
            What is counted in a period: ``day`` (default) or ``hour`` (the default with
            ``by="day"``).
        buckets
            Group the counts, e.g. ``"1,2-5,6-10,11+"``; by default one row per number.
        from_date, to_date, group_by, where, limit, local, table, save_as
            As for :meth:`segmentation`.

        Returns
        -------
        FrequencyResult
            One row per period × bucket: ``users`` active in exactly that many units.
        """
        check_choice(by, "by", _CALENDAR_UNITS)
        unit = count_by or ("hour" if by == "day" else "day")
        check_choice(unit, "count_by", ("hour", "day"))
        parse_buckets(buckets)
        start, end = check_range(from_date, to_date, self._reports.today)
        query = FrequencyQuery(
            event=event if event is None else checked_event(event),
            from_date=start,
            to_date=end,
            unit=by,
            count_by=unit,
            buckets=buckets,
            group_by=checked_group(group_by),
            where=check_expression(where, "where"),
            limit=check_limit(limit),
        )
        return self._reports.run(
            live_reports.frequency,
            local_reports.frequency,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )

    def insights(
        self,
        bookmark_id: int | None = None,
        *,
        events: Sequence[str] | None = None,
        from_date: dt.date | str | None = None,
        to_date: dt.date | str | None = None,
        by: Literal["hour", "day", "week", "month"] | None = None,
        measure: Literal["count", "unique", "average"] = "count",
        group_by: str | None = None,
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> InsightsResult:
        """A saved Insights report (live), or the same report computed locally.

        Mixpanel's API runs a saved report by its id but does not describe it, so the
        local computation needs the report's definition: ``events``, the dates, ``by``
        (default ``day``), ``measure`` and ``group_by`` (one breakdown property). With
        :meth:`compare`, what is left unset is taken from the live answer (but not the
        measure: pass ``measure="unique"`` for a report of unique users).

        Returns
        -------
        InsightsResult
            One row per event (× breakdown value) × date.
        """
        unit = by or "day"
        check_choice(unit, "by", ("hour", "day", "week", "month"))
        check_choice(measure, "measure", COUNT_MEASURES)
        if not local and bookmark_id is None:
            raise ValidationError(
                "a live Insights report needs the id of a saved report",
                hint="pass the bookmark id (from the report's URL), or --local with its events",
            )
        start = to_date_value(from_date, "from_date") if from_date is not None else None
        end = to_date_value(to_date, "to_date") if to_date is not None else None
        if start is not None and end is None:
            end = max(self._reports.today, start)
        if start is not None and end is not None and end < start:
            raise ValidationError(f"the date range is backwards: {end} is before {start}")
        query = InsightsQuery(
            bookmark_id=bookmark_id,
            events=tuple(check_names(events, "events")) if events is not None else None,
            from_date=start,
            to_date=end,
            unit=unit,
            measure=measure,
            group_by=checked_group(group_by),
        )
        return self._reports.run(
            live_reports.insights,
            local_reports.insights,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )

    def activity(
        self,
        distinct_ids: Sequence[str],
        *,
        from_date: dt.date | str,
        to_date: dt.date | str | None = None,
        local: bool = False,
        table: str = "events",
        save_as: str | None = None,
    ) -> ActivityFeedResult:
        """The events of some users between two days, oldest first (the activity feed).

        Returns
        -------
        ActivityFeedResult
            One row per event: ``time`` (UTC), ``distinct_id``, ``event``, ``properties``.
        """
        start, end = check_range(from_date, to_date, self._reports.today)
        query = ActivityQuery(
            distinct_ids=tuple(check_names(distinct_ids, "distinct_ids")),
            from_date=start,
            to_date=end,
        )
        return self._reports.run(
            live_reports.activity,
            local_reports.activity,
            query,
            use_local=local,
            table=table,
            save_as=save_as,
        )
