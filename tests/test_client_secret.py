"""Client-generated access tokens: with the client secret, hosts need no shared storage.

Every test counts the profiles the emulator created (where they are billed).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import math
import os
import time
from pathlib import Path

import pytest

from livelike import _audit, _jwt, errors
from livelike.backends.file import FileBackend
from livelike.emulator import Emulator
from livelike.storage import utcnow
from tests.conftest import CLIENT_ID, MakeClient, created, hosts, requests_seen, run_together

SECRET = "s3cret-of-the-backend-only"


@pytest.fixture
def secret(emulator: Emulator) -> str:
    emulator.add_client_secret(CLIENT_ID, SECRET)
    return SECRET


def events(home: Path) -> list[str]:
    return [
        str(e.get("event", "created")) for e in _audit.entries(home / "audit.jsonl", every=True)
    ]


def pad(text: str) -> str:
    return text + "=" * (-len(text) % 4)


def test_the_signer_matches_an_independent_hs256_computation() -> None:
    claims = _jwt.claims_for("app", "user-1", ttl=60, now=1_700_000_000)
    assert claims == {"iss": "app", "iat": 1_700_000_000, "custom_profile_id": "user-1",
                      "exp": 1_700_000_060}  # fmt: skip
    token = _jwt.sign(claims, "key")
    header, payload, signature = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(pad(header))) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(base64.urlsafe_b64decode(pad(payload))) == claims
    expected = hmac.new(b"key", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(pad(signature)) == expected
    assert "exp" not in _jwt.claims_for("app", "user-1", ttl=None)


def test_init_with_a_secret_creates_on_first_use_then_finds_the_same_profile(
    emulator: Emulator, make_client: MakeClient, secret: str, home: Path, tmp_path: Path
) -> None:
    first = make_client(client_secret=secret).init(subject="user-1")
    assert first.source == "created"
    assert first.custom_id == "user-1"
    assert events(home) == ["created"]
    os.environ["LIVELIKE_HOME"] = str(tmp_path / "another-host")
    try:
        other = make_client(client_secret=secret).init(subject="user-1")
    finally:
        os.environ["LIVELIKE_HOME"] = str(home)
    assert other.id == first.id
    again = make_client(client_secret=secret).init(subject="user-1")
    assert again.id == first.id
    assert again.source == "signed"
    assert created(emulator) == 1
    assert requests_seen(emulator).get("create_profile", 0) == 0
    assert events(home) == ["created"]  # found again: not announced twice


def test_the_snapshot_is_cached_for_validate_false_with_a_fresh_token(
    emulator: Emulator, make_client: MakeClient, secret: str
) -> None:
    client = make_client(client_secret=secret, token_ttl=300)
    first = client.init(subject="cached-user")
    before = sum(requests_seen(emulator).values())
    cached = client.init(subject="cached-user", validate=False)
    assert cached.source == "cached"
    assert cached.id == first.id
    assert sum(requests_seen(emulator).values()) == before
    assert cached.access_token
    updated = client.update_user_profile(nickname="Grace")  # the signed token works
    assert updated.nickname == "Grace"


def test_an_unusable_snapshot_sends_validate_false_to_the_service(
    emulator: Emulator, make_client: MakeClient, secret: str
) -> None:
    client = make_client(client_secret=secret, storage="file")
    first = client.init(subject="broken-snapshot")
    key = client._key("broken-snapshot")
    record = client.saved_record("broken-snapshot")
    assert record is not None
    FileBackend().put(key, record.with_snapshot({"nickname": "no id"}, utcnow()))
    again = client.init(subject="broken-snapshot", validate=False)
    assert again.source == "signed"  # asked the service: the snapshot is only a cache
    assert again.id == first.id
    assert created(emulator) == 1


def test_the_environment_gives_the_secret_and_it_is_never_shown(
    emulator: Emulator,
    make_client: MakeClient,
    secret: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LIVELIKE_CLIENT_SECRET", secret)
    caplog.set_level(logging.DEBUG, logger="livelike")
    client = make_client()
    profile = client.init(subject="env-user")
    assert profile.custom_id == "env-user"
    assert secret not in repr(client)
    assert "client_secret=<hidden>" in repr(client)
    assert secret not in repr(profile)
    assert secret not in caplog.text
    assert profile.access_token
    assert profile.access_token not in caplog.text
    saved = (Path(os.environ["LIVELIKE_HOME"]) / "tokens").rglob("*")
    assert all(secret not in p.read_text() for p in saved if p.is_file())


def test_the_default_subject_is_refused_before_any_request(
    emulator: Emulator, make_client: MakeClient, secret: str
) -> None:
    client = make_client(client_secret=secret)
    with pytest.raises(errors.InvalidArgumentError, match="needs subject="):
        client.init()
    for ttl in (0, -1, math.inf, math.nan, True):
        with pytest.raises(errors.InvalidArgumentError, match="token_ttl"):
            make_client(client_secret=secret, token_ttl=ttl)
    with pytest.raises(errors.InvalidArgumentError, match="client_secret") as caught:
        make_client(client_secret="")
    assert sum(requests_seen(emulator).values()) == 0
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("kwargs", "setup"),
    [
        pytest.param({"client_secret": "the-wrong-secret"}, "secret", id="wrong secret"),
        pytest.param({"client_secret": SECRET}, "none", id="application has no secret"),
        pytest.param({"client_secret": SECRET, "token_ttl": 1}, "expired", id="expired"),
    ],
)
def test_a_rejected_signed_token_names_the_cause_and_creates_nothing(
    emulator: Emulator,
    make_client: MakeClient,
    kwargs: dict[str, object],
    setup: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if setup != "none":
        emulator.add_client_secret(CLIENT_ID, SECRET)
    if setup == "expired":  # this host's clock runs ten minutes late
        late = functools.partial(_jwt.claims_for, now=time.time() - 600)
        monkeypatch.setattr(_jwt, "claims_for", late)
    client = make_client(**kwargs)
    with pytest.raises(errors.ClientTokenRejectedError) as caught:
        client.init(subject="user-x")
    message = str(caught.value)
    assert "client secret" in message
    assert "clock" in message
    assert isinstance(caught.value, errors.InvalidAccessTokenError)
    assert SECRET not in message
    assert caught.value.__cause__ is None
    assert created(emulator) == 0
    assert requests_seen(emulator).get("create_profile", 0) == 0
    assert requests_seen(emulator).get("create_by_custom_id", 0) == 0


_WORKER = """
import json, sys
import livelike
client = livelike.LiveLike("test-client", client_secret=sys.argv[1])
ids = {}
for n in range(50):
    ids[n] = client.init(subject=f"user-{n}").id
print(json.dumps(ids))
"""


def test_eight_hosts_resolving_fifty_users_with_a_secret_create_fifty(
    emulator: Emulator, secret: str, tmp_path: Path
) -> None:
    outputs = run_together(_WORKER, hosts(emulator, tmp_path, 8), secret, timeout=300)
    results = []
    for out, err in outputs:
        assert secret not in err
        results.append(json.loads(out))
    assert all(result == results[0] for result in results)
    assert len(set(results[0].values())) == 50
    assert created(emulator) == 50
