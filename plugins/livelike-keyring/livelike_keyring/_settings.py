"""The keyring backend's settings: service name, call timeout and lock folder, from
arguments or the environment."""

from __future__ import annotations

import os
from pathlib import Path

from livelike.errors import StorageError
from livelike.files import seconds_setting

__all__ = [
    "DEFAULT_SERVICE",
    "DEFAULT_TIMEOUT",
    "LOCK_DIR_VARIABLE",
    "SERVICE_VARIABLE",
    "TIMEOUT_VARIABLE",
    "lock_folder",
    "service_name",
    "timeout_seconds",
]

NAME = "keyring"
DEFAULT_SERVICE = "livelike"
SERVICE_VARIABLE = "LIVELIKE_KEYRING_SERVICE"
DEFAULT_TIMEOUT = 5.0
TIMEOUT_VARIABLE = "LIVELIKE_KEYRING_TIMEOUT"
LOCK_DIR_VARIABLE = "LIVELIKE_KEYRING_LOCK_DIR"
"""The folder of the keyring's lock files; default: the user's cache folder for livelike."""


def service_name(configured: str | None) -> str:
    """``configured``, else ``$LIVELIKE_KEYRING_SERVICE``, else ``"livelike"``."""
    if configured is not None:
        return configured
    return os.environ.get(SERVICE_VARIABLE, "").strip() or DEFAULT_SERVICE


def timeout_seconds(configured: float | None) -> float:
    """``configured``, else ``$LIVELIKE_KEYRING_TIMEOUT``, else 5.

    Raises:
        StorageError: the variable is not a positive number.
    """
    if configured is not None:
        return configured
    try:
        return seconds_setting(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT)
    except ValueError as exc:
        raise StorageError(str(exc), backend=NAME) from None


def lock_folder() -> Path:
    """Where the keyring's lock files go: one folder per user, as the keyring is.

    ``$LIVELIKE_KEYRING_LOCK_DIR``, else the user's cache folder for livelike
    (``~/.cache/livelike/keyring-locks`` on Linux), whatever ``LIVELIKE_HOME`` is.
    """
    configured = os.environ.get(LOCK_DIR_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("livelike", appauthor=False)) / "keyring-locks"
