"""HTTP side of the LiveLike emulator: routes, validation, fault injection and stats.

The handler speaks the LiveLike profile API (``/api/v1/...``) plus a few
emulator-only control endpoints under ``/_emulator/``. It never logs requests
and never logs an access token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from livelike.emulator._store import Attribute, Profile, ProfileFields, ProfileStore

__all__ = [
    "CLIENT_ID_PATTERN",
    "ROUTE_NAMES",
    "EmulatorHTTPServer",
    "EmulatorState",
    "Fault",
    "parse_fault",
]

_log = logging.getLogger("livelike.emulator")

ROUTE_NAMES = (
    "config",
    "create_profile",
    "get_profile",
    "update_profile",
    "profile_detail",
    "other",
)
"""Route names used by the stats and by fault injection."""

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
"""Client ids the emulator accepts (anything else is 404)."""

_API_PREFIX = "/api/v1"
_CONFIG_RE = re.compile(r"^/api/v1/applications/(?P<client_id>[^/]+)/?$")
_PROFILE_RE = re.compile(r"^/api/v1/applications/(?P<client_id>[^/]+)/profile/?$")
_DETAIL_RE = re.compile(r"^/api/v1/profiles/(?P<profile_id>[^/]+)/?$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_.=-]{1,4096}$")
_NICKNAME_MAX = 20
_MAX_BODY = 1024 * 1024
_FAULT_WHEN = ("before", "after")
_CONTROL_PREFIX = "/_emulator"


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class _Response:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def _detail(status: int, detail: str, **headers: str) -> _Response:
    return _Response(status, {"detail": detail}, headers)


_NOT_FOUND = _detail(404, "Not found.")
_UNAUTHENTICATED = _detail(
    401, "Authentication credentials were not provided.", **{"WWW-Authenticate": "Bearer"}
)
_INVALID_TOKEN = _detail(401, "Invalid token.", **{"WWW-Authenticate": "Bearer"})


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """One queued fault for a route; applies to the next ``times`` requests on it."""

    route: str
    times: int = 1
    status: int | None = None
    body: Any = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    when: str = "before"

    def response(self) -> _Response:
        """The response a status fault answers with."""
        status = self.status if self.status is not None else 500
        body = self.body if self.body is not None else {"detail": _reason(status)}
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            seconds = self.retry_after
            headers["Retry-After"] = str(int(seconds)) if seconds == int(seconds) else str(seconds)
        return _Response(status, body, headers)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_fault(spec: object) -> Fault:
    """Validate a fault description (the JSON of ``POST /_emulator/faults``).

    Raises ValueError with a readable message when the description is invalid.
    """
    if not isinstance(spec, Mapping):
        raise ValueError("A fault must be a JSON object.")
    known = {"route", "times", "status", "body", "retry_after", "delay", "drop", "when"}
    unknown = sorted(str(key) for key in spec if key not in known)
    if unknown:
        raise ValueError(f"Unknown fault field(s): {', '.join(unknown)}.")
    route = spec.get("route")
    if route not in ROUTE_NAMES:
        raise ValueError(f"'route' must be one of: {', '.join(ROUTE_NAMES)}.")
    times = spec.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError("'times' must be an integer of at least 1.")
    status = spec.get("status")
    if status is not None and (
        not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599
    ):
        raise ValueError("'status' must be an HTTP status code between 100 and 599.")
    delay = spec.get("delay", 0.0)
    if delay is None:
        delay = 0.0
    if not _number(delay) or not 0 <= delay <= 300:
        raise ValueError("'delay' must be a number of seconds between 0 and 300.")
    drop = spec.get("drop", False)
    if not isinstance(drop, bool):
        raise ValueError("'drop' must be true or false.")
    when = spec.get("when", "before")
    if when not in _FAULT_WHEN:
        raise ValueError("'when' must be 'before' or 'after'.")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (not _number(retry_after) or retry_after < 0):
        raise ValueError("'retry_after' must be a non-negative number of seconds.")
    if status is None and not drop and not delay:
        raise ValueError("A fault needs at least one of 'status', 'drop' or 'delay'.")
    return Fault(
        route=str(route),
        times=times,
        status=status,
        body=spec.get("body"),
        retry_after=None if retry_after is None else float(retry_after),
        delay=float(delay),
        drop=drop,
        when=str(when),
    )


# --------------------------------------------------------------------------- state


class EmulatorState:
    """Everything the handlers share: store, allowed client ids, stats and faults."""

    def __init__(self, client_ids: frozenset[str] | None = None, latency: float = 0.0) -> None:
        """Create empty stats and faults; ``store`` is attached when the server starts.

        ``latency`` seconds are added before every API answer (not control routes).
        """
        self.client_ids = client_ids
        self.latency = latency
        self.store: ProfileStore | None = None
        self._lock = threading.Lock()
        self._requests: dict[str, int] = dict.fromkeys(ROUTE_NAMES, 0)
        self._created: dict[str, int] = {}
        self._faults: dict[str, deque[Fault]] = {}

    def client_allowed(self, client_id: str) -> bool:
        """Whether ``client_id`` is well formed and (if restricted) known."""
        if not CLIENT_ID_PATTERN.match(client_id):
            return False
        return self.client_ids is None or client_id in self.client_ids

    def count_request(self, route: str) -> None:
        """Count one request on ``route``."""
        with self._lock:
            self._requests[route] = self._requests.get(route, 0) + 1

    def count_created(self, client_id: str) -> None:
        """Count one profile actually created for ``client_id``."""
        with self._lock:
            self._created[client_id] = self._created.get(client_id, 0) + 1

    def stats(self) -> dict[str, Any]:
        """A snapshot of the counters, shaped like ``GET /_emulator/stats``."""
        with self._lock:
            return {
                "profiles_created": dict(self._created),
                "profiles_created_total": sum(self._created.values()),
                "requests": dict(self._requests),
                "requests_total": sum(self._requests.values()),
            }

    def add_fault(self, fault: Fault) -> None:
        """Queue ``fault`` behind any fault already queued on its route."""
        with self._lock:
            self._faults.setdefault(fault.route, deque()).append(fault)

    def take_fault(self, route: str) -> Fault | None:
        """Consume one use of the first fault queued on ``route``, if any."""
        with self._lock:
            queue = self._faults.get(route)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            return fault

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()

    def reset(self, *, data: bool = False) -> None:
        """Clear stats and faults; with ``data`` also delete every profile and token."""
        with self._lock:
            self._requests = dict.fromkeys(ROUTE_NAMES, 0)
            self._created = {}
            self._faults.clear()
        if data and self.store is not None:
            self.store.clear()


# --------------------------------------------------------------------------- validation


def _string_errors(value: object, *, allow_blank: bool) -> tuple[str | None, list[str]]:
    """Validate a DRF-style CharField (trimmed); return (clean value, errors)."""
    if value is None:
        return None, ["This field may not be null."]
    if not isinstance(value, str):
        return None, ["Not a valid string."]
    value = value.strip()
    if not value and not allow_blank:
        return None, ["This field may not be blank."]
    return value, []


def _validate_attributes(value: object) -> tuple[tuple[Attribute, ...], list[Any]]:
    if value is None:
        return (), ["This field may not be null."]
    if not isinstance(value, list):
        return (), [f'Expected a list of items but got type "{type(value).__name__}".']
    pairs: list[Attribute] = []
    item_errors: list[dict[str, list[str]]] = []
    for item in value:
        errors: dict[str, list[str]] = {}
        if not isinstance(item, dict):
            errors["non_field_errors"] = [
                f"Invalid data. Expected a dictionary, but got {type(item).__name__}."
            ]
            item_errors.append(errors)
            continue
        clean: dict[str, str] = {}
        for name, allow_blank in (("key", False), ("value", True)):
            if name not in item:
                errors[name] = ["This field is required."]
                continue
            text, problems = _string_errors(item[name], allow_blank=allow_blank)
            if problems:
                errors[name] = problems
            elif text is not None:
                clean[name] = text
        item_errors.append(errors)
        if not errors:
            pairs.append((clean["key"], clean["value"]))
    if any(item_errors):
        return (), item_errors
    return tuple(pairs), []


def _validate_profile_fields(data: object) -> tuple[ProfileFields, dict[str, Any]]:
    """Validate a create/update body; return (fields, DRF-style errors)."""
    if not isinstance(data, dict):
        message = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
        return ProfileFields(), {"non_field_errors": [message]}
    errors: dict[str, Any] = {}
    provided: set[str] = set()
    nickname: str | None = None
    custom_data: str | None = None
    attributes: tuple[Attribute, ...] = ()
    if "nickname" in data:
        nickname, problems = _string_errors(data["nickname"], allow_blank=False)
        if not problems and nickname is not None and len(nickname) > _NICKNAME_MAX:
            problems = [f"Ensure this field has no more than {_NICKNAME_MAX} characters."]
        if problems:
            errors["nickname"] = problems
        provided.add("nickname")
    if "custom_data" in data:
        raw = data["custom_data"]
        if raw is not None and not isinstance(raw, str):
            errors["custom_data"] = ["Not a valid string."]
        else:
            custom_data = raw
        provided.add("custom_data")
    if "attributes" in data:
        attributes, problems = _validate_attributes(data["attributes"])
        if problems:
            errors["attributes"] = problems
        provided.add("attributes")
    fields = ProfileFields(
        nickname=nickname,
        custom_data=custom_data,
        attributes=attributes,
        provided=frozenset(provided),
    )
    return fields, errors


class _BadRequestBody(Exception):
    """The request body could not be read or parsed; carries the response to send."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


