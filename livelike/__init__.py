"""livelike: a Python SDK for LiveLike user profiles that never mints a duplicate.

Example::

    import livelike

    profile = livelike.init("my-client-id")   # reuses the saved profile, or creates one
    livelike.update_user_profile(nickname="Ada")

``requests``, the keyring and SQL plugins and ``importlib.metadata`` are
imported only when first needed, so ``import livelike`` stays light.
"""

from livelike import (
    _logging,  # noqa: F401  (the NullHandler, and LIVELIKE_LOG)
    errors,
)
from livelike._api import adopt, create_user_profile, get_user_profile, init, update_user_profile
from livelike._client import DEFAULT_API_URL, LiveLike
from livelike._profile import Profile
from livelike._version import __version__
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
    "adopt",
    "create_user_profile",
    "errors",
    "get_user_profile",
    "hookimpl",
    "init",
    "update_user_profile",
]
