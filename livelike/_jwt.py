"""Client-generated access tokens: HS256 JSON Web Tokens signed with the client secret.

A small standard-library signer (``hmac``, ``hashlib``, ``base64``, ``json``):
livelike only *signs* (the service verifies), with one fixed algorithm, so
no JWT library is needed. Claims: ``iss`` (the client id), ``iat``,
``custom_profile_id`` (the subject) and, with a TTL, ``exp``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

__all__ = ["claims_for", "sign"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


def claims_for(
    client_id: str, custom_id: str, *, ttl: float | None, now: float | None = None
) -> dict[str, Any]:
    """The claims of a token for ``custom_id``: ``iss``, ``iat``, ``custom_profile_id``, ``exp``."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": client_id, "iat": issued, "custom_profile_id": custom_id}
    if ttl is not None:
        claims["exp"] = issued + max(1, int(ttl))
    return claims


def sign(claims: dict[str, Any], secret: str) -> str:
    """Return ``claims`` as a compact HS256 JWT signed with ``secret`` (UTF-8)."""
    header = _b64(_compact({"alg": "HS256", "typ": "JWT"}))
    signing_input = f"{header}.{_b64(_compact(claims))}"
    digest = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256)
    return f"{signing_input}.{_b64(digest.digest())}"
