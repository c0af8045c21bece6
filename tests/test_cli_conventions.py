"""Command-line conventions: one-line errors and exit codes, versioned --json on every
command, filtered plugins, doctor, completion and --version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from livelike._version import __version__
from livelike.cli import main
from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, created

Captured = pytest.CaptureFixture[str]


def run(capsys: Captured, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def as_json(out: str) -> dict[str, Any]:
    data = json.loads(out)
    assert isinstance(data, dict)
    assert data["version"] == 1
    return data


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv("LIVELIKE_CLIENT_ID", CLIENT_ID)
    return emulator


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        (["token", "migrate"], "the following arguments are required: --to"),
        (["init", "--nope"], "unrecognized arguments: --nope"),
        (["completion", "fish"], "invalid choice: 'fish'"),
        (["profile", "update"], "profile update needs --nickname or --custom-data"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    argv: list[str], expected: str, env: Emulator, capsys: Captured
) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("livelike: error: ")
    assert expected in err


def test_usage_errors_with_json_are_an_error_object_on_stdout(
    env: Emulator, capsys: Captured
) -> None:
    status, out, err = run(capsys, "token", "migrate", "--json")
    assert status == 2
    assert err == ""
    data = as_json(out)
    assert data["error"] == "usage"
    assert "--to" in data["message"]


def test_other_errors_with_json_keep_exit_1(env: Emulator, capsys: Captured) -> None:
    env.inject("config", status=503, times=10)
    status, out, err = run(capsys, "init", "--json")
    assert status == 1
    data = as_json(out)
    assert data["error"] == "ServiceError"
    assert "answered 503" in data["message"]
    assert err == ""
    assert created(env) == 0


def test_profile_show_speaks_of_commands_not_arguments(env: Emulator, capsys: Captured) -> None:
    status, _, err = run(capsys, "profile", "show")
    assert status == 1
    assert err.startswith("livelike: error: no saved profile for client id test-client")
    assert "`livelike init` creates one" in err
    assert "create=False" not in err
    assert created(env) == 0


def test_every_command_prints_versioned_json(env: Emulator, capsys: Captured) -> None:
    status, out, _ = run(capsys, "init", "--json")
    assert status == 0
    profile = as_json(out)
    shapes = {
        ("profile", "show", "--json"): {"id", "nickname", "source"},
        ("profile", "update", "--nickname", "Ada", "--json"): {"id", "nickname"},
        ("backends", "--json"): {"backends", "failed_plugins", "filtered_plugins"},
        ("token", "list", "--json"): {"tokens"},
        ("token", "history", "--json"): {"created", "events", "replaced"},
        ("doctor", "--json"): {"livelike_sdk", "backends", "folders", "api", "problems"},
        ("token", "migrate", "--to", "file", "--json"): {"target", "results"},
        ("token", "forget", "--json"): {"subject", "forgotten_in"},
    }
    for argv, keys in shapes.items():
        status, out, err = run(capsys, *argv)
        assert status == 0, (argv, out, err)
        assert keys <= set(as_json(out)), argv
    listed = as_json(run(capsys, "token", "list", "--json")[1])
    assert listed["tokens"] == []
    assert profile["id"]


def test_backends_exits_non_zero_on_an_unknown_livelike_storage(
    env: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: Captured
) -> None:
    monkeypatch.setenv("LIVELIKE_STORAGE", "nope")
    status, out, _ = run(capsys, "backends")
    assert status == 1
    assert "unknown storage backend 'nope'" in out
    status, out, _ = run(capsys, "backends", "--json")
    assert status == 1
    assert "'nope'" in as_json(out)["chain_error"]


def test_a_backend_hidden_by_livelike_load_plugins_is_reported_as_filtered(
    env: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: Captured
) -> None:
    monkeypatch.setenv("LIVELIKE_LOAD_PLUGINS", "nothing-of-that-name")
    monkeypatch.setenv("LIVELIKE_STORAGE", "sql")
    status, out, _ = run(capsys, "backends", "--json")
    assert status == 1
    data = as_json(out)
    assert {"plugin": "sql", "distribution": "livelike-sql", "version": "0.1.0"} in data[
        "filtered_plugins"
    ]
    assert (
        "installed (livelike-sql 0.1.0) but filtered out by LIVELIKE_LOAD_PLUGINS"
        in (data["chain_error"])
    )
    status, _, err = run(capsys, "init")
    assert status == 1
    assert "filtered out by LIVELIKE_LOAD_PLUGINS='nothing-of-that-name'" in err
    assert created(env) == 0


def test_an_empty_token_history_says_so(env: Emulator, home: Path, capsys: Captured) -> None:
    status, out, _ = run(capsys, "token", "history")
    assert status == 0
    assert "no profiles created" in out
    assert "no tokens replaced for subject 'default'" in out


def test_doctor_reports_versions_backends_folders_and_the_emulator(
    env: Emulator, home: Path, capsys: Captured
) -> None:
    run(capsys, "init")
    status, out, _ = run(capsys, "doctor", "--json")
    report = as_json(out)
    assert status == 0, report["problems"]
    assert report["livelike_sdk"] == __version__
    assert {row["name"]: row["lock_scope"] for row in report["backends"]}["file"] == "host"
    folders = {row["what"]: row for row in report["folders"]}
    assert folders["tokens"]["mode"] == "0o700"
    assert report["api"]["emulator"] == {"url": env.url, "answers": True, "profiles_created": 1}
    status, text, _ = run(capsys, "doctor")
    assert status == 0
    assert "no problems found" in text


def test_doctor_names_the_setting_a_bad_api_url_came_from(
    env: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: Captured
) -> None:
    monkeypatch.setenv("LIVELIKE_API_URL", "ftp://example.com/api/v1")
    status, out, _ = run(capsys, "doctor", "--json")
    assert status == 1
    report = as_json(out)
    assert report["api"]["from"] == "LIVELIKE_API_URL"
    (problem,) = [p for p in report["problems"] if "ftp://" in p["problem"]]
    assert problem["problem"].startswith("LIVELIKE_API_URL")
    assert problem["fix"] == "correct LIVELIKE_API_URL, or unset it"


def test_doctor_says_what_to_fix(
    env: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: Captured
) -> None:
    run(capsys, "init")
    (home / "tokens").chmod(0o755)
    monkeypatch.setenv("LIVELIKE_API_URL", "http://127.0.0.1:9/api/v1")
    status, out, _ = run(capsys, "doctor")
    assert status == 1
    assert f"fix: chmod 700 {home / 'tokens'}" in out
    assert "no livelike emulator answers at http://127.0.0.1:9/api/v1" in out


def test_version_names_the_distribution(capsys: Captured) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"livelike {__version__} (livelike-sdk)"


def test_verbose_logs_to_stderr(env: Emulator) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livelike", "-vv", "init"],
        env={**os.environ, "LIVELIKE_API_URL": env.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "livelike DEBUG POST /api/v1/applications/test-client/profile/ -> 201" in result.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_and_options(capsys: Captured) -> None:
    status, script, _ = run(capsys, "completion", "bash")
    assert status == 0
    probe = (
        script
        + "COMP_WORDS=(livelike token mi); COMP_CWORD=2; _livelike; echo ${COMPREPLY[@]}\n"
        + "COMP_WORDS=(livelike --verbose token migrate --a); COMP_CWORD=4; _livelike; "
        + "echo ${COMPREPLY[@]}\n"
    )
    result = subprocess.run(
        ["bash", "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.stdout.splitlines() == ["migrate", "--api-url --all"]
    status, zsh, _ = run(capsys, "completion", "zsh")
    assert zsh.startswith("#compdef livelike")
    assert "bashcompinit" in zsh
