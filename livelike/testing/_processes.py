"""Other processes for the contract suite: a worker that locks, saves and reads on
command, and the ``init`` race, each built with the suite's ``factory``."""

from __future__ import annotations

import contextlib
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["Worker", "host_env", "init_race", "run_together", "workers"]

_WORKER = """
import importlib, sys
from livelike.storage import StorageKey, TokenRecord
module, _, name = sys.argv[1].partition(":")
backend = getattr(importlib.import_module(module), name)()
held = {}
print("ready", flush=True)
for line in sys.stdin:
    command, _, subject = line.strip().partition(" ")
    key = StorageKey(sys.argv[2], sys.argv[3], subject)
    try:
        if command == "lock":
            lock = backend.lock(key)
            lock.__enter__()
            held[subject] = lock
            print("locked", subject, flush=True)
        elif command == "unlock":
            held.pop(subject).__exit__(None, None, None)
            print("unlocked", subject, flush=True)
        elif command == "put":
            backend.put(key, TokenRecord("contract-visible-" + subject))
            print("saved", subject, flush=True)
        elif command == "get":
            print("found" if backend.get(key) is not None else "absent", subject, flush=True)
    except Exception as exc:
        print("error", subject, f"{type(exc).__name__}: {exc}".replace("\\n", " "), flush=True)
"""

_INIT = """
import importlib, sys
import livelike
module, _, name = sys.argv[1].partition(":")
backend = getattr(importlib.import_module(module), name)()
client = livelike.LiveLike(sys.argv[2], api_url=sys.argv[3], storage=[backend])
print(client.init(subject=sys.argv[4]).id)
"""


def host_env(base: Mapping[str, str], folder: Path) -> dict[str, str]:
    """``base`` with its own ``LIVELIKE_HOME`` and temporary folder under ``folder``:
    a stand-in for another host."""
    home, tmp = folder / "home", folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    temporary = {name: str(tmp) for name in ("TMPDIR", "TEMP", "TMP")}
    return {**base, "LIVELIKE_HOME": str(home), **temporary}


class Worker:
    """A process that builds the backend with ``factory`` and runs commands
    (``lock``/``unlock``/``put``/``get`` and a subject) sent to it one per line."""

    def __init__(self, factory: str, env: Mapping[str, str], origin: str, client_id: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, factory, origin, client_id],
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self.answer(120)
        if ready != "ready":
            raise AssertionError(f"factory {factory!r} failed in a new process: {self.stderr()}")

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line.strip())
        self._lines.put(None)

    def send(self, command: str) -> None:
        """Send ``command`` (e.g. ``"lock key"``) without waiting."""
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()

    def answer(self, timeout: float) -> str | None:
        """The next line printed, or None if none came within ``timeout`` seconds."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def ask(self, command: str, timeout: float = 120) -> str:
        """Send ``command`` and return its answer; raise when none comes."""
        self.send(command)
        line = self.answer(timeout)
        if line is None:
            raise AssertionError(f"no answer to {command!r} within {timeout:g}s: {self.stderr()}")
        return line

    def stderr(self) -> str:
        """What the process wrote to stderr so far, if it has exited."""
        if self._process.poll() is None or self._process.stderr is None:
            return "(still running)"
        return self._process.stderr.read()[-2000:]

    def close(self) -> None:
        """End the process (its locks are released with it)."""
        with contextlib.suppress(OSError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=30)
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def workers(
    factory: str, envs: list[dict[str, str]], origin: str, client_id: str
) -> Iterator[list[Worker]]:
    """One :class:`Worker` per environment, all closed at the end."""
    started: list[Worker] = []
    try:
        for env in envs:
            started.append(Worker(factory, env, origin, client_id))
        yield started
    finally:
        for worker in started:
            worker.close()


def run_together(
    code: str, envs: Sequence[Mapping[str, str]], *args: str, timeout: float = 180
) -> list[tuple[str, str]]:
    """Start one interpreter per environment at once, each running ``code`` with
    ``args``; wait for all and return their (stdout, stderr), in order.

    Each must exit 0: the assertion shows the end of the first failure's stderr.
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    outputs = [p.communicate(timeout=timeout) for p in procs]
    errors = [err for p, (_, err) in zip(procs, outputs, strict=True) if p.returncode]
    assert not errors, f"a process failed: {errors[0][-2000:]}"
    return outputs


def init_race(
    factory: str, client_id: str, api_url: str, subject: str, envs: list[dict[str, str]]
) -> list[str]:
    """Run ``init`` in one process per environment at once; the profile ids they printed."""
    outputs = run_together(_INIT, envs, factory, client_id, api_url, subject)
    return [out.strip() for out, _ in outputs]
