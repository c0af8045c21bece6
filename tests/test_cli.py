"""The livelike command, run as a real process against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, created


def cli(*args: str, emulator: Emulator, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "LIVELIKE_API_URL": emulator.url,
        "LIVELIKE_HOME": str(home),
        "LIVELIKE_CLIENT_ID": CLIENT_ID,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "livelike", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_init_then_show_then_update(emulator: Emulator, home: Path) -> None:
    first = cli("init", "--json", emulator=emulator, home=home)
    assert first.returncode == 0, first.stderr
    profile = json.loads(first.stdout)
    assert profile["source"] == "created"
    assert "access_token" not in first.stdout

    shown = cli("profile", "show", "--json", emulator=emulator, home=home)
    assert json.loads(shown.stdout)["id"] == profile["id"]

    updated = cli("profile", "update", "--nickname", "From CLI", emulator=emulator, home=home)
    assert updated.returncode == 0, updated.stderr
    assert "'From CLI'" in updated.stdout
    again = cli("init", emulator=emulator, home=home)
    assert f"profile {profile['id']} 'From CLI': reused from saved token" in again.stdout
    assert created(emulator) == 1


def test_profile_show_never_creates(emulator: Emulator, home: Path) -> None:
    result = cli("profile", "show", emulator=emulator, home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("livelike: error: no saved profile")
    assert len(result.stderr.strip().splitlines()) == 1
    assert created(emulator) == 0


def test_profile_show_says_when_the_saved_token_was_rejected(
    emulator: Emulator, home: Path
) -> None:
    assert cli("init", emulator=emulator, home=home).returncode == 0
    emulator.reset(data=True)  # the service forgot the profile: its token is rejected
    result = cli("profile", "show", emulator=emulator, home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("livelike: error: the saved token for client id")
    assert "was rejected; `livelike init` creates a new profile" in result.stderr
    assert created(emulator) == 0


def test_errors_are_one_line(emulator: Emulator, home: Path) -> None:
    result = cli("init", "--client-id", "bad/id", emulator=emulator, home=home)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "livelike: error: client_id 'bad/id' is malformed: "
        "expected 1 to 128 letters, digits, '-' or '_'"
    ]
    emulator.inject("config", status=503, times=10)
    outage = cli("init", emulator=emulator, home=home, LIVELIKE_API_URL=emulator.url)
    assert outage.returncode == 1
    assert "answered 503" in outage.stderr
    assert "Traceback" not in outage.stderr


def test_missing_client_id_is_a_usage_error(emulator: Emulator, home: Path) -> None:
    result = cli("init", emulator=emulator, home=home, LIVELIKE_CLIENT_ID="")
    assert result.returncode == 2
    assert "pass --client-id or set LIVELIKE_CLIENT_ID" in result.stderr


def test_token_forget_moves_the_file_aside(emulator: Emulator, home: Path) -> None:
    cli("init", emulator=emulator, home=home)
    (saved,) = (home / "tokens").iterdir()
    content = saved.read_bytes()
    result = cli("token", "forget", emulator=emulator, home=home)
    assert result.returncode == 0, result.stderr
    assert "file storage" in result.stdout
    assert not saved.exists()
    (kept,) = (home / "forgotten").iterdir()
    assert kept.read_bytes() == content
    cli("init", emulator=emulator, home=home)
    assert created(emulator) == 2


def test_token_forget_recovers_from_a_corrupt_file(emulator: Emulator, home: Path) -> None:
    cli("init", emulator=emulator, home=home)
    (saved,) = (home / "tokens").iterdir()
    saved.write_text("garbage", encoding="utf-8")
    broken = cli("init", emulator=emulator, home=home)
    assert broken.returncode == 1
    assert str(saved) in broken.stderr
    assert cli("token", "forget", emulator=emulator, home=home).returncode == 0
    assert cli("init", emulator=emulator, home=home).returncode == 0


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["init", "--help"]])
def test_help_and_version(args: list[str], emulator: Emulator, home: Path) -> None:
    result = cli(*args, emulator=emulator, home=home)
    assert result.returncode == 0
    assert "livelike" in result.stdout


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "livelike"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("livelike ")


def test_profile_update_checks_the_nickname_before_any_request(
    emulator: Emulator, home: Path
) -> None:
    cli("init", emulator=emulator, home=home)
    emulator.reset()
    result = cli("profile", "update", "--nickname", "x" * 21, emulator=emulator, home=home)
    assert result.returncode == 1
    assert "nickname must be 1 to 20 characters long, got 21" in result.stderr
    assert emulator.stats()["requests_total"] == 0
    updated = cli("profile", "update", "--nickname", "Fine", emulator=emulator, home=home)
    assert updated.stdout.strip().endswith("'Fine': updated")
