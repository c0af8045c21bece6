"""The socket side of the LiveLike emulator: a threading HTTP server and its handler.

The handler reads a request (framing checked by :mod:`._validation`), hands it
to :func:`._routes.handle` and writes the JSON answer, or drops the connection
when a fault says so. It never logs requests, so it never logs an access token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import struct
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from livelike.emulator._messages import BadRequest, Request, Response, detail, reason
from livelike.emulator._routes import API_PREFIX, handle
from livelike.emulator._state import EmulatorState
from livelike.emulator._validation import CHUNKED, MAX_BODY, body_length

__all__ = ["EmulatorHTTPServer"]

_log = logging.getLogger("livelike.emulator")


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to ``address`` serving one ``EmulatorState``."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when many clients start
    # together (the concurrency tests start 16 processes at once); real services queue more.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        """Bind to ``address`` (port 0 picks a free port) and prepare to serve ``state``."""
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state = state
        self._connections: set[socket.socket] = set()
        self._connections_changed = threading.Condition()
        super().__init__(address, _Handler)
        host = address[0]
        if host in ("", "0.0.0.0"):  # noqa: S104 - only to name a reachable URL
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        self.root_url = f"http://{host}:{self.server_address[1]}"
        self.base_url = f"{self.root_url}{API_PREFIX}"

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup ``HTTPServer`` does (it can be slow)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection so ``close_connections`` can end keep-alive sessions."""
        with self._connections_changed:
            self._connections.add(cast(socket.socket, request))
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget and close a finished connection."""
        try:
            super().shutdown_request(request)
        finally:
            with self._connections_changed:
                self._connections.discard(cast(socket.socket, request))
                self._connections_changed.notify_all()

    def close_connections(self, timeout: float = 2.0) -> None:
        """Shut down every open client connection and wait (bounded) for handlers to end."""
        with self._connections_changed:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with self._connections_changed:
            self._connections_changed.wait_for(lambda: not self._connections, timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about connection errors; log anything else without request data."""
        _log.debug("emulator connection error", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """Request handler; one instance per connection."""

    protocol_version = "HTTP/1.1"
    server_version = "LiveLikeEmulator/1.0"
    timeout = 120.0  # idle keep-alive connections are closed after this many seconds

    _request_id = ""

    @property
    def _server(self) -> EmulatorHTTPServer:
        return cast(EmulatorHTTPServer, self.server)

    # --- plumbing

    def setup(self) -> None:
        """Disable Nagle so small JSON responses are not held back by delayed ACKs."""
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        """The ``Server`` header."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Never log requests (they may carry access tokens)."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer protocol-level errors (bad request line, unknown method) in JSON."""
        self.close_connection = True
        self._request_id = uuid.uuid4().hex
        self._send(detail(code, message or reason(code)))

    def _send(self, response: Response) -> None:
        # A fault's text body stands for a page that is not the API's answer (a CDN's or a
        # firewall's HTML page; "" for an empty answer); ``None`` sends no body at all.
        raw = isinstance(response.body, str)
        if response.body is None:
            payload = b""
        elif raw:
            payload = response.body.encode("utf-8")
        else:
            payload = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        if response.body is not None:
            content_type = "text/html; charset=utf-8" if raw else "application/json"
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", self._request_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _drop(self) -> None:
        """Close the connection without any response (RST where the OS allows)."""
        self.close_connection = True
        connection = cast(socket.socket, self.connection)
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)

    def _read_body(self) -> bytes:
        length = body_length(self.headers)
        if length == CHUNKED:
            return self._read_chunked()
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"-1", 16)
            except ValueError:
                size = -1
            if size < 0 or total + size > MAX_BODY:
                raise BadRequest(detail(400, "Invalid chunked request body."), close=True)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)
            total += size

    # --- dispatch

    def do_GET(self) -> None:
        """Handle GET."""
        self._handle()

    def do_HEAD(self) -> None:
        """Handle HEAD (as GET without a body)."""
        self._handle()

    def do_POST(self) -> None:
        """Handle POST."""
        self._handle()

    def do_PATCH(self) -> None:
        """Handle PATCH."""
        self._handle()

    def do_PUT(self) -> None:
        """Handle PUT (never allowed on the API)."""
        self._handle()

    def do_DELETE(self) -> None:
        """Handle DELETE."""
        self._handle()

    def do_OPTIONS(self) -> None:
        """Handle OPTIONS (CORS preflights on the API)."""
        self._handle()

    def _handle(self) -> None:
        self._request_id = uuid.uuid4().hex
        try:
            body = self._read_body()
        except BadRequest as exc:
            self.close_connection = self.close_connection or exc.close
            self._send(exc.response)
            return
        request = Request(
            method=self.command,
            path=urlsplit(self.path).path,
            headers=self.headers,
            body=body,
            bind_root=self._server.root_url,
        )
        response = handle(self._server.state, request)
        if response is None:
            self._drop()
            return
        self._send(response)
