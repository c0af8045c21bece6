"""The local audit log of created profiles: a default plugin on ``livelike_profile_created``.

Each creation appends one JSON line to ``$LIVELIKE_HOME/audit.jsonl`` (0600):
time, event, profile id, key and reason. Creates whose answer was lost
(``"create in doubt"``) and the acceptance of such a loss (``"lost create
accepted"``) are recorded too. It never holds a token. ``livelike token
history`` prints it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from livelike.files import default_home, private_dir
from livelike.hookspecs import hookimpl
from livelike.storage import StorageKey, utcnow

logger = logging.getLogger("livelike")

FILE_NAME = "audit.jsonl"
CREATE_EVENTS = ("created", "create in doubt", "lost create accepted")
"""The events ``livelike token history`` shows: creations, and creates whose answer was lost."""


def audit_path() -> Path:
    """Where the audit log lives."""
    return default_home() / FILE_NAME


def append(
    profile_id: str | None,
    key: StorageKey,
    reason: str,
    path: Path | None = None,
    *,
    event: str = "created",
    **details: str,
) -> None:
    """Append one event (a creation by default) to the audit log: one ``write`` of one
    line, O_APPEND, never a token; ``details`` are extra fields of the line."""
    entry = {"event": event, "profile_id": profile_id, **key.as_dict(), "reason": reason}
    _write({**entry, **details}, path)


def _write(fields: dict[str, Any], path: Path | None) -> None:
    target = path or audit_path()
    entry = {"time": utcnow().isoformat(), **fields}
    # ASCII escapes keep U+2028, U+0085 and the like from splitting the line for readers.
    line = (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")
    private_dir(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def entries(path: Path | None = None, *, every: bool = False) -> Iterator[dict[str, Any]]:
    """Every event of a create's life in the audit log (:data:`CREATE_EVENTS`;
    ``every``: every line), oldest first.

    Unreadable lines are skipped.

    Lines end only at a newline byte (not at U+2028 or U+0085 inside a value), and
    bytes that are not UTF-8 are read as U+FFFD rather than failing the read.
    """
    target = path or audit_path()
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        return
    for raw in data.split(b"\n"):
        try:
            entry = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError:
            continue
        if isinstance(entry, dict) and (every or entry.get("event", "created") in CREATE_EVENTS):
            yield entry


def record(
    key: StorageKey, event: str, reason: str, *, profile_id: str | None = None, **details: str
) -> None:
    """Append an event other than a creation (``"create in doubt"``, ``"adopted"``, a
    retired token a backend dropped...); a failure is logged, never raised.

    :func:`entries` leaves such lines out unless asked for every line.
    """
    try:
        append(profile_id, key, reason, None, event=event, **details)
    except OSError as exc:
        logger.warning("could not append %r for %s to the audit log: %s", event, key, exc)


@hookimpl
def livelike_profile_created(profile_id: str, key: StorageKey, reason: str) -> None:
    """Record the creation in the audit log; a failure is logged, never raised."""
    try:
        append(profile_id, key, reason)
    except OSError as exc:
        logger.warning("could not append profile %s to the audit log: %s", profile_id, exc)
