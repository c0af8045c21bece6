"""SQLite-backed profile and token store for the LiveLike emulator.

The store knows nothing about HTTP: it keeps profiles, issues access tokens and
looks them up. It is safe to share between the server's handler threads.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from livelike.emulator._jwt import sign

__all__ = [
    "Attribute",
    "CustomIdTaken",
    "Profile",
    "ProfileFields",
    "ProfileStore",
    "utc_timestamp",
]

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
    created_at TEXT NOT NULL,
    custom_id TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
"""

_CUSTOM_ID_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS profiles_custom_id ON profiles (client_id, custom_id)"
    " WHERE custom_id IS NOT NULL"
)
_COLUMNS = "id, client_id, nickname, custom_data, attributes, created_at, custom_id"
_SIGNING_ROW = "signing_secret"

_ADJECTIVES = ("Brave", "Calm", "Eager", "Happy", "Jolly", "Lucky", "Quiet", "Swift", "Witty")
_NOUNS = ("Otter", "Falcon", "Panda", "Tiger", "Koala", "Fox", "Heron", "Lynx", "Badger")

Attribute = tuple[str, str]
"""One profile attribute as a ``(key, value)`` pair."""


def utc_timestamp() -> str:
    """Return the current UTC time as ISO-8601 with microseconds and ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CustomIdTaken(Exception):
    """Another profile of the same client id already has this custom id."""


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
    custom_id: str | None = None


@dataclass(frozen=True)
class ProfileFields:
    """Validated writable fields of a create or update request.

    ``provided`` names the fields the request actually carried; the others keep
    their current value (update) or their default (create).
    """

    nickname: str | None = None
    custom_data: str | None = None
    attributes: tuple[Attribute, ...] = ()
    custom_id: str | None = None
    provided: frozenset[str] = field(default_factory=frozenset)


def _new_profile(client_id: str, fields: ProfileFields) -> Profile:
    """A new profile of ``client_id`` with ``fields`` (an assigned nickname when none)."""
    return Profile(
        id=str(uuid.uuid4()),
        client_id=client_id,
        nickname=fields.nickname if fields.nickname is not None else _assigned_nickname(),
        custom_data=fields.custom_data,
        attributes=fields.attributes,
        created_at=utc_timestamp(),
        custom_id=fields.custom_id,
    )


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
            self._migrate()
            self._secret = self._load_secret()
        except BaseException:
            self._conn.close()
            raise

    def _migrate(self) -> None:
        """Add what files written by older emulators lack (the custom id column)."""
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(profiles)")}
        with self._conn:
            if "custom_id" not in columns:
                self._conn.execute("ALTER TABLE profiles ADD COLUMN custom_id TEXT")
            self._conn.execute(_CUSTOM_ID_INDEX)

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
        """Build an HS256 JWT access token signed with the store secret."""
        claims = {
            "iss": client_id,
            "iat": int(time.time()),
            "profile_id": profile_id,
            "jti": secrets.token_hex(16),
        }
        return sign(claims, self._secret)

    def create_profile(self, client_id: str, fields: ProfileFields) -> tuple[Profile, str]:
        """Create a profile for ``client_id`` and return it with a new access token.

        ``fields.custom_id`` (when provided) must be free within the client id,
        else :class:`CustomIdTaken` is raised and nothing is created.
        """
        profile = _new_profile(client_id, fields)
        token = self._issue_token(client_id, profile.id)
        with self._lock:
            self._insert(profile, token)
        return profile, token

    def _insert(self, profile: Profile, token: str) -> None:
        """Insert a profile and its token (the caller holds the lock)."""
        try:
            with self._conn:
                self._conn.execute(
                    f"INSERT INTO profiles ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    (
                        profile.id,
                        profile.client_id,
                        profile.nickname,
                        profile.custom_data,
                        json.dumps([list(pair) for pair in profile.attributes]),
                        profile.created_at,
                        profile.custom_id,
                    ),
                )
                self._conn.execute(
                    "INSERT INTO tokens (token, profile_id, client_id, issued_at)"
                    " VALUES (?, ?, ?, ?)",
                    (token, profile.id, profile.client_id, profile.created_at),
                )
        except sqlite3.IntegrityError:
            raise CustomIdTaken(profile.custom_id) from None

    def get_profile(self, profile_id: str) -> Profile | None:
        """Return the profile with this id, or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM profiles WHERE id = ?",  # noqa: S608
                (profile_id,),
            ).fetchone()
        return None if row is None else _row_to_profile(row)

    def profile_by_custom_id(self, client_id: str, custom_id: str) -> Profile | None:
        """Return the client id's profile with this custom id, or None."""
        with self._lock:
            return self._select_custom(client_id, custom_id)

    def _select_custom(self, client_id: str, custom_id: str) -> Profile | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM profiles WHERE client_id = ? AND custom_id = ?",  # noqa: S608
            (client_id, custom_id),
        ).fetchone()
        return None if row is None else _row_to_profile(row)

    def get_or_create_by_custom_id(self, client_id: str, custom_id: str) -> tuple[Profile, bool]:
        """The client id's profile with this custom id, created if there is none (atomic).

        Returns ``(profile, created)``; concurrent first uses create one profile.
        """
        with self._lock:
            profile = self._select_custom(client_id, custom_id)
            if profile is not None:
                return profile, False
            profile = _new_profile(client_id, ProfileFields(custom_id=custom_id))
            self._insert(profile, self._issue_token(client_id, profile.id))
        return profile, True

    def profile_for_token(self, token: str) -> Profile | None:
        """Return the profile an access token was issued for (exact match), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT p.id, p.client_id, p.nickname, p.custom_data, p.attributes, p.created_at,"
                " p.custom_id FROM tokens t JOIN profiles p ON p.id = t.profile_id"
                " WHERE t.token = ?",
                (token,),
            ).fetchone()
        return None if row is None else _row_to_profile(row)

    def update_profile(self, profile_id: str, fields: ProfileFields) -> Profile | None:
        """Apply the provided ``fields`` to a profile and return it (None if it is gone).

        A custom id another profile of the client id has raises :class:`CustomIdTaken`.
        """
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
        if "custom_id" in fields.provided:
            assignments.append("custom_id = ?")
            values.append(fields.custom_id)
        if assignments:
            sql = f"UPDATE profiles SET {', '.join(assignments)} WHERE id = ?"  # noqa: S608
            try:
                with self._lock, self._conn:
                    self._conn.execute(sql, (*values, profile_id))
            except sqlite3.IntegrityError:
                raise CustomIdTaken(fields.custom_id) from None
        return self.get_profile(profile_id)

    def delete_profile(self, profile_id: str) -> bool:
        """Delete a profile and its tokens; False if there was no such profile."""
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM tokens WHERE profile_id = ?", (profile_id,))
            cursor = self._conn.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))
        return cursor.rowcount > 0

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
        custom_id=None if row[6] is None else str(row[6]),
    )
