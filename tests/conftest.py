"""Shared fixtures: an isolated token folder, a clean environment, client factories.

The ``livelike_emulator`` fixture comes from the package's own pytest plugin
(``_livelike_pytestplugin``), the same one users get.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

import livelike
from livelike._transport import RetryPolicy
from livelike.backends.memory import MemoryBackend
from livelike.emulator import Emulator
from livelike.storage import StorageKey, TokenRecord
from livelike.testing import _processes
from livelike.testing._processes import host_env

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "test-client"
# Client ids the tests use against the emulator, which serves only registered ones.
TEST_CLIENT_IDS = (CLIENT_ID, "client-a", "client-b", "service-test")
FAST_RETRY = RetryPolicy(max_retries=3, backoff=0.0, max_retry_after=5.0)


@pytest.fixture(autouse=True)
def isolated(livelike_isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own LIVELIKE_HOME and no LIVELIKE_* settings from outside
    (the package's own ``livelike_isolated`` fixture); plugins installed in this
    environment (keyring, sql) stay out unless a test asks for them."""
    monkeypatch.setenv("LIVELIKE_LOAD_PLUGINS", "")
    return livelike_isolated


@pytest.fixture
def home(isolated: Path) -> Path:
    """The test's LIVELIKE_HOME folder (it may not exist yet)."""
    return isolated


@pytest.fixture
def emulator(livelike_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, reset, with LIVELIKE_API_URL pointing at it; serves TEST_CLIENT_IDS."""
    livelike_emulator.add_client(*TEST_CLIENT_IDS)
    monkeypatch.setenv("LIVELIKE_API_URL", livelike_emulator.url)
    return livelike_emulator


MakeClient = Callable[..., livelike.LiveLike]


@pytest.fixture
def make_client(emulator: Emulator) -> Iterator[MakeClient]:
    """Build clients against the emulator with fast retries; all closed after the test."""
    made: list[livelike.LiveLike] = []

    def make(client_id: str = CLIENT_ID, **kwargs: Any) -> livelike.LiveLike:
        kwargs.setdefault("api_url", emulator.url)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeout", 2.0)
        client = livelike.LiveLike(client_id, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def created(emulator: Emulator, client_id: str = CLIENT_ID) -> int:
    """Profiles the emulator created for ``client_id`` since the last reset."""
    return int(emulator.stats()["profiles_created"].get(client_id, 0))


def requests_seen(emulator: Emulator) -> dict[str, int]:
    """Requests per route the emulator saw since the last reset."""
    return {k: int(v) for k, v in emulator.stats()["requests"].items() if v}


def environment(env: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with ``env`` added (a None value removes the variable)."""
    merged = {**os.environ, **env}
    return {k: v for k, v in merged.items() if v is not None}


def run_python(
    code: str, env: Mapping[str, str | None], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with ``env`` added to this environment
    (a None value removes the variable)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_threads(target: Callable[[], object], count: int) -> None:
    """Start ``count`` threads running ``target``, then wait for them all."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def hosts(emulator: Emulator, tmp_path: Path, count: int) -> list[dict[str, str | None]]:
    """The environments of ``count`` hosts against ``emulator``, each with its own
    ``LIVELIKE_HOME`` and temporary folder under ``tmp_path`` (nothing shared but the
    service)."""
    return [
        dict(host_env({"LIVELIKE_API_URL": emulator.url}, tmp_path / f"host-{n}"))
        for n in range(count)
    ]


def run_together(
    code: str, envs: Sequence[Mapping[str, str | None]], *args: str, timeout: float = 120
) -> list[tuple[str, str]]:
    """:func:`livelike.testing._processes.run_together`, each of ``envs`` added to this
    process's environment (a None value removes the variable)."""
    merged = [environment(env) for env in envs]
    return _processes.run_together(code, merged, *args, timeout=timeout)


class Recorder(BaseHTTPRequestHandler):
    """Answers 200 {} to a GET, recording the request line's target and headers.

    As an HTTP proxy it receives absolute URLs (``GET http://host/path``).
    """

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        Recorder.seen.append((self.path, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    """The base URL of a :class:`Recorder` on 127.0.0.1 (its ``seen`` emptied)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Recorder.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@contextlib.contextmanager
def emulator_cli(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """Run ``python -m livelike.emulator --port 0 *args`` from this checkout.

    Yields the process, the URL it listens on and the line it printed; stops it at
    the end (SIGTERM, then a kill if it lingers).
    """
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "livelike.emulator", "--port", "0", *args]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment({"PYTHONPATH": path}),
    ) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 15)
            assert ready, "the emulator did not print its URL in time"
            line = process.stdout.readline()
            match = re.search(r"(http://\S+/api/v1)", line)
            assert match, line
            yield process, match.group(1), line
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class LockedBackend(MemoryBackend):
    """A viable backend whose every lookup fails, like a locked keyring."""

    name = "locked"

    def get(self, key: StorageKey) -> TokenRecord | None:
        raise TimeoutError("keyring locked")


def emulator_key(emulator: Emulator, subject: str = "default") -> StorageKey:
    """The storage key the SDK uses for CLIENT_ID against ``emulator``."""
    return StorageKey("http://" + emulator.url.split("/")[2], CLIENT_ID, subject)
