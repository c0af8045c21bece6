"""Which backends are consulted, in what order, and where saves go: storage=,
LIVELIKE_STORAGE, the config file, viability, and the backends/token commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import livelike
from livelike import _plugins, errors
from livelike._selection import resolve
from livelike.backends.file import FileBackend
from livelike.backends.memory import MemoryBackend
from livelike.cli import main
from livelike.emulator import Emulator
from livelike.storage import TokenRecord
from tests.conftest import CLIENT_ID, MakeClient, created


class Vault(MemoryBackend):
    """A backend that is never viable here, like a keyring on a headless machine."""

    name = "vault"

    def probe(self) -> None:
        raise RuntimeError("no vault daemon on this machine")


class Extra(MemoryBackend):
    """A third-party backend that joins the default chain."""

    name = "extra"
    persistent = True
    priority = 5

    def in_default_chain(self) -> bool:
        return True


def names(spec: object = None) -> list[str]:
    return [b.name for b in resolve(spec, _plugins.registry()).backends]  # type: ignore[arg-type]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("LIVELIKE_CONFIG", str(path))
    return path


def test_precedence_argument_then_variable_then_config_then_default(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert names() == ["env", "file"]
    config.write_text('storage = ["memory", "file"]\n')
    assert names() == ["memory", "file"]
    monkeypatch.setenv("LIVELIKE_STORAGE", "file")
    assert names() == ["file"]
    assert names("memory") == ["memory"]


def test_config_file_errors_name_the_file(config: Path) -> None:
    config.write_text("storage = [\n")
    with pytest.raises(errors.InvalidArgumentError, match="is not valid TOML") as caught:
        livelike.LiveLike(CLIENT_ID, storage=None)._storage()
    assert str(config) in str(caught.value)
    config.write_text('storage = ["nosuch"]\n')
    with pytest.raises(errors.InvalidArgumentError, match=r"'nosuch' \(from config file"):
        names()
    config.write_text("storage = 3\n")
    with pytest.raises(errors.InvalidArgumentError, match="must be a list of backend names"):
        names()


def test_non_viable_backends_are_left_out_and_named_when_chosen(
    make_client: MakeClient, emulator: Emulator
) -> None:
    registry = _plugins.registry()
    registry.backends["vault"] = Vault()
    registry.backends["extra"] = Extra()
    assert names() == ["env", "file", "extra"]
    assert make_client().init().source == "created"  # the default chain still works
    with pytest.raises(errors.StorageError, match=r"'vault' .* not usable on this machine: no"):
        make_client(storage="vault,file")
    assert created(emulator) == 1


def test_a_backend_filtered_out_by_livelike_load_plugins_is_named_so(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVELIKE_LOAD_PLUGINS", "nothing-of-that-name")
    _plugins.reset_registry()
    with pytest.raises(errors.InvalidArgumentError) as caught:
        make_client(storage="sql").init()
    message = str(caught.value)
    assert "'sql' is installed (livelike-sql 0.1.0) but filtered out by" in message
    assert "LIVELIKE_LOAD_PLUGINS='nothing-of-that-name'" in message
    assert created(emulator) == 0


def test_third_parties_follow_builtins_by_priority() -> None:
    registry = _plugins.registry()
    registry.backends["low"] = type("Low", (Extra,), {"name": "low", "priority": 1})()
    registry.backends["high"] = type("High", (Extra,), {"name": "high", "priority": 9})()
    assert names() == ["env", "file", "high", "low"]


def test_backends_command_shows_order_status_and_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    registry = _plugins.registry()
    registry.backends["vault"] = Vault()
    registry.failures.append(_plugins.PluginFailure("broken", "ImportError: no frobnicate"))
    assert main(["backends", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    rows = {row["name"]: row for row in shown["backends"]}
    assert rows["env"]["order"] == 1
    assert rows["file"]["order"] == 2
    assert rows["file"]["status"] == "primary (saves go here)"
    assert rows["vault"]["order"] is None
    assert rows["vault"]["status"] == "not viable: no vault daemon on this machine"
    assert rows["memory"]["status"] == "available, only when chosen"
    assert rows["file"]["distribution"] == "livelike-sdk"  # what pip installs
    assert all(row["probe_ms"] >= 0 for row in rows.values())
    assert shown["failed_plugins"] == [{"plugin": "broken", "error": "ImportError: no frobnicate"}]
    assert main(["backends"]) == 0
    text = capsys.readouterr().out
    assert "not viable: no vault daemon" in text
    assert "failed plugin broken: ImportError: no frobnicate" in text


def test_token_list_never_shows_tokens(
    make_client: MakeClient, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    alice = make_client().init(subject="alice")
    bob = make_client().init(subject="bob")
    assert main(["token", "list", "--json"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out)["tokens"]
    assert {(i["subject"], i["profile_id"]) for i in listed} == {
        ("alice", alice.id),
        ("bob", bob.id),
    }
    assert all(i["backend"] == "file" for i in listed)
    assert main(["token", "list"]) == 0
    out += capsys.readouterr().out
    for profile in (alice, bob):
        assert str(profile.access_token) not in out
    assert "subject 'alice'" in out


def test_token_migrate_copies_verifies_and_moves_aside(
    make_client: MakeClient, emulator: Emulator, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = _plugins.registry()
    target = Extra()
    registry.backends["extra"] = target
    profile = make_client().init()
    assert (
        main(
            [
                "token",
                "migrate",
                "--to",
                "extra",
                "--client-id",
                CLIENT_ID,
                "--api-url",
                emulator.url,
            ]
        )
        == 0
    )
    assert "moved:" in capsys.readouterr().out
    assert not list((home / "tokens").glob("*.json"))
    assert len(list((home / "forgotten").iterdir())) == 1
    again = make_client(storage="extra").init()
    assert again.id == profile.id
    assert created(emulator) == 1


def test_token_migrate_never_overwrites_a_different_token(
    make_client: MakeClient, emulator: Emulator, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = _plugins.registry()
    registry.backends["extra"] = Extra()
    client = make_client(storage="extra")
    client.init()
    # A different token for the same key in the file backend, saved by hand.
    other = make_client().create_user_profile()
    FileBackend(home).put(client._key("default"), TokenRecord(str(other.access_token)))
    assert main(["token", "migrate", "--to", "extra", "--all"]) == 1
    captured = capsys.readouterr()
    assert "conflict:" in captured.out
    assert "hold a different token" in captured.err
    assert len(list((home / "tokens").glob("*.json"))) == 1


def test_token_migrate_refuses_a_target_that_forgets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "migrate", "--to", "memory", "--all"]) == 1
    assert "cannot migrate into 'memory'" in capsys.readouterr().err


def test_a_token_saved_in_a_backend_not_consulted_stops_init(
    make_client: MakeClient, emulator: Emulator, home: Path
) -> None:
    registry = _plugins.registry()
    registry.backends["extra"] = Extra()
    first = make_client().init()  # saved in the file backend
    with pytest.raises(errors.StorageError, match=r"saved in storage backend 'file'") as caught:
        make_client(storage="extra").init()
    assert "it was not chosen this time" in str(caught.value)
    assert "no profile was created" in str(caught.value)
    assert created(emulator) == 1
    assert make_client().init().id == first.id


def test_a_backend_no_longer_viable_stops_init_instead_of_creating(
    make_client: MakeClient, emulator: Emulator
) -> None:
    class OfflineExtra(Extra):
        def probe(self) -> None:
            raise RuntimeError("no extra daemon in this session")

    _plugins.registry().backends["extra"] = Extra()
    make_client(storage="extra").init()  # saved there, e.g. from a desktop session
    # Later, where that backend cannot work at all (a cron job with no keyring daemon):
    _plugins.reset_registry()
    _plugins.registry().backends["extra"] = OfflineExtra()
    with pytest.raises(errors.StorageError, match="not usable here: no extra daemon"):
        make_client().init()  # the default chain (env, file) has nothing: no guess
    assert created(emulator) == 1


def test_forget_and_migrate_move_the_note_along(
    make_client: MakeClient, emulator: Emulator, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = _plugins.registry()
    registry.backends["extra"] = Extra()
    first = make_client().init()
    assert main(["token", "migrate", "--to", "extra", "--all"]) == 0
    assert make_client(storage="extra").init().id == first.id
    with pytest.raises(errors.StorageError, match="saved in storage backend 'extra'"):
        make_client(storage="file").init()
    assert make_client(storage="extra").forget() == ["extra"]
    assert make_client(storage="file").init().source == "created"
    assert created(emulator) == 2
