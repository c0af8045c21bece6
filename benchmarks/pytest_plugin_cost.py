"""What livelike-sdk's pytest plugin costs a test suite that uses none of its fixtures.

Run: ``.venv/bin/python benchmarks/pytest_plugin_cost.py [--runs 15]``. It finds the
module of livelike-sdk's ``pytest11`` entry point and, in fresh processes, runs
``python -X importtime -c "import pytest; import MODULE"``: the cumulative import
time of every top-level import after pytest's own is what loading the plugin
costs (the module and whatever it pulled in). Prints the median over the runs and
the modules it imported.

``pytest -X importtime`` itself does not show it: pytest loads entry-point
plugins through its assertion-rewriting import hook, whose imports
``-X importtime`` does not report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from importlib.metadata import entry_points


def plugin_module() -> str:
    """The module livelike-sdk registers as its pytest plugin."""
    (found,) = [ep for ep in entry_points(group="pytest11") if ep.name == "livelike"]
    return found.value


def plugin_import(module: str) -> tuple[int, list[str]]:
    """(microseconds, top-level modules) of importing ``module`` after pytest, in one process."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import pytest; import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stderr.splitlines() if line.count("|") == 2]
    after = next(i for i, line in enumerate(lines) if line.split("|")[2] == " pytest") + 1
    total, names = 0, []
    for line in lines[after:]:
        _, cumulative, name = line.split("|")
        if not name.startswith("  "):  # top-level: one space before the name
            total += int(cumulative)
            names.append(name.strip())
    return total, names


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    module = plugin_module()
    plugin_import(module)  # writes the bytecode
    samples = [plugin_import(module) for _ in range(runs)]
    times = [us for us, _ in samples]
    print(
        f"pytest plugin {module}: import median {statistics.median(times) / 1000:.1f} ms, "
        f"min {min(times) / 1000:.1f} ms over {runs} runs; imports {samples[0][1]}"
    )


if __name__ == "__main__":
    main()
