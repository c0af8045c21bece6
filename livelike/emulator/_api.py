"""The LiveLike profile API, one request at a time: config, profiles, custom ids, tokens.

Tokens: the emulator's own (issued on create, looked up exactly) and
client-generated ones, HS256 JWTs an integration's backend signs with the
client id's secret (claims ``iss``, ``custom_profile_id``, optional ``exp``),
which create their profile on first use.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

from livelike.emulator._jwt import TokenError, claims_unverified, verify
from livelike.emulator._messages import (
    INVALID_TOKEN,
    NOT_FOUND,
    UNAUTHENTICATED,
    Request,
    Response,
    detail,
)
from livelike.emulator._payloads import config_json, profile_json
from livelike.emulator._state import EmulatorState
from livelike.emulator._store import CustomIdTaken, Profile, ProfileFields, ProfileStore
from livelike.emulator._validation import (
    check_custom_id,
    json_body,
    public_root,
    validate_profile_fields,
)

__all__ = ["API", "API_PREFIX", "Match", "resolve", "route_name"]

API_PREFIX = "/api/v1"

_PATTERNS = (
    ("config", re.compile(r"^/api/v1/applications/(?P<a>[^/]+)/?$")),
    ("profile", re.compile(r"^/api/v1/applications/(?P<a>[^/]+)/profile/?$")),
    ("detail", re.compile(r"^/api/v1/profiles/(?P<a>[^/]+)/?$")),
    ("custom", re.compile(r"^/api/v1/profile-by-custom-id/(?P<a>[^/]+)/(?P<b>[^/]+)/?$")),
)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_.=-]{1,4096}$")
_CLOCK_SKEW = 60  # seconds a client-generated token's iat may be ahead of the emulator's clock

_ROUTE_BY_METHOD = {
    ("config", "GET"): "config",
    ("config", "HEAD"): "config",
    ("profile", "POST"): "create_profile",
    ("profile", "GET"): "get_profile",
    ("profile", "HEAD"): "get_profile",
    ("profile", "PATCH"): "update_profile",
    ("detail", "GET"): "profile_detail",
    ("detail", "HEAD"): "profile_detail",
    ("detail", "PATCH"): "update_profile_detail",
    ("detail", "DELETE"): "delete_profile",
    ("custom", "POST"): "create_by_custom_id",
    ("custom", "GET"): "get_by_custom_id",
    ("custom", "HEAD"): "get_by_custom_id",
}
_ALL_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Match:
    """Which API path a request named: ``kind`` ("" if none) and its path parameters."""

    kind: str
    first: str = ""
    second: str = ""

    @property
    def allowed(self) -> tuple[str, ...]:
        """The methods this path accepts (for ``Allow`` and CORS preflights)."""
        if not self.kind:
            return _ALL_METHODS
        methods = [method for (kind, method) in _ROUTE_BY_METHOD if kind == self.kind]
        return (*methods, "OPTIONS")


def resolve(path: str) -> Match:
    """Match ``path`` against the API's paths."""
    for kind, pattern in _PATTERNS:
        found = pattern.match(path)
        if found:
            groups = found.groupdict()
            return Match(kind, groups["a"], groups.get("b") or "")
    return Match("")


def route_name(match: Match, method: str) -> str:
    """The stats and fault-injection name of a request (``"other"`` for anything else)."""
    return _ROUTE_BY_METHOD.get((match.kind, method), "other")


