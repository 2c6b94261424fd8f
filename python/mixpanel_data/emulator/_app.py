"""The emulator: one function from an HTTP request to a (streamed) Mixpanel response.

:class:`Emulator` routes a request, checks its credentials and rate limits, runs the
endpoint handler and applies any scheduled fault. :meth:`Emulator.handle` answers an
``httpx.Request`` in-process (plug it into ``httpx.MockTransport`` with
:meth:`Emulator.transport`); :func:`mixpanel_data.emulator.serve` puts the same emulator
behind a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING

import httpx

from mixpanel_data._credentials import Credentials
from mixpanel_data.emulator._auth import Authenticator, demo_accounts
from mixpanel_data.emulator._body import Delivery, WireFaults, deliver
from mixpanel_data.emulator._faults import STATUS_KINDS, Fault, Faults, break_line, terminate_early
from mixpanel_data.emulator._ratelimit import Limits, RateLimiter
from mixpanel_data.emulator._routes import Resolved, resolve
from mixpanel_data.emulator._state import Call, State
from mixpanel_data.emulator._transport import to_httpx_response
from mixpanel_data.emulator._wire import (
    EmulatorHTTPError,
    Family,
    Params,
    Reply,
    error_reply,
    parse_params,
)
from mixpanel_data.exceptions import ExpressionError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from mixpanel_data.emulator._dataset import Dataset

__all__ = ["DEMO_BASE_URL", "Emulator"]

log = logging.getLogger(__name__)

DEMO_BASE_URL = "https://demo.mixpanel.invalid"
_RATE_DOCS = (
    "https://help.mixpanel.com/hc/en-us/articles/115004602563-Rate-Limits-for-Export-API-Endpoints"
)
_GATEWAY_TEXT = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class Emulator:
    """A Mixpanel-compatible API over a dataset.

    Parameters
    ----------
    dataset
        The data to serve (default: ``Dataset.demo()``).
    credentials
        The credentials the emulator accepts: service accounts (username + secret, for their
        ``project_id``; ``project_id=None`` grants every project) and legacy API secrets.
        Default: the demo service account ``demo.user.mp-service-account`` / ``demo-secret``
        and the API secret ``demo-api-secret``, for the dataset's project.
    faults
        A :class:`~mixpanel_data.emulator.Faults` schedule, or a spec string for
        ``Faults.parse``.
    limits
        Rate-limit budgets (:class:`~mixpanel_data.emulator.Limits`); ``None`` (default)
        switches rate limiting off.
    today
        The emulator's "today" in the project time zone: ``to_date`` may not be later.
        Default: the dataset's last day.
    page_size
        Engage page size (Mixpanel's is 1000).
    session_ttl
        Seconds an engage ``session_id`` stays valid (on ``clock``).
    clock
        Monotonic seconds for session expiry (default ``time.monotonic``).
    sleep
        Called in-process for ``slow`` faults (default ``time.sleep``; tests pass a recorder).
    base_url
        The URL in-process clients are told to use (``client_credentials``).
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        credentials: Credentials | Iterable[Credentials] | None = None,
        faults: Faults | str | None = None,
        limits: Limits | None = None,
        today: dt.date | None = None,
        page_size: int = 1000,
        session_ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        base_url: str = DEMO_BASE_URL,
    ) -> None:
        if dataset is None:
            from mixpanel_data.emulator._dataset import Dataset

            dataset = Dataset.demo()
        if page_size < 1:
            raise ValidationError(f"page_size must be at least 1, got {page_size}")
        self.dataset = dataset
        project_id = dataset.project_id
        if credentials is None:
            accepted: tuple[Credentials, ...] = demo_accounts(project_id)
        elif isinstance(credentials, Credentials):
            accepted = (credentials,)
        else:
            accepted = tuple(credentials)
        self.accepted = accepted
        self.faults = Faults.parse(faults) if isinstance(faults, str) else faults
        self.limits = limits
        self.base_url = base_url.rstrip("/")
        self._auth = Authenticator(accepted)
        self._limiter = RateLimiter(limits) if limits is not None else None
        self._sleep = sleep
        self.state = State(
            dataset=dataset,
            today=today or dataset.last_day or dt.datetime.now(dt.UTC).date(),
            page_size=page_size,
            session_ttl=session_ttl,
            clock=clock,
        )

    # -- public surface --------------------------------------------------------------------

    @property
    def today(self) -> dt.date:
        """The emulator's "today" (``to_date`` may not be later)."""
        return self.state.today

    def client_credentials(self, base_url: str | None = None) -> Credentials:
        """Credentials a client can use against this emulator.

        The first accepted service account (else the first API secret), with ``query_url``
        and ``export_url`` set to ``base_url`` (default: :attr:`base_url`) and the dataset's
        project, time zone and legacy-time-zone flag.
        """
        url = (base_url or self.base_url).rstrip("/")
        chosen = next((c for c in self.accepted if c.auth_kind == "service_account"), None)
        chosen = chosen or self.accepted[0]
        dataset = self.dataset
        return Credentials(
            auth_kind=chosen.auth_kind,
            username=chosen.username,
            secret=chosen.secret,
            project_id=chosen.project_id or dataset.project_id,
            query_url=url,
            export_url=url,
            timezone=dataset.timezone,
            legacy_timezone=dataset.legacy_timezone,
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request in-process (the ``httpx.MockTransport`` handler).

        Connection-level faults surface as the httpx exceptions a client would see from a
        real socket: ``httpx.ReadError`` for a reset, ``httpx.RemoteProtocolError`` for a
        closed connection (before headers, or from the body stream mid-iteration).
        """
        request.read()
        delivery = self.dispatch(request)
        return to_httpx_response(delivery, request, sleep=self._sleep)

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` answering every request with :meth:`handle`."""
        return httpx.MockTransport(self.handle)

    def close(self) -> None:
        """Release the in-memory database (the emulator stays usable; it reloads on demand)."""
        self.state.close()

    # -- the pipeline ----------------------------------------------------------------------

    def dispatch(self, request: httpx.Request) -> Delivery:
        """Route, authenticate, rate-limit, run the handler, apply faults; encode the body."""
        resolved = resolve(request.url.path)
        fault = self.faults.pick(resolved.name, resolved.family) if self.faults else None
        target = request.url.raw_path.decode("ascii", errors="replace")
        reply = self._reply(request, resolved, fault, target)
        if fault is not None:
            reply = _content_fault(reply, fault)
        return deliver(
            reply,
            accept_gzip=_accepts_gzip(request.headers.get("accept-encoding")),
            faults=_wire_faults(fault),
        )

    def _reply(
        self, request: httpx.Request, resolved: Resolved, fault: Fault | None, target: str
    ) -> Reply:
        family = resolved.family
        params: Params | None = None
        try:
            route = resolved.route
            if route is None:
                raise EmulatorHTTPError(404, f"Unknown API endpoint: {request.url.path}")
            if request.method not in route.methods:
                allowed = ", ".join(sorted(route.methods))
                raise EmulatorHTTPError(
                    405,
                    f"Method {request.method} is not allowed on {request.url.path}",
                    headers={"Allow": allowed},
                )
            params = parse_params(
                request.url.params.multi_items(),
                content_type=request.headers.get("content-type", ""),
                body=request.content,
                target=target,
            )
            if fault is not None and fault.kind in STATUS_KINDS:
                return _status_fault(fault, family, target, params.raw("project_id"))
            project_id = self._auth.authenticate(request.headers.get("authorization"), params)
            release = (
                self._limiter.acquire(project_id, family) if self._limiter is not None else None
            )
            try:
                reply = route.handler(Call(params, project_id, resolved.name, self.state))
            except BaseException:
                if release is not None:
                    release()
                raise
            if release is not None:
                reply.on_close.append(release)
            return reply
        except EmulatorHTTPError as exc:
            return error_reply(family, target, exc)
        except ExpressionError as exc:
            # Name the parameter that held the expression, as a reader needs to know which.
            name = (
                next((k for k, v in params.items() if v == exc.expression), None)
                if params
                else None
            )
            message = f"Invalid expression in '{name}': {exc.message}" if name else exc.message
            return error_reply(family, target, EmulatorHTTPError(400, message))
        except ValidationError as exc:
            return error_reply(family, target, EmulatorHTTPError(400, exc.message))
        except Exception:
            log.exception("emulator: %s %s failed", request.method, request.url.path)
            return error_reply(family, target, EmulatorHTTPError(500, "Internal server error"))


def _accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (``gzip;q=0`` refuses it)."""
    if not header:
        return False
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in {"gzip", "x-gzip", "*"}:
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def _status_fault(fault: Fault, family: Family, target: str, project: str | None) -> Reply:
    """The reply of a scheduled 429 or 5xx."""
    status = int(fault.kind)
    headers: dict[str, str] = {}
    if status == 429:
        if fault.retry_after is not None:
            headers["Retry-After"] = _seconds(fault.retry_after)
        if family == "export":
            message = "too many export requests in progress for this project"
        else:
            message = (
                f"Query rate limit exceeded for project_id: {project or 'unknown'}. 1/5 queries "
                "running concurrently and 61/60 queries running in the last hour. For more "
                f"information, please consult our documentation at {_RATE_DOCS}"
            )
        return error_reply(family, target, EmulatorHTTPError(429, message, headers=headers))
    if status == 500:
        return error_reply(family, target, EmulatorHTTPError(500, "Internal server error"))
    # 502/503/504 come from the load balancer in front of Mixpanel: an HTML page, not JSON.
    text = f"{status} {_GATEWAY_TEXT[status]}"
    page = (
        f"<html>\r\n<head><title>{text}</title></head>\r\n<body>\r\n<center><h1>{text}</h1>"
        "</center>\r\n</body>\r\n</html>\r\n"
    )
    return Reply(status=status, body=page.encode(), content_type="text/html")


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _content_fault(reply: Reply, fault: Fault) -> Reply:
    """Apply a body-content fault (``terminated_early``, ``malformed_line``)."""
    if fault.kind not in {"terminated_early", "malformed_line"}:
        return reply
    original = reply.body
    chunks: Iterator[bytes] = iter([original]) if isinstance(original, bytes) else original
    if fault.kind == "terminated_early":
        changed = terminate_early(chunks, fault.after)
    else:
        changed = break_line(chunks, fault.line)
    reply.body = b"".join(changed) if isinstance(original, bytes) else changed
    return reply


def _wire_faults(fault: Fault | None) -> WireFaults | None:
    """The transport-level part of a fault."""
    if fault is None:
        return None
    kind = fault.kind
    if kind == "slow":
        return WireFaults(delay=fault.delay)
    if kind == "reset_before_headers":
        return WireFaults(drop_before_headers="reset")
    if kind == "disconnect_before_headers":
        return WireFaults(drop_before_headers="disconnect")
    if kind == "reset_mid_body":
        return WireFaults(drop_after=fault.after, drop_how="reset")
    if kind == "disconnect_mid_body":
        return WireFaults(drop_after=fault.after, drop_how="disconnect")
    if kind == "bad_gzip":
        return WireFaults(fake_gzip_header=True)
    return None
