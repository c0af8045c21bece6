"""LiveLike's own web SDK (``@livelike/javascript`` from npm) against the emulator.

The SDK is installed with npm into a cache folder outside the package
(``$LIVELIKE_CONFORMANCE_CACHE``, else the user cache folder), once, and driven
in Node by ``driver.cjs``: a minimal localStorage, and a fetch that behaves
like a browser's (preflight, Origin, Access-Control-Allow-Origin) for the
browser scenario. Skipped when node or npm is missing or the npm registry
does not answer; under ``CI`` a failing run of an installed SDK fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from filelock import FileLock

from livelike.emulator import Emulator

PACKAGE = "@livelike/javascript"
VERSION_SPEC = "1"  # the major version the emulator is checked against
CLIENT = "conformance-client"
DRIVER = Path(__file__).with_name("driver.cjs")
STALE_TOKEN_MESSAGE = "Access Denied. Access token incorrect."
# Read at import: the tests' isolation removes every LIVELIKE_* variable.
CONFIGURED_CACHE = os.environ.get("LIVELIKE_CONFORMANCE_CACHE")


def cache_root() -> Path:
    """Where the npm install is kept between runs (never inside the package)."""
    if CONFIGURED_CACHE:
        return Path(CONFIGURED_CACHE)
    return Path(platformdirs.user_cache_dir("livelike-sdk")) / "conformance"


def installed_modules() -> Path:
    """``node_modules`` holding the SDK, installed on first use; skips if it cannot be."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run LiveLike's web SDK")
    root = cache_root()
    target = root / f"javascript-{VERSION_SPEC}"
    marker = target / "node_modules" / "@livelike" / "javascript" / "package.json"
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / "install.lock"), timeout=600):
        if marker.is_file():
            return target / "node_modules"
        work = Path(tempfile.mkdtemp(prefix="install-", dir=root))
        try:
            (work / "package.json").write_text('{"private": true}\n', encoding="utf-8")
            result = subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--ignore-scripts",
                    "--loglevel=error",
                    "--fetch-retries=1",
                    "--fetch-retry-mintimeout=1000",
                    "--fetch-retry-maxtimeout=2000",
                    f"{PACKAGE}@{VERSION_SPEC}",
                ],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if result.returncode != 0:
                output = (result.stderr + result.stdout).strip().splitlines()
                errors = [line for line in output if "error" in line.lower()]
                last = (errors or output or [f"exit status {result.returncode}"])[0]
                pytest.skip(f"npm could not install {PACKAGE}@{VERSION_SPEC}: {last}")
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm did not install {PACKAGE}@{VERSION_SPEC} within 300 s")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target / "node_modules"


def run_driver(modules: Path, emulator: Emulator) -> dict[str, Any]:
    """Run the SDK scenarios in Node; the emulator is named ``localhost`` (bound to 127.0.0.1)."""
    api_url = f"http://localhost:{emulator.port}/api/v1"
    result = subprocess.run(
        ["node", str(DRIVER), str(modules), api_url, CLIENT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"the web SDK driver failed:\n{result.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def table(report: dict[str, Any]) -> str:
    """The calls of each scenario and their results, as a Markdown table."""
    lines = [
        f"{report['sdk']} {report['version']}",
        "",
        "| scenario | calls (status) | result | profiles created |",
        "|---|---|---|---|",
    ]
    for scenario in report["results"]:
        calls = ", ".join(
            f"{call['method']} {call['path']} ({call['status']})" for call in scenario["calls"]
        )
        if scenario["ok"]:
            result = "resolved"
        else:
            error = scenario["error"]
            result = (
                f"rejected: {error['status']} {error['message']}"
                if isinstance(error, dict)
                else f"rejected: {error.splitlines()[0]}"
            )
        lines.append(f"| {scenario['name']} | {calls} | {result} | {scenario['created']} |")
    return "\n".join(lines)


@pytest.fixture
def web_sdk() -> Path:
    return installed_modules()


def test_web_sdk_against_the_emulator(web_sdk: Path) -> None:
    with Emulator(client_ids=[CLIENT]) as emulator:
        report = run_driver(web_sdk, emulator)
        total = emulator.stats()["profiles_created_total"]
    (cache_root() / "last-report.md").write_text(table(report) + "\n", encoding="utf-8")
    by_name = {scenario["name"]: scenario for scenario in report["results"]}

    def calls(name: str) -> list[str]:
        return [
            f"{c['method']} {c['path'].split('/api/v1/')[1]} {c['status']}"
            for c in by_name[name]["calls"]
        ]

    config = f"GET applications/{CLIENT}/ 200"
    own = f"applications/{CLIENT}/profile/"
    first = by_name["init without a token"]
    assert first["ok"], first
    assert calls("init without a token") == [config, f"POST {own} 201"]
    assert first["created"] == 1
    assert first["answer"]["has_token"]

    saved = by_name["init with the saved token"]
    assert calls("init with the saved token") == [config, f"GET {own} 200"]
    assert saved["answer"]["id"] == first["answer"]["id"]
    assert saved["created"] == 0

    updated = by_name["update nickname and custom_data"]
    assert calls("update nickname and custom_data")[-1] == f"PATCH {own} 200"
    assert updated["answer"]["nickname"] == "Conformance"
    assert updated["answer"]["custom_data"] == '{"team":"blue"}'

    created = by_name["create a profile"]
    assert calls("create a profile")[-1] == f"POST {own} 201"
    assert created["answer"]["id"] != first["answer"]["id"]
    assert created["created"] == 1

    got = by_name["get by token and by id"]
    assert calls("get by token and by id")[-2:] == [
        f"GET {own} 200",
        f"GET profiles/{first['answer']['id']}/ 200",
    ]
    assert got["answer"]["by_token"]["nickname"] == "Conformance"
    assert got["answer"]["by_id"]["id"] == first["answer"]["id"]

    stale = by_name["init with a stale token"]
    assert not stale["ok"]
    assert stale["error"]["status"] == 403
    assert stale["error"]["message"] == STALE_TOKEN_MESSAGE
    assert stale["created"] == 0

    outage = by_name["503 while validating the saved token"]
    assert not outage["ok"]
    assert outage["error"]["status"] == 503
    assert outage["created"] == 0

    typo = by_name["unknown client id"]
    assert not typo["ok"]
    assert typo["error"].startswith("Client resource not found. Check Client Id.")
    assert calls("unknown client id") == [f"GET applications/{CLIENT}-typo/ 404"]
    assert typo["created"] == 0

    browser = by_name["browser origin through CORS"]
    assert browser["ok"], browser
    assert [c["method"] for c in browser["calls"]].count("OPTIONS") == 3
    assert browser["answer"]["nickname"] == "Browser"
    assert browser["created"] == 1

    # Host: the SDK called "localhost" and every URL it followed from the config stayed there.
    assert report["all_urls_on_endpoint_host"]
    assert report["urls_called"] >= 15
    assert total == 3