class API:
    """The LiveLike profile API for one request."""

    def __init__(self, state: EmulatorState, request: Request) -> None:
        """Bind to the shared ``state``; URLs are built from the address ``request`` used."""
        self.state = state
        self.request = request
        self.base = public_root(request, state.public_url) + API_PREFIX

    def answer(self, match: Match, route: str) -> Response:
        """Serve ``route`` (see :func:`route_name`) for the path ``match``."""
        if not match.kind:
            return NOT_FOUND
        if route == "other":
            methods = ", ".join(match.allowed)
            return detail(405, f'Method "{self.request.method}" not allowed.', Allow=methods)
        if match.kind == "detail":
            return self._by_id(route, match.first)
        client_id = match.first
        if not self.state.client_allowed(client_id):
            return NOT_FOUND
        if route == "config":
            return Response(200, config_json(client_id, self.base))
        if match.kind == "custom":
            return self._by_custom_id(route, client_id, match.second)
        if route == "create_profile":
            fields, errors = validate_profile_fields(json_body(self.request))
            return Response(400, errors) if errors else self._create(client_id, fields)
        profile = self._authenticate(client_id)
        if isinstance(profile, Response):
            return profile
        if route == "update_profile":
            return self._update(profile)
        return Response(200, self._render(profile))

    # --- helpers

    def _store(self) -> ProfileStore:
        store = self.state.store
        if store is None:
            raise RuntimeError("the emulator store is closed")
        return store

    def _render(self, profile: Profile) -> dict[str, Any]:
        return profile_json(profile, self.base)

    def _create(self, client_id: str, fields: ProfileFields) -> Response:
        try:
            profile, token = self._store().create_profile(client_id, fields)
        except CustomIdTaken:
            return detail(409, f"profile with custom_id '{fields.custom_id}' already exists.")
        self.state.count_created(client_id)
        return Response(201, {**self._render(profile), "access_token": token})

    def _update(self, profile: Profile) -> Response:
        fields, errors = validate_profile_fields(json_body(self.request))
        if errors:
            return Response(400, errors)
        try:
            updated = self._store().update_profile(profile.id, fields)
        except CustomIdTaken:
            return Response(400, {"custom_id": ["profile with this custom id already exists."]})
        if updated is None:
            return NOT_FOUND
        return Response(200, self._render(updated))

    # --- profiles by id and by custom id

    def _by_id(self, route: str, profile_id: str) -> Response:
        try:
            canonical = str(uuid.UUID(profile_id))
        except ValueError:
            return NOT_FOUND
        store = self._store()
        profile = store.get_profile(canonical)
        if profile is None:
            return NOT_FOUND
        if route == "delete_profile":  # a delete that lost a race to another finds nothing
            return Response(204, None) if store.delete_profile(canonical) else NOT_FOUND
        if route == "update_profile_detail":
            return self._update(profile)
        return Response(200, self._render(profile))

    def _by_custom_id(self, route: str, client_id: str, raw: str) -> Response:
        custom_id = check_custom_id(unquote(raw))
        if custom_id is None:
            return NOT_FOUND
        if route == "get_by_custom_id":
            profile = self._store().profile_by_custom_id(client_id, custom_id)
            return NOT_FOUND if profile is None else Response(200, self._render(profile))
        fields, errors = validate_profile_fields(json_body(self.request))
        if errors:
            return Response(400, errors)
        fields = replace(fields, custom_id=custom_id, provided=fields.provided | {"custom_id"})
        return self._create(client_id, fields)

    # --- tokens

    def _authenticate(self, client_id: str) -> Profile | Response:
        """401 when no bearer token is sent, 403 when the token is not a live one."""
        scheme, _, token = self.request.header("Authorization").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return UNAUTHENTICATED
        if not _TOKEN_RE.match(token):
            return INVALID_TOKEN
        claims = claims_unverified(token)
        if claims is not None and "custom_profile_id" in claims:
            return self._client_generated(client_id, token)
        profile = self._store().profile_for_token(token)
        if profile is None or profile.client_id != client_id:
            return INVALID_TOKEN
        return profile

    def _client_generated(self, client_id: str, token: str) -> Profile | Response:
        """A token the integration signed: check it, then find or create its profile."""
        secret = self.state.client_secret(client_id)
        if secret is None:
            return detail(403, "This application accepts no client-generated tokens.")
        try:
            claims = verify(token, secret.encode("utf-8"))
        except TokenError:
            return detail(403, "Invalid token signature.")
        problem = _claims_problem(claims, client_id)
        if problem is not None:
            return detail(403, problem)
        custom_id = str(claims["custom_profile_id"])
        profile, created = self._store().get_or_create_by_custom_id(client_id, custom_id)
        if created:
            self.state.count_created(client_id)
        return profile


def _claims_problem(claims: Mapping[str, Any], client_id: str) -> str | None:
    """Why a correctly signed client-generated token is refused, or None."""
    if claims.get("iss") != client_id:
        return "Token issuer (iss) is not this client id."
    if check_custom_id(claims.get("custom_profile_id")) is None:
        return "Token custom_profile_id is missing or malformed."
    now = time.time()
    exp = claims.get("exp")
    if exp is not None:
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            return "Token exp is not a number."
        if exp <= now:
            return "Token has expired."
    iat = claims.get("iat")
    if isinstance(iat, (int, float)) and not isinstance(iat, bool) and iat > now + _CLOCK_SKEW:
        return "Token issued in the future (iat); check the clocks."
    return None
