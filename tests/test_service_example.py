"""examples/service.py: many concurrent requests for the same new users, one profile each."""

from __future__ import annotations

import importlib.util
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from livelike.emulator import Emulator
from tests.conftest import ROOT


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "service_example", ROOT / "examples" / "service.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def service(emulator: Emulator, tmp_path: Path) -> Iterator[str]:
    example = load_example()
    client = example.make_client("service-test", f"sqlite:///{tmp_path / 'tokens.sqlite3'}")
    server = example.make_server(
        "127.0.0.1",
        0,
        example.make_app(client),
        server_class=example.ThreadingWSGIServer,
        handler_class=example.QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/profile"
    server.shutdown()
    server.server_close()
    client.close()


def test_concurrent_requests_map_each_user_to_one_profile(service: str, emulator: Emulator) -> None:
    users = [f"u{n}" for n in range(20)] * 4
    random.Random(7).shuffle(users)

    def get(user: str) -> tuple[str, Any]:
        answer = requests.get(service, headers={"X-User": user}, timeout=30)
        assert answer.status_code == 200, answer.text
        return user, answer.json()["profile_id"]

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(get, users))
    by_user: dict[str, set[str]] = {}
    for user, profile_id in seen:
        by_user.setdefault(user, set()).add(profile_id)
    assert all(len(ids) == 1 for ids in by_user.values())
    assert len(by_user) == 20
    assert emulator.stats()["profiles_created"]["service-test"] == 20


def test_nickname_update_and_errors(service: str) -> None:
    renamed = requests.post(
        service, headers={"X-User": "ada"}, json={"nickname": "Ada"}, timeout=30
    )
    assert renamed.json()["nickname"] == "Ada"
    assert requests.get(service, headers={"X-User": "ada"}, timeout=30).json()["nickname"] == "Ada"
    too_long = requests.post(
        service, headers={"X-User": "ada"}, json={"nickname": "x" * 21}, timeout=30
    )
    assert too_long.status_code == 400
    assert "nickname must be 1 to 20 characters" in too_long.json()["error"]
    assert requests.get(service, timeout=30).status_code == 401
