"""Plugins cost nothing until used: a warm init consults the backend its token is in."""

from __future__ import annotations

from pathlib import Path

import pytest

from livelike import _plugins
from livelike.backends.memory import MemoryBackend
from livelike.emulator import Emulator
from livelike.storage import StorageKey, TokenRecord
from tests.conftest import CLIENT_ID, MakeClient, created, emulator_key, run_python


class Probed(MemoryBackend):
    """A persistent backend before ``file`` in the default chain, counting its probes
    and lookups (a keyring: its probe imports ``keyring``)."""

    name = "probed"
    persistent = True
    priority = 150
    usable = True

    def __init__(self) -> None:
        super().__init__()
        self.probes = 0
        self.gets = 0

    def in_default_chain(self) -> bool:
        return True

    def probe(self) -> None:
        self.probes += 1
        if not self.usable:
            raise RuntimeError("locked")

    def get(self, key: StorageKey) -> TokenRecord | None:
        self.gets += 1
        return super().get(key)


@pytest.fixture
def probed() -> Probed:
    backend = Probed()
    _plugins.registry().backends["probed"] = backend
    return backend


def test_a_warm_init_never_probes_a_backend_its_token_is_not_in(
    make_client: MakeClient, emulator: Emulator, probed: Probed
) -> None:
    first = make_client(storage="file").init()
    again = make_client().init()
    assert (again.source, again.id) == ("saved", first.id)
    assert (probed.probes, probed.gets) == (0, 0)
    assert created(emulator) == 1


def test_a_miss_probes_the_chain_and_creates_in_its_first_writable_backend(
    make_client: MakeClient, emulator: Emulator, probed: Probed
) -> None:
    make_client(storage="file").init()
    profile = make_client().init(subject="someone-else")
    assert profile.source == "created"
    assert probed.probes == 1
    saved = probed.get(emulator_key(emulator, "someone-else"))
    assert saved is not None
    assert saved.access_token == profile.access_token


def test_a_backend_that_became_usable_is_seen_at_once(
    make_client: MakeClient, emulator: Emulator, probed: Probed
) -> None:
    probed.usable = False
    assert not _plugins.registry().viability(probed).viable
    probed.usable = True
    profile = make_client().init()
    saved = probed.get(emulator_key(emulator))
    assert saved is not None
    assert saved.access_token == profile.access_token


def test_an_earlier_read_only_token_still_wins_over_the_noted_backend(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_client(storage="file").init()
    other = make_client().create_user_profile()
    assert other.access_token is not None
    monkeypatch.setenv("LIVELIKE_ACCESS_TOKEN", other.access_token)
    assert make_client().init().id == other.id


# What a warm init must not import: keyring itself, and what the plugins and livelike
# need only when a keyring call, a forget or a misspelt hook happens.
NOT_ON_THE_WARM_PATH = ("keyring", "concurrent.futures", "secrets", "difflib")
WARM = (
    "import sys, livelike; p = livelike.init({client!r}); "
    f"print(p.source, *[m for m in {NOT_ON_THE_WARM_PATH!r} if m in sys.modules])"
)


def test_a_warm_init_with_the_keyring_plugin_installed_never_imports_keyring_or_its_helpers(
    emulator: Emulator, home: Path
) -> None:
    env = {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
    cold = run_python(WARM.format(client=CLIENT_ID), {**env, "LIVELIKE_STORAGE": "file"})
    assert cold.returncode == 0, cold.stderr
    warm = run_python(WARM.format(client=CLIENT_ID), {**env, "LIVELIKE_LOAD_PLUGINS": None})
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.split() == ["saved"]
    assert created(emulator) == 1
