"""Warm ``init`` through livelike against a naive ``requests`` script, in fresh processes.

Run: ``.venv/bin/python benchmarks/warm_init.py [--runs 21]``.

Against the bundled emulator, in one run, it times whole processes, alternating:

- naive: what LiveLike's guide shows, with plain requests: read the saved token
  from a JSON file, GET the application config, GET the profile;
- livelike: ``livelike.init(client_id)`` with the token saved (warm: config cache fresh);
- livelike, no validation: ``livelike.init(client_id, validate=False)``;

each of the two with the plugins installed in this environment, and again
with ``LIVELIKE_LOAD_PLUGINS=""`` (as a plain ``pip install livelike`` would
be: the keyring plugin alone imports ``keyring`` to probe it, about 80 ms).

It prints the median wall time of each, the ratios livelike/naive, the peak
memory (max RSS) of each process, and the requests each made per init.
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

LIVELIKE = """
import sys
import livelike
profile = livelike.init(sys.argv[1], validate=sys.argv[2] == "validate")
assert profile.id
"""


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


def main() -> None:
    """Measure and print the comparison."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Emulator(client_ids=[CLIENT_ID]) as emulator:
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIVELIKE_")}
        env |= {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(home)}
        # A cold init saves the token (and warms the config cache); the naive script
        # gets the same token in its own JSON file.
        subprocess.run([sys.executable, "-c", LIVELIKE, CLIENT_ID, "validate"], env=env, check=True)
        from livelike import LiveLike
        from livelike.backends.file import FileBackend

        client = LiveLike(CLIENT_ID, api_url=emulator.url, storage=FileBackend(home))
        token = client.saved_record()
        assert token is not None
        token_file = Path(tmp) / "token.json"
        token_file.write_text(json.dumps({"access_token": token.access_token}))

        validated = [sys.executable, "-c", LIVELIKE, CLIENT_ID, "validate"]
        cached = [sys.executable, "-c", LIVELIKE, CLIENT_ID, "cached"]
        bare = ["env", "LIVELIKE_LOAD_PLUGINS="]
        commands = {
            "naive": [sys.executable, "-c", NAIVE, str(token_file), emulator.url, CLIENT_ID],
            "livelike": validated,
            "livelike, no validation": cached,
            "livelike, no plugins": bare + validated,
            "  ... and no validation": bare + cached,
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, list[int]] = {name: [] for name in commands}
        requests_made: dict[str, int] = {}
        for name, command in commands.items():  # one warm-up each, counting its requests
            before = emulator.stats()["requests_total"]
            run(command, env)
            requests_made[name] = emulator.stats()["requests_total"] - before
        for _ in range(options.runs):
            for name, command in commands.items():
                elapsed, rss = run(command, env)
                times[name].append(elapsed)
                memory[name].append(rss)
        pass_times = [run([sys.executable, "-c", "pass"], env)[0] for _ in range(options.runs)]

    naive = statistics.median(times["naive"])
    print(f"runs: {options.runs} alternating; python -c pass: {statistics.median(pass_times):.3f}s")
    from livelike import _plugins

    plugins = sorted(set(_plugins.registry().owners.values()) - set(_plugins.DEFAULT_PLUGINS))
    print(f"plugins installed here: {', '.join(plugins) or 'none'}")
    print(f"{'':<26}{'median':>9}{'ratio':>8}{'max RSS':>10}{'requests':>10}")
    for name in commands:
        median = statistics.median(times[name])
        print(
            f"{name:<26}{median:>8.3f}s{median / naive:>8.2f}"
            f"{max(memory[name]) / 1024:>8.1f}MB{requests_made[name]:>10}"
        )


if __name__ == "__main__":
    main()
