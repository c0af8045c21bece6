"""livelike-sdk's pytest fixtures, importable here for test suites that name this module
in ``pytest_plugins``.

Installing livelike-sdk registers them already, with the ``livelike_client_ids``
marker and the report of unregistered client ids, through the ``livelike`` pytest
plugin (the top-level module ``_livelike_pytestplugin``, outside this package so
that a suite using none of them does not import the SDK).
"""

from __future__ import annotations

from _livelike_pytestplugin import livelike_emulator, livelike_emulator_server, livelike_isolated

__all__ = ["livelike_emulator", "livelike_emulator_server", "livelike_isolated"]
