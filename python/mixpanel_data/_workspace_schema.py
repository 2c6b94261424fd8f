"""Workspace methods for schema discovery: what events, properties and values exist.

These ask Mixpanel's Query API (without fetching any events) and cache each answer per
workspace (see :mod:`mixpanel_data._schema_cache`): listings for six hours, today's top
events for ten minutes; ``refresh=True`` asks again. Endpoints (Mixpanel docs,
query.openapi.yaml):

- events: ``/events/names``, then ``/events`` for their counts over the last 30 days;
- properties: ``/events/properties/top``, then ``/events/properties/values`` for a few
  example values of each (their type is inferred from them: the API returns every value as
  text);
- values: ``/events/properties`` over the last 30 days, for each value's count and share;
- funnels: ``/funnels/list``; cohorts: ``/cohorts/list``; top events: ``/events/top``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING, Literal, TypeVar

from mixpanel_data._reports_query import check_choice, check_limit
from mixpanel_data._schema_cache import SchemaCache
from mixpanel_data._types_discovery import (
    CohortList,
    FunnelInfo,
    FunnelList,
    SavedCohort,
    SchemaEvent,
    SchemaEventList,
    SchemaProperty,
    SchemaPropertyList,
    SchemaValue,
    SchemaValueList,
    TopEvent,
    TopEventList,
)
from mixpanel_data._workspace_core import WorkspaceCore
from mixpanel_data.api import reports as api
from mixpanel_data.exceptions import BadRequestError, ConfigError, QueryError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from mixpanel_data._types_discovery import _Listing

__all__ = ["LISTING_TTL", "PROPERTY_TYPES", "TOP_EVENTS_TTL", "_SchemaMixin", "infer_type"]

log = logging.getLogger(__name__)

LISTING_TTL = 6 * 3600.0
"""Seconds a cached listing (events, properties, values, funnels, cohorts) stays fresh."""
TOP_EVENTS_TTL = 600.0
"""Seconds today's top events stay fresh."""
PROPERTY_TYPES = ("string", "number", "boolean", "datetime", "list", "object", "unknown")

_WINDOW_DAYS = 30
_EXAMPLES = 5
_PARALLEL = 4  # Mixpanel allows 5 concurrent queries per project; leave one free
_NUMBER = re.compile(r"\A-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\Z")
_DATETIME = re.compile(
    r"\A\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?\Z"
)

L = TypeVar("L", bound="_Listing")


def infer_type(examples: list[str]) -> str:
    """The type a property's values look like (Mixpanel sends them all as text)."""
    values = [v for v in examples if v not in ("", "null", "undefined")]
    if not values:
        return "unknown"
    if all(v in ("true", "false") for v in values):
        return "boolean"
    if all(_NUMBER.match(v) for v in values):
        return "number"
    if all(_DATETIME.match(v) for v in values):
        return "datetime"
    if all(v.startswith("[") for v in values):
        return "list"
    if all(v.startswith("{") for v in values):
        return "object"
    return "string"


def _check_name(value: object, label: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"the {label} name is empty", hint=f"pass a {label} name")


