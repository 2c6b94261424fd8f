"""The emulator behind a real HTTP/1.1 server on the loopback interface.

A stdlib ``ThreadingHTTPServer`` (one thread per connection, keep-alive) feeds each request
to :meth:`Emulator.dispatch` and writes the :class:`Delivery` back: a Content-Length body or a
chunked stream, gzip-encoded when negotiated. Connection faults are real here: a reset closes
the socket with an RST (``SO_LINGER`` 0), a disconnect with a clean FIN, and a slow fault
sleeps before the first byte.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx

from mixpanel_data.emulator._body import ConnectionDrop, DropKind
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from types import TracebackType

    from mixpanel_data.emulator._app import Emulator

__all__ = ["EmulatorServer", "serve"]

log = logging.getLogger(__name__)
_MAX_BODY = 16 * 1024 * 1024


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:  # noqa: ARG002
        # socketserver would print the traceback to stderr; the library only logs. A client
        # resetting an idle keep-alive connection is routine, not an error of the emulator.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("emulator server: %s dropped the connection", client_address)
            return
        log.exception("emulator server: failed serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "mixpanel-emulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every small answer.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        log.debug("emulator server: " + format, *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                total += size
                if total > _MAX_BODY:
                    raise ValueError("request body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(400, "Bad request body")
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        headers = [(k, v) for k, v in self.headers.items() if k.lower() != "host"]
        request = httpx.Request(
            self.command, f"http://{host}{self.path}", headers=headers, content=body
        )
        delivery = self.server.emulator.dispatch(request)
        try:
            if delivery.delay > 0:
                time.sleep(delivery.delay)
            if delivery.drop_before_headers is not None:
                self._drop(delivery.drop_before_headers)
                return
            self.send_response(delivery.status)
            for name, value in delivery.headers:
                self.send_header(name, value)
            self.end_headers()
            chunked = delivery.content_length is None
            try:
                for chunk in delivery.chunks:
                    if chunked:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    else:
                        self.wfile.write(chunk)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except ConnectionDrop as drop:
                self._drop(drop.how)
        except (BrokenPipeError, ConnectionResetError):
            # The client went away mid-answer; nothing to tell it.
            self.close_connection = True
        finally:
            close = getattr(delivery.chunks, "close", None)
            if close is not None:
                close()
            delivery.close()

    def _drop(self, how: DropKind) -> None:
        """Reset (RST) or close (FIN) the connection now."""
        self.close_connection = True
        sock = self.connection
        with contextlib.suppress(OSError):
            if how == "reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
            else:
                sock.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """A running emulator server; a context manager that stops it on exit.

    Use :func:`serve` to start one. ``url`` is its base URL (``http://127.0.0.1:PORT``),
    which serves both the Query API and the export.
    """

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            self._httpd = _HTTPServer((host, port), emulator)
        except OSError as exc:
            raise ValidationError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="pick another --port, or 0 for any free port",
            ) from exc
        self.emulator = emulator
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mixpanel-emulator:{self.port}",
            daemon=True,
        )
        self._closed = False
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL of the server (both API families live under it)."""
        return f"http://{self.host}:{self.port}"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops (or ``timeout`` seconds pass); True if it stopped."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def close(self) -> None:
        """Stop serving, drop open connections and free the port (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._httpd.connections_lock:
            open_connections = list(self._httpd.connections)
        for sock in open_connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "serving"
        return f"EmulatorServer({self.url!r}, {state})"


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Serve ``emulator`` over HTTP on ``host:port`` (0: any free port) in a background thread.

    Returns the running :class:`EmulatorServer` (``.url``, ``.close()``; a context manager).
    """
    return EmulatorServer(emulator, host, port)
