"""Seeded fault injection: make the Nth request to an endpoint (or a random share) go wrong.

Real Mixpanel exports fail in a handful of ways clients must survive: 429s (sometimes with
``Retry-After``), 5xx answers, connections reset before or in the middle of a body, a 200
body that ends in ``terminated early``, and slow starts. A :class:`Faults` schedule makes the
emulator reproduce each of them on demand, deterministically.

Spec syntax (``Faults.parse`` and ``mp demo serve --faults``), rules separated by commas::

    [ENDPOINT:]KIND[(ARGS)][@WHEN]

ENDPOINT
    An endpoint name as in the URL after the prefix (``export``, ``engage``,
    ``segmentation``, ``funnels/list``, ``events/properties/top``, ``cohorts/list``, …),
    ``query`` for every Query API endpoint, or ``*`` (the default) for every request.
KIND (ARGS: ``name=value`` pairs, or one bare value for the first argument)
    ``429`` (``retry_after``: seconds, default 1; ``none`` omits the header),
    ``429_no_retry_after``; ``500``, ``502``, ``503``, ``504``;
    ``reset_before_headers`` / ``disconnect_before_headers`` (TCP reset / clean close after
    the request was read, before any byte of the answer);
    ``reset_mid_body`` / ``disconnect_mid_body`` (``after``: wire bytes sent first, default
    1024; a drop is always inside the body, never after its last byte);
    ``terminated_early`` (``after``: body bytes kept, default 1024; then ``terminated early``
    on a line of its own, and the 200 response ends normally);
    ``malformed_line`` (``line``: 1-based line replaced by its first half, default 2; the last
    line when the body is shorter); ``slow`` (``delay``: seconds before the first byte,
    default 1; in-process the emulator's injectable ``sleep`` is called);
    ``bad_gzip`` (``Content-Encoding: gzip`` on a plain body).
WHEN
    ``N`` (the Nth request matching ENDPOINT, counted from 1 by this rule), ``N-M``, ``N+``
    (from the Nth on), ``p=0.25`` (each matching request with that probability, from an RNG
    seeded by ``Faults(seed=...)``), ``*`` or nothing (every matching request).

Examples: ``export:429@1,export:reset_mid_body(after=5000)@3``, ``*:503@p=0.1``,
``engage:slow(2.5)@2``. Every rule counts the requests it matches; when several rules fire on
one request the first one listed wins. :attr:`Faults.fired` records what fired.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = ["Fault", "FaultKind", "Faults", "FiredFault", "break_line", "terminate_early"]

FaultKind = Literal[
    "429",
    "500",
    "502",
    "503",
    "504",
    "reset_before_headers",
    "disconnect_before_headers",
    "reset_mid_body",
    "disconnect_mid_body",
    "terminated_early",
    "malformed_line",
    "slow",
    "bad_gzip",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
STATUS_KINDS = frozenset({"429", "500", "502", "503", "504"})

# The argument a bare value sets, per kind: slow(2.5) == slow(delay=2.5).
_FIRST_ARG = {
    "429": "retry_after",
    "reset_mid_body": "after",
    "disconnect_mid_body": "after",
    "terminated_early": "after",
    "malformed_line": "line",
    "slow": "delay",
}
_ALLOWED_ARGS = {
    "429": {"retry_after"},
    "reset_mid_body": {"after"},
    "disconnect_mid_body": {"after"},
    "terminated_early": {"after"},
    "malformed_line": {"line"},
    "slow": {"delay"},
}
_RULE_RE = re.compile(
    r"""\A\s*(?:(?P<endpoint>[*A-Za-z0-9_/]+)\s*:)?\s*(?P<kind>[A-Za-z0-9_]+)
        \s*(?:\((?P<args>[^()]*)\))?\s*(?:@\s*(?P<when>[^@]+?))?\s*\Z""",
    re.VERBOSE,
)
_TERMINATED = b"terminated early\n"


@dataclass(frozen=True)
class Fault:
    """One fault rule.

    Parameters
    ----------
    kind
        What goes wrong (see the module docstring).
    endpoint
        Endpoint name (``export``, ``engage``, ``funnels/list``…), ``query`` or ``*``.
    requests
        The request numbers (1-based, counted among the requests this rule matches) that
        get the fault; ``None`` for every request (subject to ``probability``).
    from_request
        Every request from this number on (with ``requests=None``).
    probability
        Chance that a matching request gets the fault (seeded RNG); ``None`` means always.
    retry_after
        ``429`` only: the ``Retry-After`` seconds, or ``None`` to send no header.
    after
        Mid-body drops: wire bytes sent before the drop; ``terminated_early``: body bytes
        kept before the ``terminated early`` tail.
    line
        ``malformed_line``: the 1-based line to break.
    delay
        ``slow``: seconds before the first byte.
    """

    kind: FaultKind
    endpoint: str = "*"
    requests: frozenset[int] | None = None
    from_request: int | None = None
    probability: float | None = None
    retry_after: float | None = 1.0
    after: int = 1024
    line: int = 2
    delay: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValidationError(
                f"unknown fault kind {self.kind!r}",
                hint=f"use one of: {', '.join(FAULT_KINDS)}",
            )
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValidationError(f"fault probability must be within 0..1, got {self.probability}")
        if self.after < 0 or self.line < 1 or self.delay < 0:
            raise ValidationError(f"fault {self.kind}: after/line/delay must be positive")

    def matches_endpoint(self, endpoint: str, family: str) -> bool:
        """Whether a request to ``endpoint`` (of API ``family``) is counted by this rule."""
        if self.endpoint == "*":
            return True
        if self.endpoint == "query":
            return family == "query"
        return self.endpoint == endpoint

    def fires_on(self, number: int, draw: float) -> bool:
        """Whether the ``number``-th matching request (with random ``draw``) gets it."""
        if self.requests is not None and number not in self.requests:
            return False
        if self.from_request is not None and number < self.from_request:
            return False
        return self.probability is None or draw < self.probability


@dataclass(frozen=True)
class FiredFault:
    """A fault that fired: on which endpoint, the rule's request number, and the kind."""

    endpoint: str
    request: int
    kind: FaultKind


