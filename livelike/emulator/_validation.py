"""Request validation: framing headers, ``Host``, media type, JSON and profile fields.

Everything here answers a malformed request the way the service (a Django REST
framework application) does: ``{"detail": ...}`` or DRF-style field errors.
"""

from __future__ import annotations

import json
import re
from email.message import Message
from typing import Any

from livelike.emulator._messages import BadRequest, Request, detail
from livelike.emulator._store import Attribute, ProfileFields

__all__ = [
    "MAX_BODY",
    "body_length",
    "check_custom_id",
    "json_body",
    "public_root",
    "validate_profile_fields",
]

MAX_BODY = 1024 * 1024
CHUNKED = -1
"""``body_length`` result for a chunked body."""

_NICKNAME_MAX = 20
_CUSTOM_ID_MAX = 255
_HOST_RE = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$"
)


def _invalid(text: str) -> BadRequest:
    return BadRequest(detail(400, text), close=True)


def body_length(headers: Message) -> int:
    """Bytes of body to read, or :data:`CHUNKED`; refuse ambiguous framing (400).

    Two ``Content-Length`` headers, or one together with ``Transfer-Encoding``,
    is how request smuggling starts: the connection is closed after the answer.
    """
    lengths = headers.get_all("Content-Length") or []
    encodings = headers.get_all("Transfer-Encoding") or []
    if len(lengths) > 1:
        raise _invalid("Multiple Content-Length headers.")
    if encodings:
        if lengths:
            raise _invalid("Content-Length together with Transfer-Encoding.")
        if [value.strip().lower() for value in encodings] != ["chunked"]:
            raise BadRequest(detail(501, "Unsupported Transfer-Encoding."), close=True)
        return CHUNKED
    if not lengths:
        return 0
    text = lengths[0].strip()
    if not text.isdigit():
        raise _invalid("Invalid Content-Length header.")
    length = int(text)
    if length > MAX_BODY:
        raise BadRequest(detail(413, "Request body too large."), close=True)
    return length


def public_root(request: Request, public_url: str | None) -> str:
    """``scheme://host[:port]`` the client used: ``public_url``, else ``Host``, else the socket.

    A malformed ``Host`` (or more than one) is refused with 400, as Django does.
    """
    if public_url is not None:
        return public_url
    hosts = request.headers.get_all("Host") or []
    if len(hosts) > 1:
        raise BadRequest(detail(400, "Multiple Host headers."), close=True)
    host = hosts[0].strip() if hosts else ""
    if not host:
        return request.bind_root
    if not _HOST_RE.match(host):
        raise BadRequest(detail(400, "Invalid Host header."))
    return f"http://{host.lower()}"


def media_type(request: Request) -> str:
    """The request's media type, lowercased, without parameters (``""`` if none)."""
    return request.header("Content-Type").split(";", 1)[0].strip().lower()


def json_body(request: Request, *, require_type: bool = False) -> object:
    """Parse a JSON body; an empty body is ``{}``.

    A body in any media type other than ``application/json`` (a browser's
    ``text/plain`` form post, say) is refused with 415 before it is read as
    JSON; ``require_type`` refuses it even when the body is empty.
    """
    kind = media_type(request)
    if kind != "application/json" and (require_type or request.body.strip()):
        raise BadRequest(detail(415, f'Unsupported media type "{kind}" in request.'))
    if not request.body.strip():
        return {}
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(detail(400, f"JSON parse error - {exc}")) from None


def check_custom_id(value: object) -> str | None:
    """Return ``value`` if it can be a custom id (1-255 printable characters, no
    spaces or ``/``), else None."""
    if not isinstance(value, str) or not 1 <= len(value) <= _CUSTOM_ID_MAX:
        return None
    if not value.isprintable() or any(char.isspace() or char == "/" for char in value):
        return None
    return value


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


def _attribute(item: object) -> tuple[Attribute | None, dict[str, list[str]]]:
    if not isinstance(item, dict):
        message = f"Invalid data. Expected a dictionary, but got {type(item).__name__}."
        return None, {"non_field_errors": [message]}
    errors: dict[str, list[str]] = {}
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
    if errors:
        return None, errors
    return (clean["key"], clean["value"]), {}


def _validate_attributes(value: object) -> tuple[tuple[Attribute, ...], list[Any]]:
    if value is None:
        return (), ["This field may not be null."]
    if not isinstance(value, list):
        return (), [f'Expected a list of items but got type "{type(value).__name__}".']
    pairs: list[Attribute] = []
    item_errors: list[dict[str, list[str]]] = []
    for item in value:
        pair, errors = _attribute(item)
        item_errors.append(errors)
        if pair is not None:
            pairs.append(pair)
    if any(item_errors):
        return (), item_errors
    return tuple(pairs), []


def validate_profile_fields(data: object) -> tuple[ProfileFields, dict[str, Any]]:
    """Validate a create/update body; return (fields, DRF-style errors)."""
    if not isinstance(data, dict):
        message = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
        return ProfileFields(), {"non_field_errors": [message]}
    errors: dict[str, Any] = {}
    provided: set[str] = set()
    nickname: str | None = None
    custom_data: str | None = None
    attributes: tuple[Attribute, ...] = ()
    custom_id: str | None = None
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
    if "custom_id" in data:
        raw = data["custom_id"]
        custom_id = None if raw is None else check_custom_id(raw)
        if raw is not None and custom_id is None:
            errors["custom_id"] = ["Enter a valid custom id: 1-255 characters, no spaces or /."]
        provided.add("custom_id")
    fields = ProfileFields(
        nickname=nickname,
        custom_data=custom_data,
        attributes=attributes,
        custom_id=custom_id,
        provided=frozenset(provided),
    )
    return fields, errors
