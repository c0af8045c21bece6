"""The issue's scale test: 4 processes x 8 threads, the same 200 subjects, one PostgreSQL.

Each process shares one client between its threads and walks the subjects in
its own shuffled order, so every subject is contended by several processes
and threads at once. Exactly one profile per subject may be created, and
every process must see the same profile for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import test_sql_support as support

PROCESSES = 4
THREADS = 8
SUBJECTS = 200
CLIENT_ID = "sql-scale"


def test_processes_and_threads_create_one_profile_per_subject(
    pg_url: str, pg_table: str, livelike_emulator: Any
) -> None:
    env = {**os.environ, **support.subprocess_env(pg_url, pg_table)}
    started = time.monotonic()
    start_at = time.time() + 2.0  # every process is imported and ready by then
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "test_sql_worker",
                "scale",
                livelike_emulator.url,
                CLIENT_ID,
                str(SUBJECTS),
                str(THREADS),
                str(seed),
                str(start_at),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(PROCESSES)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    elapsed = time.monotonic() - started
    failed = [err for proc, (_, err) in zip(procs, outputs, strict=True) if proc.returncode]
    assert not failed, failed[0][-3000:]

    seen = [json.loads(out) for out, _ in outputs]
    subjects = {f"user-{n:03d}" for n in range(SUBJECTS)}
    for result in seen:
        assert set(result) == subjects
        assert result == seen[0]  # every subject resolves to one id in every process
    assert len(set(seen[0].values())) == SUBJECTS
    stats = livelike_emulator.stats()
    assert stats["profiles_created"][CLIENT_ID] == SUBJECTS
    assert stats["profiles_created_total"] == SUBJECTS
    assert elapsed < 60, f"took {elapsed:.1f}s"
    print(f"scale test: {PROCESSES}x{THREADS} workers, {SUBJECTS} subjects, {elapsed:.1f}s")
