"""Where a warm validated ``init`` spends its time, phase by phase, in fresh processes.

Run: ``.venv/bin/python benchmarks/warm_phases.py [--runs 21]``.

``warm_init.py`` times whole processes; this script splits one warm validated
``livelike.init(client_id)`` (token saved in the file backend, config cache
fresh, the keyring and SQL plugins installed) into what it does in order, and
prints the median of each phase over ``--runs`` fresh processes:

- the libraries issue 14 keeps on the warm path (requests, attrs, pluggy,
  platformdirs), imported first so that the next phases are livelike's own;
- ``import livelike``;
- the modules a first ``init`` imports next (``_plugins``, ``_transport``, the
  entry-point cache, the built-in backends);
- the installed plugin packages (``livelike_keyring``, ``livelike_sql``);
- building the plugin registry (pluggy registration, the entry-point cache read);
- the ``init`` call itself, and within it the one HTTP request.

Like ``warm_init.py`` it byte-compiles livelike first, as ``pip install`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from warm_init import compile_livelike  # the script's own folder is on sys.path

from livelike.emulator import Emulator

CLIENT_ID = "bench-client"

PHASES = """
import json, sys, time
clock = time.perf_counter
marks = [clock()]
import attrs, platformdirs, pluggy, requests
marks.append(clock())
import livelike
marks.append(clock())
import livelike._entrypoints, livelike._plugins, livelike._transport
import livelike.backends.env, livelike.backends.memory
marks.append(clock())
for name in ("livelike_keyring", "livelike_sql"):
    try:
        __import__(name)
    except ImportError:
        pass
marks.append(clock())
livelike._plugins.registry()
marks.append(clock())
client = livelike.LiveLike(sys.argv[1])
http = []
send = requests.Session.send
def timed_send(self, *args, **kwargs):
    started = clock()
    try:
        return send(self, *args, **kwargs)
    finally:
        http.append(clock() - started)
requests.Session.send = timed_send
assert client.init().source == "saved"
marks.append(clock())
steps = [b - a for a, b in zip(marks, marks[1:])]
print(json.dumps(steps + [sum(http), len(http)]))
"""

NAMES = [
    "kept libraries: requests, attrs, pluggy, platformdirs",
    "import livelike",
    "modules a first init imports (_plugins, _transport, ...)",
    "plugin packages (livelike_keyring, livelike_sql)",
    "plugin registry (pluggy, entry-point cache)",
    "init() call",
    "  of which the HTTP request",
]


def main() -> None:
    """Print the median of each phase of a warm validated init."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    options = parser.parse_args()
    compile_livelike()
    with tempfile.TemporaryDirectory() as tmp, Emulator(client_ids=[CLIENT_ID]) as emulator:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LIVELIKE_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env |= {"LIVELIKE_API_URL": emulator.url, "LIVELIKE_HOME": str(Path(tmp) / "home")}
        warm = f"import livelike; livelike.init({CLIENT_ID!r})"
        for _ in range(2):  # creates and saves, then warms the caches
            subprocess.run([sys.executable, "-c", warm], env=env, check=True)
        rows: list[list[float]] = []
        for _ in range(options.runs):
            done = subprocess.run(
                [sys.executable, "-c", PHASES, CLIENT_ID],
                env=env,
                check=False,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise SystemExit(done.stderr)
            values = json.loads(done.stdout.splitlines()[-1])
            assert values[-1] == 1, f"{values[-1]} requests, expected 1"
            rows.append(values[:-1])
    medians = [statistics.median(column) * 1000 for column in zip(*rows, strict=True)]
    print(f"runs: {options.runs} fresh processes; load: {os.getloadavg()}")
    print("\n| phase | median ms |\n|---|---|")
    for name, value in zip(NAMES, medians, strict=True):
        print(f"| {name} | {value:.1f} |")
    own = sum(medians[1:6]) - medians[6]
    print(f"| livelike's own (all but the kept libraries and the HTTP request) | {own:.1f} |")


if __name__ == "__main__":
    main()
