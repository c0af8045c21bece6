"""Checks on arguments, made before any request is sent.

Every failure raises :class:`~livelike.errors.InvalidArgumentError` naming
the argument. Messages never include an access token.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import warnings
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from livelike.errors import InvalidArgumentError, StorageError
from livelike.files import positive_seconds
from livelike.storage import TokenRecord

# Matched with fullmatch: "$" would also match before a trailing newline.
CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
NICKNAME_MAX = 20
SUBJECT_MAX = 1024
TOKEN_MAX = 8192
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: it goes in a header
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _type_name(value: Any) -> str:
    return type(value).__name__


def client_id(value: Any) -> str:
    """Return ``value`` if it is a well-formed client id."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"client_id must be a string, not {_type_name(value)}")
    if not value:
        raise InvalidArgumentError("client_id must not be empty")
    if not CLIENT_ID_RE.fullmatch(value):
        raise InvalidArgumentError(
            f"client_id {value!r} is malformed: expected 1 to 128 letters, digits, '-' or '_'"
        )
    return value


def subject(value: Any) -> str:
    """Return ``value`` if it can key a saved token."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"subject must be a string, not {_type_name(value)}")
    if not value or len(value) > SUBJECT_MAX:
        raise InvalidArgumentError(f"subject must be 1 to {SUBJECT_MAX} characters long")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidArgumentError("subject must not contain control characters")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidArgumentError(
            "subject must be valid Unicode text: it holds a lone surrogate "
            "(often a file name or bytes decoded with errors='surrogateescape')"
        )
    return value


def _sendable(token: str) -> bool:
    """Whether ``token`` can go in an ``Authorization`` header as it is."""
    return len(token) <= TOKEN_MAX and _TOKEN_RE.fullmatch(token) is not None


def access_token(value: Any, *, name: str = "access_token") -> str:
    """Return ``value`` if it can be sent as a Bearer token (the value is never echoed)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a string, not {_type_name(value)}")
    if not value:
        raise InvalidArgumentError(f"{name} must not be empty")
    if not _sendable(value):
        raise InvalidArgumentError(
            f"{name} is malformed: expected up to {TOKEN_MAX} printable ASCII characters "
            "without spaces"
        )
    return value


def nickname(value: Any) -> str:
    """Return ``value`` if the service would accept it as a nickname (1 to 20 characters)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"nickname must be a string, not {_type_name(value)}")
    if not 1 <= len(value) <= NICKNAME_MAX:
        raise InvalidArgumentError(
            f"nickname must be 1 to {NICKNAME_MAX} characters long, got {len(value)}"
        )
    if not value.strip():
        raise InvalidArgumentError("nickname must not be only whitespace")
    return value


def custom_data(value: Any) -> str:
    """Return ``value`` if it is a string (the service stores custom data as text)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"custom_data must be a string (serialize it yourself, e.g. with json.dumps), "
            f"not {_type_name(value)}"
        )
    return value


def timeout(value: Any) -> tuple[float, float]:
    """Return ``(connect, read)`` seconds from a number or a pair of numbers."""
    pair = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2 or not all(positive_seconds(v) for v in pair):
        raise InvalidArgumentError(
            "timeout must be a positive number of seconds (finite, not inf or nan) or a "
            "(connect, read) pair of them"
        )
    return float(pair[0]), float(pair[1])


def max_age(value: Any) -> float:
    """Return ``max_age`` seconds: a number >= 0 (0: always validate)."""
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or math.isnan(value)
        or value < 0
    ):
        raise InvalidArgumentError(
            f"max_age must be a number of seconds >= 0, not {value!r}"
            if isinstance(value, int | float)
            else f"max_age must be a number of seconds >= 0, not {_type_name(value)}"
        )
    return float(value)


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


INSECURE_HTTP_VARIABLE = "LIVELIKE_ALLOW_INSECURE_HTTP"
_insecure_http_warned = False


