"""Workspace method ``cohort()`` (``mp schema cohort``): one saved cohort and its members.

The cohort is found in the project's saved cohorts (``/cohorts/list``, the cached listing
of ``schema_cohorts``, asked again once when the name or id is not in it), and its members
are listed with the Engage API's ``filter_by_cohort`` (Mixpanel docs, engage-query), every
page, through the same paging loop as ``mp users fetch``. Nothing is stored locally.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mixpanel_data._fetch_users import DEFAULT_PARALLEL
from mixpanel_data._types_cohort import CohortInfo
from mixpanel_data._workspace_schema import _SchemaMixin
from mixpanel_data.api.engage import EngageQuery, iter_pages
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from mixpanel_data._types_discovery import CohortList, SavedCohort

__all__ = ["_CohortMixin"]

log = logging.getLogger(__name__)

# Only the distinct ids are wanted. Engage's docs give no way to ask for no properties at
# all (an empty output_properties is not documented, and this client refuses it), so ask
# for one small property: the pages stay a fraction of full profiles.
_ID_ONLY = ("$last_seen",)
_KNOWN_SHOWN = 8


def _check_member_limit(limit: int | None) -> None:
    if limit is None:
        return
    item: object = limit  # checked at runtime: callers may not be type-checked
    if isinstance(item, bool) or not isinstance(item, int) or item < 1:
        raise ValidationError(
            f"limit must be a positive integer, got {limit!r}",
            hint="pass the most members to list, or no limit for all of them",
        )


def _match(listing: CohortList, cohort: int | str) -> list[SavedCohort]:
    """The saved cohorts ``cohort`` names: an id, or a name (exact, then case-insensitive)."""
    if isinstance(cohort, int):
        return [c for c in listing if c.id == cohort]
    found = [c for c in listing if c.name == cohort]
    if not found:
        folded = cohort.strip().casefold()
        found = [c for c in listing if c.name.casefold() == folded]
    if not found and cohort.strip().isdigit():
        wanted = int(cohort.strip())
        found = [c for c in listing if c.id == wanted]
    return found


def _unknown(cohort: int | str, listing: CohortList) -> ValidationError:
    known = [f"{c.id} ({c.name!r})" for c in sorted(listing, key=lambda c: c.id)]
    shown = ", ".join(known[:_KNOWN_SHOWN]) or "none"
    if len(known) > _KNOWN_SHOWN:
        shown += f", … ({len(known)} in all)"
    what = f"id {cohort}" if isinstance(cohort, int) else f"name or id {cohort!r}"
    return ValidationError(
        f"no saved cohort has the {what}",
        hint=f"cohorts in this project: {shown}; `mp schema cohorts` lists them all",
    )


class _CohortMixin(_SchemaMixin):
    """``mp schema cohort``: one saved cohort and its members."""

    def cohort(self, cohort: int | str, *, limit: int | None = None) -> CohortInfo:
        """One saved cohort and the distinct ids of its members.

        Parameters
        ----------
        cohort
            The cohort's id, or its name (exact match first, then case-insensitive; a text
            of digits that names no cohort is taken as an id).
        limit
            List at most this many members (default: all of them, every Engage page).

        Returns
        -------
        CohortInfo
            The cohort's id, name, description, Mixpanel's count, created, visibility,
            and its members' distinct ids.

        Raises
        ------
        ValidationError
            For an empty name, a bad limit, a name or id no saved cohort has (the error
            lists some that exist), or a name several cohorts share.
        """
        item: object = cohort  # checked at runtime: callers may not be type-checked
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ValidationError(
                f"cohort must be an id or a name, got {cohort!r}",
                hint="pass the id or the name shown by `mp schema cohorts`",
            )
        if isinstance(cohort, str) and not cohort.strip():
            raise ValidationError(
                "the cohort name is empty", hint="pass a cohort's id or name (mp schema cohorts)"
            )
        _check_member_limit(limit)

        listing = self.schema_cohorts()
        found = _match(listing, cohort)
        if not found and listing.cached:
            # The cached listing may predate the cohort: ask Mixpanel once more.
            listing = self.schema_cohorts(refresh=True)
            found = _match(listing, cohort)
        if not found:
            raise _unknown(cohort, listing)
        if len(found) > 1:
            ids = ", ".join(str(c.id) for c in found)
            raise ValidationError(
                f"{len(found)} saved cohorts are called {cohort!r} (ids {ids})",
                hint="pass the id of the one you mean",
            )
        saved = found[0]

        members: list[str] = []
        query = EngageQuery(cohort_id=saved.id, output_properties=_ID_ONLY)
        pages = iter_pages(self.client, query, parallel=DEFAULT_PARALLEL)
        try:
            seen: set[str] = set()
            for page in pages:
                for distinct_id, _ in page.profiles:
                    # A restarted query (expired session) serves its pages again.
                    if distinct_id not in seen:
                        seen.add(distinct_id)
                        members.append(distinct_id)
                if limit is not None and len(members) >= limit:
                    del members[limit:]
                    break
        finally:
            # Stopping early (limit) must cancel the pages still in flight now, not at GC.
            close = getattr(pages, "close", None)
            if close is not None:
                close()
        log.debug("cohort %d: %d members listed", saved.id, len(members))

        return CohortInfo(
            id=saved.id,
            name=saved.name,
            description=saved.description,
            count=saved.count if saved.count is not None else len(members),
            created=saved.created.strftime("%Y-%m-%d %H:%M:%S") if saved.created else "",
            is_visible=saved.is_visible,
            members=members,
        )
