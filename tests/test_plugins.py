"""Storage through pluggy: discovery by entry point, broken plugins, the lookup order."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import livelike
from livelike import _plugins, errors
from livelike._selection import default_order
from livelike.backends.memory import MemoryBackend
from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, LockedBackend, MakeClient, created, run_python

PLUGIN = """
import json, pathlib
import livelike
from livelike.storage import StorageBackend, TokenRecord

class JsonDirBackend(StorageBackend):
    name = "jsondir"
    writable = True
    priority = 5

    def __init__(self):
        self.folder = pathlib.Path(__import__("os").environ["JSONDIR"])

    def get(self, key):
        path = self.folder / key.digest
        return TokenRecord.from_dict(json.loads(path.read_text())) if path.exists() else None

    def put(self, key, record):
        self.folder.mkdir(exist_ok=True)
        (self.folder / key.digest).write_text(json.dumps(record.as_dict()))

@livelike.hookimpl
def livelike_register_storage(register):
    register(JsonDirBackend())
"""


def install_fake_distribution(
    site: Path, name: str, modules: dict[str, str], entry_points: str
) -> None:
    """Lay out a distribution as pip would, so importlib.metadata finds its entry points."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    install_fake_distribution(
        folder,
        "livelike_jsondir",
        {"livelike_jsondir": PLUGIN},
        "[livelike]\njsondir = livelike_jsondir\n",
    )
    install_fake_distribution(
        folder,
        "livelike_broken",
        {"livelike_broken": "raise ImportError('missing dependency frobnicate')\n"},
        "[livelike]\nbroken = livelike_broken\n",
    )
    install_fake_distribution(
        folder,
        "livelike_raising",
        {
            "livelike_raising": (
                "import livelike\n"
                "@livelike.hookimpl\n"
                "def livelike_register_storage(register):\n"
                "    raise RuntimeError('cannot reach the vault')\n"
            )
        },
        "[livelike]\nraising = livelike_raising\n",
    )
    install_fake_distribution(
        folder,
        "livelike_subset",
        {"livelike_subset": SUBSET_PLUGIN},
        "[livelike]\nsubset = livelike_subset\n",
    )
    return folder


SUBSET_PLUGIN = """
import livelike

@livelike.hookimpl
def livelike_profile_created(profile_id):
    print("subset plugin saw", profile_id, flush=True)

@livelike.hookimpl
def livelike_register_storag(register):
    raise AssertionError("a hook nobody declared is never called")
"""


def test_a_hook_implementation_may_take_a_subset_of_the_arguments(
    site: Path, emulator: Emulator, home: Path
) -> None:
    env = {
        "PYTHONPATH": str(site),
        "LIVELIKE_API_URL": emulator.url,
        "LIVELIKE_HOME": str(home),
        "LIVELIKE_LOAD_PLUGINS": "subset,raising",
    }
    code = f"import livelike; print('profile', livelike.init({CLIENT_ID!r}).id)"
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert "subset plugin saw " + lines["profile"] in result.stdout
    assert "unexpected keyword" not in result.stderr
    assert created(emulator) == 1


def test_backends_command_reports_a_misspelt_hook_name(site: Path) -> None:
    env: dict[str, str | None] = {"PYTHONPATH": str(site), "LIVELIKE_LOAD_PLUGINS": "subset"}
    result = run_python("from livelike.cli import main; raise SystemExit(main(['backends']))", env)
    assert result.returncode == 0, result.stderr
    assert (
        "plugin subset implements unknown hook 'livelike_register_storag' "
        "(did you mean 'livelike_register_storage'?)" in result.stdout
    )


def test_backends_command_shows_what_each_lock_excludes() -> None:
    result = run_python("from livelike.cli import main; main(['backends', '--json'])", {})
    assert result.returncode == 0, result.stderr
    scopes = {row["name"]: row["lock_scope"] for row in json.loads(result.stdout)["backends"]}
    assert scopes == {"env": "process", "file": "host", "memory": "process"}
    text = run_python("from livelike.cli import main; main(['backends'])", {}).stdout
    assert "LOCK" in text.splitlines()[0]
    assert any(line.split()[1:2] == ["file"] and " host " in line for line in text.splitlines())


