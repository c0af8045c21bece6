"""The emulator's custom-id routes, profiles by id, and client-generated access tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from livelike.emulator import Emulator, EmulatorClient
from tests.conftest import emulator_cli, run_threads

CLIENT = "custom-client"
OTHER = "custom-other"
SECRET = "a-client-secret-of-the-backend"

pytestmark = pytest.mark.livelike_client_ids(CLIENT, OTHER)


def by_custom_id(emulator: Emulator, custom_id: str, client_id: str = CLIENT) -> str:
    return f"{emulator.url}/profile-by-custom-id/{client_id}/{custom_id}/"


def current(emulator: Emulator, client_id: str = CLIENT) -> str:
    return f"{emulator.url}/applications/{client_id}/profile/"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_token(claims: dict[str, Any], secret: str = SECRET, alg: str = "HS256") -> str:
    """An HS256 JWT as an integration's backend signs it (written here, not the emulator's)."""
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{b64(signature.digest())}"


def claims_for(custom_id: str, client_id: str = CLIENT, **extra: Any) -> dict[str, Any]:
    return {"iss": client_id, "iat": int(time.time()), "custom_profile_id": custom_id, **extra}


# --------------------------------------------------------------------------- custom ids


def test_create_by_custom_id_is_201_then_409(livelike_emulator: Emulator) -> None:
    url = by_custom_id(livelike_emulator, "user-42")
    first = requests.post(url, json={"nickname": "Ada"}, timeout=5)
    assert first.status_code == 201
    profile = first.json()
    assert profile["custom_id"] == "user-42"
    assert profile["nickname"] == "Ada"
    assert profile["access_token"]
    again = requests.post(url, json={}, timeout=5)
    assert again.status_code == 409
    assert again.json() == {"detail": "profile with custom_id 'user-42' already exists."}
    stats = livelike_emulator.stats()
    assert stats["profiles_created"] == {CLIENT: 1}
    assert stats["requests"]["create_by_custom_id"] == 2
    mine = requests.get(
        current(livelike_emulator), headers=bearer(profile["access_token"]), timeout=5
    )
    assert mine.json()["custom_id"] == "user-42"


def test_get_by_custom_id(livelike_emulator: Emulator) -> None:
    created = requests.post(by_custom_id(livelike_emulator, "user%40example.com"), timeout=5)
    assert created.json()["custom_id"] == "user@example.com"
    found = requests.get(by_custom_id(livelike_emulator, "user%40example.com"), timeout=5)
    assert found.status_code == 200
    assert found.json() == {k: v for k, v in created.json().items() if k != "access_token"}
    missing = requests.get(by_custom_id(livelike_emulator, "nobody"), timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}
    assert livelike_emulator.stats()["requests"]["get_by_custom_id"] == 2


def test_custom_ids_are_unique_per_client_id(livelike_emulator: Emulator) -> None:
    mine = requests.post(by_custom_id(livelike_emulator, "shared"), timeout=5)
    theirs = requests.post(by_custom_id(livelike_emulator, "shared", OTHER), timeout=5)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    typo = requests.post(by_custom_id(livelike_emulator, "shared", "custom-typo"), timeout=5)
    assert typo.status_code == 404
    assert livelike_emulator.stats()["profiles_created_total"] == 2


def test_lost_answer_of_a_custom_id_create_bills_once(livelike_emulator: Emulator) -> None:
    url = by_custom_id(livelike_emulator, "retried")
    livelike_emulator.inject("create_by_custom_id", status=502, when="after")
    assert requests.post(url, json={}, timeout=5).status_code == 502
    livelike_emulator.inject("create_by_custom_id", drop=True, when="after")
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={}, timeout=5)
    assert requests.post(url, json={}, timeout=5).status_code == 409
    assert livelike_emulator.stats()["profiles_created_total"] == 1


# --------------------------------------------------------------------------- by id


def test_patch_and_delete_by_id(livelike_emulator: Emulator) -> None:
    created = requests.post(current(livelike_emulator), json={}, timeout=5).json()
    taken = requests.post(by_custom_id(livelike_emulator, "taken"), timeout=5).json()
    url = created["url"]
    patched = requests.patch(
        url,
        json={
            "nickname": "Renamed",
            "custom_data": "x",
            "attributes": [{"key": "tier", "value": "gold"}],
            "custom_id": "signed-up-7",
        },
        timeout=5,
    )
    assert patched.status_code == 200
    body = patched.json()
    assert (body["nickname"], body["custom_data"], body["custom_id"]) == (
        "Renamed",
        "x",
        "signed-up-7",
    )
    assert body["attributes"] == [{"key": "tier", "value": "gold"}]
    assert "access_token" not in body
    found = requests.get(by_custom_id(livelike_emulator, "signed-up-7"), timeout=5)
    assert found.json()["id"] == created["id"]
    clash = requests.patch(url, json={"custom_id": taken["custom_id"]}, timeout=5)
    assert clash.status_code == 400
    assert list(clash.json()) == ["custom_id"]

    deleted = requests.delete(url, timeout=5)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert requests.get(url, timeout=5).status_code == 404
    stale = requests.get(
        current(livelike_emulator), headers=bearer(created["access_token"]), timeout=5
    )
    assert stale.status_code == 403
    assert requests.delete(url, timeout=5).status_code == 404
    assert requests.patch(url, json={"nickname": "x"}, timeout=5).status_code == 404
    requests_seen = livelike_emulator.stats()["requests"]
    assert requests_seen["update_profile_detail"] == 3
    assert requests_seen["delete_profile"] == 2


def test_faults_on_the_routes_by_id(livelike_emulator: Emulator) -> None:
    created = requests.post(current(livelike_emulator), json={}, timeout=5).json()
    livelike_emulator.inject("delete_profile", status=503)
    assert requests.delete(created["url"], timeout=5).status_code == 503
    assert requests.get(created["url"], timeout=5).status_code == 200
    livelike_emulator.inject("update_profile_detail", drop=True)
    with pytest.raises(requests.ConnectionError):
        requests.patch(created["url"], json={"nickname": "Lost"}, timeout=5)
    livelike_emulator.inject("get_by_custom_id", status=500)
    assert requests.get(by_custom_id(livelike_emulator, "x"), timeout=5).status_code == 500


# --------------------------------------------------------------------------- client secrets


def test_client_generated_token_creates_on_first_use_only() -> None:
    with Emulator(client_secrets={CLIENT: SECRET}) as emulator:
        token = client_token(claims_for("backend-user-1", exp=int(time.time()) + 600))
        first = requests.get(current(emulator), headers=bearer(token), timeout=5)
        assert first.status_code == 200, first.text
        assert first.json()["custom_id"] == "backend-user-1"
        assert "access_token" not in first.json()
        later = client_token(claims_for("backend-user-1", jti="another"))
        again = requests.get(current(emulator), headers=bearer(later), timeout=5)
        assert again.json()["id"] == first.json()["id"]
        patched = requests.patch(
            current(emulator), headers=bearer(later), json={"nickname": "Signed"}, timeout=5
        )
        assert patched.json()["nickname"] == "Signed"
        assert emulator.stats()["profiles_created"] == {CLIENT: 1}


def test_first_uses_racing_create_one_profile() -> None:
    with Emulator(client_secrets={CLIENT: SECRET}) as emulator:
        ids: list[str] = []
        barrier = threading.Barrier(8)

        def use() -> None:
            token = client_token(claims_for("racing-user", jti=uuid.uuid4().hex))
            barrier.wait()
            response = requests.get(current(emulator), headers=bearer(token), timeout=10)
            ids.append(response.json()["id"])

        run_threads(use, 8)
        assert len(ids) == 8
        assert len(set(ids)) == 1
        assert emulator.stats()["profiles_created_total"] == 1


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (client_token(claims_for("u"), secret="wrong-secret"), "Invalid token signature."),
        (
            client_token(claims_for("u", client_id=OTHER)),
            "Token issuer (iss) is not this client id.",
        ),
        (client_token(claims_for("u", exp=int(time.time()) - 5)), "Token has expired."),
        (client_token(claims_for("has space")), "Token custom_profile_id is missing or malformed."),
        (client_token(claims_for("u", iat=int(time.time()) + 3600)), "check the clocks"),
        (client_token(claims_for("u"), alg="HS512"), "Invalid token signature."),
    ],
)
def test_rejected_client_generated_tokens_create_nothing(token: str, message: str) -> None:
    with Emulator(client_secrets={CLIENT: SECRET}) as emulator:
        response = requests.get(current(emulator), headers=bearer(token), timeout=5)
        assert response.status_code == 403
        assert message in response.json()["detail"]
        assert SECRET not in response.text
        assert emulator.stats()["profiles_created_total"] == 0


def test_client_without_a_secret_refuses_client_generated_tokens(
    livelike_emulator: Emulator,
) -> None:
    response = requests.get(
        current(livelike_emulator), headers=bearer(client_token(claims_for("u"))), timeout=5
    )
    assert response.status_code == 403
    assert livelike_emulator.stats()["profiles_created_total"] == 0


def test_secrets_through_the_control_api_are_never_shown(livelike_emulator: Emulator) -> None:
    control = EmulatorClient(livelike_emulator.url)
    control.add_client_secret("late-service", SECRET)
    listed = requests.get(f"{livelike_emulator.root_url}/_emulator/clients", timeout=5)
    assert listed.json()["client_ids_with_secret"] == ["late-service"]
    assert "late-service" in listed.json()["client_ids"]
    assert SECRET not in listed.text
    token = client_token(claims_for("u", client_id="late-service"))
    response = requests.get(
        current(livelike_emulator, "late-service"), headers=bearer(token), timeout=5
    )
    assert response.status_code == 200
    with pytest.raises(ValueError, match="non-empty"):
        control.add_client_secret("late-service", "")
    with pytest.raises(ValueError, match="non-empty") as caught:
        Emulator(client_secrets={CLIENT: "  "})
    assert SECRET not in str(caught.value)


def test_cli_client_secret_belongs_to_the_client_id_before_it() -> None:
    args = ["--client-id", "svc-a", "--client-secret", "secret-a", "--client-id", "svc-b"]
    with emulator_cli(*args) as (_, url, _):
        listed = requests.get(url.replace("/api/v1", "/_emulator/clients"), timeout=5).json()
        assert listed == {
            "client_ids": ["demo", "svc-a", "svc-b"],
            "client_ids_with_secret": ["svc-a"],
        }
        token = client_token(claims_for("u", client_id="svc-a"), secret="secret-a")
        ok = requests.get(f"{url}/applications/svc-a/profile/", headers=bearer(token), timeout=5)
        assert ok.status_code == 200


# --------------------------------------------------------------------------- storage


def test_db_file_of_an_older_emulator_gains_custom_ids(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE profiles (id TEXT PRIMARY KEY, client_id TEXT NOT NULL,
                nickname TEXT NOT NULL, custom_data TEXT, attributes TEXT NOT NULL,
                created_at TEXT NOT NULL);
            CREATE TABLE tokens (token TEXT PRIMARY KEY, profile_id TEXT NOT NULL,
                client_id TEXT NOT NULL, issued_at TEXT NOT NULL);
            """
        )
        conn.execute(
            "INSERT INTO profiles VALUES (?, ?, 'Old', NULL, '[]', '2026-01-01T00:00:00.000000Z')",
            (str(uuid.uuid4()), CLIENT),
        )
    conn.close()
    with Emulator(db=str(db), client_ids=[CLIENT]) as emulator:
        assert requests.post(by_custom_id(emulator, "new"), timeout=5).status_code == 201
        assert requests.post(by_custom_id(emulator, "new"), timeout=5).status_code == 409
