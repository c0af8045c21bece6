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

from livelike.backends.file import default_home, private_dir
from livelike.hookspecs import hookimpl
from livelike.storage import StorageKey, utcnow

logger = logging.getLogger("livelike")

FILE_NAME = "audit.jsonl"


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
) -> None:
    """Append one event (a creation by default) to the audit log: one ``write`` of
    one line, O_APPEND."""
    target = path or audit_path()
    entry = {
        "time": utcnow().isoformat(),
        "event": event,
        "profile_id": profile_id,
        **key.as_dict(),
        "reason": reason,
    }
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    private_dir(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def entries(path: Path | None = None) -> Iterator[dict[str, Any]]:
    """Every entry of the audit log, oldest first; unreadable lines are skipped."""
    target = path or audit_path()
    try:
        lines = target.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def record(key: StorageKey, event: str, reason: str) -> None:
    """Append an event with no profile id (``"create in doubt"``, ``"lost create
    accepted"``); a failure is logged, never raised."""
    try:
        append(None, key, reason, event=event)
    except OSError as exc:
        logger.warning("could not append %r for %s to the audit log: %s", event, key, exc)


@hookimpl
def livelike_profile_created(profile_id: str, key: StorageKey, reason: str) -> None:
    """Record the creation in the audit log; a failure is logged, never raised."""
    try:
        append(profile_id, key, reason)
    except OSError as exc:
        logger.warning("could not append profile %s to the audit log: %s", profile_id, exc)
