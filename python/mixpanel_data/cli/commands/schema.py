"""``mp schema``: discover what the project tracks, without fetching any events.

Answers are cached per workspace (six hours; ten minutes for today's top events);
``--refresh`` asks Mixpanel again. Each command is one call to a ``Workspace.schema_*``
method.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from cyclopts import App, Parameter, validators

from mixpanel_data._types_cohort import CohortInfo
from mixpanel_data._types_discovery import (
    CohortList,
    FunnelList,
    SchemaEventList,
    SchemaPropertyList,
    SchemaValueList,
    TopEventList,
    _Listing,
)
from mixpanel_data.cli._context import Context, CtxParam

__all__ = ["schema_app"]

schema_app = App(
    name="schema",
    help="Discover events, properties, values, funnels and cohorts (cached; --refresh).",
)

Flag = Annotated[bool, Parameter(negative="")]
Limit = Annotated[int | None, Parameter(validator=validators.Number(gte=1, lte=10_000))]
L = TypeVar("L", bound=_Listing)


def _told(ctx: Context, listing: L) -> L:
    """Say on stderr when an answer came from the cache (stdout keeps the same shape)."""
    if listing.cached and listing.fetched_at is not None:
        ctx.info(
            f"cached answer from {listing.fetched_at:%Y-%m-%d %H:%M} UTC (--refresh to ask again)"
        )
    return listing


PropertyType = Literal["string", "number", "boolean", "datetime", "list", "object", "unknown"]


@schema_app.command
def events(*, limit: Limit = None, refresh: Flag = False, ctx: CtxParam) -> SchemaEventList:
    """List the project's events with their counts over the last 30 days.

    Parameters
    ----------
    limit
        At most this many events.
    refresh
        Ask Mixpanel again instead of using the cached answer.
    """
    return _told(
        ctx, ctx.open_workspace(read_only=True).schema_events(limit=limit, refresh=refresh)
    )


@schema_app.command
def properties(
    event: str,
    /,
    *,
    type: PropertyType | None = None,
    limit: Limit = None,
    refresh: Flag = False,
    ctx: CtxParam,
) -> SchemaPropertyList:
    """List an event's most common properties: count, type and example values.

    Parameters
    ----------
    event
        The event.
    type
        Only properties of this (inferred) type.
    limit
        At most this many properties (default 10; each costs one request for examples).
    refresh
        Ask Mixpanel again instead of using the cached answer.
    """
    ws = ctx.open_workspace(read_only=True)
    return _told(ctx, ws.schema_properties(event, limit=limit, type=type, refresh=refresh))


@schema_app.command
def values(
    event: str,
    property: str,
    /,
    *,
    limit: Limit = None,
    refresh: Flag = False,
    ctx: CtxParam,
) -> SchemaValueList:
    """List a property's most common values over the last 30 days, with count and percent.

    Parameters
    ----------
    event
        The event.
    property
        The property.
    limit
        At most this many values.
    refresh
        Ask Mixpanel again instead of using the cached answer.
    """
    ws = ctx.open_workspace(read_only=True)
    return _told(ctx, ws.schema_values(event, property, limit=limit, refresh=refresh))


@schema_app.command
def funnels(*, refresh: Flag = False, ctx: CtxParam) -> FunnelList:
    """List the saved funnels (ids for mp report funnel --id).

    Parameters
    ----------
    refresh
        Ask Mixpanel again instead of using the cached answer.
    """
    return _told(ctx, ctx.open_workspace(read_only=True).schema_funnels(refresh=refresh))


@schema_app.command
def cohorts(*, refresh: Flag = False, ctx: CtxParam) -> CohortList:
    """List the saved cohorts: id, name, size, description, created.

    Parameters
    ----------
    refresh
        Ask Mixpanel again instead of using the cached answer.
    """
    return _told(ctx, ctx.open_workspace(read_only=True).schema_cohorts(refresh=refresh))


@schema_app.command
def cohort(
    name_or_id: str,
    /,
    *,
    limit: Annotated[int | None, Parameter(validator=validators.Number(gte=1))] = None,
    ctx: CtxParam,
) -> CohortInfo:
    """Show one saved cohort and its members' distinct ids (every Engage page).

    Parameters
    ----------
    name_or_id
        The cohort's name or id (see mp schema cohorts).
    limit
        List at most this many members.
    """
    return ctx.open_workspace(read_only=True).cohort(name_or_id, limit=limit)


@schema_app.command
def top_events(
    *,
    limit: Limit = None,
    measure: Literal["count", "unique", "average"] = "count",
    refresh: Flag = False,
    ctx: CtxParam,
) -> TopEventList:
    """List today's top events with their change from yesterday (1.0 = +100%).

    Parameters
    ----------
    limit
        At most this many events (default 100).
    measure
        count, unique or average.
    refresh
        Ask Mixpanel again instead of using the cached answer.
    """
    ws = ctx.open_workspace(read_only=True)
    return _told(ctx, ws.schema_top_events(limit=limit, measure=measure, refresh=refresh))
