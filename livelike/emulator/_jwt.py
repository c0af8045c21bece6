"""HS256 JSON Web Tokens, as small as the emulator needs (standard library only).

The emulator signs its own access tokens with :func:`sign` and verifies the
tokens an integration's backend signs with its client secret with
:func:`verify`: compact serialisation, ``alg`` HS256 only, signature compared
in constant time. Claims are returned unchecked; the caller checks them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

__all__ = ["TokenError", "claims_unverified", "sign", "verify"]


class TokenError(ValueError):
    """A token that is not a well-formed HS256 JWT, or whose signature is wrong."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("not base64url") from None


def _compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(claims: dict[str, Any], secret: bytes) -> str:
    """Return ``claims`` as an HS256 JWT signed with ``secret``."""
    header = _b64encode(_compact_json({"alg": "HS256", "typ": "JWT"}))
    signing_input = f"{header}.{_b64encode(_compact_json(claims))}"
    digest = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64encode(digest)}"


def _split(token: str) -> tuple[str, str, str, dict[str, Any], dict[str, Any]]:
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("not a JWT")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
    except (UnicodeDecodeError, ValueError):
        raise TokenError("not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenError("not a JWT")
    return parts[0], parts[1], parts[2], header, claims


def claims_unverified(token: str) -> dict[str, Any] | None:
    """The claims of a JWT-shaped token without checking anything, or None."""
    try:
        return _split(token)[4]
    except TokenError:
        return None


def verify(token: str, secret: bytes) -> dict[str, Any]:
    """Return the claims of an HS256 JWT signed with ``secret``, else raise TokenError."""
    header_part, claims_part, signature_part, header, claims = _split(token)
    if header.get("alg") != "HS256":
        raise TokenError("alg must be HS256")
    expected = hmac.new(
        secret, f"{header_part}.{claims_part}".encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(expected, _b64decode(signature_part)):
        raise TokenError("signature does not match")
    return claims
