"""Routing: the LiveLike API under ``/api/v1`` (with CORS) and the ``/_emulator/`` controls.

:func:`handle` turns one :class:`Request` into a :class:`Response`, or None
when a fault says to drop the connection. It knows nothing about sockets.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from livelike.emulator._faults import parse_fault
from livelike.emulator._messages import (
    INVALID_TOKEN,
    NOT_FOUND,
    UNAUTHENTICATED,
    BadRequest,
    Request,
    Response,
    detail,
)
from livelike.emulator._payloads import config_json, profile_json
from livelike.emulator._state import EmulatorState
from livelike.emulator._store import Profile, ProfileStore
from livelike.emulator._validation import json_body, public_root, validate_profile_fields

__all__ = ["API_PREFIX", "CONTROL_PREFIX", "handle"]

_log = logging.getLogger("livelike.emulator")

API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_emulator"

_CONFIG_RE = re.compile(r"^/api/v1/applications/(?P<client_id>[^/]+)/?$")
_PROFILE_RE = re.compile(r"^/api/v1/applications/(?P<client_id>[^/]+)/profile/?$")
_DETAIL_RE = re.compile(r"^/api/v1/profiles/(?P<profile_id>[^/]+)/?$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_.=-]{1,4096}$")

# Headers a browser may send cross-origin (the web SDK sends Authorization and
# Content-Type), and the answer headers its scripts may read.
_CORS_ALLOW_HEADERS = "accept, accept-language, authorization, content-type, x-requested-with"
_CORS_EXPOSE_HEADERS = "Retry-After, X-Request-Id"
_API_METHODS = ("GET", "HEAD", "POST", "PATCH", "OPTIONS")

_CONTROL_METHODS = {
    "stats": ("GET",),
    "reset": ("POST",),
    "faults": ("POST", "DELETE"),
    "clients": ("GET", "POST"),
}

_OK = Response(200, {"ok": True})


@dataclass(frozen=True)
class _Match:
    kind: str  # "config", "profile", "detail" or "" (unknown path)
    param: str = ""

    @property
    def allowed(self) -> tuple[str, ...]:
        if self.kind == "profile":
            return ("GET", "POST", "PATCH", "HEAD", "OPTIONS")
        if self.kind:
            return ("GET", "HEAD", "OPTIONS")
        return _API_METHODS


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


def _safely(request: Request, action: Callable[[], Response]) -> Response:
    try:
        return action()
    except BadRequest as exc:
        return exc.response
    except Exception:
        _log.exception("LiveLike emulator: internal error handling %s", request.method)
        return detail(500, "A server error occurred.")


def handle(state: EmulatorState, request: Request) -> Response | None:
    """Answer ``request``; None means drop the connection without an answer."""
    path = request.path
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        return _safely(request, lambda: _control(state, request))
    match = _resolve(path)
    if request.method == "OPTIONS":
        return _with_cors(request, _options(request, match))
    route = _ROUTE_BY_METHOD.get((match.kind, request.method), "other")
    state.count_request(route)
    fault = state.take_fault(route)
    if fault is not None and fault.delay > 0:
        time.sleep(fault.delay)
    if fault is not None and fault.when == "before":
        if fault.drop:
            return None
        if fault.status is not None:
            return _with_cors(request, fault.response())
    response = _safely(request, lambda: _API(state, request).answer(match, route))
    if fault is not None and fault.when == "after":
        if fault.drop:
            return None
        if fault.status is not None:
            response = fault.response()
    return _with_cors(request, response)


# --------------------------------------------------------------------------- CORS


def _with_cors(request: Request, response: Response) -> Response:
    """Let any web page read the API's answers (the service answers any origin)."""
    if not request.header("Origin"):
        return response
    headers = {
        **response.headers,
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": _CORS_EXPOSE_HEADERS,
    }
    return Response(response.status, response.body, headers)


def _options(request: Request, match: _Match) -> Response:
    """A CORS preflight (or a plain OPTIONS): which methods and headers may be used."""
    allowed = ", ".join(match.allowed)
    if not request.header("Access-Control-Request-Method"):
        return Response(200, None, {"Allow": allowed})
    return Response(
        200,
        None,
        {
            "Access-Control-Allow-Methods": allowed,
            "Access-Control-Allow-Headers": _CORS_ALLOW_HEADERS,
            "Access-Control-Max-Age": "86400",
        },
    )


# --------------------------------------------------------------------------- the API


