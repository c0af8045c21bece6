"""``livelike doctor``: what is installed, where things are kept, and what to fix.

It reads the local set-up only: versions, plugins, storage backends and their
lock scopes, folders and their modes, the API URL, and (when the API URL is on
this machine) whether the emulator answers there. It never calls the LiveLike
service and never prints a token. Exit status 1 when something needs fixing.
"""

from __future__ import annotations

import argparse
import os
import platform
import stat
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from livelike import _cli_storage
from livelike import _validate as check
from livelike._version import __version__
from livelike.errors import InvalidArgumentError


def _mode(path: Path) -> str | None:
    try:
        return oct(stat.S_IMODE(path.stat().st_mode))
    except OSError:
        return None


def _folders(problems: list[dict[str, str]]) -> list[dict[str, Any]]:
    from livelike._appconfig import cache_home
    from livelike._config import config_path
    from livelike.files import default_home

    home = default_home()
    found = [
        ("data (tokens, notes, locks, audit log)", home),
        ("tokens", home / "tokens"),
        ("cache", cache_home()),
        ("config file", config_path()),
    ]
    rows = []
    for what, path in found:
        mode = _mode(path)
        rows.append({"what": what, "path": str(path), "exists": mode is not None, "mode": mode})
    tokens = home / "tokens"
    if tokens.is_dir() and stat.S_IMODE(tokens.stat().st_mode) & 0o077:
        problems.append(
            {
                "problem": f"{tokens} can be read by other users (mode {_mode(tokens)})",
                "fix": f"chmod 700 {tokens}",
            }
        )
    loose = [p for p in tokens.glob("*.json") if stat.S_IMODE(p.stat().st_mode) & 0o077]
    if loose:
        problems.append(
            {
                "problem": f"{len(loose)} token file(s) in {tokens} can be read by other users",
                "fix": f"chmod 600 {tokens}/*.json",
            }
        )
    if home.exists() and not os.access(home, os.W_OK):
        problems.append(
            {"problem": f"{home} is not writable", "fix": "fix its owner, or set LIVELIKE_HOME"}
        )
    return rows


def _api(args: argparse.Namespace, problems: list[dict[str, str]]) -> dict[str, Any]:
    from livelike._client import API_URL_VARIABLE, api_url_setting

    url, name = api_url_setting(args.api_url or None)
    source = "--api-url" if args.api_url else name if name == API_URL_VARIABLE else "default"
    api: dict[str, Any] = {"url": url, "from": source, "origin": None, "emulator": None}
    try:
        url = check.url(url, name=name)
        api["origin"] = check.origin(url)
    except InvalidArgumentError as exc:
        problems.append({"problem": str(exc), "fix": f"correct {source}, or unset it"})
        return api
    host = urlsplit(url).hostname or ""
    if check.is_loopback(host):
        api["emulator"] = _emulator(url, problems)
    return api


def _emulator(url: str, problems: list[dict[str, str]]) -> dict[str, Any]:
    from livelike.emulator import EmulatorClient

    try:
        stats = EmulatorClient(url, timeout=2.0).stats()
    except Exception as exc:
        port = urlsplit(url).port or 80
        problems.append(
            {
                "problem": f"no livelike emulator answers at {url} ({type(exc).__name__})",
                "fix": f"start one (livelike emulator --port {port}), or unset the API URL",
            }
        )
        return {"url": url, "answers": False}
    return {
        "url": url,
        "answers": True,
        "profiles_created": stats.get("profiles_created_total"),
    }


def _check_storage(
    rows: list[dict[str, Any]], chain_error: str | None, problems: list[dict[str, str]]
) -> None:
    if chain_error:
        problems.append(
            {
                "problem": chain_error,
                "fix": "name installed, viable backends in LIVELIKE_STORAGE or config.toml "
                "(see livelike backends)",
            }
        )
    elif not any(r["order"] and r["writable"] and r["persistent"] for r in rows):
        problems.append(
            {
                "problem": "no storage backend in the chain keeps tokens after the process exits",
                "fix": "choose file (LIVELIKE_STORAGE=file) or install livelike-keyring",
            }
        )
    from livelike._plugins import registry

    for failure in registry().failures:
        problems.append(
            {
                "problem": f"plugin {failure.plugin} failed to load: {failure.error}",
                "fix": f"reinstall or uninstall the distribution of {failure.plugin}",
            }
        )


def doctor(args: argparse.Namespace) -> int:
    """Print the report (``--json``: one object); return 1 when something needs fixing."""
    problems: list[dict[str, str]] = []
    rows, chain_error = _cli_storage.backend_rows(args)
    _check_storage(rows, chain_error, problems)
    report: dict[str, Any] = {
        "livelike_sdk": __version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "platform": platform.platform(terse=True),
        "backends": [
            {k: row[k] for k in ("name", "distribution", "version", "order", "status")}
            | {"lock_scope": row["lock_scope"]}
            for row in rows
        ],
        "filtered_plugins": _cli_storage.filtered_plugins(),
        "folders": _folders(problems),
        "api": _api(args, problems),
        "client_id": args.client_id,
        "problems": problems,
    }
    if args.json:
        _cli_storage.emit(report)
    else:
        _print(report)
    return 1 if problems else 0


def _print(report: dict[str, Any]) -> None:
    print(
        f"livelike-sdk {report['livelike_sdk']}, Python {report['python']} ({report['executable']})"
    )
    print("storage backends (order, name, distribution, lock scope, status):")
    for row in report["backends"]:
        order = row["order"] or "-"
        dist = f"{row['distribution']} {row['version']}"
        print(f"  {order:<3}{row['name']:<10}{dist:<26}{row['lock_scope']:<9}{row['status']}")
    for plugin in report["filtered_plugins"]:
        print(f"  -  {plugin['plugin']:<10}filtered out by LIVELIKE_LOAD_PLUGINS")
    print("folders:")
    for folder in report["folders"]:
        mode = folder["mode"] or "missing"
        print(f"  {folder['what']}: {folder['path']} ({mode})")
    api = report["api"]
    print(f"API: {api['url']} (from {api['from']})")
    emulator = api["emulator"]
    if emulator is not None and emulator["answers"]:
        print(f"emulator: answers at {emulator['url']}, {emulator['profiles_created']} created")
    if not report["client_id"]:
        print("client id: not set (--client-id or LIVELIKE_CLIENT_ID)")
    if not report["problems"]:
        print("no problems found")
    for problem in report["problems"]:
        print(f"problem: {problem['problem']}\n  fix: {problem['fix']}")