@dataclass
class Faults:
    """A schedule of fault rules with its own counters and seeded RNG (thread-safe).

    Build it from :class:`Fault` objects or from a spec string with :meth:`parse`.
    """

    rules: Sequence[Fault] = ()
    seed: int = 0
    fired: list[FiredFault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rules = tuple(self.rules)
        self._lock = threading.Lock()
        self._counts = [0] * len(self.rules)
        self._rng = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str, *, seed: int = 0) -> Faults:
        """Build a schedule from a spec such as ``"export:429@1,export:reset_mid_body@3"``."""
        return cls(tuple(_parse_rule(text) for text in _split_rules(spec)), seed=seed)

    def reset(self) -> None:
        """Forget every count, the RNG state and the fired log."""
        with self._lock:
            self._counts = [0] * len(self.rules)
            self._rng = random.Random(self.seed)
            self.fired.clear()

    def pick(self, endpoint: str, family: str) -> Fault | None:
        """Count one request and return the fault it gets, if any."""
        chosen: Fault | None = None
        with self._lock:
            for index, rule in enumerate(self.rules):
                if not rule.matches_endpoint(endpoint, family):
                    continue
                self._counts[index] += 1
                number = self._counts[index]
                draw = self._rng.random() if rule.probability is not None else 0.0
                if chosen is None and rule.fires_on(number, draw):
                    chosen = rule
                    self.fired.append(FiredFault(endpoint=endpoint, request=number, kind=rule.kind))
        return chosen


def _split_rules(spec: str) -> Iterable[str]:
    depth = 0
    current: list[str] = []
    for char in spec:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            yield "".join(current)
            current = []
        else:
            current.append(char)
    yield "".join(current)


def _bad_rule(text: str, why: str) -> ValidationError:
    return ValidationError(
        f"bad fault rule {text.strip()!r}: {why}",
        hint="write [ENDPOINT:]KIND[(ARGS)][@WHEN], e.g. export:429@1 or *:503@p=0.1",
    )