def url(value: Any, *, name: str) -> str:
    """Return ``value`` without a trailing slash if it is safe to send a token to.

    ``https`` is required, except for loopback hosts, where ``http`` is accepted
    (the bundled emulator). ``LIVELIKE_ALLOW_INSECURE_HTTP=1`` also accepts
    plain http to a named host (an emulator reached as a container or CI
    service name): for test environments only; a warning says so, once per
    process.
    """
    global _insecure_http_warned
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a string, not {_type_name(value)}")
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidArgumentError(f"{name} {value!r} is not a valid URL: {exc}") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise InvalidArgumentError(f"{name} {value!r} must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidArgumentError(f"{name} must not carry credentials")
    if parts.query or parts.fragment:
        raise InvalidArgumentError(f"{name} {value!r} must not have a query or fragment")
    if parts.scheme == "http" and not is_loopback(host):
        if os.environ.get(INSECURE_HTTP_VARIABLE) == "1":
            if not _insecure_http_warned:
                _insecure_http_warned = True
                warnings.warn(
                    f"{name} {value!r} uses plain http to another machine because "
                    f"{INSECURE_HTTP_VARIABLE}=1; access tokens travel in clear. "
                    "Use this for test environments only.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return value.rstrip("/")
        raise InvalidArgumentError(
            f"{name} {value!r} uses plain http to a host that is not this machine; "
            "access tokens would travel in clear. Use https (plain http is accepted "
            "only for localhost, 127.0.0.0/8 and ::1; for a test environment, set "
            f"{INSECURE_HTTP_VARIABLE}=1)"
        )
    return value.rstrip("/")


def origin(api_url: str) -> str:
    """Return the canonical ``scheme://host[:port]`` of an already checked URL.

    Scheme and host are lowercased, a trailing dot of the host is dropped and
    so is the scheme's default port: ``https://host:443``, ``https://host/``
    and ``HTTPS://Host.`` are one origin, so one storage key. Different names
    for one machine stay distinct (``localhost`` is not ``127.0.0.1``).
    """
    parts = urlsplit(api_url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def saved_token(token: str, backend: str) -> str:
    """Return a token read from storage if it can be sent as a Bearer token.

    Raises:
        StorageError: naming ``backend``; the token is neither shown nor chained.
    """
    if not token or not _sendable(token):
        raise StorageError(
            f"storage backend {backend!r} holds a malformed access token (control "
            "characters, spaces or non-ASCII, e.g. a trailing newline or CRLF); no "
            "request was sent and no profile was created. Fix it there or run "
            "`livelike token forget`.",
            backend=backend,
        )
    return token


def scrub(text: str, tokens: TokenRecord | Iterable[str | None]) -> str:
    """``text`` with each token of a record (current and retired), or each of ``tokens``,
    replaced by ``[token]``.

    Used on a plugin's message before the core copies it into its own errors
    and log lines. Strings under 8 characters are left alone (too common to
    be told from ordinary words).
    """
    from livelike.files import scrub as hide

    if isinstance(tokens, TokenRecord):
        tokens = tokens.tokens()
    return hide(text, *(t for t in tokens if t and len(t) >= 8), mask="[token]")


CUSTOM_ID_MAX = 255


def custom_id(value: Any, *, name: str = "custom_id") -> str:
    """Return ``value`` if it can be a custom profile id (1 to 255 printable
    characters, no spaces or ``/``)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a string, not {_type_name(value)}")
    if not 1 <= len(value) <= CUSTOM_ID_MAX:
        raise InvalidArgumentError(f"{name} must be 1 to {CUSTOM_ID_MAX} characters long")
    if not value.isprintable() or any(c.isspace() or c == "/" for c in value):
        raise InvalidArgumentError(
            f"{name} {value!r} cannot be a custom id: no spaces, '/' or unprintable characters"
        )
    return value


def client_secret(value: Any, *, name: str = "client_secret") -> str:
    """Return ``value`` if it can be a client secret (the value is never echoed)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a string, not {_type_name(value)}")
    if not value or not value.isprintable():
        raise InvalidArgumentError(f"{name} must be a non-empty printable string")
    return value


def seconds(value: Any, *, name: str) -> float:
    """Return ``value`` as a finite positive number of seconds."""
    if not positive_seconds(value):
        raise InvalidArgumentError(f"{name} must be a positive number of seconds")
    return float(value)


def flag(value: str | None, *, name: str) -> bool:
    """An on/off environment setting: unset, ``""`` or ``0`` is off, ``1`` is on."""
    if value is None or value.strip() in ("", "0"):
        return False
    if value.strip() == "1":
        return True
    raise InvalidArgumentError(f"{name} must be 1 or 0, not {value!r}")


def attributes(value: Any) -> dict[str, str]:
    """Return ``value`` as a dict if it maps non-blank string keys to string values."""
    from collections.abc import Mapping

    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            f"attributes must be a mapping of strings to strings, not {_type_name(value)}"
        )
    clean: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidArgumentError(f"attribute keys must be non-blank strings, not {key!r}")
        if not isinstance(item, str):
            raise InvalidArgumentError(
                f"attribute {key!r} must have a string value, not {_type_name(item)}"
            )
        if any(ord(c) < 32 and c not in "\t\n\r" for c in key + item):
            raise InvalidArgumentError(f"attribute {key!r} contains control characters")
        clean[key] = item
    return clean
