"""Result types of schema discovery (``mp schema``) and the raw JQL answer.

Each list is a tabular :class:`~mixpanel_data._result.Result` iterating over small
:class:`~mixpanel_data._result.Record` items, so ``for event in ws.schema_events()`` and
``ws.schema_events().pl`` both work.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003  (msgspec reads field types at runtime)
from collections.abc import Iterator  # noqa: TC003
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data._result import Record, Result

if TYPE_CHECKING:
    import polars

__all__ = [
    "CohortList",
    "FunnelInfo",
    "FunnelList",
    "JQLResult",
    "SavedCohort",
    "SchemaEvent",
    "SchemaEventList",
    "SchemaProperty",
    "SchemaPropertyList",
    "SchemaValue",
    "SchemaValueList",
    "TopEvent",
    "TopEventList",
]


def _frame(items: list[Any], schema: dict[str, Any]) -> polars.DataFrame:
    import polars

    data = {name: [getattr(item, name) for item in items] for name in schema}
    return polars.DataFrame(data, schema=schema)


class _Listing(Result, frozen=True, kw_only=True, dict=True):
    """A discovery listing: when it was fetched (naive UTC), and whether from the cache."""

    fetched_at: dt.datetime | None = None
    cached: bool = False


class SchemaEvent(Record, frozen=True, kw_only=True, dict=True):
    """An event name, with its count over the last 30 days when Mixpanel gave one."""

    event: str
    count_30d: int | None = None


class SchemaEventList(_Listing, frozen=True, kw_only=True, dict=True):
    """The project's event names, most common first (``/events/names``, ``/events``)."""

    events: list[SchemaEvent] = msgspec.field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The event names, in listing order."""
        return [e.event for e in self.events]

    def __iter__(self) -> Iterator[SchemaEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(self.events, {"event": polars.String, "count_30d": polars.Int64})


class SchemaProperty(Record, frozen=True, kw_only=True, dict=True):
    """A property of an event: how many events carry it, its type and a few example values.

    ``type`` is inferred from the example values (Mixpanel's Query API returns every value
    as text): ``number``, ``boolean``, ``datetime``, ``list``, ``object`` or ``string``;
    ``unknown`` when no example was returned.
    """

    property: str
    type: str
    count: int | None = None
    example_values: list[str] = msgspec.field(default_factory=list)


class SchemaPropertyList(_Listing, frozen=True, kw_only=True, dict=True):
    """The most common properties of one event (``/events/properties/top``)."""

    event: str
    properties: list[SchemaProperty] = msgspec.field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The property names, in listing order."""
        return [p.property for p in self.properties]

    def __iter__(self) -> Iterator[SchemaProperty]:
        return iter(self.properties)

    def __len__(self) -> int:
        return len(self.properties)

    def _header(self) -> dict[str, Any] | None:
        return {"event": self.event}

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.properties,
            {
                "property": polars.String,
                "type": polars.String,
                "count": polars.Int64,
                "example_values": polars.List(polars.String),
            },
        )


class SchemaValue(Record, frozen=True, kw_only=True, dict=True):
    """One value of a property: how many events had it, and their share (in percent)."""

    value: str
    count: int
    percent: float


class SchemaValueList(_Listing, frozen=True, kw_only=True, dict=True):
    """The most common values of one property of one event, over the last ``days`` days.

    ``percent`` is each value's share of the events counted (every value Mixpanel returned,
    up to 255 of them, including ``undefined`` for events without the property).
    """

    event: str
    property: str
    days: int = 30
    values: list[SchemaValue] = msgspec.field(default_factory=list)

    def __iter__(self) -> Iterator[SchemaValue]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def _header(self) -> dict[str, Any] | None:
        return {
            "event": self.event,
            "property": self.property,
            "days": self.days,
        }

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.values,
            {"value": polars.String, "count": polars.Int64, "percent": polars.Float64},
        )


class FunnelInfo(Record, frozen=True, kw_only=True, dict=True):
    """A saved funnel: its id (for ``mp report funnel --id``) and name."""

    funnel_id: int
    name: str


class FunnelList(_Listing, frozen=True, kw_only=True, dict=True):
    """The project's saved funnels (``/funnels/list``)."""

    funnels: list[FunnelInfo] = msgspec.field(default_factory=list)

    def __iter__(self) -> Iterator[FunnelInfo]:
        return iter(self.funnels)

    def __len__(self) -> int:
        return len(self.funnels)

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(self.funnels, {"funnel_id": polars.Int64, "name": polars.String})


class SavedCohort(Record, frozen=True, kw_only=True, dict=True):
    """A saved cohort (``/cohorts/list``).

    ``created`` is naive (Mixpanel sends ``YYYY-MM-DD HH:MM:SS`` without a zone);
    ``is_visible`` is a boolean (Mixpanel sends 0 or 1).
    """

    id: int
    name: str
    count: int | None = None
    description: str = ""
    created: dt.datetime | None = None
    is_visible: bool = True
    project_id: int | None = None


class CohortList(_Listing, frozen=True, kw_only=True, dict=True):
    """The project's saved cohorts."""

    cohorts: list[SavedCohort] = msgspec.field(default_factory=list)

    def __iter__(self) -> Iterator[SavedCohort]:
        return iter(self.cohorts)

    def __len__(self) -> int:
        return len(self.cohorts)

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.cohorts,
            {
                "id": polars.Int64,
                "name": polars.String,
                "count": polars.Int64,
                "description": polars.String,
                "created": polars.Datetime("us"),
                "is_visible": polars.Boolean,
                "project_id": polars.Int64,
            },
        )


class TopEvent(Record, frozen=True, kw_only=True, dict=True):
    """One of today's top events: its amount today and the change from yesterday.

    ``percent_change`` is a fraction as Mixpanel sends it (1.0 = +100%).
    """

    event: str
    amount: int | float
    percent_change: float


class TopEventList(_Listing, frozen=True, kw_only=True, dict=True):
    """Today's top events (``/events/top``)."""

    type: str = "general"
    events: list[TopEvent] = msgspec.field(default_factory=list)

    def __iter__(self) -> Iterator[TopEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def _header(self) -> dict[str, Any] | None:
        return {"type": self.type}

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return _frame(
            self.events,
            {"event": polars.String, "amount": polars.Float64, "percent_change": polars.Float64},
        )


class JQLResult(Result, frozen=True, kw_only=True, dict=True):
    """The answer of a JQL script: whatever JSON the script returned.

    ``data`` is the raw answer; ``.pl`` is a best-effort frame (rows for a list of objects,
    one ``value`` column for a list of scalars, JQL's ``key``/``value`` pairs kept as they
    are).
    """

    data: Any = None

    def _to_frame(self) -> polars.DataFrame:
        import polars

        data = self.data
        if not isinstance(data, list):
            data = [data]
        if data and all(isinstance(item, dict) for item in data):
            return polars.DataFrame(data, strict=False, infer_schema_length=None)
        return polars.DataFrame({"value": data}, strict=False)
