"""Warm ``init`` through livelike against a naive ``requests`` script, in fresh processes.

Run: ``.venv/bin/python benchmarks/warm_init.py [--runs 11]``.

It prints the rows of issue 14's table, today's figure and the new one side
by side, measured at 0 and at 30 ms of emulator latency (added to every answer).

Against the bundled emulator, in one run, it times whole processes, alternating:

- naive: what LiveLike's guide shows, with plain requests: read the saved token
  from a JSON file, GET the application config, GET the profile;
- livelike: ``livelike.init(client_id)`` with the token saved (warm: config cache fresh);
- limit: the physical limit: Python start-up, ``import requests``, one GET
  with the token read from a JSON file;
- floor: the limit plus importing the libraries issue 14 keeps on the warm path
  (attrs, pluggy, platformdirs): the least a warm validated ``init`` can cost
  before any of livelike's own code runs;
- service: one validated ``init`` then 50 ``init(subject, max_age=600)``
  (its requests are counted: the 50 should make none);

livelike with the plugins installed in this environment, and again
with ``LIVELIKE_LOAD_PLUGINS=""`` (as a plain ``pip install livelike`` would
be; before issue 14 the keyring plugin's probe imported ``keyring``, about
80 ms, on every start).

It prints the median wall time of each, the ratios livelike/naive, the peak
memory (max RSS) of each process, and the requests each made per init.

Bytecode: pip compiles an installed wheel's modules to ``.pyc`` files, so a
user's process never compiles livelike from source. An editable checkout run
with ``PYTHONDONTWRITEBYTECODE`` set would compile every livelike module at
every start (about 20 ms here) while ``requests`` loads from its ``.pyc``
files: the script compiles livelike's packages first and unsets that variable
for its processes, so both sides load bytecode as installed code does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from livelike.emulator import Emulator

CLIENT_ID = "bench-client"

NAIVE = """
import json, sys
import requests
token = json.load(open(sys.argv[1]))["access_token"]
base = sys.argv[2]
config = requests.get(f"{base}/applications/{sys.argv[3]}", timeout=10).json()
profile = requests.get(
    config["profile_url"], headers={"Authorization": f"Bearer {token}"}, timeout=10
).json()
assert profile["id"]
"""

LIMIT = """
import json, sys
import requests
token = json.load(open(sys.argv[1]))["access_token"]
profile = requests.get(
    sys.argv[2], headers={"Authorization": f"Bearer {token}"}, timeout=10
).json()
assert profile["id"]
"""

# The limit, plus the libraries issue 14 keeps on livelike's warm path.
FLOOR = "import attrs, platformdirs, pluggy" + LIMIT

LIVELIKE = """
import sys
import livelike
profile = livelike.init(sys.argv[1], validate=sys.argv[2] == "validate")
assert profile.id
"""

SERVICE = """
import sys
import livelike
client = livelike.LiveLike(sys.argv[1])
client.init(subject="hot-user")
for _ in range(50):
    assert client.init(subject="hot-user", max_age=600).source == "cached"
