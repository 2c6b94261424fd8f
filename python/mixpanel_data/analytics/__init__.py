"""Mixpanel's report semantics as DuckDB SQL over a local events table.

Every function takes an open DuckDB connection holding an events table (DESIGN: ``event``,
``time`` naive UTC, ``distinct_id``, ``insert_id``, ``mp_processing_time_ms``,
``properties`` JSON) and returns neutral shapes (:class:`Series`, :class:`Funnel`,
:class:`Retention`, :class:`Frequency`, :class:`Insights`, polars frames, lists) that the
emulator turns into Mixpanel's wire JSON and local reports into result types.

Shared behaviour:

- duplicates under Mixpanel's dedup key (event, distinct_id, time, insert_id) are collapsed
  to the most recently processed copy before anything is counted;
- ``from_date``/``to_date`` are inclusive local days in ``tz`` (IANA name, default UTC), and
  buckets are local days/weeks (Monday)/months/hours/minutes;
- events with an empty or NULL ``distinct_id`` count in totals but never as a user;
- ``where``/``on``/``born_where`` are Mixpanel expressions compiled by
  :mod:`mixpanel_data.analytics.expr`;
- bad arguments raise :class:`mixpanel_data.exceptions.ValidationError`, a missing table
  :class:`~mixpanel_data.exceptions.TableNotFoundError`, a failing query
  :class:`~mixpanel_data.exceptions.SQLError`.
"""

from __future__ import annotations

from mixpanel_data.analytics._events import (
    activity,
    event_counts,
    event_names,
    property_counts,
    property_names,
    property_values,
    top_events,
)
from mixpanel_data.analytics._frequency import frequency, units_per_period
from mixpanel_data.analytics._funnels import funnel
from mixpanel_data.analytics._insights import insights, profiles
from mixpanel_data.analytics._retention import retention
from mixpanel_data.analytics._segmentation import (
    segmentation,
    segmentation_average,
    segmentation_numeric,
    segmentation_sum,
)
from mixpanel_data.analytics._types import (
    Frequency,
    FrequencyPeriod,
    Funnel,
    FunnelAnalysis,
    FunnelBucket,
    FunnelStep,
    FunnelStepStats,
    Insights,
    Retention,
    RetentionCohort,
    Series,
)

__all__ = [
    "Frequency",
    "FrequencyPeriod",
    "Funnel",
    "FunnelAnalysis",
    "FunnelBucket",
    "FunnelStep",
    "FunnelStepStats",
    "Insights",
    "Retention",
    "RetentionCohort",
    "Series",
    "activity",
    "event_counts",
    "event_names",
    "frequency",
    "funnel",
    "insights",
    "profiles",
    "property_counts",
    "property_names",
    "property_values",
    "retention",
    "segmentation",
    "segmentation_average",
    "segmentation_numeric",
    "segmentation_sum",
    "top_events",
    "units_per_period",
]
