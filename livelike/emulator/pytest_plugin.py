"""The emulator's pytest fixtures, kept importable here for test suites that name this
module in ``pytest_plugins``.

Installing livelike-sdk registers them already, with ``livelike_isolated``,
through the ``livelike`` pytest plugin (see :mod:`livelike.pytest_plugin`).
"""

from __future__ import annotations

from _livelike_pytestplugin import livelike_emulator, livelike_emulator_server

__all__ = ["livelike_emulator", "livelike_emulator_server"]
