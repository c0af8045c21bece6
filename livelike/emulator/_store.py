"""SQLite-backed profile and token store for the LiveLike emulator.

The store knows nothing about HTTP: it keeps profiles, issues access tokens and
looks them up. It is safe to share between the server's handler threads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

__all__ = ["Attribute", "Profile", "ProfileFields", "ProfileStore", "utc_timestamp"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS profiles (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    nickname TEXT NOT NULL,
    custom_data TEXT,
    attributes TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
"""

_SIGNING_ROW = "signing_secret"

_ADJECTIVES = ("Brave", "Calm", "Eager", "Happy", "Jolly", "Lucky", "Quiet", "Swift", "Witty")
_NOUNS = ("Otter", "Falcon", "Panda", "Tiger", "Koala", "Fox", "Heron", "Lynx", "Badger")

Attribute = tuple[str, str]
"""One profile attribute as a ``(key, value)`` pair."""


def utc_timestamp() -> str:
    """Return the current UTC time as ISO-8601 with microseconds and ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact_json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _assigned_nickname() -> str:
    """Pick a nickname the way the service does when none is given (at most 20 chars)."""
    return f"{secrets.choice(_ADJECTIVES)}{secrets.choice(_NOUNS)}{secrets.randbelow(10000)}"


@dataclass(frozen=True)
class Profile:
    """A stored profile, independent of how it is rendered over HTTP."""

    id: str
    client_id: str
    nickname: str
    custom_data: str | None
    attributes: tuple[Attribute, ...]
    created_at: str


@dataclass(frozen=True)
class ProfileFields:
    """Validated writable fields of a create or update request.

    ``provided`` names the fields the request actually carried; the others keep
    their current value (update) or their default (create).
    """

    nickname: str | None = None
    custom_data: str | None = None
    attributes: tuple[Attribute, ...] = ()
    provided: frozenset[str] = field(default_factory=frozenset)


class ProfileStore:
    """Profiles and access tokens in SQLite (``":memory:"`` or a file path).

    With a file path, profiles, tokens and the token signing secret survive a
    restart of the emulator. All methods are thread-safe.
    """

    def __init__(self, path: str = ":memory:") -> None:
        """Open (and if needed create) the store at ``path``."""
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=10.0)
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.executescript(_SCHEMA)
            self._secret = self._load_secret()
        except BaseException:
            self._conn.close()
            raise

    def _load_secret(self) -> bytes:
        with self._conn:
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                (_SIGNING_ROW, secrets.token_hex(32)),
            )
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (_SIGNING_ROW,)).fetchone()
        return bytes.fromhex(str(row[0]))

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def _issue_token(self, client_id: str, profile_id: str) -> str:
        """Build an HS256 JWT-shaped access token signed with the store secret."""
        header = _b64url(_compact_json({"alg": "HS256", "typ": "JWT"}))
        claims = {
            "iss": client_id,
            "iat": int(time.time()),
            "profile_id": profile_id,
            "jti": secrets.token_hex(16),
        }
        signing_input = f"{header}.{_b64url(_compact_json(claims))}"
        digest = hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(digest)}"

    def create_profile(self, client_id: str, fields: ProfileFields) -> tuple[Profile, str]:
        """Create a profile for ``client_id`` and return it with a new access token."""
        nickname = fields.nickname if fields.nickname is not None else _assigned_nickname()
        profile = Profile(
            id=str(uuid.uuid4()),
            client_id=client_id,
            nickname=nickname,
            custom_data=fields.custom_data,
            attributes=fields.attributes,
            created_at=utc_timestamp(),
        )
        token = self._issue_token(client_id, profile.id)
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO profiles (id, client_id, nickname, custom_data, attributes,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    profile.id,
                    profile.client_id,
                    profile.nickname,
                    profile.custom_data,
                    json.dumps([list(pair) for pair in profile.attributes]),
                    profile.created_at,
                ),
            )
            self._conn.execute(
                "INSERT INTO tokens (token, profile_id, client_id, issued_at) VALUES (?, ?, ?, ?)",
                (token, profile.id, client_id, profile.created_at),
            )
        return profile, token

    def get_profile(self, profile_id: str) -> Profile | None:
        """Return the profile with this id, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT id, client_id, nickname, custom_data, attributes, created_at"
                " FROM profiles WHERE id = ?",
                (profile_id,),
            ).fetchone()
        return None if row is None else _row_to_profile(row)

    def profile_for_token(self, token: str) -> Profile | None:
        """Return the profile an access token was issued for (exact match), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT p.id, p.client_id, p.nickname, p.custom_data, p.attributes, p.created_at"
                " FROM tokens t JOIN profiles p ON p.id = t.profile_id WHERE t.token = ?",
                (token,),
            ).fetchone()
        return None if row is None else _row_to_profile(row)

    def update_profile(self, profile_id: str, fields: ProfileFields) -> Profile | None:
        """Apply the provided ``fields`` to a profile and return it (None if it is gone)."""
        assignments: list[str] = []
        values: list[object] = []
        if "nickname" in fields.provided:
            assignments.append("nickname = ?")
            values.append(fields.nickname)
        if "custom_data" in fields.provided:
            assignments.append("custom_data = ?")
            values.append(fields.custom_data)
        if "attributes" in fields.provided:
            assignments.append("attributes = ?")
            values.append(json.dumps([list(pair) for pair in fields.attributes]))
        if assignments:
            sql = f"UPDATE profiles SET {', '.join(assignments)} WHERE id = ?"  # noqa: S608
            with self._lock, self._conn:
                self._conn.execute(sql, (*values, profile_id))
        return self.get_profile(profile_id)

    def clear(self) -> None:
        """Delete every profile and token (the signing secret is kept)."""
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM tokens")
            self._conn.execute("DELETE FROM profiles")


def _row_to_profile(row: tuple[object, ...]) -> Profile:
    raw_attributes = json.loads(str(row[4]))
    return Profile(
        id=str(row[0]),
        client_id=str(row[1]),
        nickname=str(row[2]),
        custom_data=None if row[3] is None else str(row[3]),
        attributes=tuple((str(key), str(value)) for key, value in raw_attributes),
        created_at=str(row[5]),
    )
