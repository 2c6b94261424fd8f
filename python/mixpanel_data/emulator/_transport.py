"""In-process delivery: a :class:`Delivery` as an ``httpx.Response`` with a lazy body stream.

Connection faults become the exceptions httpx raises for the same event on a real socket
(checked against a loopback server): a TCP reset is ``httpx.ReadError("[Errno 104]
Connection reset by peer")`` before or in the middle of the body; a clean close is
``httpx.RemoteProtocolError`` ("Server disconnected without sending a response." before the
headers, "peer closed connection without sending complete message body (...)" after).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from mixpanel_data.emulator._body import ConnectionDrop, Delivery, DropKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["drop_error", "to_httpx_response"]

_RESET = "[Errno 104] Connection reset by peer"


def drop_error(
    how: DropKind,
    request: httpx.Request,
    *,
    started: bool,
    sent: int = 0,
    content_length: int | None = None,
) -> httpx.TransportError:
    """The httpx exception a client sees when the connection drops."""
    if how == "reset":
        return httpx.ReadError(_RESET, request=request)
    if not started:
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    detail = (
        "incomplete chunked read"
        if content_length is None
        else f"received {sent} bytes, expected {content_length}"
    )
    return httpx.RemoteProtocolError(
        f"peer closed connection without sending complete message body ({detail})",
        request=request,
    )


class _DeliveryStream(httpx.SyncByteStream):
    """The body of an in-process response; releases the reply when closed."""

    def __init__(self, delivery: Delivery, request: httpx.Request) -> None:
        self._delivery = delivery
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        try:
            for chunk in self._delivery.chunks:
                sent += len(chunk)
                yield chunk
        except ConnectionDrop as drop:
            self.close()
            raise drop_error(
                drop.how,
                self._request,
                started=True,
                sent=sent,
                content_length=self._delivery.content_length,
            ) from None

    def close(self) -> None:
        close = getattr(self._delivery.chunks, "close", None)
        if close is not None:
            close()
        self._delivery.close()


def to_httpx_response(
    delivery: Delivery, request: httpx.Request, *, sleep: Callable[[float], None]
) -> httpx.Response:
    """Build the in-process response (or raise the error of a drop before the headers)."""
    if delivery.delay > 0:
        sleep(delivery.delay)
    if delivery.drop_before_headers is not None:
        delivery.close()
        raise drop_error(delivery.drop_before_headers, request, started=False)
    return httpx.Response(
        delivery.status,
        headers=delivery.headers,
        stream=_DeliveryStream(delivery, request),
        request=request,
    )
