"""Which handler answers which path.

Routing is by path only, so one server can stand in for both Mixpanel hosts: the Raw Export
API at ``/api/2.0/export`` (Mixpanel's data.mixpanel.com) and the Query API at
``/api/query/<endpoint>`` or its legacy prefix ``/api/2.0/<endpoint>`` (mixpanel.com; the
legacy prefix is what mixpanel-utils and Mixpanel's own rate-limit bodies use). A trailing
slash is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mixpanel_data.emulator import (
    _endpoints_engage,
    _endpoints_events,
    _endpoints_export,
    _endpoints_lists,
    _endpoints_reports,
    _jql,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from mixpanel_data.emulator._state import Call
    from mixpanel_data.emulator._wire import Family, Reply

__all__ = ["QUERY_PREFIXES", "ROUTES", "Resolved", "Route", "resolve"]

QUERY_PREFIXES = ("/api/query/", "/api/2.0/")
_EXPORT_PATH = "/api/2.0/export"
_ANY = frozenset({"GET", "POST"})


@dataclass(frozen=True)
class Route:
    """An endpoint: its API family, handler and accepted methods."""

    family: Family
    handler: Callable[[Call], Reply]
    methods: frozenset[str] = _ANY


ROUTES: dict[str, Route] = {
    "segmentation": Route("query", _endpoints_reports.segmentation),
    "segmentation/numeric": Route("query", _endpoints_reports.segmentation_numeric),
    "segmentation/sum": Route("query", _endpoints_reports.segmentation_sum),
    "segmentation/average": Route("query", _endpoints_reports.segmentation_average),
    "funnels": Route("query", _endpoints_reports.funnels),
    "funnels/list": Route("query", _endpoints_lists.funnels_list),
    "retention": Route("query", _endpoints_reports.retention),
    "retention/addiction": Route("query", _endpoints_reports.addiction),
    "insights": Route("query", _endpoints_reports.insights),
    "events": Route("query", _endpoints_events.events),
    "events/top": Route("query", _endpoints_events.events_top),
    "events/names": Route("query", _endpoints_events.events_names),
    "events/properties": Route("query", _endpoints_events.events_properties),
    "events/properties/top": Route("query", _endpoints_events.properties_top),
    "events/properties/values": Route("query", _endpoints_events.properties_values),
    "stream/query": Route("query", _endpoints_lists.stream_query),
    "cohorts/list": Route("query", _endpoints_lists.cohorts_list),
    "engage": Route("query", _endpoints_engage.engage),
    "jql": Route("query", _jql.jql),
    # Mixpanel documents the export as GET only.
    "export": Route("export", _endpoints_export.export, frozenset({"GET"})),
}


@dataclass(frozen=True)
class Resolved:
    """A request path resolved: the endpoint name, its family and route (``None``: 404)."""

    name: str
    family: Family
    route: Route | None


def resolve(path: str) -> Resolved:
    """Resolve a request path to its endpoint."""
    clean = path.rstrip("/") or "/"
    if clean == _EXPORT_PATH:
        return Resolved("export", "export", ROUTES["export"])
    for prefix in QUERY_PREFIXES:
        if clean.startswith(prefix):
            name = clean[len(prefix) :]
            route = ROUTES.get(name)
            if route is not None and route.family == "query":
                return Resolved(name, "query", route)
            family: Family = "export" if name.startswith("export") else "query"
            return Resolved(name, family, None)
    return Resolved(clean.lstrip("/"), "query", None)
