"""The pytest plugin installed with livelike-sdk: the ``livelike_emulator`` and
``livelike_isolated`` fixtures.

Registered as the ``livelike`` pytest plugin (``pytest11`` entry point), so any
test suite in an environment with livelike-sdk can use the fixtures::

    @pytest.fixture(autouse=True)
    def _no_real_tokens(livelike_isolated):
        pass

    @pytest.mark.livelike_client_ids("client")
    def test_signup(livelike_emulator):  # isolated like livelike_isolated
        profile = livelike.init("client")  # LIVELIKE_API_URL points at the emulator
        assert livelike_emulator.stats()["profiles_created_total"] == 1

    def test_outage(livelike_emulator):
        livelike_emulator.inject("create_profile", status=503, times=2)

Only the client ids a test registers (and ``demo``) are served, as on the
real service; when a test fails after asking for an unregistered client id,
its report names that id.

A test suite that uses none of the fixtures pays only for importing this
module: it lives outside the ``livelike`` package (as hypothesis does with
``_hypothesis_pytestplugin``) because importing ``livelike`` imports the SDK
and attrs, and the emulator and the SDK are imported inside the fixtures.
:mod:`livelike.pytest_plugin` names the same fixtures for suites that list it
in ``pytest_plugins``.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
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
