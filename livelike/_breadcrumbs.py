"""Where each key's token was last saved, so a run that cannot see that backend
does not read "absent" and create a second, billed profile.

When a token is saved into a persistent backend, a small file
``$LIVELIKE_HOME/where/<key digest>.json`` names the backend and where it
keeps tokens (its ``describe()``: the file folder, the keyring service, the
SQL URL without password and the table; never the token). If a later lookup
finds nothing in the backends it consults, and the note names a backend or a
location it did not consult (not installed, not viable here, not chosen this
time, or configured elsewhere), ``init`` stops with an error instead of
creating. Only :mod:`livelike._chain` uses this module.
Examples: a token saved in the keyring from a desktop session, then a cron job
with no keyring; a token saved in files, then ``LIVELIKE_STORAGE=keyring``.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import attrs

from livelike.errors import StorageError
from livelike.storage import StorageKey, utcnow

logger = logging.getLogger("livelike")


def _path(key: StorageKey) -> Path:
    from livelike.files import default_home

    return default_home() / "where" / f"{key.digest}.json"


@attrs.frozen
class Note:
    """Where a key's token was last saved: the backend's name and its location."""

    backend: str
    location: str | None


def remember(key: StorageKey, backend: str, location: str) -> None:
    """Note that ``key``'s token now lives in ``backend`` at ``location`` (failures are logged)."""
    from livelike.files import write_note

    entry = {
        "key": key.as_dict(),
        "backend": backend,
        "location": location,
        "saved_at": utcnow().isoformat(),
    }
    what = f"the note of where the token for {key} is saved,"
    write_note(_path(key), entry, what=what, level=logging.WARNING)


def forget(key: StorageKey) -> None:
    """Drop the note for ``key`` (its token was forgotten on purpose)."""
    try:
        os.unlink(_path(key))
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.warning("could not drop the note of where %s was saved: %s", key, exc)


def saved_in(key: StorageKey) -> Note | None:
    """Where ``key``'s token was last saved, or None if no note (an old note has no location).

    Raises:
        StorageError: the note exists but cannot be read.
    """
    path = _path(key)
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        backend, location = entry["backend"], entry.get("location")
        if StorageKey.from_dict(entry["key"]) != key or not isinstance(backend, str):
            raise ValueError("not a note for this key")
        if location is not None and not isinstance(location, str):
            raise ValueError("the note's location is not a string")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorageError(
            f"cannot read {path}, the note of where the token for {key} is saved: {exc}; "
            "no profile was created. Remove the file if the token is gone."
        ) from exc
    return Note(backend, location)
