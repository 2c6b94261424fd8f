"""Replay a user's own Mixpanel data: an export NDJSON file (or several) and a profiles file.

The export lines are grouped by day and kept as raw bytes (about a third of the memory of
decoded dicts); a day is decoded when it is asked for. ``time`` is normalised to
milliseconds, whichever unit the file holds.

Each line is kept in its compact form (what ``orjson`` renders for it, which is how the
export endpoint renders every event), so a day's kept bytes are already the export body in
the file's time unit and can be served without decoding (:meth:`ReplaySource.export_body`).
The other unit is three zeros added to (or the last three digits dropped from) each line's
``time``, whose position in the day's bytes is noted when the file is read.
"""

from __future__ import annotations

import datetime as dt
import gzip
from array import array
from dataclasses import dataclass
from itertools import chain, pairwise
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
# Per-line facts that decide whether a day's kept bytes can be served as they are.
_INT_TIME = 1  # ``time`` is an integer (a float is rounded when decoded, so it is rendered)
_ONLY_EVENT_PROPERTIES = 2  # top-level keys are exactly event, properties (in that order)
# ``"time":<value>`` occurs once in the line, and the value is at least 1000, so that the
# other unit is the same digits with three zeros more or less (seconds * 1000, ms // 1000).
_SWAPPABLE_TIME = 4
_ALL_FLAGS = _INT_TIME | _ONLY_EVENT_PROPERTIES | _SWAPPABLE_TIME


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


@dataclass(frozen=True)
class _Day:
    """One day of a replay: its compact lines (each ending in ``\\n``) and what they allow."""

    body: bytes
    count: int
    # Where each line's ``time`` value ends in ``body``, when every one is swappable.
    time_ends: array[int]
    flags: int


class _Lines:
    """What reading the files collects, line by line, before days are known."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.times: list[int | float] = []
        self.flags = bytearray()
        # Where ``time``'s value ends in the line (0 when the time is not swappable).
        self.time_ends = array("q")

    def add(self, line: bytes, obj: dict[str, Any], time: int | float) -> None:
        flags = 0
        end = 0
        if isinstance(time, int):
            flags |= _INT_TIME
            if time >= 1000:
                token = b'"time":%d' % time
                # Inside a JSON string a quote is escaped, so the token can only repeat as a
                # nested key named ``time`` or a key ending in an escaped quote and ``time``.
                if line.count(token) == 1:
                    flags |= _SWAPPABLE_TIME
                    end = line.index(token) + len(token)
        if len(obj) == 2 and next(iter(obj)) == "event":
            flags |= _ONLY_EVENT_PROPERTIES
        self.lines.append(line)
        self.times.append(time)
        self.flags.append(flags)
        self.time_ends.append(end)


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
        read = _Lines()
        for path in paths:
            self._read_events(path, read)
        self._factor = self._unit_factor(read.times, time_unit, paths)
        self._days = self._group(read, self._factor)
        self.days: tuple[dt.date, ...] = tuple(self._days)
        self.profiles: list[dict[str, Any]] = read_profiles(profiles) if profiles else []

    @staticmethod
    def _read_events(path: Path, read: _Lines) -> None:
        dumps = orjson.dumps
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
            # Keep the compact rendering (spaces, escapes and number spellings normalised):
            # decoding it gives the same event, and it is what the export endpoint sends.
            compact = dumps(obj)
            if compact != line:
                line = compact
            read.add(line, obj, time)

    @staticmethod
    def _group(read: _Lines, factor: int) -> dict[dt.date, _Day]:
        by_day: dict[int, list[int]] = {}
        for index, time in enumerate(read.times):
            by_day.setdefault(int(time * factor) // DAY_MS, []).append(index)
        days: dict[dt.date, _Day] = {}
        lines, flags, line_ends = read.lines, read.flags, read.time_ends
        for number, indices in sorted(by_day.items()):
            day_flags = _ALL_FLAGS
            for index in indices:
                day_flags &= flags[index]
            time_ends: array[int] = array("q")
            if day_flags & _SWAPPABLE_TIME:
                start = 0
                for index in indices:
                    time_ends.append(start + line_ends[index])
                    start += len(lines[index]) + 1
            body = b"\n".join([lines[index] for index in indices]) + b"\n"
            days[EPOCH.date() + dt.timedelta(days=number)] = _Day(
                body=body, count=len(indices), time_ends=time_ends, flags=day_flags
            )
        return days

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
        found = self._days.get(day)
        return found.count if found is not None else 0

    def load_day(self, day: dt.date) -> list[dict[str, Any]]:
        """Decode the events of ``day``, with ``time`` in milliseconds."""
        found = self._days.get(day)
        if found is None:
            return []
        loads = orjson.loads
        events = [loads(line) for line in found.body.split(b"\n")[:-1]]
        factor = self._factor
        for event in events:
            props = event["properties"]
            time = props["time"]
            if factor != 1 or not isinstance(time, int):
                props["time"] = round(time * factor)
        return events

    def export_body(self, day: dt.date, *, time_in_ms: bool) -> bytes | None:
        """The export body of ``day`` straight from the kept bytes, or ``None``.

        The same bytes as rendering :meth:`load_day`'s events (Mixpanel docs,
        raw-event-export: ``time`` in whole seconds unless ``time_in_ms=true``, one object
        per line, each ending in ``\\n``). ``None`` when a line of the day needs decoding to
        get there: a fractional ``time``, or seconds asked for lines with more top-level keys
        than ``event`` and ``properties`` (the seconds rendering keeps only those two), or a
        ``time`` value that cannot be substituted unambiguously.
        """
        found = self._days.get(day)
        if found is None:
            return b""
        flags = found.flags
        if not flags & _INT_TIME or (not time_in_ms and not flags & _ONLY_EVENT_PROPERTIES):
            return None
        if time_in_ms == (self._factor == 1):
            return found.body
        if not flags & _SWAPPABLE_TIME:
            return None
        view = memoryview(found.body)
        ends = found.time_ends
        spans = pairwise(chain((0,), ends))
        tail = view[ends[-1] :]
        if time_in_ms:  # seconds kept: every time gets three more digits
            return b"000".join([view[a:b] for a, b in spans] + [tail])
        # Milliseconds kept: every time loses its last three (a floor division, as >= 1000).
        return b"".join([view[a : b - 3] for a, b in spans] + [tail])

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
