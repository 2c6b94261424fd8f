"""``/api/query/engage`` (and ``/api/2.0/engage``): query user profiles, page by page.

Mixpanel docs (engage-query, query.openapi.yaml):

- parameters may come in the query string (GET, as mixpanel-utils sends them) or in a form
  body (POST, as the docs show); JSON-valued ones (``distinct_ids``, ``output_properties``,
  ``filter_by_cohort``) are JSON text;
- pages are 0-based; ``page > 0`` needs the ``session_id`` of the first answer; a client
  pages while ``len(results) >= page_size``;
- ``where`` filters profiles (``properties["plan"] == "pro"`` or ``user["$email"] == ...``);
  ``filter_by_cohort`` selects a saved cohort's members and ``include_all_users`` (default
  true) adds members that have no profile; ``behaviors`` cannot be combined with it;
- every result has exactly ``$distinct_id`` (a string) and ``$properties``.

``total`` is the number of profiles the query matches, on every page (Mixpanel's own docs
disagree about ``total``; mixpanel-utils reads it this way). ``page_size`` is the emulator's
setting (1000 by default, as Mixpanel answers); a ``page_size`` request parameter is ignored,
since Mixpanel does not document one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mixpanel_data.emulator._expr import profile_matcher
from mixpanel_data.emulator._wire import EmulatorHTTPError, Reply, json_reply

if TYPE_CHECKING:
    from mixpanel_data.emulator._state import Call
    from mixpanel_data.emulator._wire import Params

__all__ = ["engage"]

# The filter parameters a session's fingerprint covers.
_QUERY_KEYS = (
    "where",
    "distinct_id",
    "distinct_ids",
    "filter_by_cohort",
    "include_all_users",
    "output_properties",
    "data_group_id",
)


def engage(call: Call) -> Reply:
    """Answer one page of an engage query."""
    params = call.params
    state = call.state
    page = params.int_("page", default=0, minimum=0) or 0
    session_id = params.str_("session_id")
    if session_id is None:
        if page > 0:
            raise EmulatorHTTPError(400, "'session_id' is required when 'page' is greater than 0")
        rows = _select(call)
        fingerprint = "\x1f".join(f"{k}={params.raw(k) or ''}" for k in _QUERY_KEYS)
        session = state.sessions.create(rows, fingerprint)
    else:
        found = state.sessions.get(session_id)
        if found is None:
            # Mixpanel's words when a page is asked of a query it no longer holds.
            raise EmulatorHTTPError(
                400,
                "request for page in uncached query for params: session_id "
                f"{session_id!r} is unknown or has expired; start the query again from page 0 "
                "without a session_id",
            )
        session = found
    size = state.page_size
    start = page * size
    return json_reply(
        {
            "page": page,
            "page_size": size,
            "session_id": session.session_id,
            "status": "ok",
            "total": len(session.rows),
            "results": list(session.rows[start : start + size]),
        }
    )


def _cohort_id(params: Params) -> int | None:
    value = params.json("filter_by_cohort")
    if value is None:
        return None
    raw = value.get("id") if isinstance(value, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise EmulatorHTTPError(400, "Invalid JSON Format: filter_by_cohort")
    try:
        return int(raw)
    except ValueError:
        raise EmulatorHTTPError(400, "Invalid JSON Format: filter_by_cohort") from None


def _select(call: Call) -> tuple[dict[str, Any], ...]:
    """The profiles this query matches, projected to ``output_properties``."""
    params = call.params
    dataset = call.state.dataset
    if "behaviors" in params:
        if "filter_by_cohort" in params:
            raise EmulatorHTTPError(
                400, "'behaviors' and 'filter_by_cohort' are mutually exclusive"
            )
        raise EmulatorHTTPError(
            400,
            "'behaviors' (event selectors) is not supported by the Mixpanel emulator; "
            "use filter_by_cohort or where",
        )
    group = params.str_("data_group_id")
    if group is not None:
        raise EmulatorHTTPError(
            400, f"data_group_id {group!r} is not a group key of project {call.project_id}"
        )
    wanted: set[str] | None = None
    single = params.str_("distinct_id")
    if single is not None:
        wanted = {single}
    several = params.json_str_list("distinct_ids")
    if several is not None:
        wanted = set(several) if wanted is None else wanted & set(several)
    where = params.str_("where")
    matcher = profile_matcher(where) if where is not None else None
    output = params.json_str_list("output_properties")

    members: frozenset[str] | None = None
    cohort_id = _cohort_id(params)
    include_all = params.bool_("include_all_users", default=True)
    if cohort_id is not None:
        cohort = next((c for c in dataset.saved_cohorts if c.id == cohort_id), None)
        if cohort is None:
            raise EmulatorHTTPError(400, f"cohort {cohort_id} does not exist in this project")
        members = cohort.members

    rows: list[dict[str, Any]] = []
    for profile in dataset.profiles:
        distinct_id = str(profile["$distinct_id"])
        properties: dict[str, Any] = profile["$properties"]
        if wanted is not None and distinct_id not in wanted:
            continue
        if members is not None and distinct_id not in members:
            continue
        if matcher is not None and not matcher(properties):
            continue
        rows.append(_row(distinct_id, properties, output))
    if members is not None and include_all:
        # include_all_users=true: cohort members without a profile come back with empty
        # properties (Mixpanel docs, engage-query).
        with_profile = {str(p["$distinct_id"]) for p in dataset.profiles}
        for distinct_id in sorted(members - with_profile):
            if wanted is not None and distinct_id not in wanted:
                continue
            if matcher is None or matcher({}):
                rows.append(_row(distinct_id, {}, output))
    return tuple(rows)


def _row(distinct_id: str, properties: dict[str, Any], output: list[str] | None) -> dict[str, Any]:
    if output is not None:
        properties = {k: properties[k] for k in output if k in properties}
    return {"$distinct_id": distinct_id, "$properties": properties}