def test_third_party_plugin_is_discovered_and_used(
    site: Path, emulator: Emulator, home: Path, tmp_path: Path
) -> None:
    env = {
        "PYTHONPATH": str(site),
        "LIVELIKE_API_URL": emulator.url,
        "LIVELIKE_HOME": str(home),
        "JSONDIR": str(tmp_path / "jsondir"),
        "LIVELIKE_LOAD_PLUGINS": "jsondir,broken,raising",
    }
    code = (
        "import logging, livelike; logging.basicConfig(level=logging.WARNING);"
        f"p = livelike.init({CLIENT_ID!r}, storage='jsondir'); print(p.id, p.source)"
    )
    first = run_python(code, env)
    second = run_python(code, env)
    assert first.returncode == 0, first.stderr
    assert second.stdout.split()[1] == "saved"
    assert first.stdout.split()[0] == second.stdout.split()[0]
    assert len(list((tmp_path / "jsondir").iterdir())) == 1
    assert not (home / "tokens").exists()
    # the broken plugins were logged and left out; they broke nothing
    assert "'broken' could not be loaded: missing dependency frobnicate" in first.stderr
    assert "'raising' failed to register storage: cannot reach the vault" in first.stderr
    assert created(emulator) == 1


def test_third_party_backends_follow_the_builtins(site: Path, tmp_path: Path) -> None:
    code = (
        "from livelike import _plugins; from livelike._selection import default_order;"
        "r = _plugins.registry(); print([b.name for b in default_order(r.backends)]);"
        "print(sorted(f.plugin for f in r.failures))"
    )
    env = {
        "PYTHONPATH": str(site),
        "JSONDIR": str(tmp_path),
        "LIVELIKE_LOAD_PLUGINS": "jsondir,broken,raising",
    }
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    order, failures = result.stdout.splitlines()
    assert order == "['env', 'file', 'jsondir']"
    assert failures == "['broken', 'raising']"


def test_the_default_order_comes_from_priorities_alone() -> None:
    from livelike import _chain

    assert not hasattr(_chain, "BUILTIN_ORDER")

    class First(MemoryBackend):
        name = "first"
        priority = 1000

        def in_default_chain(self) -> bool:
            return True

    backends = {**_plugins.registry().backends, "first": First()}
    assert [b.name for b in default_order(backends)] == ["first", "env", "file"]


def test_default_order_leaves_memory_out() -> None:
    backends = _plugins.registry().backends
    assert [b.name for b in default_order(backends)] == ["env", "file"]
    assert isinstance(backends["memory"], MemoryBackend)


def test_failing_backend_stops_init_and_names_itself(
    make_client: MakeClient, emulator: Emulator
) -> None:
    with pytest.raises(errors.StorageError) as caught:
        make_client(storage=[LockedBackend(), "file"]).init()
    assert caught.value.backend == "locked"
    assert "keyring locked" in str(caught.value)
    assert "no profile was created" in str(caught.value)
    assert created(emulator) == 0


def test_record_found_later_in_the_chain_is_used(
    make_client: MakeClient, emulator: Emulator
) -> None:
    store = MemoryBackend()
    first = make_client(storage=[store]).init(ephemeral=True)
    empty = MemoryBackend()
    again = make_client(storage=[empty, store]).init()
    assert again.id == first.id
    assert created(emulator) == 1


def test_storage_from_the_environment(
    emulator: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_STORAGE", "memory")
    livelike.init(CLIENT_ID, ephemeral=True)
    assert not (home / "tokens").exists()
    monkeypatch.setenv("LIVELIKE_STORAGE", "nosuch")
    with pytest.raises(errors.InvalidArgumentError, match="unknown storage backend 'nosuch'"):
        livelike.init(CLIENT_ID)


def test_every_hook_is_documented_for_plugin_authors() -> None:
    from livelike import hookspecs
    from tests.conftest import ROOT

    docs = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [name for name in dir(hookspecs) if name.startswith("livelike_")]
    assert hooks == ["livelike_profile_created", "livelike_register_storage"]
    for hook in hooks:
        assert f"def {hook}(" in docs


def test_backends_command_shows_broken_plugins_and_still_works(site: Path, tmp_path: Path) -> None:
    env: dict[str, str | None] = {
        "PYTHONPATH": str(site),
        "JSONDIR": str(tmp_path),
        "LIVELIKE_LOAD_PLUGINS": "jsondir,broken,raising",
    }
    result = run_python("from livelike.cli import main; raise SystemExit(main(['backends']))", env)
    assert result.returncode == 0, result.stderr
    assert "jsondir" in result.stdout
    assert "livelike_jsondir 1.0" in result.stdout
    assert "failed plugin broken: ImportError: missing dependency frobnicate" in result.stdout
    assert "failed plugin raising: RuntimeError: cannot reach the vault" in result.stdout


def test_the_isolation_fixture_users_get(livelike_isolated: Path, tmp_path: Path) -> None:
    import os

    assert livelike_isolated.parent == tmp_path
    assert os.environ["LIVELIKE_HOME"] == str(livelike_isolated)
    assert not Path(os.environ["LIVELIKE_CONFIG"]).exists()
    assert {k for k in os.environ if k.startswith("LIVELIKE_")} <= {
        "LIVELIKE_HOME",
        "LIVELIKE_CONFIG",
        "LIVELIKE_LOAD_PLUGINS",  # set by this suite's own conftest
    }
