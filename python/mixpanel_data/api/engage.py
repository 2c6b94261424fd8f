"""The Engage endpoint (profiles), its documented paging loop, and saved-cohort lookup.

Mixpanel docs (engage-query, query.openapi.yaml): ``POST /api/query/engage`` with
``project_id`` in the query string and the filters in a form body. The first request has no
``session_id``; every answer carries ``page`` (0-based), ``page_size`` and ``session_id``.
While a page holds ``page_size`` results, ask for the next page with the *same* filters plus
``session_id`` and ``page + 1``; a shorter page (possibly empty) is the last one. ``total``
is documented inconsistently (the count on this page, or of the whole query), so it never
decides when to stop; here it only bounds how many pages are requested ahead of time.
Mixpanel's own tools fetch the pages after the first one concurrently, and so does
:func:`iter_pages`, within the Query API's rate budget (the client's limiter).

How long a ``session_id`` lives is undocumented; a page asked of an expired session is
refused with a 400 ("request for page in uncached query for params"), and the query is then
started again from page 0, once. A server that ignores ``page`` and answers the same page
again would make the loop endless; a page identical to the one before it ends the paging.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data.exceptions import APIDecodeError, BadRequestError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mixpanel_data.api._client import MixpanelClient

__all__ = [
    "COHORTS_PATH",
    "ENGAGE_PATH",
    "CohortRef",
    "EngagePage",
    "EngageQuery",
    "Profile",
    "fetch_page",
    "is_expired_session",
    "iter_pages",
    "list_cohorts",
    "resolve_cohort",
]

log = logging.getLogger(__name__)

ENGAGE_PATH = "/api/query/engage"
COHORTS_PATH = "/api/query/cohorts/list"

Profile = tuple[str, dict[str, Any]]
"""One profile: its distinct id (always a string) and its properties."""


class EngageQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The filters of one Engage query (repeated unchanged on every page).

    Parameters
    ----------
    where
        A segmentation expression over profile properties, e.g.
        ``properties["plan"] == "pro"``.
    distinct_ids
        Only these profiles.
    output_properties
        Return only these properties (much smaller answers).
    cohort_id
        Only members of this saved cohort (``filter_by_cohort``).
    include_all_users
        With ``cohort_id``: also return members that have no profile (Mixpanel's default
        is true); ``None`` leaves Mixpanel's default.

    Raises
    ------
    ValidationError
        For an empty list, a blank name or id, a blank ``where``, or ``include_all_users``
        without ``cohort_id``.
    """

    where: str | None = None
    distinct_ids: tuple[str, ...] | None = None
    output_properties: tuple[str, ...] | None = None
    cohort_id: int | None = None
    include_all_users: bool | None = None

    def __post_init__(self) -> None:
        if self.where is not None and not self.where.strip():
            raise ValidationError(
                "the where expression is empty",
                hint='pass an expression such as properties["plan"] == "pro", or none',
            )
        for label, values in (
            ("distinct ids", self.distinct_ids),
            ("output properties", self.output_properties),
        ):
            if values is None:
                continue
            if not values:
                raise ValidationError(f"the list of {label} is empty", hint="pass at least one")
            for value in values:
                item: object = value  # checked at runtime: callers may not be type-checked
                if not isinstance(item, str) or not item:
                    raise ValidationError(f"{label}: {value!r} is not a non-empty string")
        if self.include_all_users is not None and self.cohort_id is None:
            raise ValidationError(
                "include_all_users applies only to a cohort query",
                hint="pass cohort_id as well, or leave include_all_users unset",
            )

    def form(self) -> dict[str, Any]:
        """The form fields of the query (JSON-valued ones are encoded by the client)."""
        return {
            "where": self.where,
            "distinct_ids": list(self.distinct_ids) if self.distinct_ids is not None else None,
            "output_properties": (
                list(self.output_properties) if self.output_properties is not None else None
            ),
            "filter_by_cohort": {"id": self.cohort_id} if self.cohort_id is not None else None,
            "include_all_users": self.include_all_users,
        }


