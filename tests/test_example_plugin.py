"""A third-party plugin package installed with pip is discovered and used, and its own
contract tests pass: the path a plugin author follows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, ROOT, created, run_python

EXAMPLE = ROOT / "examples" / "livelike-plugin-example"


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """pip-install the example package into this test environment, and remove it after.

    It is built from a copy, so the build leaves nothing in the source tree.
    """
    source = tmp_path_factory.mktemp("example") / "livelike-plugin-example"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    result = pip("install", "--no-deps", str(source))
    assert result.returncode == 0, result.stderr
    try:
        yield
    finally:
        pip("uninstall", "-y", "livelike-plugin-example")


def test_installed_plugin_is_discovered_and_used(
    installed: None, emulator: Emulator, home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "example-store"
    env: dict[str, str | None] = {
        "LIVELIKE_LOAD_PLUGINS": "example",
        "LIVELIKE_API_URL": emulator.url,
        "LIVELIKE_EXAMPLE_DIR": str(folder),
    }
    listed = run_python("from livelike.cli import main; main(['backends', '--json'])", env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)["backends"]}
    assert rows["example"]["distribution"] == "livelike-plugin-example"
    assert rows["example"]["version"] == "0.1.0"
    assert rows["example"]["viable"] is True
    assert rows["example"]["order"] == 3  # after env and file: third parties come last

    code = f"import livelike; p = livelike.init({CLIENT_ID!r}); print(p.id, p.source)"
    env["LIVELIKE_STORAGE"] = "example"
    first = run_python(code, env)
    second = run_python(code, env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split()[1] == "created"
    assert second.stdout.split() == [first.stdout.split()[0], "saved"]
    assert len(list(folder.glob("*.json"))) == 1
    assert not (home / "tokens").exists()
    assert created(emulator) == 1


def test_load_plugins_variable_keeps_it_out(installed: None) -> None:
    code = "from livelike import _plugins; print(sorted(_plugins.registry().backends))"
    assert "example" in run_python(code, {"LIVELIKE_LOAD_PLUGINS": None}).stdout
    assert "example" not in run_python(code, {"LIVELIKE_LOAD_PLUGINS": ""}).stdout
    assert "example" not in run_python(code, {"LIVELIKE_LOAD_PLUGINS": "other"}).stdout
    assert "example" in run_python(code, {"LIVELIKE_LOAD_PLUGINS": "other,example"}).stdout


def test_the_plugin_passes_its_contract_suite(installed: None, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVELIKE_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(EXAMPLE),
            str(EXAMPLE / "tests"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