class _API:
    """The LiveLike profile API for one request."""

    def __init__(self, state: EmulatorState, request: Request) -> None:
        self.state = state
        self.request = request
        self.base = public_root(request, state.public_url) + API_PREFIX

    def answer(self, match: _Match, route: str) -> Response:
        if not match.kind:
            return NOT_FOUND
        if route == "other":
            methods = ", ".join(match.allowed)
            return detail(405, f'Method "{self.request.method}" not allowed.', Allow=methods)
        if route == "profile_detail":
            return self._profile_detail(match.param)
        client_id = match.param
        if not self.state.client_allowed(client_id):
            return NOT_FOUND
        if route == "config":
            return Response(200, config_json(client_id, self.base))
        if route == "create_profile":
            return self._create_profile(client_id)
        profile = self._authenticate(client_id)
        if isinstance(profile, Response):
            return profile
        if route == "update_profile":
            return self._update_profile(profile)
        return Response(200, profile_json(profile, self.base))

    def _store(self) -> ProfileStore:
        store = self.state.store
        if store is None:
            raise RuntimeError("the emulator store is closed")
        return store

    def _authenticate(self, client_id: str) -> Profile | Response:
        """401 when no bearer token is sent, 403 when the token is not a live one."""
        scheme, _, token = self.request.header("Authorization").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return UNAUTHENTICATED
        if not _TOKEN_RE.match(token):
            return INVALID_TOKEN
        profile = self._store().profile_for_token(token)
        if profile is None or profile.client_id != client_id:
            return INVALID_TOKEN
        return profile

    def _create_profile(self, client_id: str) -> Response:
        fields, errors = validate_profile_fields(json_body(self.request))
        if errors:
            return Response(400, errors)
        profile, token = self._store().create_profile(client_id, fields)
        self.state.count_created(client_id)
        payload = profile_json(profile, self.base)
        payload["access_token"] = token
        return Response(201, payload)

    def _update_profile(self, profile: Profile) -> Response:
        fields, errors = validate_profile_fields(json_body(self.request))
        if errors:
            return Response(400, errors)
        updated = self._store().update_profile(profile.id, fields)
        if updated is None:
            return INVALID_TOKEN
        return Response(200, profile_json(updated, self.base))

    def _profile_detail(self, profile_id: str) -> Response:
        try:
            canonical = str(uuid.UUID(profile_id))
        except ValueError:
            return NOT_FOUND
        profile = self._store().get_profile(canonical)
        if profile is None:
            return NOT_FOUND
        return Response(200, profile_json(profile, self.base))


# --------------------------------------------------------------------------- controls


def _control_token_problem(state: EmulatorState, request: Request) -> Response | None:
    if state.control_token is None:
        return None
    scheme, _, token = request.header("Authorization").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return detail(401, "This emulator needs its control token.")
    if not hmac.compare_digest(token.strip().encode(), state.control_token.encode()):
        return detail(403, "Wrong control token.")
    return None


def _control(state: EmulatorState, request: Request) -> Response:
    """The emulator's own routes: never CORS, JSON only, optionally behind a token."""
    problem = _control_token_problem(state, request)
    if problem is not None:
        return problem
    name = request.path[len(CONTROL_PREFIX) :].strip("/")
    methods = _CONTROL_METHODS.get(name)
    if methods is None:
        return NOT_FOUND
    if request.method not in methods:
        return detail(405, f'Method "{request.method}" not allowed.', Allow=", ".join(methods))
    if request.method == "GET":
        if name == "clients":
            return Response(200, {"client_ids": state.client_ids()})
        return Response(200, state.stats())
    data = json_body(request, require_type=True)
    if name == "reset":
        return _reset(state, data)
    if name == "clients":
        return _add_clients(state, data)
    if request.method == "DELETE":
        state.clear_faults()
        return _OK
    try:
        fault = parse_fault(data)
    except ValueError as exc:
        return detail(400, str(exc))
    state.add_fault(fault)
    return _OK


def _reset(state: EmulatorState, data: object) -> Response:
    if not isinstance(data, dict) or set(data) - {"data", "clients"}:
        return detail(400, 'Expected a JSON object like {"data": true, "clients": false}.')
    flags = [data.get(key, False) for key in ("data", "clients")]
    if not all(isinstance(flag, bool) for flag in flags):
        return detail(400, 'Expected a JSON object like {"data": true, "clients": false}.')
    state.reset(data=bool(flags[0]), clients=bool(flags[1]))
    return _OK


def _add_clients(state: EmulatorState, data: object) -> Response:
    ids = data.get("client_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not ids:
        return detail(400, 'Expected a JSON object like {"client_ids": ["my-client-id"]}.')
    try:
        state.add_clients(ids)
    except ValueError as exc:
        return detail(400, str(exc))
    return Response(200, {"client_ids": state.client_ids()})
