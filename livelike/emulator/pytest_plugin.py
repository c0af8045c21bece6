"""pytest fixtures for testing code against the LiveLike emulator.

Installed as the ``livelike`` pytest plugin (``pytest11`` entry point), so the
fixtures are available in any test suite once ``livelike`` is installed::

    @pytest.mark.livelike_client_ids("my-client-id")
    def test_signup(livelike_emulator):
        base_url = livelike_emulator.url  # http://127.0.0.1:PORT/api/v1
        ...  # point your code at base_url (LIVELIKE_API_URL is set to it)
        assert livelike_emulator.stats()["profiles_created_total"] == 1

    def test_outage(livelike_emulator):
        livelike_emulator.add_client("my-client-id")
        livelike_emulator.inject("create_profile", status=503, times=2)
        ...

Only the client ids a test registers (and ``demo``) are served, as on the
real service; when a test fails after asking for an unregistered client id,
its report names that id. The emulator itself is imported only when a
fixture is used, so installing livelike costs other test suites nothing.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from livelike.emulator import Emulator

__all__ = ["livelike_emulator", "livelike_emulator_server"]

_MARKER = "livelike_client_ids"
_EMULATOR_KEY = pytest.StashKey["Emulator"]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``livelike_client_ids`` marker."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(*client_ids): client ids the livelike_emulator fixture serves in this test",
    )


@pytest.fixture(scope="session")
def livelike_emulator_server() -> Iterator[Emulator]:
    """One emulator for the whole test session (in memory).

    Prefer ``livelike_emulator``, which also resets it before each test.
    """
    from livelike.emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def livelike_emulator(
    livelike_emulator_server: Emulator,
    livelike_isolated: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Emulator]:
    """The session's emulator, reset (profiles, tokens, stats, faults, client ids) for this test.

    The test is isolated like ``livelike_isolated`` (a private
    ``LIVELIKE_HOME``, no outside ``LIVELIKE_*`` settings) and
    ``LIVELIKE_API_URL`` points at the emulator. Client ids from the
    ``livelike_client_ids`` marker are registered; ``.add_client(...)``
    registers more. Use ``.url`` as the API base URL, ``.stats()`` to count
    requests and created profiles, ``.inject(...)`` to simulate failures.
    Faults still queued when the test ends are cleared.
    """
    emulator = livelike_emulator_server
    emulator.reset(data=True, clients=True)
    for marker in request.node.iter_markers(_MARKER):
        emulator.add_client(*marker.args)
    monkeypatch.setenv("LIVELIKE_API_URL", emulator.url)
    request.node.stash[_EMULATOR_KEY] = emulator
    yield emulator
    emulator.clear_faults()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Name the unregistered client ids a failed test asked the emulator for."""
    report = yield
    emulator = item.stash.get(_EMULATOR_KEY, None)
    if emulator is None or not report.failed or not emulator.running:
        return report
    unknown = emulator.stats()["unknown_client_ids"]
    if unknown:
        names = ", ".join(repr(client_id) for client_id in unknown)
        report.sections.append(
            (
                "livelike emulator",
                f"requests for client id(s) not registered with the emulator: {names} (404).\n"
                f"Register them with @pytest.mark.{_MARKER}({names}) or "
                f"livelike_emulator.add_client({names}).",
            )
        )
    return report
