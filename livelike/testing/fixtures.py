"""The ``livelike_isolated`` fixture, kept importable here for test suites that
name this module in ``pytest_plugins``.

Installing livelike-sdk registers it already, with the emulator fixtures,
through the ``livelike`` pytest plugin (see :mod:`livelike.pytest_plugin`).
"""

from __future__ import annotations

from _livelike_pytestplugin import livelike_isolated

__all__ = ["livelike_isolated"]
