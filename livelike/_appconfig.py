"""A disk cache of each application's config, so a warm ``init`` makes one request.

One JSON file per (API origin, client id) in :func:`cache_home` (platformdirs'
user cache folder, or ``$LIVELIKE_HOME/cache/`` when ``LIVELIKE_HOME`` is set),
written atomically. The cache is only a shortcut: a file that cannot be read
or written is ignored (logged at DEBUG), and a config whose profile URL stops
working is dropped and fetched again by the client.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from livelike.files import HOME_VARIABLE, default_home

logger = logging.getLogger("livelike")

DEFAULT_TTL = 3600.0


def cache_home() -> Path:
    """Where livelike keeps caches (application configs, entry points).

    ``$LIVELIKE_HOME/cache`` when ``LIVELIKE_HOME`` is set (everything stays under
    it), else platformdirs' user cache folder for livelike: caches are not data,
    and may be deleted at any time.
    """
    if os.environ.get(HOME_VARIABLE):
        return default_home() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("livelike", appauthor=False))


class AppConfigCache:
    """Cached application configs under ``folder``, fresh for ``ttl`` seconds."""

    def __init__(self, folder: Path, ttl: float = DEFAULT_TTL) -> None:
        self.folder = folder
        self.ttl = ttl

    def _path(self, api_origin: str, client_id: str) -> Path:
        digest = hashlib.sha256(f"{api_origin}\x00{client_id}".encode()).hexdigest()[:32]
        return self.folder / f"app-{digest}.json"

    def get(self, api_origin: str, client_id: str) -> dict[str, Any] | None:
        """The cached config if it is fresh, else None."""
        if self.ttl <= 0:
            return None
        path = self._path(api_origin, client_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            age = time.time() - float(data["fetched_at"])
            config = data["config"]
            if data["client_id"] != client_id or data["api_origin"] != api_origin:
                return None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.debug("ignoring the unreadable config cache %s: %s", path, exc)
            return None
        if not 0 <= age < self.ttl or not isinstance(config, dict):
            return None
        return config

    def put(self, api_origin: str, client_id: str, config: dict[str, Any]) -> None:
        """Save a freshly fetched config (failures are logged, never raised)."""
        if self.ttl <= 0:
            return
        from livelike.files import write_note

        entry = {
            "api_origin": api_origin,
            "client_id": client_id,
            "fetched_at": time.time(),
            "config": config,
        }
        write_note(self._path(api_origin, client_id), entry, what="the config cache")

    def drop(self, api_origin: str, client_id: str) -> None:
        """Forget a config that stopped working."""
        with contextlib.suppress(OSError):
            self._path(api_origin, client_id).unlink()
