"""livelike-keyring: save LiveLike access tokens in the operating system's keyring.

Installing this distribution registers the ``keyring`` storage backend with
livelike (entry point ``keyring`` in the ``livelike`` group). livelike then
consults it after ``env`` and before ``file``, and saves new tokens in it,
whenever the active keyring can keep them (see
:meth:`KeyringBackend.probe`); on a machine without a usable keyring it is
left out and tokens go to files as before.

Example::

    import livelike

    livelike.init(client_id)  # the token is saved in the keyring
    livelike.init(client_id, storage="keyring")  # only the keyring, or an error

Importing this module or building the backend does not touch the keyring
(``keyring`` itself is imported at the first call).
"""

from __future__ import annotations

from collections.abc import Callable

import livelike
from livelike.storage import StorageBackend
from livelike_keyring._backend import (
    DEFAULT_SERVICE,
    DEFAULT_TIMEOUT,
    SERVICE_VARIABLE,
    TIMEOUT_VARIABLE,
    KeyringBackend,
)

__all__ = [
    "DEFAULT_SERVICE",
    "DEFAULT_TIMEOUT",
    "SERVICE_VARIABLE",
    "TIMEOUT_VARIABLE",
    "KeyringBackend",
    "livelike_register_storage",
]


@livelike.hookimpl
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register the ``keyring`` backend (cheap: nothing is read until it is used)."""
    register(KeyringBackend())
