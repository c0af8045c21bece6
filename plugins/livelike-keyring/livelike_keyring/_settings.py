"""The keyring backend's settings: service name, call timeout and lock folder, from
arguments or the environment."""

from __future__ import annotations

import math
import os
from pathlib import Path

from livelike.errors import StorageError

__all__ = [
    "DEFAULT_SERVICE",
    "DEFAULT_TIMEOUT",
    "LOCK_DIR_VARIABLE",
    "SERVICE_VARIABLE",
    "TIMEOUT_VARIABLE",
    "lock_folder",
    "positive_seconds",
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


def positive_seconds(value: object) -> bool:
    """Whether ``value`` is a finite positive number (not a bool)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


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
    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not positive_seconds(value):
        raise StorageError(
            f"{TIMEOUT_VARIABLE} must be a positive number of seconds, not {raw!r}", backend=NAME
        )
    return value


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
