"""``POST /api/query/jql``: a few canned JQL scripts, and Mixpanel's 400 for anything else.

Mixpanel is retiring JQL (maintenance mode), and running it faithfully means running
JavaScript, which the emulator does not do. It recognises these script shapes (whitespace,
``;`` and ``//``/``/* */`` comments are free; strings may use ``"`` or ``'``)::

    function main() {
      return Events(ARG)
        .groupBy(KEYS, mixpanel.reducer.count());   // [{"key": [...], "value": N}, ...]
    }
    ... .groupByUser(mixpanel.reducer.count())       // [{"key": [distinct_id], "value": N}]
    ... .reduce(mixpanel.reducer.count())            // [N]

where ``ARG`` is ``params`` (the ``params`` form field, a JSON object) or an object literal
with ``from_date`` and ``to_date`` (strings, or ``params.<name>``) and optionally
``event_selectors: [{event: "Name"}, ...]``; ``KEYS`` is an array of ``"name"``,
``"distinct_id"`` or ``"properties.<property>"``. Events are read deduplicated (Mixpanel's
key: event, distinct_id, time, $insert_id; the latest processed copy wins) between the two
dates inclusive in the project time zone; groups come back sorted by key, as JQL sorts them.

Any other script gets a 400 whose ``error`` names the problem, as Mixpanel answers a script
it cannot run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from mixpanel_data.emulator._wire import EmulatorHTTPError, Reply, json_reply

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mixpanel_data.emulator._state import Call

__all__ = ["jql"]

_COUNT = "mixpanel.reducer.count()"
_SUPPORTED = (
    "Events(...).groupBy([keys], mixpanel.reducer.count()), "
    "Events(...).groupByUser(mixpanel.reducer.count()) and "
    "Events(...).reduce(mixpanel.reducer.count())"
)
_MAIN_RE = re.compile(r"\Afunctionmain\(\)\{return(?P<body>.*?);?\}\Z", re.DOTALL)
_SOURCE_RE = re.compile(r"\AEvents\((?P<arg>params|\{.*?\})\)\.(?P<op>.*)\Z", re.DOTALL)
_OP_RE = re.compile(
    r"\A(?:groupBy\((?P<keys>\[.*?\]),(?P<reducer1>.*)\)"
    r"|groupByUser\((?P<reducer2>.*)\)|reduce\((?P<reducer3>.*)\))\Z",
    re.DOTALL,
)
_PARAM_REF_RE = re.compile(r"params\.([A-Za-z_][A-Za-z0-9_]*)")
_BARE_KEY_RE = re.compile(r"([{,])([A-Za-z_$][A-Za-z0-9_$]*):")


def _unsupported(detail: str) -> EmulatorHTTPError:
    return EmulatorHTTPError(
        400,
        f"Unsupported JQL script: {detail}. Mixpanel's emulator runs only {_SUPPORTED} "
        "(JQL is in maintenance mode; prefer the report endpoints).",
    )


def _compact(script: str) -> str:
    """Drop comments and whitespace outside string literals; single quotes become double."""
    out: list[str] = []
    i, n = 0, len(script)
    while i < n:
        char = script[i]
        if script.startswith("//", i):
            end = script.find("\n", i)
            i = n if end < 0 else end
            continue
        if script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if char in "\"'":
            j = i + 1
            text: list[str] = []
            while j < n and script[j] != char:
                if script[j] == "\\" and j + 1 < n:
                    text.append(script[j : j + 2])
                    j += 2
                    continue
                text.append('\\"' if script[j] == '"' else script[j])
                j += 1
            if j >= n:
                raise EmulatorHTTPError(400, "SyntaxError: unterminated string literal in script")
            out.append('"' + "".join(text) + '"')
            i = j + 1
            continue
        if not char.isspace():
            out.append(char)
        i += 1
    return "".join(out)


def _object_literal(text: str, params: dict[str, Any]) -> Any:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise _unsupported(f"params.{name} is not set (send it in the params field)")
        return orjson.dumps(params[name]).decode()

    as_json = _BARE_KEY_RE.sub(r'\1"\2":', _PARAM_REF_RE.sub(substitute, text))
    try:
        return orjson.loads(as_json)
    except orjson.JSONDecodeError:
        raise _unsupported(f"cannot read the Events() argument {text!r}") from None


def _date(value: Any, name: str) -> dt.date:
    if not isinstance(value, str):
        raise EmulatorHTTPError(400, f"Events() needs {name} as a 'yyyy-mm-dd' string")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise EmulatorHTTPError(400, f"Events(): {name} {value!r} is not a date") from None


def jql(call: Call) -> Reply:
    """Run one of the canned scripts, or refuse the script."""
    script = call.params.require("script")
    params = call.params.json("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise EmulatorHTTPError(400, "Invalid JSON Format: params")
    compact = _compact(script)
    main = _MAIN_RE.match(compact)
    if main is None:
        raise _unsupported("the script must be 'function main() { return Events(...)...; }'")
    source = _SOURCE_RE.match(main["body"])
    if source is None:
        raise _unsupported("only Events(...) with one aggregation is supported")
    selector = params if source["arg"] == "params" else _object_literal(source["arg"], params)
    if not isinstance(selector, dict):
        raise _unsupported("the Events() argument must be an object")
    from_date = _date(selector.get("from_date"), "from_date")
    to_date = _date(selector.get("to_date"), "to_date")
    if from_date > to_date:
        raise EmulatorHTTPError(400, "Events(): from_date is after to_date")
    names = _selected_events(selector.get("event_selectors"))
    op = _OP_RE.match(source["op"])
    if op is None:
        raise _unsupported(f"the aggregation {source['op']!r} is not supported")
    reducer = op["reducer1"] or op["reducer2"] or op["reducer3"]
    if reducer != _COUNT:
        raise _unsupported(f"the reducer {reducer!r} is not supported (only {_COUNT})")
    events = _events(call, from_date, to_date, names)
    if op["reducer3"] is not None:
        return json_reply([sum(1 for _ in events)])
    if op["reducer2"] is not None:
        keys = ["distinct_id"]
    else:
        keys = _object_literal(op["keys"], params)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or not keys:
            raise _unsupported("groupBy keys must be a non-empty array of strings")
    counts = Counter(tuple(_key_value(event, key) for key in keys) for event in events)
    ordered = sorted(counts.items(), key=lambda item: tuple(_rank(v) for v in item[0]))
    return json_reply([{"key": list(key), "value": value} for key, value in ordered])


def _selected_events(selectors: Any) -> set[str] | None:
    if selectors is None:
        return None
    if not isinstance(selectors, list) or not all(
        isinstance(s, dict) and isinstance(s.get("event"), str) for s in selectors
    ):
        raise _unsupported("event_selectors must be an array of {event: 'name'} objects")
    return {s["event"] for s in selectors}


def _key_value(event: dict[str, Any], key: str) -> Any:
    if key == "name":
        return event.get("event")
    if key == "distinct_id":
        return event["properties"].get("distinct_id")
    if key.startswith("properties."):
        return event["properties"].get(key[len("properties.") :])
    raise _unsupported(f"groupBy key {key!r} is not supported (name, distinct_id, properties.X)")


def _rank(value: Any) -> tuple[int, Any]:
    # JQL sorts null/undefined first, then booleans, numbers, strings; lists by their JSON.
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    return (4, orjson.dumps(value).decode())


def _events(
    call: Call, from_date: dt.date, to_date: dt.date, names: set[str] | None
) -> list[dict[str, Any]]:
    """Deduplicated events whose local day (project time zone) is in the range."""
    dataset = call.state.dataset
    zone = ZoneInfo(dataset.timezone)
    legacy = dataset.legacy_timezone
    latest: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
    for event in _lines(call, from_date - dt.timedelta(days=1), to_date + dt.timedelta(days=1)):
        if names is not None and event.get("event") not in names:
            continue
        props = event.get("properties") or {}
        time_ms = int(props.get("time") or 0)
        stamp = dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC)
        # Legacy projects store time already shifted into local time.
        local_day = stamp.date() if legacy else stamp.astimezone(zone).date()
        if not from_date <= local_day <= to_date:
            continue
        key = (event.get("event"), props.get("distinct_id"), time_ms, props.get("$insert_id"))
        processed = int(props.get("mp_processing_time_ms") or 0)
        kept = latest.get(key)
        if kept is None or processed > kept[0]:
            latest[key] = (processed, event)
    return [event for _, event in latest.values()]


def _lines(call: Call, first: dt.date, last: dt.date) -> Iterator[dict[str, Any]]:
    dataset = call.state.dataset
    for day in dataset.days:
        if first <= day <= last:
            yield from dataset.events_for_day(day)
