"""``import livelike`` against ``import requests``, each in fresh processes.

Run: ``.venv/bin/python benchmarks/import_time.py [--runs 21]``. Prints the
median cumulative import time of each (from ``python -X importtime``) and
their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys


def import_time(module: str) -> int:
    """Cumulative microseconds to import ``module`` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    last = [line for line in result.stderr.splitlines() if line.endswith(f"| {module}")][-1]
    return int(last.split("|")[1])


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    times: dict[str, list[int]] = {"livelike": [], "requests": []}
    for _ in range(runs):
        for module, samples in times.items():
            samples.append(import_time(module))
    medians = {module: statistics.median(samples) for module, samples in times.items()}
    for module, median in medians.items():
        print(f"import {module:<9} median {median / 1000:7.1f} ms over {runs} runs")
    print(f"ratio livelike/requests: {medians['livelike'] / medians['requests']:.2f}")


if __name__ == "__main__":
    main()