def _parse_rule(text: str) -> Fault:
    match = _RULE_RE.match(text)
    if match is None or not text.strip():
        raise _bad_rule(text, "not of the form [ENDPOINT:]KIND[(ARGS)][@WHEN]")
    kind = match["kind"]
    retry_after: float | None = 1.0
    if kind == "429_no_retry_after":
        kind, retry_after = "429", None
    if kind not in FAULT_KINDS:
        raise _bad_rule(text, f"unknown kind {kind!r} (kinds: {', '.join(FAULT_KINDS)})")
    options: dict[str, float | int | None] = {}
    for name, value in _parse_args(text, kind, match["args"]):
        options[name] = value
    requests, from_request, probability = _parse_when(text, match["when"])
    if "retry_after" in options:
        retry_after = options["retry_after"]
    return Fault(
        kind=kind,  # type: ignore[arg-type]  # checked against FAULT_KINDS above
        endpoint=(match["endpoint"] or "*").strip("/"),
        requests=requests,
        from_request=from_request,
        probability=probability,
        retry_after=retry_after,
        after=int(options.get("after", 1024) or 0),
        line=int(options.get("line", 2) or 0),
        delay=float(options.get("delay", 1.0) or 0.0),
    )


def _parse_args(text: str, kind: str, args: str | None) -> Iterator[tuple[str, float | int | None]]:
    if not args or not args.strip():
        return
    if kind not in _ALLOWED_ARGS:
        raise _bad_rule(text, f"{kind} takes no arguments")
    for part in args.split(","):
        name, sep, value = part.partition("=")
        if not sep:
            name, value = _FIRST_ARG.get(kind, ""), part
            if not name:
                raise _bad_rule(text, f"{kind} takes no arguments")
        name, value = name.strip(), value.strip()
        if name not in _ALLOWED_ARGS.get(kind, set()):
            raise _bad_rule(text, f"{kind} has no argument {name!r}")
        if name == "retry_after" and value.lower() == "none":
            yield name, None
            continue
        try:
            number = float(value)
        except ValueError:
            raise _bad_rule(text, f"{name} must be a number, got {value!r}") from None
        yield name, int(number) if name in {"after", "line"} else number


def _parse_when(
    text: str, when: str | None
) -> tuple[frozenset[int] | None, int | None, float | None]:
    if when is None or when.strip() in {"", "*"}:
        return None, None, None
    spec = when.strip()
    try:
        if spec.startswith("p="):
            return None, None, float(spec[2:])
        if spec.endswith("+"):
            return None, int(spec[:-1]), None
        if "-" in spec:
            first, last = (int(x) for x in spec.split("-", 1))
            if last < first:
                raise ValueError(spec)
            return frozenset(range(first, last + 1)), None, None
        return frozenset({int(spec)}), None, None
    except ValueError:
        raise _bad_rule(text, f"bad @WHEN {spec!r} (use N, N-M, N+, p=0.1 or *)") from None


def terminate_early(chunks: Iterator[bytes], after: int) -> Iterator[bytes]:
    """Keep the first ``after`` bytes of a body, then write ``terminated early``.

    This is how a truncated Mixpanel export looks: the last record is cut off and the text
    ``terminated early`` stands where the next record would be, in a 200 response that
    otherwise ends normally (seen in mixpanel-utils and in Mixpanel's own export helpers).
    """
    kept = 0
    last = b"\n"
    try:
        for chunk in chunks:
            piece = chunk[: max(after - kept, 0)]
            if piece:
                kept += len(piece)
                last = piece[-1:]
                yield piece
            if kept >= after:
                break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    yield _TERMINATED if last == b"\n" else b"\n" + _TERMINATED


def break_line(chunks: Iterator[bytes], line: int) -> Iterator[bytes]:
    """Replace the ``line``-th line (1-based; the last one if there are fewer) by its first half."""
    number = 0
    pending = b""
    held: bytes | None = None  # the latest complete line, kept until we know if it is the last
    source = iter(chunks)
    for chunk in source:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for index, text in enumerate(lines):
            if held is not None:
                yield held
                held = None
            number += 1
            if number == line:
                yield _half(text) + b"\n"
                # Past the target: pass the rest through untouched.
                yield from _rest(lines[index + 1 :], pending, source)
                return
            held = text + b"\n"
    if pending:
        if held is not None:
            yield held
        yield _half(pending)
    elif held is not None:
        yield _half(held[:-1]) + b"\n"


def _rest(lines: list[bytes], pending: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    if lines:
        yield b"\n".join(lines) + b"\n"
    if pending:
        yield pending
    yield from chunks


def _half(text: bytes) -> bytes:
    return text[: len(text) // 2] if len(text) > 1 else b"{"
