"""The result of ``Workspace.cohort()`` (``mp schema cohort``): one saved cohort and its members."""

from __future__ import annotations

from collections.abc import Iterator  # noqa: TC003  (msgspec reads field types at runtime)
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data._result import Result

if TYPE_CHECKING:
    import polars

__all__ = ["CohortInfo"]


class CohortInfo(Result, frozen=True, kw_only=True, dict=True):
    """One saved cohort and the distinct ids of its members.

    Iterating yields the members; ``.pl`` has one row per member (``distinct_id``).

    Attributes
    ----------
    id, name, description
        The cohort as ``/cohorts/list`` describes it.
    count
        Mixpanel's member count from ``/cohorts/list`` (when Mixpanel gives none, the
        number of members listed).
    created
        When the cohort was saved, ``YYYY-MM-DD HH:MM:SS`` (no zone, as Mixpanel sends it),
        or ``""`` when unknown.
    is_visible
        Whether the cohort shows in Mixpanel's UI.
    members
        The members' distinct ids, in the order the Engage API listed them (at most the
        ``limit`` asked for).
    """

    id: int
    name: str
    description: str = ""
    count: int
    created: str = ""
    is_visible: bool = True
    members: list[str] = msgspec.field(default_factory=list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def _header(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "count": self.count,
            "created": self.created,
            "description": self.description,
        }

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return polars.DataFrame(
            {"distinct_id": self.members}, schema={"distinct_id": polars.String}
        )
