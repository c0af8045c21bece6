"""What livelike-sdk's pytest plugin costs a test suite that uses none of its fixtures.

Run: ``.venv/bin/python benchmarks/pytest_plugin_cost.py [--runs 15]``. In a
temporary project holding one trivial test, it runs ``pytest --collect-only``
under ``python -X importtime`` and adds up the cumulative import time of every
top-level ``livelike*`` import pytest made while loading its plugins (the
plugin module and whatever it pulled in). Prints the median over the runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def plugin_import_us(project: Path) -> int:
    """Microseconds of top-level ``livelike*`` imports in one ``pytest --co`` run."""
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "pytest",
            "--co",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        # Top-level imports have one space before the name; nested ones more.
        if name.startswith(" livelike") and not name.startswith("  "):
            total += int(cumulative)
    return total


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
        samples = [plugin_import_us(project) for _ in range(runs)]
    print(
        f"livelike pytest plugin import: median {statistics.median(samples) / 1000:.1f} ms, "
        f"min {min(samples) / 1000:.1f} ms over {runs} runs"
    )


if __name__ == "__main__":
    main()
