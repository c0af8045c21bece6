"""Requests and responses as the emulator's routes see them (no sockets here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from typing import Any

__all__ = [
    "BadRequest",
    "Request",
    "Response",
    "detail",
    "reason",
]


@dataclass(frozen=True)
class Response:
    """A JSON answer: status, body (``None`` sends no body) and extra headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One parsed request: method, path (no query), headers and the raw body."""

    method: str
    path: str
    headers: Message
    body: bytes = b""
    bind_root: str = ""
    """``http://HOST:PORT`` of the bound socket, used when the request names no host."""

    def header(self, name: str) -> str:
        """The header's value (stripped), or ``""`` when it is absent."""
        value = self.headers.get(name)
        return "" if value is None else str(value).strip()


class BadRequest(Exception):
    """The request cannot be served as sent; carries the response to answer with."""

    def __init__(self, response: Response, *, close: bool = False) -> None:
        """``close`` also ends the connection (the rest of the stream is untrustworthy)."""
        super().__init__(response.status)
        self.response = response
        self.close = close


def reason(status: int) -> str:
    """The standard reason phrase for ``status`` (``"Error"`` for unknown codes)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def detail(status: int, text: str, **headers: str) -> Response:
    """A ``{"detail": text}`` answer, the shape of the service's errors."""
    return Response(status, {"detail": text}, headers)


NOT_FOUND = detail(404, "Not found.")
UNAUTHENTICATED = detail(
    401, "Authentication credentials were not provided.", **{"WWW-Authenticate": "Bearer"}
)
INVALID_TOKEN = detail(403, "Invalid token.")
