"""Processes the livelike-sql tests start: ``python -m test_sql_worker COMMAND ...``.

This module holds no tests. Commands (the database comes from
``$LIVELIKE_SQL_URL`` and ``$LIVELIKE_SQL_TEST_TABLE``):

- ``hold ORIGIN CLIENT_ID SUBJECT``: take ``lock`` on that key, print
  ``locked`` and sleep until killed.
- ``scale API_URL CLIENT_ID SUBJECTS THREADS SEED START_AT``: one shared
  client, ``THREADS`` threads calling ``init(subject=s)`` for subjects
  ``user-000`` ... in an order shuffled with ``SEED``, starting at the wall
  clock time ``START_AT``; prints JSON ``{subject: profile id}``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from test_sql_support import backend_from_env

import livelike
from livelike.storage import StorageKey


def hold(origin: str, client_id: str, subject: str) -> None:
    """Hold the key's lock until this process is killed."""
    backend = backend_from_env()
    with backend.lock(StorageKey(origin, client_id, subject)):
        print("locked", flush=True)
        time.sleep(600)


def scale(
    api_url: str, client_id: str, count: int, threads: int, seed: int, start_at: float
) -> None:
    """Resolve ``count`` subjects from ``threads`` threads and print who got which profile."""
    subjects = [f"user-{n:03d}" for n in range(count)]
    random.Random(seed).shuffle(subjects)
    client = livelike.LiveLike(client_id, api_url=api_url, storage=[backend_from_env()])
    time.sleep(max(0.0, start_at - time.time()))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        ids = list(pool.map(lambda subject: client.init(subject=subject).id, subjects))
    client.close()
    print(json.dumps(dict(zip(subjects, ids, strict=True)), sort_keys=True))


def main(argv: list[str]) -> None:
    """Run the command named in ``argv``."""
    command, args = argv[0], argv[1:]
    if command == "hold":
        hold(*args)
    elif command == "scale":
        api_url, client_id, count, threads, seed, start_at = args
        scale(api_url, client_id, int(count), int(threads), int(seed), float(start_at))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
