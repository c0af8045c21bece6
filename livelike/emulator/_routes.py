"""Routing: the LiveLike API under ``/api/v1`` (with CORS) and the ``/_emulator/`` controls.

:func:`handle` turns one :class:`Request` into a :class:`Response`, or None
when a fault says to drop the connection. It knows nothing about sockets.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable

from livelike.emulator._api import API, API_PREFIX, Match, resolve, route_name
from livelike.emulator._faults import parse_fault
from livelike.emulator._messages import NOT_FOUND, BadRequest, Request, Response, detail
from livelike.emulator._state import EmulatorState, check_client_id
from livelike.emulator._validation import json_body

__all__ = ["API_PREFIX", "CONTROL_PREFIX", "handle"]

_log = logging.getLogger("livelike.emulator")

CONTROL_PREFIX = "/_emulator"

# Headers a browser may send cross-origin (the web SDK sends Authorization and
# Content-Type), and the answer headers its scripts may read.
_CORS_ALLOW_HEADERS = "accept, accept-language, authorization, content-type, x-requested-with"
_CORS_EXPOSE_HEADERS = "Retry-After, X-Request-Id"

_CONTROL_METHODS = {
    "stats": ("GET",),
    "reset": ("POST",),
    "faults": ("POST", "DELETE"),
    "clients": ("GET", "POST"),
}

_OK = Response(200, {"ok": True})


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
    match = resolve(path)
    if request.method == "OPTIONS":
        return _with_cors(request, _options(request, match))
    route = route_name(match, request.method)
    state.count_request(route)
    fault = state.take_fault(route)
    if fault is not None and fault.delay > 0:
        time.sleep(fault.delay)
    if fault is not None and fault.when == "before":
        if fault.drop:
            return None
        if fault.status is not None:
            return _with_cors(request, fault.response())
    response = _safely(request, lambda: API(state, request).answer(match, route))
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


def _options(request: Request, match: Match) -> Response:
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
            return _clients(state)
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


def _clients(state: EmulatorState) -> Response:
    """The registered client ids and which have a secret (never the secrets)."""
    body = {
        "client_ids": state.client_ids(),
        "client_ids_with_secret": state.client_ids_with_secret(),
    }
    return Response(200, body)


def _add_clients(state: EmulatorState, data: object) -> Response:
    usage = 'Expected a JSON object like {"client_ids": [...], "client_secrets": {"id": "..."}}.'
    if not isinstance(data, dict) or set(data) - {"client_ids", "client_secrets"}:
        return detail(400, usage)
    ids = data.get("client_ids", [])
    secrets = data.get("client_secrets", {})
    if not isinstance(ids, list) or not isinstance(secrets, dict) or not (ids or secrets):
        return detail(400, usage)
    try:
        for client_id in ids:
            check_client_id(client_id)
        state.add_secrets(secrets)
        state.add_clients(ids)
    except ValueError as exc:
        return detail(400, str(exc))
    return _clients(state)
