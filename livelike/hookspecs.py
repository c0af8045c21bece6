"""The plugin contract: hooks that storage and audit plugins implement.

A plugin is a module or object with functions marked ``@livelike.hookimpl``,
exposed through the ``livelike`` entry-point group::

    # pyproject.toml of a plugin distribution
    [project.entry-points.livelike]
    mystore = "livelike_mystore"

    # livelike_mystore.py
    import livelike

    @livelike.hookimpl
    def livelike_register_storage(register):
        register(MyBackend())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from livelike.storage import StorageBackend, StorageKey

__all__ = ["hookimpl", "hookspec", "livelike_profile_created", "livelike_register_storage"]

hookspec = pluggy.HookspecMarker("livelike")
hookimpl = pluggy.HookimplMarker("livelike")


@hookspec
def livelike_register_storage(register: Callable[[StorageBackend], None]) -> None:
    """Register storage backends by calling ``register(backend)`` once per backend.

    Called once per process, the first time storage is needed. An exception
    here leaves this plugin's backends out and is logged; other plugins still load.
    """


@hookspec
def livelike_profile_created(profile_id: str, key: StorageKey, reason: str) -> None:
    """Called after livelike created a profile, which counts towards Monthly Active Users.

    ``reason`` is one of ``"no saved token"``, ``"rejected saved token"`` and
    ``"explicit create"``. Use it for metrics or audit; an exception here is
    logged and ignored.
    """
