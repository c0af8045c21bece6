"""Entry-point discovery, cached on disk so a warm start skips ``importlib.metadata``.

Scanning every installed distribution costs tens of milliseconds on each
start. The result is cached in ``entry-points.json`` in the user cache folder
(``$LIVELIKE_HOME/cache/`` when ``LIVELIKE_HOME`` is set),
keyed by the interpreter, ``sys.path`` and the modification time of each of
its entries: installing or removing a distribution changes its folder's
time, which invalidates the cache. Set ``LIVELIKE_NO_PLUGIN_CACHE=1`` to
always scan. A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import json
import logging
import os
import sys

import attrs

logger = logging.getLogger("livelike")

NO_CACHE_VARIABLE = "LIVELIKE_NO_PLUGIN_CACHE"
FORMAT = 1


@attrs.frozen
class EntryPoint:
    """What livelike needs of an entry point: its name, value and distribution."""

    name: str
    value: str
    distribution: str
    version: str


def _fingerprint() -> list[list[object]]:
    marks: list[list[object]] = [[sys.executable, sys.version]]
    for entry in sys.path:
        try:
            marks.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            marks.append([entry, None])
    return marks


def _scan(group: str) -> list[EntryPoint]:
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=group):
        dist = getattr(ep, "dist", None)
        name = dist.metadata["Name"] if dist is not None else "unknown"
        version = dist.version if dist is not None else "unknown"
        found.append(EntryPoint(ep.name, ep.value, str(name), str(version)))
    return found


def _cache_path() -> str:
    from livelike._appconfig import cache_home

    return str(cache_home() / "entry-points.json")


def discover(group: str) -> list[EntryPoint]:
    """The entry points of ``group``, from the cache when the environment is unchanged."""
    if os.environ.get(NO_CACHE_VARIABLE):
        return _scan(group)
    path = _cache_path()
    fingerprint = _fingerprint()
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
        if cached.get("format") == FORMAT and cached.get("fingerprint") == fingerprint:
            return [EntryPoint(*item) for item in cached["groups"][group]]
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.debug("ignoring the entry-point cache %s: %s", path, exc)
    found = _scan(group)
    _save(path, fingerprint, group, found)
    return found


def _save(path: str, fingerprint: list[list[object]], group: str, found: list[EntryPoint]) -> None:
    from pathlib import Path

    from livelike.files import write_note

    entry = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "groups": {group: [[e.name, e.value, e.distribution, e.version] for e in found]},
    }
    write_note(Path(path), entry, what="the entry-point cache")
