"""One profile per end user: resolving many subjects from many threads, against a naive baseline.

Run: ``.venv/bin/python benchmarks/subjects.py [--subjects 1000] [--threads 1,8,32]
[--backends file,sql-sqlite,sql-postgres]``.

The emulator runs in its own process. For each backend and thread count, one
shared ``LiveLike`` client resolves every subject twice: a cold pass (nothing
saved: each call creates and saves a profile) and a warm pass (each call
validates the saved token). Beside it, a naive baseline does what LiveLike's
guide shows with plain requests: look the subject up in one JSON file; if
found, fetch the config and the profile; if not, create a profile and write
the file back. Each row gives throughput, p50 and p99 latency, the ratio of
livelike's throughput to the naive one at the same thread count, and the
profiles created beyond one per subject (duplicates) over both passes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from livelike import LiveLike
from livelike.emulator import EmulatorClient
from livelike.storage import StorageBackend

CLIENT_ID = "bench-subjects"
PG_URL = os.environ.get("LIVELIKE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class Naive:
    """The guide's pattern, one JSON file for every subject, no locking."""

    def __init__(self, api_url: str, path: Path) -> None:
        self.api_url = api_url
        self.path = path

    def load(self) -> dict[str, str]:
        """The saved tokens; a file caught half-written reads as none saved, as a naive
        ``alreadySavedAccessToken()`` would."""
        try:
            tokens: dict[str, str] = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return tokens

    def resolve(self, subject: str) -> str:
        """Return the subject's profile id, creating a profile when none is saved."""
        tokens = self.load()
        config = requests.get(f"{self.api_url}/applications/{CLIENT_ID}", timeout=10).json()
        token = tokens.get(subject)
        if token:
            headers = {"Authorization": f"Bearer {token}"}
            profile = requests.get(config["profile_url"], headers=headers, timeout=10).json()
            return str(profile["id"])
        created = requests.post(config["profile_url"], json={}, timeout=10).json()
        tokens = self.load()
        tokens[subject] = created["access_token"]
        self.path.write_text(json.dumps(tokens))
        return str(created["id"])


def timed_pass(
    resolve: Callable[[str], str], subjects: list[str], threads: int
) -> dict[str, float]:
    """Resolve every subject once with ``threads`` threads; return throughput and latencies."""
    latencies: list[float] = []
    lock = threading.Lock()

    def one(subject: str) -> None:
        started = time.perf_counter()
        resolve(subject)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, subjects))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "per_second": len(subjects) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def make_backend(name: str, folder: Path) -> StorageBackend:
    """A fresh, empty backend of the kind named."""
    if name == "file":
        from livelike.backends.file import FileBackend

        return FileBackend(folder / "home")
    from livelike_sql import SQLBackend

    if name == "sql-sqlite":
        return SQLBackend(f"sqlite:///{folder / 'tokens.sqlite3'}")
    return SQLBackend(PG_URL, table=f"bench_{uuid.uuid4().hex[:10]}")


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    """Run ``livelike emulator`` in its own process and return it with its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "livelike", "emulator", "--port", "0", "--client-id", CLIENT_ID],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.strip().rsplit(" ", 1)[-1]


def created(control: EmulatorClient) -> int:
    """Profiles the emulator created since its last reset."""
    return int(control.stats()["profiles_created_total"])


def main() -> None:
    """Measure and print one table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--threads", default="1,8,32")
    parser.add_argument("--backends", default="file,sql-sqlite,sql-postgres")
    options = parser.parse_args()
    thread_counts = [int(t) for t in options.threads.split(",")]
    emulator, api_url = start_emulator()
    control = EmulatorClient(api_url)
    rows: list[dict[str, Any]] = []
    naive_rate: dict[tuple[str, int], float] = {}
    try:
        for threads in thread_counts:
            subjects = [f"user-{n}" for n in range(options.subjects)]
            with tempfile.TemporaryDirectory() as tmp:
                control.reset(data=True)
                naive = Naive(api_url, Path(tmp) / "tokens.json")
                for phase in ("cold", "warm"):
                    result = timed_pass(naive.resolve, subjects, threads)
                    naive_rate[(phase, threads)] = result["per_second"]
                    rows.append({"who": "naive", "phase": phase, "threads": threads, **result})
                rows[-1]["duplicates"] = created(control) - options.subjects
            for backend_name in options.backends.split(","):
                with tempfile.TemporaryDirectory() as tmp:
                    control.reset(data=True)
                    storage = make_backend(backend_name, Path(tmp))
                    with LiveLike(CLIENT_ID, api_url=api_url, storage=[storage]) as client:
                        for phase in ("cold", "warm"):
                            result = timed_pass(
                                lambda s: client.init(subject=s).id,
                                subjects,
                                threads,
                            )
                            rows.append(
                                {"who": backend_name, "phase": phase, "threads": threads, **result}
                            )
                    rows[-1]["duplicates"] = created(control) - options.subjects
    finally:
        emulator.terminate()
        emulator.wait()
    print(f"{options.subjects} subjects, emulator in its own process")
    print(
        f"{'backend':<14}{'phase':<6}{'threads':>8}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'x naive':>9}{'dups':>6}"
    )
    for row in rows:
        ratio = row["per_second"] / naive_rate[(row["phase"], row["threads"])]
        dups = row.get("duplicates", "")
        print(
            f"{row['who']:<14}{row['phase']:<6}{row['threads']:>8}{row['per_second']:>9.0f}"
            f"{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}{ratio:>9.2f}{dups!s:>6}"
        )


if __name__ == "__main__":
    main()
