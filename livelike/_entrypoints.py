"""Entry-point discovery, cached on disk so a warm start skips ``importlib.metadata``.

Scanning every installed distribution costs milliseconds on each start. The
result is cached in ``entry-points.json`` in the user cache folder
(``$LIVELIKE_HOME/cache/`` when ``LIVELIKE_HOME`` is set). The cache holds for
the same interpreter while the distributions on ``sys.path`` are the same: for
each ``sys.path`` folder, the names and modification times of the entries
where ``importlib.metadata`` finds distributions (``*.dist-info``,
``*.egg-info``, and ``EGG-INFO`` in an ``.egg`` folder). Installing,
upgrading, reinstalling or removing a distribution changes them. Folders that
hold no distribution do not count, so a script's own folder, the working
folder, or a new file in either leaves the cache valid. A folder whose own
modification time is the one recorded is not listed again. Set
``LIVELIKE_NO_PLUGIN_CACHE=1`` to always scan. A cache that cannot be read or
written is ignored.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import attrs

logger = logging.getLogger("livelike")

NO_CACHE_VARIABLE = "LIVELIKE_NO_PLUGIN_CACHE"
FORMAT = 2


@attrs.frozen
class EntryPoint:
    """What livelike needs of an entry point: its name, value and distribution."""

    name: str
    value: str
    distribution: str
    version: str


_INFO_SUFFIXES = (".dist-info", ".egg-info")

Folders = dict[str, list[Any]]
"""``sys.path`` folder -> [its modification time, {distribution entry: modification time}]."""


def _distributions_in(entry: str, mtime: int, known: Any) -> dict[str, int]:
    """The ``*.dist-info``/``*.egg-info`` entries of one ``sys.path`` folder and their times
    (``known``: what the cache recorded for it, reused while the folder's time is the same)."""
    reusable = isinstance(known, list) and len(known) == 2 and isinstance(known[1], dict)
    if reusable and known[0] == mtime:
        return dict(known[1])
    found: dict[str, int] = {}
    in_egg = entry.lower().endswith(".egg")  # an egg folder keeps its metadata in EGG-INFO
    try:
        with os.scandir(entry or ".") as listing:
            for item in listing:
                name = item.name.lower()
                if name.endswith(_INFO_SUFFIXES) or (in_egg and name == "egg-info"):
                    found[item.name] = item.stat().st_mtime_ns
    except NotADirectoryError:  # a zip file on sys.path: its own time stands for it
        found[""] = mtime
    except OSError:
        pass
    return found


def _folders(known: Folders) -> Folders:
    """Each ``sys.path`` folder as seen now: [modification time, its distributions]."""
    folders: Folders = {}
    for entry in sys.path:
        try:
            mtime = os.stat(entry or ".").st_mtime_ns
        except OSError:
            continue
        absolute = os.path.abspath(entry or ".")
        if absolute not in folders:
            folders[absolute] = [mtime, _distributions_in(entry, mtime, known.get(absolute))]
    return folders


def _fingerprint(folders: Folders) -> list[Any]:
    """What the cache must match: the interpreter, and which folders hold distributions."""
    return [sys.executable, sys.version, [path for path, seen in folders.items() if seen[1]]]


def _unchanged(cached: dict[str, Any], folders: Folders) -> bool:
    known = cached.get("folders")
    if cached.get("fingerprint") != _fingerprint(folders) or not isinstance(known, dict):
        return False
    return all(
        isinstance(known.get(path), list) and known[path][1] == seen[1]
        for path, seen in folders.items()
        if seen[1]
    )


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
    """The entry points of ``group``, from the cache when the distributions are unchanged."""
    if os.environ.get(NO_CACHE_VARIABLE):
        return _scan(group)
    path = _cache_path()
    cached: dict[str, Any] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
        if not isinstance(cached, dict) or cached.get("format") != FORMAT:
            cached = {}
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        logger.debug("ignoring the entry-point cache %s: %s", path, exc)
    known = cached.get("folders")
    folders = _folders(known if isinstance(known, dict) else {})
    try:
        if cached and _unchanged(cached, folders):
            return [EntryPoint(*item) for item in cached["groups"][group]]
    except (KeyError, TypeError, IndexError) as exc:
        logger.debug("ignoring the entry-point cache %s: %s", path, exc)
    found = _scan(group)
    _save(path, folders, group, found)
    return found


def _save(path: str, folders: Folders, group: str, found: list[EntryPoint]) -> None:
    from pathlib import Path

    from livelike.files import write_note

    entry = {
        "format": FORMAT,
        "fingerprint": _fingerprint(folders),
        "folders": folders,
        "groups": {group: [[e.name, e.value, e.distribution, e.version] for e in found]},
    }
    write_note(Path(path), entry, what="the entry-point cache")
