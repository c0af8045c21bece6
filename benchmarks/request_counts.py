"""Count the requests each kind of ``init`` makes, as the emulator sees them.

Run: ``.venv/bin/python benchmarks/request_counts.py``. Each scenario runs
``init`` in a fresh process against the bundled emulator and prints the
requests per route and the profiles created.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from livelike.emulator import Emulator

CLIENT_ID = "bench-client"
INIT = f"import livelike; livelike.init({CLIENT_ID!r})"


def run(emulator: Emulator, env: dict[str, str], label: str) -> None:
    """Run one init in a fresh process and print what the emulator saw."""
    emulator.reset()
    subprocess.run([sys.executable, "-c", INIT], env=env, check=True)
    stats = emulator.stats()
    routes = {k: v for k, v in stats["requests"].items() if v}
    print(
        f"{label:<32} requests={stats['requests_total']} {routes} "
        f"created={stats['profiles_created_total']}"
    )


def main() -> None:
    """Print the request counts of a cold and a warm init."""
    with tempfile.TemporaryDirectory() as home, Emulator(client_ids=[CLIENT_ID]) as emulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIVELIKE_")} | {
            "LIVELIKE_API_URL": emulator.url,
            "LIVELIKE_HOME": home,
        }
        run(emulator, env, "first init (nothing saved)")
        run(emulator, env, "later init (token saved)")


if __name__ == "__main__":
    main()
