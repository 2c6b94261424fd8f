"""Live and local side by side: does the local copy agree with Mixpanel?

:func:`compare_reports` joins a live report and the same report computed locally on the
columns that identify a row (date and segment, step, cohort and period...). Each other column
appears twice (``<name>_live``, ``<name>_local``) and numbers get a ``<name>_diff`` (local
minus live). A row missing on one side counts as zeros there, because Mixpanel leaves empty
cells out of its answers. ``agree`` is true for a row when every number matches (to a
relative 1e-9) and every text is equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mixpanel_data._result import Result
from mixpanel_data._types_reports import ReportResult  # noqa: TC001  (msgspec field type)
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    import polars

__all__ = ["ReportComparison", "compare_reports"]

_TOLERANCE = 1e-9


class ReportComparison(Result, frozen=True, kw_only=True, dict=True):
    """A live report and its local twin, row by row.

    Rows: the key columns, then for each value ``<name>_live``, ``<name>_local`` and (for
    numbers) ``<name>_diff``, then ``agree``. The header holds the report's parameters and
    the number of rows that differ.
    """

    live: ReportResult
    local: ReportResult

    @property
    def agree(self) -> bool:
        """Whether every row agrees."""
        return bool(self.pl.get_column("agree").all()) if self.pl.height else True

    @property
    def differences(self) -> polars.DataFrame:
        """The rows that do not agree."""
        import polars

        return self.pl.filter(~polars.col("agree"))

    def _header(self) -> dict[str, Any] | None:
        header = dict(self.live._header() or {})
        header["source"] = "compare (live vs local)"
        header.pop("note", None)
        if self.local.note:
            header["local_note"] = self.local.note
        header["rows"] = self.pl.height
        header["differing_rows"] = self.differences.height
        return header

    def _to_frame(self) -> polars.DataFrame:
        import polars

        keys = self.live._key_columns()
        live = self.live.pl
        local = self.local.pl
        values = [c for c in live.columns if c not in keys]
        numeric = {c for c in values if live.schema[c].is_numeric()}
        left = live.rename({c: f"{c}_live" for c in values})
        right = local.select([*keys, *values]).rename({c: f"{c}_local" for c in values})
        if keys:
            joined = left.join(right, on=keys, how="full", coalesce=True, nulls_equal=True)
            joined = joined.sort(keys, nulls_last=True, maintain_order=True)
        else:
            joined = polars.concat([left, right], how="horizontal")
        checks: list[polars.Expr] = []
        columns: list[polars.Expr] = [polars.col(k) for k in keys]
        for name in values:
            a, b = polars.col(f"{name}_live"), polars.col(f"{name}_local")
            columns += [a, b]
            if name in numeric:
                diff = b.cast(polars.Float64).fill_null(0.0) - a.cast(polars.Float64).fill_null(0.0)
                scale = polars.max_horizontal(
                    polars.lit(1.0), a.cast(polars.Float64).abs(), b.cast(polars.Float64).abs()
                ).fill_null(1.0)
                columns.append(diff.alias(f"{name}_diff"))
                checks.append(diff.abs() <= scale * _TOLERANCE)
            else:
                checks.append(a.eq_missing(b))
        agree = polars.all_horizontal(checks) if checks else polars.lit(True)
        return joined.select([*columns, agree.alias("agree")])


def compare_reports(live: ReportResult, local: ReportResult) -> ReportComparison:
    """Put a live report next to the same report computed locally.

    Raises
    ------
    ValidationError
        When the two are not the same kind of report.
    """
    if type(live) is not type(local):
        raise ValidationError(
            f"cannot compare a {type(live).__name__} with a {type(local).__name__}",
            hint="compare two results of the same report",
        )
    return ReportComparison(live=live, local=local)
