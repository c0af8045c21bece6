"""pytest fixtures for testing code against the LiveLike emulator.

Installed as the ``livelike`` pytest plugin (``pytest11`` entry point), so the
fixtures are available in any test suite once ``livelike`` is installed::

    def test_signup(livelike_emulator):
        base_url = livelike_emulator.url  # http://127.0.0.1:PORT/api/v1
        ...  # point your code at base_url
        assert livelike_emulator.stats()["profiles_created_total"] == 1

    def test_outage(livelike_emulator):
        livelike_emulator.inject("create_profile", status=503, times=2)
        ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from livelike.emulator import Emulator

__all__ = ["livelike_emulator", "livelike_emulator_server"]


@pytest.fixture(scope="session")
def livelike_emulator_server() -> Iterator[Emulator]:
    """One emulator for the whole test session (in memory, any client id).

    Prefer ``livelike_emulator``, which also resets it before each test.
    """
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
