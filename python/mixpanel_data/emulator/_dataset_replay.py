"""Replay a user's own Mixpanel data: an export NDJSON file (or several) and a profiles file.

The export lines are grouped by day and kept as raw bytes (about a third of the memory of
decoded dicts); a day is decoded when it is asked for. ``time`` is normalised to
milliseconds, whichever unit the file holds.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from mixpanel_data.emulator._dataset_model import DAY_MS, EPOCH, stored_to_utc
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from zoneinfo import ZoneInfo

__all__ = ["ReplaySource", "TimeUnit", "read_profiles"]

TimeUnit = Literal["auto", "s", "ms"]
# Epoch values below this are seconds (a millisecond value this small would be in 1973).
_MS_THRESHOLD = 100_000_000_000
_GZIP_MAGIC = b"\x1f\x8b"


def _open(path: Path) -> Iterator[bytes]:
    """Yield the lines of a plain or gzip file (found by its magic bytes, not its name)."""
    try:
        with path.open("rb") as probe:
            gz = probe.read(2) == _GZIP_MAGIC
        opener = gzip.open if gz else Path.open
        with opener(path, "rb") as fh:
            yield from fh
    except FileNotFoundError as exc:
        raise ValidationError(f"no such file: {path}", hint="check the path") from exc
    except (OSError, EOFError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}", hint="is it a whole file?") from exc


def _bad_line(path: Path, lineno: int, what: str) -> ValidationError:
    return ValidationError(
        f"{path}, line {lineno}: {what}",
        hint="give NDJSON as Mixpanel's export sends it: one "
        '{"event": ..., "properties": {"time": ...}} object per line '
        "(an export cut short ends with 'terminated early'; export that day again)",
    )


class ReplaySource:
    """The events and profiles of a real export, served day by day."""

    def __init__(
        self,
        events: Iterable[Path],
        profiles: Path | None,
        *,
        time_unit: TimeUnit,
        zone: ZoneInfo | None,
    ) -> None:
        self._zone = zone
        paths = tuple(events)
        lines: list[bytes] = []
        times: list[int | float] = []
        for path in paths:
            self._read_events(path, lines, times)
        self._factor = self._unit_factor(times, time_unit, paths)
        by_day: dict[int, list[bytes]] = {}
        factor = self._factor
        for line, time in zip(lines, times, strict=True):
            by_day.setdefault(int(time * factor) // DAY_MS, []).append(line)
        self._blobs = {
            EPOCH.date() + dt.timedelta(days=d): b"\n".join(day_lines)
            for d, day_lines in sorted(by_day.items())
        }
        self._counts = {day: len(by_day[(day - EPOCH.date()).days]) for day in self._blobs}
        self.days: tuple[dt.date, ...] = tuple(self._blobs)
        self.profiles: list[dict[str, Any]] = read_profiles(profiles) if profiles else []

    @staticmethod
    def _read_events(path: Path, lines: list[bytes], times: list[int | float]) -> None:
        for lineno, raw in enumerate(_open(path), start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise _bad_line(path, lineno, f"not JSON ({exc})") from exc
            if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
                raise _bad_line(path, lineno, 'no "event" name')
            props = obj.get("properties")
            if not isinstance(props, dict):
                raise _bad_line(path, lineno, 'no "properties" object')
            time = props.get("time")
            if not isinstance(time, int | float) or isinstance(time, bool):
                raise _bad_line(path, lineno, 'no numeric "properties.time"')
            lines.append(line)
            times.append(time)

    @staticmethod
    def _unit_factor(times: list[int | float], unit: TimeUnit, paths: tuple[Path, ...]) -> int:
        if unit == "s":
            return 1000
        if unit == "ms" or not times:
            return 1
        small = sum(1 for t in times if abs(t) < _MS_THRESHOLD)
        if small == len(times):
            return 1000
        if small == 0:
            return 1
        # Mixpanel's export sends seconds unless time_in_ms=true; a file holding both cannot
        # be read without being told which is which.
        names = ", ".join(str(p) for p in paths)
        raise ValidationError(
            f"{names}: 'time' holds both seconds and milliseconds values",
            hint="pass time_unit='s' or time_unit='ms', or export each file with one unit",
        )

    def event_count(self, day: dt.date) -> int:
        """The number of events on ``day`` (no decoding)."""
        return self._counts.get(day, 0)

    def load_day(self, day: dt.date) -> list[dict[str, Any]]:
        """Decode the events of ``day``, with ``time`` in milliseconds."""
        blob = self._blobs.get(day)
        if blob is None:
            return []
        events = [orjson.loads(line) for line in blob.split(b"\n")]
        factor = self._factor
        for event in events:
            props = event["properties"]
            time = props["time"]
            if factor != 1 or not isinstance(time, int):
                props["time"] = round(time * factor)
        return events

    def to_utc(self, day: dt.date) -> Callable[[int], int]:
        """A function from a stored ``time`` on ``day`` to true UTC ms."""
        return stored_to_utc(self._zone, (day - EPOCH.date()).days * DAY_MS)


def _profile_items(obj: Any, path: Path) -> Iterator[dict[str, Any]]:
    if isinstance(obj, list):
        for item in obj:
            yield from _profile_items(item, path)
    elif isinstance(obj, dict) and isinstance(obj.get("results"), list):
        yield from _profile_items(obj["results"], path)  # a whole engage response page
    elif isinstance(obj, dict) and "$distinct_id" in obj:
        props = obj.get("$properties") or {}
        if not isinstance(props, dict):
            raise ValidationError(
                f"{path}: $properties of {obj['$distinct_id']!r} is not an object",
                hint='give engage results: {"$distinct_id": ..., "$properties": {...}}',
            )
        # The engage spec types $distinct_id as an integer; everywhere else it is a string.
        yield {"$distinct_id": str(obj["$distinct_id"]), "$properties": props}
    else:
        raise ValidationError(
            f"{path}: found a value that is not an engage result",
            hint='give engage results {"$distinct_id": ..., "$properties": {...}} as a JSON '
            "array, one per line, or whole engage responses",
        )


def read_profiles(path: Path) -> list[dict[str, Any]]:
    """Read engage results from a JSON array, NDJSON, or saved engage responses (gz too).

    A distinct_id that appears twice keeps its first position and its last properties.
    """
    data = b"".join(_open(path))
    try:
        parsed: list[Any] = [orjson.loads(data)]
    except orjson.JSONDecodeError:
        parsed = []
        for lineno, line in enumerate(data.split(b"\n"), start=1):
            if line.strip():
                try:
                    parsed.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise ValidationError(
                        f"{path}, line {lineno}: not JSON ({exc})",
                        hint="give a JSON array of engage results or one result per line",
                    ) from exc
    profiles: dict[str, dict[str, Any]] = {}
    for item in _profile_items(parsed, path):
        profiles[item["$distinct_id"]] = item
    return list(profiles.values())
