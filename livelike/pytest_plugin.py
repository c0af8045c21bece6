"""The pytest plugin installed with livelike-sdk: the ``livelike_emulator`` and
``livelike_isolated`` fixtures.

Registered as the ``livelike`` pytest plugin (``pytest11`` entry point), so any
test suite in an environment with livelike-sdk can use the fixtures::

    @pytest.fixture(autouse=True)
    def _no_real_tokens(livelike_isolated):
        pass

    def test_signup(livelike_isolated, livelike_emulator):
        profile = livelike.init("client", api_url=livelike_emulator.url)
        assert livelike_emulator.stats()["profiles_created_total"] == 1

    def test_outage(livelike_emulator):
        livelike_emulator.inject("create_profile", status=503, times=2)

A test suite that uses none of them pays only for importing this module: the
emulator and the SDK are imported inside the fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from livelike.emulator import Emulator

__all__ = ["livelike_emulator", "livelike_emulator_server", "livelike_isolated"]


_OUTSIDE = {name: value for name, value in os.environ.items() if name.startswith("LIVELIKE_")}
"""The ``LIVELIKE_*`` variables pytest started with (this plugin loads before any test)."""


def _from_outside(name: str) -> bool:
    return name in _OUTSIDE and os.environ.get(name) == _OUTSIDE[name]


@pytest.fixture(scope="session")
def livelike_emulator_server() -> Iterator[Emulator]:
    """One emulator for the whole test session (in memory, any client id).

    Prefer ``livelike_emulator``, which also resets it before each test.
    """
    from livelike.emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def livelike_emulator(livelike_emulator_server: Emulator) -> Iterator[Emulator]:
    """The session's emulator, reset (profiles, tokens, stats, faults) before this test.

    Use ``livelike_emulator.url`` as the API base URL, ``.stats()`` to count
    requests and created profiles, and ``.inject(...)`` to simulate failures.
    Faults still queued when the test ends are cleared.
    """
    livelike_emulator_server.reset(data=True)
    yield livelike_emulator_server
    livelike_emulator_server.clear_faults()


@pytest.fixture
def livelike_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private ``LIVELIKE_HOME`` for this test; yields that folder (it may not exist yet).

    Every ``LIVELIKE_*`` variable from outside is removed, the user's config
    file is hidden (``LIVELIKE_CONFIG`` points at a missing file), and the
    loaded plugins and the default client of ``livelike.init`` are reset
    before and after the test. A ``LIVELIKE_*`` variable a fixture of the
    test set before this one ran is kept (so is its ``LIVELIKE_HOME``, if it
    chose one). Plugins installed in the environment still load; set
    ``LIVELIKE_LOAD_PLUGINS`` in your test to change that.
    """
    from livelike import _api, _plugins

    for name in list(os.environ):
        if name.startswith("LIVELIKE_") and _from_outside(name):
            monkeypatch.delenv(name)
    home = Path(os.environ.get("LIVELIKE_HOME") or tmp_path / "livelike-home")
    monkeypatch.setenv("LIVELIKE_HOME", str(home))
    if "LIVELIKE_CONFIG" not in os.environ:
        monkeypatch.setenv("LIVELIKE_CONFIG", str(tmp_path / "livelike-config-absent.toml"))
    _api.reset()
    _plugins.reset_registry()
    yield home
    _api.reset()
    _plugins.reset_registry()
