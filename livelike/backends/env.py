"""The ``env`` backend: a read-only token from ``LIVELIKE_ACCESS_TOKEN``.

It answers for the ``"default"`` subject only (a service keying profiles by
its own users must not map them all to one token), and, when
``LIVELIKE_CLIENT_ID`` is set, only for that client id.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import ClassVar

from livelike.hookspecs import hookimpl
from livelike.storage import StorageBackend, StorageKey, TokenRecord, utcnow

TOKEN_VARIABLE = "LIVELIKE_ACCESS_TOKEN"
CLIENT_ID_VARIABLE = "LIVELIKE_CLIENT_ID"


class EnvBackend(StorageBackend):
    """Reads the token from the environment; never writes."""

    name: ClassVar[str] = "env"
    writable: ClassVar[bool] = False
    persistent: ClassVar[bool] = True
    priority: ClassVar[int] = 300

    def get(self, key: StorageKey) -> TokenRecord | None:
        """The token in ``LIVELIKE_ACCESS_TOKEN`` for the default subject, or None."""
        token = os.environ.get(TOKEN_VARIABLE, "").strip()
        wanted_client = os.environ.get(CLIENT_ID_VARIABLE, "").strip()
        if not token or key.subject != "default":
            return None
        if wanted_client and wanted_client != key.client_id:
            return None
        return TokenRecord(access_token=token, saved_at=utcnow())

    def describe(self) -> str:
        """Names the variable."""
        return f"environment variable {TOKEN_VARIABLE}"


@hookimpl
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``env`` backend."""
    register(EnvBackend())