"""

# The figures, measured before this change (alternating fresh processes).
TODAY = {"plugins": "1.53", "limit": "2.19", "naive30": "1.16", "max_age": "(no such option)"}
GOAL = {"plugins": "<= 1.1", "limit": "<= 1.3", "naive30": "<= 0.75", "max_age": "0 requests"}


def run(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run one process; return (wall seconds, max RSS in KiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{args[:3]} failed with {proc.returncode}")
    return elapsed, usage.ru_maxrss


def measure(latency: float, runs: int) -> dict[str, tuple[float, int, int]]:
    """{name: (median seconds, max RSS KiB, requests per process)} at ``latency``."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(client_ids=[CLIENT_ID], latency=latency) as emulator,
    ):
        home = Path(tmp) / "home"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LIVELIKE_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env |= {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
        # A cold init saves the token (and warms the config cache); the naive script
        # gets the same token in its own JSON file.
        subprocess.run([sys.executable, "-c", LIVELIKE, CLIENT_ID, "validate"], env=env, check=True)
        from livelike import LiveLike
        from livelike.backends.file import FileBackend

        with LiveLike(CLIENT_ID, api_url=emulator.url, storage=FileBackend(home)) as client:
            token = client.saved_record()
        assert token is not None
        token_file = Path(tmp) / "token.json"
        token_file.write_text(json.dumps({"access_token": token.access_token}))
        profile_url = f"{emulator.url}/applications/{CLIENT_ID}/profile/"

        validated = [sys.executable, "-c", LIVELIKE, CLIENT_ID, "validate"]
        commands = {
            "naive": [sys.executable, "-c", NAIVE, str(token_file), emulator.url, CLIENT_ID],
            "limit": [sys.executable, "-c", LIMIT, str(token_file), profile_url],
            "floor": [sys.executable, "-c", FLOOR, str(token_file), profile_url],
            "livelike": validated,
            "no plugins": ["env", "LIVELIKE_LOAD_PLUGINS=", *validated],
            "service": [sys.executable, "-c", SERVICE, CLIENT_ID],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, list[int]] = {name: [] for name in commands}
        requests_made: dict[str, int] = {}
        for name, command in commands.items():  # two warm-ups each, counting the second's requests
            run(command, env)
            before = emulator.stats()["requests_total"]
            run(command, env)
            requests_made[name] = emulator.stats()["requests_total"] - before
        for _ in range(runs):
            for name, command in commands.items():
                elapsed, rss = run(command, env)
                times[name].append(elapsed)
                memory[name].append(rss)
    return {
        name: (statistics.median(times[name]), max(memory[name]), requests_made[name])
        for name in commands
    }


def compile_livelike() -> list[str]:
    """Byte-compile the installed livelike packages, as ``pip install`` of a wheel does."""
    import importlib

    folders: list[str] = []
    for name in ("livelike", "livelike_keyring", "livelike_sql"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        folders.extend(module.__path__)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], env=env, check=True)
    return folders


def main() -> None:
    """Measure at 0 and 30 ms and print the issue's table, today's figure beside the new one."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    options = parser.parse_args()
    print("byte-compiled:", ", ".join(compile_livelike()))
    results = {latency: measure(latency, options.runs) for latency in (0.0, 0.03)}
    print(f"runs: {options.runs} alternating fresh processes per figure; load: {os.getloadavg()}")
    for latency, figures in results.items():
        print(f"\nlatency {latency * 1000:.0f} ms")
        print(f"{'process':<12}{'median':>9}{'max RSS':>10}{'requests':>10}")
        for name, (median, rss, made) in figures.items():
            print(f"{name:<12}{median:>8.3f}s{rss / 1024:>8.1f}MB{made:>10}")
    zero, far = results[0.0], results[0.03]
    rows = {
        "plugins": (
            "warm validated init, plugins / LIVELIKE_LOAD_PLUGINS=''",
            f"{zero['livelike'][0] / zero['no plugins'][0]:.2f}",
        ),
        "limit": (
            "warm validated init, plugins / the physical limit",
            f"{zero['livelike'][0] / zero['limit'][0]:.2f}",
        ),
        "naive30": (
            "30 ms away: warm validated init / the naive script",
            f"{far['livelike'][0] / far['naive'][0]:.2f}",
        ),
        "max_age": (
            "a service: 50 init(subject, max_age=600) after one validated init",
            f"{zero['service'][2] - 1} requests",
        ),
    }
    print("\n| measure | today | now | goal |\n|---|---|---|---|")
    for name, (label, now) in rows.items():
        print(f"| {label} | {TODAY[name]} | {now} | {GOAL[name]} |")
    print("\nFloors (what no client with these dependencies can beat):")
    print(
        "- the kept libraries (attrs, pluggy, platformdirs) + one GET / the physical limit:"
        f" {zero['floor'][0] / zero['limit'][0]:.2f}"
    )
    print(
        "- 30 ms away: the physical limit (one request) / the naive script (two):"
        f" {far['limit'][0] / far['naive'][0]:.2f}"
    )
    print(
        "- 30 ms away: the kept libraries + one GET / the naive script:"
        f" {far['floor'][0] / far['naive'][0]:.2f}"
    )
    own = (zero["livelike"][0] - zero["floor"][0]) * 1000
    print(f"- livelike's own code on a warm validated init (livelike - floor): {own:.1f} ms")


if __name__ == "__main__":
    main()
