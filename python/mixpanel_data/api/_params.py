"""Encode request parameters the way Mixpanel reads them.

Mixpanel takes several parameters as JSON text inside a query-string or form field: the
``event`` array of ``/export`` and ``/events``, ``distinct_ids``, ``output_properties`` and
``filter_by_cohort`` of ``/engage``, ``params`` of ``/jql``, ``values`` of
``/events/properties`` (Mixpanel API reference, query and export OpenAPI specs). Sending a
bare name where an array is expected is an error ("Invalid JSON Format: event"). So lists,
tuples and dicts become compact JSON; booleans become ``true``/``false``; dates their ISO
form; ``None`` drops the parameter (handy for optional arguments); strings go as they are
(``/segmentation`` takes ``event`` as a plain string).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["encode_params", "encode_value"]

_encoder = msgspec.json.Encoder()


def encode_value(name: str, value: Any) -> str:
    """The wire text of one parameter value.

    Raises
    ------
    ValidationError
        For a value of a type Mixpanel has no encoding for.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        raise ValidationError(
            f"parameter {name!r} is a datetime ({value!r}); Mixpanel takes dates as yyyy-mm-dd",
            hint="pass a datetime.date, or format the value as the endpoint documents",
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        try:
            return _encoder.encode(value).decode("utf-8")
        except (TypeError, msgspec.EncodeError) as exc:
            raise ValidationError(
                f"parameter {name!r} cannot be encoded as JSON: {exc}",
                hint="use only strings, numbers, booleans, None, dates, lists and dicts",
            ) from exc
    raise ValidationError(
        f"parameter {name!r} has type {type(value).__name__}, which has no Mixpanel encoding",
        hint="pass a string, number, boolean, date, list or dict",
    )


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Encode every parameter with :func:`encode_value`, dropping those that are None."""
    if not params:
        return {}
    return {name: encode_value(name, value) for name, value in params.items() if value is not None}
