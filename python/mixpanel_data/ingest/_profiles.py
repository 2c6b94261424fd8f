"""Decode Engage profiles into typed, flattened Arrow batches (same rules as events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data.exceptions import APIDecodeError
from mixpanel_data.ingest._badline import bad_record_error
from mixpanel_data.ingest._decode import utc_now
from mixpanel_data.ingest._flatten import (
    DECODER_MEMORY_LIMIT,
    MAX_PROPERTY_COLUMNS,
    FlatteningDecoder,
)
from mixpanel_data.ingest._sql import quote_literal

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    from mixpanel_data.ingest._batch import EventBatch

__all__ = ["ProfileDecoder"]

Profile = tuple[str, Mapping[str, Any]] | Mapping[str, Any]

_ENCODER = msgspec.json.Encoder()


def _line(profile: Profile) -> bytes:
    """One profile as an NDJSON line in Engage's own shape (``$distinct_id``, ``$properties``).

    The shape matters: a block that fails to decode is diagnosed line by line by
    :func:`bad_record_error`, which reads these two keys.
    """
    if isinstance(profile, Mapping):
        distinct_id = profile.get("$distinct_id")
        # Mixpanel docs (engage-query): include_all_users defaults to true, so cohort members
        # without a profile come back with "$properties": {} (or, defensively, without the key).
        properties = profile.get("$properties", {})
    else:
        distinct_id, properties = profile
    if distinct_id is None:
        raise APIDecodeError(
            f"an Engage profile has no $distinct_id: {str(profile)[:120]!r}",
            hint="the page was not stored; retry, and report it if it happens again",
        )
    # Engage may send numeric ids; the users table keys on their text (mixpanel docs: treat
    # $distinct_id as a string). msgspec, not orjson: property values decoded from JSON may be
    # integers beyond 64 bits, which orjson refuses and msgspec writes digit for digit.
    try:
        return _ENCODER.encode({"$distinct_id": str(distinct_id), "$properties": properties})
    except (TypeError, ValueError, msgspec.EncodeError) as exc:
        raise APIDecodeError(
            f"the Engage profile {str(distinct_id)[:120]!r} has properties that are not JSON: "
            f"{exc}",
            hint="the page was not stored; pass profiles as Engage returns them",
        ) from exc


class ProfileDecoder(FlatteningDecoder):
    """Turn pages of Engage profiles into :class:`EventBatch` es for a users table.

    Output columns: ``distinct_id`` (text), ``properties`` (the ``$properties`` object as JSON
    text), ``_fetched_at``, then the flattened property columns (same typing and widening
    rules as events).

    A page with no property to flatten (Engage's empty last page, or only cohort members
    without a profile, whose ``$properties`` is ``{}``) decodes to a batch of the three
    top-level columns and no property column (zero rows for an empty page).

    Parameters
    ----------
    fetched_at
        Value of ``_fetched_at`` (naive UTC); defaults to when the decoder was created.
    max_columns
        Most flattened property columns.
    threads
        DuckDB threads for decoding.
    memory_limit
        Memory cap of the decoder's scratch DuckDB.
    """

    _what = "profile"

    def __init__(
        self,
        *,
        fetched_at: dt.datetime | None = None,
        max_columns: int = MAX_PROPERTY_COLUMNS,
        threads: int | None = None,
        memory_limit: str = DECODER_MEMORY_LIMIT,
    ) -> None:
        super().__init__(max_columns=max_columns, threads=threads, memory_limit=memory_limit)
        self.fetched_at = fetched_at or utc_now()

    def decode(self, profiles: Iterable[Profile]) -> EventBatch:
        """Decode profiles given as ``(distinct_id, properties)`` pairs or Engage result dicts.

        Returns
        -------
        EventBatch
            The typed, flattened batch (zero rows for an empty page).

        Raises
        ------
        APIDecodeError
            A profile without ``$distinct_id``, whose properties are not an object, or whose
            properties cannot be written as JSON.
        """
        lines = [_line(p) for p in profiles]
        data = b"\n".join(lines) + b"\n" if lines else b""
        return self._decode_file(data, first_line=1, lines=len(lines))

    def _stage(self, path: str) -> str:
        return (
            'CREATE OR REPLACE TEMP TABLE _mp_b AS SELECT "$distinct_id" AS distinct_id, '  # noqa: S608 - quoted literal
            '"$properties" AS properties '
            f"FROM read_ndjson({quote_literal(path)}, "
            "columns={'$distinct_id': 'VARCHAR', '$properties': 'JSON'}, "
            "format='newline_delimited')"
        )

    def _check_rows(self) -> str:
        return "distinct_id IS NULL OR properties IS NULL OR ascii(properties::VARCHAR) <> 123"

    def _reserved_keys(self) -> tuple[str, ...]:
        return ()

    def _error(self, data: bytes, first_line: int, detail: str | None) -> Exception:
        return bad_record_error(data, first_line=first_line, detail=detail, profiles=True)

    def _top_level(self, value: dict[str, str]) -> list[str]:  # noqa: ARG002 - no reserved keys
        fetched = self.fetched_at.replace(tzinfo=None).isoformat(sep=" ")
        return ["distinct_id", "properties", f"TIMESTAMP {quote_literal(fetched)} AS _fetched_at"]
