"""livelike: a Python SDK for LiveLike user profiles that never mints a duplicate.

Example::

    import livelike

    profile = livelike.init("my-client-id")   # reuses the saved profile, or creates one
    livelike.update_user_profile(nickname="Ada")

The names below are imported on first use, so ``import livelike`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from livelike import _logging  # noqa: F401  (the NullHandler, and LIVELIKE_LOG)
from livelike._version import __version__

if TYPE_CHECKING:
    from livelike import errors
    from livelike._api import create_user_profile, get_user_profile, init, update_user_profile
    from livelike._client import DEFAULT_API_URL, LiveLike
    from livelike._profile import Profile
    from livelike.errors import LiveLikeError
    from livelike.hookspecs import hookimpl
    from livelike.storage import StorageBackend, StorageKey, TokenRecord

__all__ = [
    "DEFAULT_API_URL",
    "LiveLike",
    "LiveLikeError",
    "Profile",
    "StorageBackend",
    "StorageKey",
    "TokenRecord",
    "__version__",
    "create_user_profile",
    "errors",
    "get_user_profile",
    "hookimpl",
    "init",
    "update_user_profile",
]

_WHERE = {
    "DEFAULT_API_URL": "livelike._client",
    "LiveLike": "livelike._client",
    "LiveLikeError": "livelike.errors",
    "Profile": "livelike._profile",
    "StorageBackend": "livelike.storage",
    "StorageKey": "livelike.storage",
    "TokenRecord": "livelike.storage",
    "create_user_profile": "livelike._api",
    "get_user_profile": "livelike._api",
    "hookimpl": "livelike.hookspecs",
    "init": "livelike._api",
    "update_user_profile": "livelike._api",
}


def __getattr__(name: str) -> Any:
    if name == "errors":
        return importlib.import_module("livelike.errors")
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'livelike' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