class EngagePage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of an Engage answer.

    Attributes
    ----------
    page
        The 0-based page number the server says this is.
    page_size
        The server's page size (1000 at Mixpanel).
    session_id
        The session to send with the next page.
    total
        The server's ``total``: a hint only, never trusted to stop paging.
    profiles
        ``(distinct_id, properties)`` pairs.
    nbytes
        Size of the response body in bytes (0 when unknown).
    """

    page: int
    page_size: int
    session_id: str | None
    total: int | None
    profiles: list[Profile]
    nbytes: int = 0

    @property
    def is_full(self) -> bool:
        """Whether another page may follow (Mixpanel docs: page while results >= page_size)."""
        return len(self.profiles) >= self.page_size > 0

    def fingerprint(self) -> bytes:
        """A digest of the page's distinct ids, to notice a page served twice."""
        digest = hashlib.blake2b(digest_size=16)
        for distinct_id, _ in self.profiles:
            digest.update(distinct_id.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.digest()


class _ProfileWire(msgspec.Struct, frozen=True, gc=False):
    # The spec types $distinct_id as an integer; in practice it is a string. Accept both.
    distinct_id: str | int = msgspec.field(name="$distinct_id")
    properties: dict[str, Any] = msgspec.field(name="$properties", default_factory=dict)


class _PageWire(msgspec.Struct, frozen=True):
    results: list[_ProfileWire]
    page: int = 0
    page_size: int = 1000
    session_id: str | int | None = None
    total: int | None = None


class CohortRef(msgspec.Struct, frozen=True, kw_only=True):
    """A saved cohort as ``/cohorts/list`` describes it (the fields fetching needs)."""

    id: int
    name: str
    count: int | None = None


def _decode_page(payload: Any, *, nbytes: int = 0) -> EngagePage:
    try:
        wire = msgspec.convert(payload, _PageWire)
    except msgspec.ValidationError as exc:
        raise APIDecodeError(
            f"{ENGAGE_PATH} answered with an unexpected body: {exc}",
            endpoint=ENGAGE_PATH,
            hint="the server may not be Mixpanel's Query API; check the query base URL",
        ) from exc
    session = None if wire.session_id is None else str(wire.session_id)
    profiles = [(str(p.distinct_id), p.properties) for p in wire.results]
    return EngagePage(
        page=wire.page,
        page_size=wire.page_size,
        session_id=session,
        total=wire.total,
        profiles=profiles,
        nbytes=nbytes,
    )


def fetch_page(
    client: MixpanelClient,
    query: EngageQuery,
    *,
    page: int = 0,
    session_id: str | None = None,
) -> EngagePage:
    """Fetch one page of an Engage query.

    Parameters
    ----------
    client
        The Mixpanel client (its Query limiter paces the request).
    query
        The filters.
    page
        0-based page number; pages after the first need ``session_id``.
    session_id
        The session of the query's first page.

    Raises
    ------
    ValidationError
        For ``page > 0`` without a session.
    BadRequestError
        When Mixpanel refuses the query (see :func:`is_expired_session` for an expired
        session); the other API errors as for ``MixpanelClient.post_form``.
    APIDecodeError
        For a body that is not an Engage answer.
    """
    if page > 0 and session_id is None:
        # Mixpanel docs (engage-query): session_id is required when page > 0.
        raise ValidationError(f"engage page {page} needs the session_id of page 0")
    form = query.form()
    if page > 0:
        form["session_id"] = session_id
        form["page"] = page
    payload, nbytes = client.post_form_sized("engage", ENGAGE_PATH, data=form)
    return _decode_page(payload, nbytes=nbytes)


def is_expired_session(exc: BadRequestError) -> bool:
    """Whether a 400 says the query's session is gone (so the query must start over)."""
    # Mixpanel's text for a page of a query it no longer holds (query.openapi.yaml):
    # "request for page in uncached query for params".
    text = f"{exc.body} {exc.message}".lower()
    return "uncached query" in text or "session" in text


class _PagingState:
    """Which pages are wanted, in flight and received, for one run of a query."""

    def __init__(self, first: EngagePage, lookahead: int) -> None:
        self.session_id = first.session_id
        self.page_size = first.page_size
        # Pages the server's total suggests exist (a hint: bounds speculative requests).
        if first.total is not None and first.page_size > 0 and first.total > 0:
            self.hinted_pages = -(-first.total // first.page_size)
        else:
            self.hinted_pages = 1
        self.lookahead = max(lookahead, 1)
        self.next_to_request = 1
        self.next_to_yield = 1
        self.last_fingerprint = first.fingerprint()
        self.done = not first.is_full

    def may_request(self, in_flight: int) -> bool:
        if self.done or in_flight >= self.lookahead:
            return False
        # Always allowed: the page right after the last one yielded (the documented loop).
        # Ahead of that, only pages the total hints at.
        return self.next_to_request <= max(self.next_to_yield, self.hinted_pages - 1)


def iter_pages(
    client: MixpanelClient,
    query: EngageQuery,
    *,
    parallel: int = 1,
    restarts: int = 1,
    on_restart: Callable[[BadRequestError], None] | None = None,
) -> Iterator[EngagePage]:
    """Yield every page of an Engage query, in page order.

    Follows Mixpanel's documented loop (continue while a page is full, carrying
    ``session_id`` and ``page``), requesting up to ``parallel`` pages at once when the
    first page's ``total`` suggests there are more. Stops at the first short page, or at a
    page that repeats the previous one. When a later page finds the session expired, the
    query starts again from page 0 (at most ``restarts`` times): pages are then yielded
    again, so a consumer must treat them idempotently (upsert).

    Parameters
    ----------
    client
        The Mixpanel client; its Query limiter keeps the requests within budget.
    query
        The filters.
    parallel
        How many page requests may be in flight at once (Mixpanel allows 5 concurrent
        queries per project).
    restarts
        How many times an expired session restarts the query.
    on_restart
        Called with the 400 before each restart.

    Raises
    ------
    BadRequestError
        When Mixpanel refuses the query, or the session expires more than ``restarts``
        times. Other API errors as for :func:`fetch_page`.
    """
    if parallel < 1:
        raise ValidationError(f"parallel must be at least 1, got {parallel}")
    left = restarts
    while True:
        yielded = 0
        try:
            for page in _one_run(client, query, parallel=parallel):
                yielded += 1
                yield page
        except BadRequestError as exc:
            # A refused first page is the query itself being wrong, never an old session.
            if yielded == 0 or not is_expired_session(exc) or left <= 0:
                raise
            left -= 1
            log.info("engage: %s; starting the query again from page 0", exc.message)
            if on_restart is not None:
                on_restart(exc)
            continue
        return


def _one_run(client: MixpanelClient, query: EngageQuery, *, parallel: int) -> Iterator[EngagePage]:
    first = fetch_page(client, query)
    yield first
    state = _PagingState(first, parallel)
    if state.done:
        return
    if state.session_id is None:
        raise APIDecodeError(
            f"{ENGAGE_PATH} answered a full page without a session_id, so the next page "
            "cannot be asked for",
            endpoint=ENGAGE_PATH,
        )
    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="mp-engage")
    pending: dict[int, Future[EngagePage]] = {}
    try:
        while not state.done:
            while state.may_request(len(pending)):
                number = state.next_to_request
                pending[number] = pool.submit(
                    fetch_page, client, query, page=number, session_id=state.session_id
                )
                state.next_to_request += 1
            number = state.next_to_yield
            page = pending.pop(number).result()
            fingerprint = page.fingerprint()
            if page.profiles and fingerprint == state.last_fingerprint:
                log.warning(
                    "engage: page %d repeats page %d; stopping (the server ignored the page "
                    "number)",
                    number,
                    number - 1,
                )
                return
            state.last_fingerprint = fingerprint
            state.next_to_yield += 1
            yield page
            if not page.is_full:
                state.done = True
    finally:
        for future in pending.values():
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def list_cohorts(client: MixpanelClient) -> list[CohortRef]:
    """The project's saved cohorts (``/cohorts/list``).

    Raises
    ------
    APIDecodeError
        For a body that is not a list of cohorts. Other API errors as for ``post_form``.
    """
    # Mixpanel docs (cohorts-list): POST, no parameters beyond project_id.
    payload = client.post_form("query", COHORTS_PATH)
    try:
        return msgspec.convert(payload, list[CohortRef])
    except msgspec.ValidationError as exc:
        raise APIDecodeError(
            f"{COHORTS_PATH} answered with an unexpected body: {exc}", endpoint=COHORTS_PATH
        ) from exc


def resolve_cohort(client: MixpanelClient, name: str) -> CohortRef:
    """The saved cohort called ``name`` (exact match first, then case-insensitive).

    Raises
    ------
    ValidationError
        When no cohort, or more than one, has that name.
    """
    cohorts = list_cohorts(client)
    matches = [c for c in cohorts if c.name == name]
    if not matches:
        matches = [c for c in cohorts if c.name.casefold() == name.casefold()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(sorted(repr(c.name) for c in cohorts)[:10]) or "none"
        raise ValidationError(
            f"no saved cohort is called {name!r}",
            hint=f"cohorts in this project: {known}; or pass --cohort-id",
        )
    ids = ", ".join(str(c.id) for c in matches)
    raise ValidationError(
        f"{len(matches)} saved cohorts are called {name!r} (ids {ids})",
        hint="pass --cohort-id with the one you mean",
    )
