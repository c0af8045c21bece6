"""A client used across ``os.fork()``: no hang on a lock, no shared socket.

The child always leaves through ``os._exit`` (never back into pytest), and
the parent waits for it with a deadline, killing it when that passes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

import livelike
from livelike import _locks, errors
from livelike._profile import Profile
from livelike._transport import RetryPolicy
from livelike.emulator import Emulator
from tests.conftest import MakeClient, created, requests_seen

DEADLINE = 60.0
ROUNDS = 5
CALLS = 40
# Forking a process that runs the emulator's threads is what this file tests.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@contextlib.contextmanager
def held_by_a_thread(lock: contextlib.AbstractContextManager[object]) -> Iterator[None]:
    """Hold ``lock`` in another thread while the block runs; release it and join after."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            holding.set()
            release.wait(DEADLINE)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        release.set()
        holder.join()


def wait_child(pid: int, deadline: float = DEADLINE) -> int:
    """The child's exit code; a child still running after ``deadline`` is killed (-1)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -1


def test_a_child_forked_while_a_parent_thread_holds_the_key_lock_does_not_hang(
    make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client(storage="file")
    with held_by_a_thread(client._storage().lock(client._key("default"))):
        pid = os.fork()
        if pid == 0:  # the child: init must not wait for a thread it does not have
            code = 3
            try:
                code = 0 if client.init().access_token else 2
            finally:
                os._exit(code)
    assert wait_child(pid) == 0
    assert client.init().id  # the parent finds the child's token
    assert created(emulator) == 1


def _fork_round(client: livelike.LiveLike, mine: Profile, theirs: Profile) -> tuple[int, int]:
    """Fork; parent and child each make CALLS calls at once. Return (child's code, wrong)."""
    assert client.get_user_profile().id == mine.id  # a keep-alive connection is pooled now
    ready, go = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            os.write(go, b"!")  # start together: overlapping calls are what could mix
            token = theirs.access_token
            wrong = sum(
                client.get_user_profile(access_token=token).id != theirs.id for _ in range(CALLS)
            )
            code = min(wrong, 90)
        except BaseException:
            code = 98
        finally:
            os._exit(code)
    os.read(ready, 1)
    wrong = 0
    try:
        wrong = sum(client.get_user_profile().id != mine.id for _ in range(CALLS))
    finally:
        child = wait_child(pid)
        os.close(ready)
        os.close(go)
    return child, wrong


def test_parent_and_child_never_share_a_socket(make_client: MakeClient, emulator: Emulator) -> None:
    """Five forks of 40 calls on each side: every call gets its own process's profile."""
    # No retries: a call that read the other process's answer, or lost its own, shows.
    client = make_client(storage="file", retry=RetryPolicy(max_retries=0), timeout=2.0)
    theirs = client.init(subject="child")
    mine = client.init(subject="parent")
    before = requests_seen(emulator).get("get_profile", 0)
    for _ in range(ROUNDS):
        child, wrong = _fork_round(client, mine, theirs)
        assert child == 0  # 98: the child's call failed; 1-90: it got another profile
        assert wrong == 0
    assert requests_seen(emulator).get("get_profile", 0) == before + ROUNDS * (2 * CALLS + 1)
    assert created(emulator) == 2


def test_a_wait_for_another_threads_lock_is_bounded(
    make_client: MakeClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_locks, "WAIT_TIMEOUT", 0.2)
    client = make_client(storage="file")
    with (
        held_by_a_thread(_locks.held(client._key("default"))),
        pytest.raises(errors.StorageError, match=r"timed out after 0.2s"),
    ):
        client.init()
    assert created(emulator) == 0
    assert client.init().id
    assert created(emulator) == 1
