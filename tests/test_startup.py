"""Start-up cost: what ``import livelike`` and a warm init import, and the entry-point cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from livelike.emulator import Emulator
from tests.conftest import CLIENT_ID, environment, run_python
from tests.test_plugins import install_fake_distribution

HEAVY = ("requests", "urllib3", "keyring", "sqlalchemy", "importlib.metadata")
LATE_PLUGIN = (
    "import livelike\n"
    "from livelike.backends.memory import MemoryBackend\n"
    "class Late(MemoryBackend):\n    name = 'late'\n"
    "@livelike.hookimpl\n"
    "def livelike_register_storage(register):\n    register(Late())\n"
)
REPORT = "import sys, json; print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"


def loaded_after(code: str, env: dict[str, str | None]) -> list[str]:
    result = run_python(code + "\n" + REPORT.format(heavy=HEAVY), env)
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_import_livelike_imports_no_http_keyring_or_sql() -> None:
    assert loaded_after("import livelike", {}) == []


def test_the_pytest_plugin_imports_neither_the_sdk_nor_attrs() -> None:
    # pytest loads it in every test run of an environment with livelike-sdk installed
    code = "import sys, _livelike_pytestplugin; print({'livelike', 'attrs'} & set(sys.modules))"
    result = run_python(code, {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "set()"


def test_token_list_runs_without_requests(emulator: Emulator, home: Path) -> None:
    env: dict[str, str | None] = {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
    assert run_python(f"import livelike; livelike.init({CLIENT_ID!r})", env).returncode == 0
    code = "from livelike.cli import main; main(['token', 'list'])"
    assert "requests" not in loaded_after(code, env)


def test_warm_init_without_validation_imports_no_http_library(
    emulator: Emulator, home: Path
) -> None:
    env: dict[str, str | None] = {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
    init = f"import livelike; livelike.init({CLIENT_ID!r}, validate=False)"
    assert run_python(init, env).returncode == 0  # cold: creates, fills the caches
    assert loaded_after(init, env) == []  # warm: no HTTP library


def test_entry_point_cache_sees_a_newly_installed_plugin(tmp_path: Path, home: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    env: dict[str, str | None] = {
        "PYTHONPATH": str(site),
        "LIVELIKE_HOME": str(home),
        "LIVELIKE_LOAD_PLUGINS": "late",
    }
    code = "from livelike import _plugins; print(sorted(_plugins.registry().backends))"
    assert run_python(code, env).stdout.split("\n")[0] == "['env', 'file', 'memory']"
    assert (home / "cache" / "entry-points.json").exists()
    assert "importlib.metadata" not in loaded_after(code, env)  # the cache answered
    install_fake_distribution(
        site,
        "livelike_late",
        {"livelike_late": LATE_PLUGIN},
        "[livelike]\nlate = livelike_late\n",
    )
    assert run_python(code, env).stdout.split("\n")[0] == "['env', 'file', 'late', 'memory']"


def run_script(folder: Path, env: dict[str, str | None]) -> list[str]:
    """Run a script saved in ``folder``, from ``folder``; return the backends and the
    heavy modules it loaded, printed on its last two lines."""
    script = folder / "start.py"
    script.write_text(
        "from livelike import _plugins\nprint(sorted(_plugins.registry().backends))\n"
        + REPORT.format(heavy=HEAVY)
        + "\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-2:]


def site_with_late_plugin(tmp_path: Path, home: Path) -> dict[str, str | None]:
    """A ``tmp_path/site`` folder with the ``late`` plugin installed, and the environment
    that puts it on ``sys.path`` and loads it."""
    site = tmp_path / "site"
    site.mkdir()
    install_fake_distribution(
        site, "livelike_late", {"livelike_late": LATE_PLUGIN}, "[livelike]\nlate = livelike_late\n"
    )
    return {"PYTHONPATH": str(site), "LIVELIKE_HOME": str(home), "LIVELIKE_LOAD_PLUGINS": "late"}


def test_entry_point_cache_survives_new_files_and_scripts_in_other_folders(
    tmp_path: Path, home: Path
) -> None:
    env = site_with_late_plugin(tmp_path, home)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    assert run_script(first, env)[0] == "['env', 'file', 'late', 'memory']"  # scans, saves
    (first / "server.log").write_text("a new file in the script's folder\n")
    backends, loaded = run_script(first, env)
    assert backends == "['env', 'file', 'late', 'memory']"
    assert "importlib.metadata" not in loaded  # the cache answered
    backends, loaded = run_script(second, env)  # another script folder on sys.path
    assert backends == "['env', 'file', 'late', 'memory']"
    assert "importlib.metadata" not in loaded


def test_entry_point_cache_sees_a_removed_plugin(tmp_path: Path, home: Path) -> None:
    env = site_with_late_plugin(tmp_path, home)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    assert run_script(scripts, env)[0] == "['env', 'file', 'late', 'memory']"
    shutil.rmtree(
        tmp_path / "site" / "livelike_late-1.0.dist-info"
    )  # uninstalled; its module stays
    assert run_script(scripts, env)[0] == "['env', 'file', 'memory']"


def test_entry_point_cache_sees_a_plugin_in_an_egg_folder(tmp_path: Path, home: Path) -> None:
    env = site_with_late_plugin(tmp_path, home)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    assert run_script(scripts, env)[0] == "['env', 'file', 'late', 'memory']"
    egg = tmp_path / "livelike_eggy-1.0-py3.egg"  # an old-style egg: metadata in EGG-INFO
    (egg / "EGG-INFO").mkdir(parents=True)
    (egg / "EGG-INFO" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: livelike-eggy\n")
    (egg / "EGG-INFO" / "entry_points.txt").write_text("[livelike]\neggy = livelike_eggy\n")
    (egg / "livelike_eggy.py").write_text(LATE_PLUGIN.replace("'late'", "'eggy'"))
    env = {**env, "PYTHONPATH": f"{env['PYTHONPATH']}{os.pathsep}{egg}"}
    env["LIVELIKE_LOAD_PLUGINS"] = "late,eggy"
    assert run_script(scripts, env)[0] == "['eggy', 'env', 'file', 'late', 'memory']"