class _SchemaMixin(WorkspaceCore):
    """``mp schema``: events, properties, values, funnels, cohorts, top events."""

    @cached_property
    def _schema_cache(self) -> SchemaCache:
        return SchemaCache(self._schema_cache_dir())

    def _schema_cache_dir(self) -> Path | None:
        """``$MP_HOME/cache/schema/<project>/<workspace>`` (in memory when ephemeral)."""
        if self.ephemeral:
            return None
        try:
            project = str(self.credentials.project_id or "no-project")
        except ConfigError:
            project = "no-project"
        if self.demo:
            project = f"demo-{project}"
        if self.by_path:
            digest = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:12]
            name = f"{self.path.stem}-{digest}"
        else:
            name = self.workspace_name
        return self.home / "cache" / "schema" / project / name

    def _cached(
        self, key: str, kind: type[L], fetch: Callable[[], L], *, refresh: bool, ttl: float
    ) -> L:
        import msgspec

        cache = self._schema_cache
        if not refresh:
            hit = cache.get(key, kind, ttl=ttl)
            if hit is not None:
                value, fetched_at = hit
                stamp = dt.datetime.fromtimestamp(fetched_at, dt.UTC).replace(tzinfo=None)
                return msgspec.structs.replace(value, cached=True, fetched_at=stamp)
        value = fetch()
        fetched_at = cache.put(key, value)
        stamp = dt.datetime.fromtimestamp(fetched_at, dt.UTC).replace(tzinfo=None)
        return msgspec.structs.replace(value, cached=False, fetched_at=stamp)

    def clear_schema_cache(self) -> int:
        """Forget every cached discovery answer of this workspace; returns how many."""
        return self._schema_cache.clear()

    # -- events ------------------------------------------------------------------------------

    def schema_events(self, *, limit: int | None = None, refresh: bool = False) -> SchemaEventList:
        """The project's event names with their counts over the last 30 days, most first.

        Parameters
        ----------
        limit
            At most this many events (Mixpanel's default is 255).
        refresh
            Ask Mixpanel even when a cached answer is fresh.
        """
        check_limit(limit)

        def fetch() -> SchemaEventList:
            client = self.client
            names = api.event_names(client, type="general", limit=limit)
            counts: dict[str, int] | None = None
            if names:
                try:
                    series = api.event_counts(
                        client, names, None, None, type="general", unit="day", interval=_WINDOW_DAYS
                    )
                    counts = {}
                    for segment, value in series.frame.select("segment", "value").iter_rows():
                        counts[segment] = counts.get(segment, 0) + int(value or 0)
                except (BadRequestError, QueryError) as exc:
                    # The names stand on their own; the counts are a bonus.
                    log.warning("event counts unavailable: %s", exc.message)
            events = [
                SchemaEvent(event=n, count_30d=None if counts is None else counts.get(n, 0))
                for n in names
            ]
            if counts is not None:
                events.sort(key=lambda e: (-(e.count_30d or 0), e.event))
            return SchemaEventList(events=events)

        return self._cached(
            f"events:{limit}", SchemaEventList, fetch, refresh=refresh, ttl=LISTING_TTL
        )

    def schema_properties(
        self,
        event: str,
        *,
        limit: int | None = None,
        type: str | None = None,
        refresh: bool = False,
    ) -> SchemaPropertyList:
        """The most common properties of an event: count, inferred type and example values.

        Parameters
        ----------
        event
            The event.
        limit
            At most this many properties (Mixpanel's default is 10); each costs one more
            request for its examples.
        type
            Only properties of this type: string, number, boolean, datetime, list, object.
        refresh
            Ask Mixpanel even when a cached answer is fresh.
        """
        _check_name(event, "event")
        check_limit(limit)
        if type is not None:
            check_choice(type, "type", PROPERTY_TYPES)

        def fetch() -> SchemaPropertyList:
            client = self.client
            names = api.property_names(client, event, limit=limit)

            def examples(name: str) -> list[str]:
                return api.property_values(client, event, name, limit=_EXAMPLES)

            with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="mp-schema") as pool:
                found = list(pool.map(examples, [name for name, _ in names]))
            properties = [
                SchemaProperty(
                    property=name, type=infer_type(values), count=count, example_values=values
                )
                for (name, count), values in zip(names, found, strict=True)
            ]
            return SchemaPropertyList(event=event, properties=properties)

        listing = self._cached(
            f"properties:{event}:{limit}",
            SchemaPropertyList,
            fetch,
            refresh=refresh,
            ttl=LISTING_TTL,
        )
        if type is None:
            return listing
        import msgspec

        kept = [p for p in listing.properties if p.type == type]
        return msgspec.structs.replace(listing, properties=kept)

    def schema_values(
        self,
        event: str,
        property: str,
        *,
        limit: int | None = None,
        refresh: bool = False,
    ) -> SchemaValueList:
        """The most common values of an event's property over the last 30 days.

        Each value comes with its count and its share (percent) of the events counted
        (``undefined`` stands for events without the property).

        Parameters
        ----------
        event, property
            What to look at.
        limit
            Show at most this many values (the shares are computed over up to 255).
        refresh
            Ask Mixpanel even when a cached answer is fresh.
        """
        _check_name(event, "event")
        _check_name(property, "property")
        check_limit(limit)

        def fetch() -> SchemaValueList:
            series = api.property_counts(
                self.client,
                event,
                property,
                None,
                None,
                type="general",
                unit="day",
                interval=_WINDOW_DAYS,
                limit=255,
            )
            totals: dict[str, int] = dict.fromkeys(series.segments, 0)
            for segment, value in series.frame.select("segment", "value").iter_rows():
                totals[segment] = totals.get(segment, 0) + int(value or 0)
            everything = sum(totals.values())
            ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
            values = [
                SchemaValue(
                    value=name,
                    count=count,
                    percent=round(100.0 * count / everything, 2) if everything else 0.0,
                )
                for name, count in ranked
            ]
            return SchemaValueList(event=event, property=property, days=_WINDOW_DAYS, values=values)

        listing = self._cached(
            f"values:{event}:{property}", SchemaValueList, fetch, refresh=refresh, ttl=LISTING_TTL
        )
        if limit is None:
            return listing
        import msgspec

        return msgspec.structs.replace(listing, values=listing.values[:limit])

    # -- saved objects and today's top events ----------------------------------------------------

    def schema_funnels(self, *, refresh: bool = False) -> FunnelList:
        """The project's saved funnels: id and name (for ``mp report funnel --id``)."""

        def fetch() -> FunnelList:
            items = api.funnel_list(self.client)
            return FunnelList(
                funnels=[FunnelInfo(funnel_id=f.funnel_id, name=f.name) for f in items]
            )

        return self._cached("funnels", FunnelList, fetch, refresh=refresh, ttl=LISTING_TTL)

    def schema_cohorts(self, *, refresh: bool = False) -> CohortList:
        """The project's saved cohorts: id, name, size, description, created, visible."""
        from mixpanel_data.api._wire_lists import parse_created

        def fetch() -> CohortList:
            cohorts = [
                SavedCohort(
                    id=c.id,
                    name=c.name,
                    count=c.count,
                    description=c.description or "",
                    created=parse_created(c.created),
                    # Mixpanel sends is_visible as 0/1, not a boolean.
                    is_visible=bool(c.is_visible),
                    project_id=c.project_id,
                )
                for c in api.cohorts(self.client)
            ]
            return CohortList(cohorts=cohorts)

        return self._cached("cohorts", CohortList, fetch, refresh=refresh, ttl=LISTING_TTL)

    def schema_top_events(
        self,
        *,
        limit: int | None = None,
        measure: Literal["count", "unique", "average"] = "count",
        refresh: bool = False,
    ) -> TopEventList:
        """Today's top events, with the change from yesterday (1.0 = +100%)."""
        check_limit(limit)
        check_choice(measure, "measure", ("count", "unique", "average"))
        kind = {"count": "general", "unique": "unique", "average": "average"}[measure]

        def fetch() -> TopEventList:
            events = [
                TopEvent(event=e.event, amount=e.amount, percent_change=e.percent_change)
                for e in api.top_events(self.client, type=kind, limit=limit)
            ]
            return TopEventList(type=kind, events=events)

        return self._cached(
            f"top-events:{kind}:{limit}", TopEventList, fetch, refresh=refresh, ttl=TOP_EVENTS_TTL
        )
