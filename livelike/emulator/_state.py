"""What the emulator's handlers share: settings, registered client ids, stats and faults."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from livelike.emulator._faults import ROUTE_NAMES, Fault
from livelike.emulator._store import ProfileStore

__all__ = ["CLIENT_ID_PATTERN", "DEFAULT_CLIENT_ID", "EmulatorState", "check_client_id"]

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
"""Client ids the emulator can register (anything else is always 404)."""

DEFAULT_CLIENT_ID = "demo"
"""The client id every emulator serves without being told."""


def check_client_secret(client_id: str, secret: object) -> str:
    """Return ``secret`` if it can sign tokens, else raise ValueError (never showing it)."""
    if not isinstance(secret, str) or not secret.strip():
        raise ValueError(f"the client secret of {client_id!r} must be a non-empty string")
    return secret


def check_client_id(client_id: object) -> str:
    """Return ``client_id`` if it is well formed, else raise ValueError naming it."""
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.match(client_id):
        raise ValueError(f"invalid client id {client_id!r}: use 1-128 of A-Z a-z 0-9 _ -")
    return client_id


class EmulatorState:
    """Settings, the client id registry, the store, counters and queued faults.

    ``client_ids`` are registered on top of :data:`DEFAULT_CLIENT_ID`;
    ``any_client_id`` serves every well-formed id instead. ``public_url``
    (``scheme://host[:port]``) fixes the address written into config and
    profile URLs; without it they follow each request's ``Host`` header.
    ``control_token``, when set, is required on the ``/_emulator/`` routes.
    ``client_secrets`` maps client ids (registered too) to the secret that
    signs their client-generated tokens; secrets are never shown back.
    """

    def __init__(
        self,
        client_ids: Iterable[str] = (),
        *,
        any_client_id: bool = False,
        public_url: str | None = None,
        control_token: str | None = None,
        client_secrets: Mapping[str, str] | None = None,
    ) -> None:
        """Create empty stats and faults; ``store`` is attached when the server starts."""
        secrets = _checked_secrets(client_secrets or {})
        self._initial = frozenset({DEFAULT_CLIENT_ID, *map(check_client_id, client_ids), *secrets})
        self._initial_secrets = secrets
        self._secrets = dict(secrets)
        self.any_client_id = any_client_id
        self.public_url = public_url
        self.control_token = control_token
        self.store: ProfileStore | None = None
        self._lock = threading.Lock()
        self._clients = set(self._initial)
        self._unknown: set[str] = set()
        self._requests: dict[str, int] = dict.fromkeys(ROUTE_NAMES, 0)
        self._created: dict[str, int] = {}
        self._faults: dict[str, deque[Fault]] = {}

    # --- client ids

    def add_clients(self, client_ids: Iterable[str]) -> None:
        """Register more client ids (ValueError, and nothing added, if one is malformed)."""
        checked = [check_client_id(client_id) for client_id in client_ids]
        with self._lock:
            self._clients.update(checked)

    def add_secrets(self, client_secrets: Mapping[str, str]) -> None:
        """Register client ids with their client secrets (ValueError: nothing changed)."""
        checked = _checked_secrets(client_secrets)
        with self._lock:
            self._clients.update(checked)
            self._secrets.update(checked)

    def client_secret(self, client_id: str) -> str | None:
        """The client id's secret for client-generated tokens, or None."""
        with self._lock:
            return self._secrets.get(client_id)

    def client_ids_with_secret(self) -> list[str]:
        """The client ids that have a client secret, sorted (never the secrets)."""
        with self._lock:
            return sorted(self._secrets)

    def client_ids(self) -> list[str]:
        """The registered client ids, sorted."""
        with self._lock:
            return sorted(self._clients)

    def client_allowed(self, client_id: str) -> bool:
        """Whether ``client_id`` is served; an unknown one is remembered for :meth:`stats`."""
        if not CLIENT_ID_PATTERN.match(client_id):
            return False
        with self._lock:
            if self.any_client_id or client_id in self._clients:
                return True
            self._unknown.add(client_id)
            return False

    # --- counters

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
                "unknown_client_ids": sorted(self._unknown),
            }

    # --- faults

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

    def reset(self, *, data: bool = False, clients: bool = False) -> None:
        """Clear stats and faults; ``data`` also deletes every profile and token,
        ``clients`` forgets client ids registered after start."""
        with self._lock:
            self._requests = dict.fromkeys(ROUTE_NAMES, 0)
            self._created = {}
            self._unknown = set()
            self._faults.clear()
            if clients:
                self._clients = set(self._initial)
                self._secrets = dict(self._initial_secrets)
        if data and self.store is not None:
            self.store.clear()


def _checked_secrets(client_secrets: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(client_secrets, Mapping):
        raise ValueError("client secrets must be a mapping of client id to secret")
    return {
        check_client_id(client_id): check_client_secret(str(client_id), secret)
        for client_id, secret in client_secrets.items()
    }
