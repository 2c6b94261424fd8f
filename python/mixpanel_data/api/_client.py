"""The one HTTP client through which every Mixpanel call goes.

:class:`MixpanelClient` owns everything the endpoint modules (export, engage, reports) should
not have to think about: hosts per region and base-URL overrides, HTTP Basic auth,
``project_id``/``workspace_id`` in every query string, Mixpanel's parameter encoding,
client-side rate limits per API family, retries with backoff, timeouts, and turning error
responses into the library's exceptions. Tests and the emulator inject an
``httpx.BaseTransport``; nothing here knows whether a real server is on the other side.

Paths are the full path below the family's base URL, as Mixpanel documents them:
``/api/query/segmentation``, ``/api/query/engage``, ``/api/2.0/export``.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import msgspec

from mixpanel_data._credentials import API_FAMILIES, ApiFamily, Credentials, base_url
from mixpanel_data._version import __version__
from mixpanel_data.api._errors import (
    Scrubber,
    body_error,
    connection_error,
    decode_error,
    query_error,
    status_error,
)
from mixpanel_data.api._params import encode_params
from mixpanel_data.api._ratelimit import RateLimiter, RateLimits, limiter_name
from mixpanel_data.api._retry import (
    is_retryable_error,
    is_retryable_status,
    parse_retry_after,
    retry_delay,
)
from mixpanel_data.exceptions import APIDecodeError, ConfigError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

__all__ = ["MixpanelClient"]

log = logging.getLogger(__name__)

_USER_AGENT = f"mixpanel_data/{__version__}"


def _check_credentials(credentials: Credentials) -> None:
    if not credentials.secret:
        raise ConfigError(
            "the credentials have no secret",
            hint="set the service-account secret (MP_SECRET) or, for the legacy project API "
            "secret, MP_API_SECRET",
        )
    if credentials.auth_kind == "service_account":
        if not credentials.username:
            raise ConfigError(
                "service-account credentials need a username",
                hint="set MP_USERNAME or the account's username",
            )
        if credentials.project_id is None:
            # Mixpanel docs (authentication): with a service account, project_id is a
            # required query parameter on every Query and Export request.
            raise ConfigError(
                "service-account credentials need a project_id",
                hint="set MP_PROJECT_ID or the account's project_id",
            )


def _check_base(family: ApiFamily, base: str) -> str:
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"the {family} base URL {base!r} is not an http(s) URL",
            hint="use a URL such as https://eu.mixpanel.com or http://127.0.0.1:8765",
        )
    return base


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValidationError(f"{name} must be a positive number of seconds, got {value!r}")


class MixpanelClient:
    """HTTP client for Mixpanel's Query, Engage and Export APIs.

    Parameters
    ----------
    credentials
        Who to authenticate as, which project, which region (and so which hosts).
    transport
        An ``httpx.BaseTransport`` to send requests through (``httpx.MockTransport`` in
        tests, the emulator's transport); by default real HTTP.
    limits
        Client-side rate limits; Mixpanel's documented per-project budgets by default.
        ``RateLimits.unlimited()`` turns them off (emulator, demos).
    max_retries
        Retries after the first attempt, for 429, 5xx and transport failures.
    max_retry_after
        The longest wait, in seconds, before one retry; a longer ``Retry-After`` is cut to it.
    connect_timeout, read_timeout
        Seconds to connect, and to wait for each read of a JSON response.
    export_read_timeout
        Seconds to wait for each read on the export family and on :meth:`stream`; Mixpanel
        can take minutes before an export's first byte.
    clock
        Monotonic seconds, for the rate limiters.
    sleep
        Sleeps for the given seconds: rate-limit waits and retry backoff.
    wallclock
        Current Unix time, to turn an HTTP-date ``Retry-After`` into a wait.
    rng
        Randomness for backoff jitter.

    Raises
    ------
    ConfigError
        When the credentials lack a secret, a service account lacks its username or
        ``project_id``, or a base URL is not http(s).
    ValidationError
        For a negative ``max_retries`` or a non-positive timeout.

    Examples
    --------
    >>> with MixpanelClient(credentials) as client:  # doctest: +SKIP
    ...     client.get_json("query", "/api/query/events/names", {"type": "general"})
    ['Sign up', 'Purchase']
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        transport: httpx.BaseTransport | None = None,
        limits: RateLimits | None = None,
        max_retries: int = 5,
        max_retry_after: float = 300.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        export_read_timeout: float = 1200.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wallclock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        _check_credentials(credentials)
        retries: object = max_retries  # checked at runtime: callers may not be type-checked
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValidationError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if not max_retry_after >= 0:
            raise ValidationError(f"max_retry_after must be >= 0 seconds, got {max_retry_after!r}")
        _check_positive("connect_timeout", connect_timeout)
        _check_positive("read_timeout", read_timeout)
        _check_positive("export_read_timeout", export_read_timeout)

        self._credentials = credentials
        self._bases = {f: _check_base(f, base_url(credentials, f)) for f in API_FAMILIES}
        self._limits = limits if limits is not None else RateLimits()
        self._limiters = {
            name: RateLimiter(budget, name=name, clock=clock, sleep=sleep)
            for name, budget in (("query", self._limits.query), ("export", self._limits.export))
        }
        self._max_retries = max_retries
        self._max_retry_after = float(max_retry_after)
        self._sleep = sleep
        self._wallclock = wallclock
        self._rng = rng if rng is not None else random.Random()
        self._scrub = Scrubber(credentials)
        # Writes are small (a form body at most), so they share the read budget; waiting for
        # a pooled connection is bounded like a connect.
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout
        )
        self._export_timeout = httpx.Timeout(
            connect=connect_timeout,
            read=export_read_timeout,
            write=read_timeout,
            pool=export_read_timeout,
        )
        self._http = httpx.Client(
            auth=httpx.BasicAuth(*credentials.basic_auth()),
            transport=transport,
            timeout=self._timeout,
            headers={"User-Agent": _USER_AGENT},
            follow_redirects=False,
        )

    # -- public surface -------------------------------------------------------------------

    @property
    def credentials(self) -> Credentials:
        """The credentials this client sends."""
        return self._credentials

    @property
    def limits(self) -> RateLimits:
        """The client-side rate limits in force."""
        return self._limits

    def limiter(self, family: ApiFamily) -> RateLimiter:
        """The rate limiter that ``family``'s requests count against."""
        return self._limiters[limiter_name(self._check_family(family))]

    def url(self, family: ApiFamily, path: str) -> str:
        """The absolute URL (without query string) a request for ``path`` goes to."""
        return self._bases[self._check_family(family)] + self._check_path(path)

    def get_json(
        self, family: ApiFamily, path: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        """GET ``path`` and return its decoded JSON body.

        Parameters
        ----------
        family
            ``query``, ``engage`` or ``export``: picks the host and the rate limiter.
        path
            The full path below the family's base, e.g. ``/api/query/segmentation``.
        params
            Query-string parameters, encoded by Mixpanel's rules (lists and dicts as JSON,
            booleans as ``true``/``false``, ``None`` dropped). ``project_id`` and
            ``workspace_id`` come from the credentials; a value given here wins.

        Returns
        -------
        Any
            The JSON body as plain Python objects (dicts, lists, str, int, float, bool, None).

        Raises
        ------
        APIStatusError
            A subclass per status (``BadRequestError``, ``AuthenticationError``, …,
            ``RateLimitError`` and ``ServerError`` once the retries ran out).
        APIConnectionError
            No response, after the retries.
        QueryError
            A 2xx JSON object with a top-level ``error``.
        APIDecodeError
            A 2xx body that is not JSON.
        ValidationError
            A bad family, path or parameter value.
        """
        response = self._request_json("GET", family, path, params=params, data=None)
        return self._decode(response, path)

    def post_form(
        self,
        family: ApiFamily,
        path: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Any:
        """POST a form to ``path`` and return its decoded JSON body.

        ``params`` go in the query string (with ``project_id``/``workspace_id``, which
        Mixpanel expects there even on POST); ``data`` is the form body, encoded like
        ``params``. The read-only POST endpoints this is for (``/engage``, ``/jql``,
        ``/cohorts/list``) are safe to retry. Errors as for :meth:`get_json`.
        """
        return self.post_form_sized(family, path, params, data)[0]

    def post_form_sized(
        self,
        family: ApiFamily,
        path: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> tuple[Any, int]:
        """Like :meth:`post_form`, and also the size of the response body in bytes.

        The size is of the body as received once any ``Content-Encoding`` is undone, the
        same measure as the NDJSON bytes an export counts. Errors as for :meth:`get_json`.
        """
        response = self._request_json("POST", family, path, params=params, data=data)
        return self._decode(response, path), len(response.content)

    @contextmanager
    def stream(
        self,
        family: ApiFamily,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        gzip: bool = True,
    ) -> Iterator[httpx.Response]:
        """GET ``path`` and yield the response with its body not yet read.

        For the export family's NDJSON stream. Error statuses are raised (mapped, after
        retries) before anything is yielded; once the body starts, faults while reading
        it are the caller's to handle (read it with ``iter_body``, which raises
        ``ExportTruncatedError``), typically by calling
        :meth:`stream` again. The request holds its rate-limiter slot until the block
        exits, so concurrent streams count against the concurrency budget.

        Parameters
        ----------
        family, path, params
            As for :meth:`get_json`.
        gzip
            Ask for a gzip-compressed body (``Accept-Encoding: gzip``); the response's
            ``iter_bytes`` / :func:`iter_body` yield it decompressed. False asks for
            ``identity``.

        Yields
        ------
        httpx.Response
            A 2xx response; read it with :func:`iter_body` (or ``iter_bytes``).
        """
        headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
        response = self._send(
            "GET", family, path, params=params, data=None, headers=headers, stream=True
        )
        try:
            yield response
        finally:
            try:
                response.close()
            finally:
                self.limiter(family).release()

    def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> MixpanelClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MixpanelClient({self._credentials!r})"

    # -- internals ------------------------------------------------------------------------

    @staticmethod
    def _check_family(family: str) -> ApiFamily:
        for known in API_FAMILIES:
            if family == known:
                return known
        raise ValidationError(
            f"unknown API family {family!r}",
            hint=f"use one of {', '.join(API_FAMILIES)}",
        )

    @staticmethod
    def _check_path(path: str) -> str:
        if not path.startswith("/") or any(c in path for c in "?# \t\r\n"):
            raise ValidationError(
                f"API path {path!r} must start with '/' and contain no query string",
                hint="pass the full path such as /api/query/segmentation, and parameters as params",
            )
        return path

    def _auth_params(self) -> dict[str, str]:
        # Mixpanel docs (authentication, data views): project_id (and workspace_id when the
        # project uses data views) go in the query string of every request, POST included.
        params: dict[str, str] = {}
        if self._credentials.project_id is not None:
            params["project_id"] = str(self._credentials.project_id)
        if self._credentials.workspace_id is not None:
            params["workspace_id"] = str(self._credentials.workspace_id)
        return params

    def _request_json(
        self,
        method: str,
        family: ApiFamily,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        return self._send(
            method, family, path, params=params, data=data, headers=headers, stream=False
        )

    def _decode(self, response: httpx.Response, endpoint: str) -> Any:
        try:
            payload = msgspec.json.decode(response.content)
        except msgspec.DecodeError as exc:
            raise decode_error(response, exc, endpoint=endpoint, scrub=self._scrub) from exc
        error = body_error(payload)
        if error is not None:
            raise query_error(
                error, endpoint=endpoint, credentials=self._credentials, scrub=self._scrub
            )
        return payload

    def _attempt(
        self, request: httpx.Request, limiter: RateLimiter, *, keep_open: bool
    ) -> httpx.Response:
        """Send once under a limiter slot.

        Returns the response with its body read and the slot released, except for a 2xx
        with ``keep_open``: then the body is unread and the caller owns the slot. On any
        exception the slot has been released.
        """
        limiter.acquire()
        try:
            response = self._http.send(request, stream=True)
        except BaseException:
            limiter.release()
            raise
        if keep_open and response.is_success:
            return response
        try:
            response.read()
        finally:
            response.close()
            limiter.release()
        return response

    def _send(
        self,
        method: str,
        family: ApiFamily,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        stream: bool,
    ) -> httpx.Response:
        """Send with rate limiting and retries; return a 2xx response or raise.

        With ``stream=False`` the body has been read and the limiter slot released. With
        ``stream=True`` the body is unread and the slot is still held: the caller closes the
        response and releases the slot.
        """
        if self._http.is_closed:
            # Using a closed client is a programming error, like writing to a closed file.
            raise RuntimeError("this MixpanelClient has been closed; create a new one")
        url = self.url(family, path)
        query = {**self._auth_params(), **encode_params(params)}
        form = encode_params(data) if data is not None else None
        long_read = stream or family == "export"
        timeout = self._export_timeout if long_read else self._timeout
        limiter = self.limiter(family)
        retries = 0
        while True:
            request = self._http.build_request(
                method, url, params=query, data=form, headers=dict(headers), timeout=timeout
            )
            log.debug("%s %s (%s), attempt %d", method, path, family, retries + 1)
            try:
                response = self._attempt(request, limiter, keep_open=stream)
            except httpx.DecodingError as exc:
                # The body's Content-Encoding did not decode (corrupt gzip and the like).
                raise APIDecodeError(
                    f"{path} answered with a body that could not be decompressed: {exc}",
                    endpoint=path,
                    hint="Mixpanel, or a proxy in between, sent a corrupt body; try again",
                ) from exc
            except httpx.TransportError as exc:
                if is_retryable_error(exc) and retries < self._max_retries:
                    delay = retry_delay(
                        None, retries, rng=self._rng, max_retry_after=self._max_retry_after
                    )
                    log.debug(
                        "%s %s: %s; retry %d of %d in %.2f s",
                        method,
                        path,
                        type(exc).__name__,
                        retries + 1,
                        self._max_retries,
                        delay,
                    )
                    self._sleep(delay)
                    retries += 1
                    continue
                log.debug("%s %s: %s; giving up", method, path, type(exc).__name__)
                raise connection_error(
                    exc,
                    endpoint=path,
                    base=self._bases[family],
                    attempts=retries + 1,
                    scrub=self._scrub,
                ) from exc

            if response.is_success:
                return response

            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), wallclock=self._wallclock
            )
            status = response.status_code
            if is_retryable_status(status) and retries < self._max_retries:
                delay = retry_delay(
                    retry_after, retries, rng=self._rng, max_retry_after=self._max_retry_after
                )
                log.debug(
                    "%s %s: HTTP %d%s; retry %d of %d in %.2f s",
                    method,
                    path,
                    status,
                    "" if retry_after is None else f" (Retry-After {retry_after:g} s)",
                    retries + 1,
                    self._max_retries,
                    delay,
                )
                self._sleep(delay)
                retries += 1
                continue
            if is_retryable_status(status):
                log.debug("%s %s: HTTP %d; out of retries", method, path, status)
            raise status_error(
                response,
                endpoint=path,
                credentials=self._credentials,
                scrub=self._scrub,
                retry_after=retry_after,
            )
