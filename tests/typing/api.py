"""Exercises the public API for the type checker (mypy --strict runs over it; pytest does not).

If a public signature changes in a way that breaks callers, mypy fails here.
"""

from __future__ import annotations

from datetime import datetime

import livelike
from livelike import errors
from livelike.emulator import Emulator, EmulatorClient, serve
from livelike.storage import StorageBackend, StorageKey, TokenRecord
from livelike.testing import BackendContract, ReadOnlyBackendContract


def module_functions() -> None:
    profile: livelike.Profile = livelike.init(
        "client-id",
        subject="user-1",
        storage=["file"],
        timeout=(1.0, 5.0),
        validate=False,
        on_invalid_token="raise",
    )
    token: str | None = profile.access_token
    when: datetime | None = profile.fetched_at
    updated: livelike.Profile = livelike.update_user_profile(nickname="Ada", custom_data="{}")
    fetched: livelike.Profile = livelike.get_user_profile()
    extra: livelike.Profile = livelike.create_user_profile(nickname="Two", save=False)
    del token, when, updated, fetched, extra


def explicit_client(backend: StorageBackend) -> None:
    with livelike.LiveLike("client-id", storage=[backend, "file"], config_ttl=0) as client:
        profile = client.init(subject="user-2", create=False, ephemeral=True)
        client.update_user_profile(nickname="Bo", access_token=profile.access_token)
        client.get_profile(profile.id)
        record: TokenRecord | None = client.saved_record("user-2")
        forgotten: list[str] = client.forget("user-2")
        del record, forgotten


def errors_carry_context(error: errors.LiveLikeError) -> None:
    if isinstance(error, errors.RateLimitedError):
        wait: float | None = error.retry_after
        del wait
    if isinstance(error, errors.APIError):
        status: int = error.status
        detail: str = error.detail
        del status, detail
    if isinstance(error, errors.ProfileNotSavedError):
        kept: livelike.Profile = error.profile
        del kept


class MyBackend(StorageBackend):
    name = "mine"

    def get(self, key: StorageKey) -> TokenRecord | None:
        return None


class TestMine(BackendContract):
    def make_backend(self) -> StorageBackend:
        return MyBackend()


class TestReadOnly(ReadOnlyBackendContract):
    def make_backend(self) -> StorageBackend:
        return MyBackend()


def emulator_api() -> None:
    with Emulator(client_ids=["a"]) as emulator:
        url: str = emulator.url
        emulator.inject("get_profile", status=503, times=2, retry_after=1)
        created: int = emulator.stats()["profiles_created_total"]
        EmulatorClient(url).reset(data=True)
        del created
    with serve() as base_url:
        del base_url
