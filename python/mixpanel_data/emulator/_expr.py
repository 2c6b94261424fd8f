"""Segmentation expressions evaluated in Python, for the export's and engage's ``where``.

Reports compile their expressions to SQL inside :mod:`mixpanel_data.analytics`; the export
and engage filter rows one by one with the same semantics (Mixpanel docs,
segmentation-expressions: a row is kept only when the expression is ``true``; ``undefined``
and ``false`` drop it). A bad expression is refused with a 400 before any byte is sent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mixpanel_data.analytics.expr import Expr, matches, parse
from mixpanel_data.emulator._wire import EmulatorHTTPError
from mixpanel_data.exceptions import ExpressionError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["event_matcher", "parse_param", "profile_matcher"]

log = logging.getLogger(__name__)


def parse_param(text: str, param: str) -> Expr:
    """Parse the expression of parameter ``param`` or raise a 400 that names it."""
    try:
        return parse(text)
    except ExpressionError as exc:
        raise EmulatorHTTPError(400, f"Invalid expression in '{param}': {exc.message}") from None


def event_matcher(
    text: str, *, param: str = "where"
) -> Callable[[Mapping[str, Any], int | None], bool]:
    """A predicate over export events and their true UTC time in ms (``event["$time"]``).

    The export streams, so an expression that fails on one event (``and`` over a string,
    which Mixpanel rejects) cannot turn into a 400 any more: that event is left out.
    """
    expr = parse_param(text, param)

    def keep(event: Mapping[str, Any], utc_ms: int | None) -> bool:
        try:
            return matches(
                expr,
                event.get("properties") or {},
                event_name=event.get("event"),
                time_ms=utc_ms,
            )
        except ExpressionError as exc:
            log.debug("export where: event left out: %s", exc.message)
            return False

    return keep


def profile_matcher(text: str, *, param: str = "where") -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over profile properties; ``properties[...]`` and ``user[...]`` both read them.

    Raises :class:`ExpressionError` for a profile the expression cannot be computed on (the
    engage query is answered whole, so that becomes a 400).
    """
    expr = parse_param(text, param)

    def keep(properties: Mapping[str, Any]) -> bool:
        return matches(expr, properties, user=properties)

    return keep