def _parse_json(raw: bytes) -> object:
    """Parse a JSON request body; an empty body is ``{}``."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _BadRequestBody(_detail(400, f"JSON parse error - {exc}")) from None


# --------------------------------------------------------------------------- rendering


def _profile_json(profile: Profile, base: str) -> dict[str, Any]:
    url = f"{base}/profiles/{profile.id}/"
    return {
        "id": profile.id,
        "url": url,
        "client_id": profile.client_id,
        "nickname": profile.nickname,
        "custom_data": profile.custom_data,
        "created_at": profile.created_at,
        "reported_count": 0,
        "points": 0,
        "badges": [],
        "attributes": [{"key": key, "value": value} for key, value in profile.attributes],
        "subscribe_channel": f"profile.{profile.id}",
        "badges_url": f"{url}badges/",
        "rewards_url": f"{url}reward-item-balances/",
        "chat_room_memberships_url": f"{url}chat-room-memberships/",
    }


def _config_json(client_id: str, base: str) -> dict[str, Any]:
    app = f"{base}/applications/{client_id}"
    return {
        "url": f"{app}/",
        "name": f"LiveLike Emulator ({client_id})",
        "client_id": client_id,
        "organization_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"livelike-emulator:{client_id}")),
        "organization_name": "LiveLike Emulator",
        "pubnub_subscribe_key": None,
        "pubnub_publish_key": None,
        "pubnub_origin": None,
        "mixpanel_token": None,
        "profile_url": f"{app}/profile/",
        "profile_detail_url_template": f"{base}/profiles/{{profile_id}}/",
        "sessions_url": f"{app}/sessions/",
        "programs_url": f"{base}/programs/?client_id={client_id}",
        "program_detail_url_template": f"{base}/programs/{{program_id}}/",
        "chat_rooms_url": f"{base}/chat-rooms/",
        "chat_room_detail_url_template": f"{base}/chat-rooms/{{chat_room_id}}/",
        "create_chat_room_url": f"{base}/chat-rooms/",
        "stickerpacks_url": f"{app}/stickerpacks/",
        "leaderboards_url": f"{app}/leaderboards/",
        "leaderboard_detail_url_template": f"{base}/leaderboards/{{leaderboard_id}}/",
        "badges_url": f"{app}/badges/",
        "rewards_url": f"{app}/reward-items/",
        "user_search_url": f"{app}/profile-search/",
    }


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class _Match:
    kind: str  # "config", "profile", "detail" or "" (unknown path)
    param: str = ""

    @property
    def allowed(self) -> tuple[str, ...]:
        if self.kind == "profile":
            return ("GET", "POST", "PATCH", "HEAD")
        return ("GET", "HEAD")


def _resolve(path: str) -> _Match:
    for kind, pattern in (("config", _CONFIG_RE), ("profile", _PROFILE_RE), ("detail", _DETAIL_RE)):
        match = pattern.match(path)
        if match:
            return _Match(kind, match.group(1))
    return _Match("")


_ROUTE_BY_METHOD = {
    ("config", "GET"): "config",
    ("config", "HEAD"): "config",
    ("profile", "POST"): "create_profile",
    ("profile", "GET"): "get_profile",
    ("profile", "HEAD"): "get_profile",
    ("profile", "PATCH"): "update_profile",
    ("detail", "GET"): "profile_detail",
    ("detail", "HEAD"): "profile_detail",
}


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
        self.base_url = f"{self.root_url}{_API_PREFIX}"

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
        self._send(_detail(code, message or _reason(code)))

    def _send(self, response: _Response) -> None:
        # A fault's text body stands for a page that is not the API's answer (a CDN's or a
        # firewall's HTML page; "" for an empty answer).
        raw = isinstance(response.body, str)
        payload = response.body.encode("utf-8") if raw else json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if raw else "application/json")
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
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise _BadRequestBody(_detail(400, "Invalid Content-Length header."))
        if length > _MAX_BODY:
            self.close_connection = True
            raise _BadRequestBody(_detail(413, "Request body too large."))
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"-1", 16)
            except ValueError:
                size = -1
            if size < 0 or total + size > _MAX_BODY:
                self.close_connection = True
                raise _BadRequestBody(_detail(400, "Invalid chunked request body."))
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
        """Handle OPTIONS (never allowed on the API)."""
        self._handle()

    def _handle(self) -> None:
        self._request_id = uuid.uuid4().hex
        try:
            body = self._read_body()
        except _BadRequestBody as exc:
            self._send(exc.response)
            return
        path = urlsplit(self.path).path
        if path == _CONTROL_PREFIX or path.startswith(_CONTROL_PREFIX + "/"):
            self._send(self._safely(lambda: self._control(path, body)))
            return
        match = _resolve(path)
        route = _ROUTE_BY_METHOD.get((match.kind, self.command), "other")
        state = self._server.state
        state.count_request(route)
        fault = state.take_fault(route)
        if state.latency > 0:
            time.sleep(state.latency)  # a far-away service: every API answer waits
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.when == "before":
            if fault.drop:
                self._drop()
                return
            if fault.status is not None:
                self._send(fault.response())
                return
        response = self._safely(lambda: self._api(match, route, body))
        if fault is not None and fault.when == "after":
            if fault.drop:
                self._drop()
                return
            if fault.status is not None:
                response = fault.response()
        self._send(response)

    def _safely(self, action: Any) -> _Response:
        try:
            return cast(_Response, action())
        except _BadRequestBody as exc:
            return exc.response
        except Exception:
            _log.exception("LiveLike emulator: internal error handling %s", self.command)
            return _detail(500, "A server error occurred.")

    # --- the LiveLike API

    def _api(self, match: _Match, route: str, body: bytes) -> _Response:
        if not match.kind:
            return _NOT_FOUND
        if route == "other":
            return _detail(
                405,
                f'Method "{self.command}" not allowed.',
                Allow=", ".join(match.allowed),
            )
        if route == "profile_detail":
            return self._profile_detail(match.param)
        client_id = match.param
        if not self._server.state.client_allowed(client_id):
            return _NOT_FOUND
        if route == "config":
            return _Response(200, _config_json(client_id, self._server.base_url))
        if route == "create_profile":
            return self._create_profile(client_id, body)
        profile = self._authenticate(client_id)
        if isinstance(profile, _Response):
            return profile
        if route == "update_profile":
            return self._update_profile(profile, body)
        return _Response(200, _profile_json(profile, self._server.base_url))

    def _store(self) -> ProfileStore:
        store = self._server.state.store
        if store is None:
            raise RuntimeError("the emulator store is closed")
        return store

    def _authenticate(self, client_id: str) -> Profile | _Response:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return _UNAUTHENTICATED
        token = token.strip()
        if not _TOKEN_RE.match(token):
            return _INVALID_TOKEN
        profile = self._store().profile_for_token(token)
        if profile is None or profile.client_id != client_id:
            return _INVALID_TOKEN
        return profile

    def _create_profile(self, client_id: str, body: bytes) -> _Response:
        fields, errors = _validate_profile_fields(_parse_json(body))
        if errors:
            return _Response(400, errors)
        profile, token = self._store().create_profile(client_id, fields)
        self._server.state.count_created(client_id)
        payload = _profile_json(profile, self._server.base_url)
        payload["access_token"] = token
        return _Response(201, payload)

    def _update_profile(self, profile: Profile, body: bytes) -> _Response:
        fields, errors = _validate_profile_fields(_parse_json(body))
        if errors:
            return _Response(400, errors)
        updated = self._store().update_profile(profile.id, fields)
        if updated is None:
            return _INVALID_TOKEN
        return _Response(200, _profile_json(updated, self._server.base_url))

    def _profile_detail(self, profile_id: str) -> _Response:
        try:
            canonical = str(uuid.UUID(profile_id))
        except ValueError:
            return _NOT_FOUND
        profile = self._store().get_profile(canonical)
        if profile is None:
            return _NOT_FOUND
        return _Response(200, _profile_json(profile, self._server.base_url))

    # --- emulator control endpoints

    def _control(self, path: str, body: bytes) -> _Response:
        state = self._server.state
        name = path[len(_CONTROL_PREFIX) :].strip("/")
        allowed = {"stats": ("GET",), "reset": ("POST",), "faults": ("POST", "DELETE")}
        if name not in allowed:
            return _NOT_FOUND
        if self.command not in allowed[name]:
            return _detail(
                405, f'Method "{self.command}" not allowed.', Allow=", ".join(allowed[name])
            )
        if name == "stats":
            return _Response(200, state.stats())
        if self.command == "DELETE":
            state.clear_faults()
            return _Response(200, {"ok": True})
        data = _parse_json(body)
        if name == "reset":
            if not isinstance(data, dict) or not isinstance(data.get("data", False), bool):
                return _detail(400, 'Expected a JSON object like {"data": true}.')
            state.reset(data=bool(data.get("data", False)))
            return _Response(200, {"ok": True})
        try:
            fault = parse_fault(data)
        except ValueError as exc:
            return _detail(400, str(exc))
        state.add_fault(fault)
        return _Response(200, {"ok": True})
