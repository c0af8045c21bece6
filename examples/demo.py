"""The demo behind ``make demo``.

Starts the bundled LiveLike emulator on 127.0.0.1, runs ``quickstart.py``
twice as two separate processes sharing one token folder, then prints how
many profiles the emulator created (1: the second run reused the first's).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from livelike.emulator import Emulator

HERE = Path(__file__).resolve().parent
CLIENT_ID = "quickstart-demo"


def main() -> int:
    """Run the demo; exit status 0 when exactly one profile was created."""
    with (
        tempfile.TemporaryDirectory(prefix="livelike-demo-") as home,
        Emulator(client_ids=[CLIENT_ID]) as emulator,
    ):
        env = dict(
            os.environ,
            LIVELIKE_API_URL=emulator.url,
            LIVELIKE_HOME=home,
            LIVELIKE_CLIENT_ID=CLIENT_ID,
        )
        env.pop("LIVELIKE_ACCESS_TOKEN", None)
        env["LIVELIKE_STORAGE"] = "file"  # never the real keyring of the machine
        print(f"emulator: {emulator.url}; tokens saved under {home}")
        for run in (1, 2):
            print(f"run {run}: ", end="", flush=True)
            subprocess.run([sys.executable, str(HERE / "quickstart.py")], env=env, check=True)
        created = emulator.stats()["profiles_created"].get(CLIENT_ID, 0)
        print(f"profiles created by the emulator: {created}")
        return 0 if created == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
