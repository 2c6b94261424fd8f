"""Base classes for every result the library returns.

Results are frozen, keyword-only msgspec Structs. Their data views are derived lazily:
``.pl`` is a cached polars frame (tidy: one row per observation), ``.df`` the same frame in
pandas, ``.to_dict()`` plain builtins. ``dict=True`` exists only so ``cached_property`` can
cache the frame on a frozen Struct (msgspec ignores the cache in ``==``, ``repr`` and
encoding).

Two shapes exist, and the CLI renders them differently:

- :class:`Result`: tabular. ``--format json`` prints the rows as an array (or, when
  ``_header()`` returns parameters, an object with those parameters and ``rows``);
  ``table``/``csv``/``jsonl``/``plain`` print ``_rows()``.
- :class:`Record`: one object (a fetch summary, an account status). ``--format json`` prints
  the object; ``table`` prints it as a two-column key/value table.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data.exceptions import MixpanelDataError

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = ["Record", "Result", "to_pandas"]


def to_pandas(frame: polars.DataFrame) -> pandas.DataFrame:
    """Convert a polars frame to pandas, with a clear hint when pandas is not installed."""
    try:
        import pandas  # noqa: F401  (imported only to detect its absence)
    except ImportError as exc:
        raise MixpanelDataError(
            "pandas is not installed, so .df is unavailable",
            hint="pip install 'mixpanel_data[pandas]', or use .pl for the polars frame",
        ) from exc
    converted: pandas.DataFrame = frame.to_pandas()
    return converted


class _Base(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-compatible builtins."""
        data = msgspec.to_builtins(self)
        assert isinstance(data, dict)
        return data

    @cached_property
    def pl(self) -> polars.DataFrame:
        """The result as a (cached) polars DataFrame."""
        return self._to_frame()

    @property
    def df(self) -> pandas.DataFrame:
        """The result as a pandas DataFrame (needs pandas installed)."""
        return to_pandas(self.pl)

    def _to_frame(self) -> polars.DataFrame:
        raise NotImplementedError(f"{type(self).__name__} must define _to_frame()")


class Result(_Base, frozen=True, kw_only=True, dict=True):
    """A tabular result: its natural form is rows."""

    def _header(self) -> dict[str, Any] | None:
        """Parameters shown above the rows (report name, dates…); None for plain tables."""
        return None

    def _rows(self) -> polars.DataFrame:
        """The rows the CLI renders; by default the tidy frame."""
        return self.pl


class Record(_Base, frozen=True, kw_only=True, dict=True):
    """A single-object result: its natural form is one mapping."""

    def _to_frame(self) -> polars.DataFrame:
        import polars

        return polars.DataFrame([self.to_dict()])
