"""The user's config file: ``config.toml`` in platformdirs' user config dir.

``LIVELIKE_CONFIG`` names another file. Known settings::

    storage = ["keyring", "file"]   # or "keyring,file": backends, in lookup order
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from livelike.errors import InvalidArgumentError

CONFIG_VARIABLE = "LIVELIKE_CONFIG"


def config_path() -> Path:
    """``$LIVELIKE_CONFIG``, else ``config.toml`` in the user config dir."""
    configured = os.environ.get(CONFIG_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("livelike", appauthor=False)) / "config.toml"


def load() -> dict[str, Any]:
    """The settings in the config file; empty when there is no file.

    Raises:
        InvalidArgumentError: the file exists but is not valid TOML or cannot be read.
    """
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read the livelike config file {path}: {exc}") from exc
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(
            f"the livelike config file {path} is not valid TOML: {exc}"
        ) from exc
    return data


def storage_setting() -> tuple[str, str] | None:
    """(comma-separated backend names, where they came from) from the config file, or None."""
    value = load().get("storage")
    if value is None:
        return None
    where = f"config file {config_path()}"
    if isinstance(value, str):
        return value, where
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value), where
    raise InvalidArgumentError(f"'storage' in the {where} must be a list of backend names")
