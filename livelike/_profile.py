"""The :class:`Profile` model."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import attrs

from livelike.storage import TokenRecord

__all__ = ["Profile"]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _attributes(value: Any) -> Mapping[str, str]:
    """The service's ``[{"key": .., "value": ..}]`` list as a read-only mapping."""
    pairs: dict[str, str] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and isinstance(item.get("key"), str):
                raw = item.get("value")
                pairs[item["key"]] = raw if isinstance(raw, str) else str(raw)
    return MappingProxyType(pairs)


@attrs.frozen
class Profile:
    """A LiveLike user profile, as the service sent it.

    Attributes:
        id: the profile's id (a UUID string).
        nickname: the name shown for the profile's chat messages.
        custom_data: the integrator's free-form string, or ``None``.
        created_at: when the service created the profile (``None`` if it did not say).
        client_id: the application's client id.
        custom_id: the integration's own id for the profile, or ``None``.
        attributes: the profile's attributes, a read-only mapping of strings.
        data: the full JSON object the service sent, read-only, without ``access_token``.
        access_token: the token that authenticates as this profile, where known.
            It is never shown by ``repr`` or ``str``.
        source: how this object was obtained: ``"created"`` (a new profile,
            which counts towards Monthly Active Users), ``"saved"`` (a saved
            token, validated with the service), ``"given"`` (the token passed
            to ``init``), ``"cached"`` (the saved snapshot, no request made:
            see ``fetched_at``), ``"signed"`` (found with a token signed with
            the client secret) or ``"service"`` (any other call).
        fetched_at: when the service sent this data (for ``"cached"``, when
            the snapshot was taken), or None.

    Example::

        profile = livelike.init(client_id)
        print(profile.id, profile.nickname)
    """

    id: str
    nickname: str
    custom_data: str | None = None
    created_at: datetime | None = None
    client_id: str | None = None
    custom_id: str | None = None
    attributes: Mapping[str, str] = attrs.field(factory=lambda: MappingProxyType({}), eq=False)
    data: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    access_token: str | None = attrs.field(default=None, repr=False)
    source: str = attrs.field(default="service", eq=False)
    fetched_at: datetime | None = attrs.field(default=None, eq=False)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle and copy support: ``data`` and ``attributes`` are read-only views, rebuilt."""
        fields = attrs.asdict(self, recurse=False)
        fields["data"] = dict(self.data)
        fields["attributes"] = dict(self.attributes)
        return (_rebuild, (fields,))

    @classmethod
    def from_snapshot(cls, record: TokenRecord) -> Profile | None:
        """The profile snapshot saved in ``record`` (``source="cached"``), or None.

        None also when the snapshot is unusable (not an object, no id): it is
        only a cache, so the caller asks the service instead.
        """
        if record.profile is None:
            return None
        try:
            return cls.from_json(
                record.profile,
                access_token=record.access_token,
                source="cached",
                fetched_at=record.fetched_at,
            )
        except ValueError:
            return None

    @classmethod
    def from_json(
        cls,
        body: Mapping[str, Any],
        *,
        access_token: str | None = None,
        source: str = "service",
        fetched_at: datetime | None = None,
    ) -> Profile:
        """Build a profile from the service's JSON.

        The token comes from ``access_token`` or, failing that, from the
        body's ``access_token`` field (only the create answer has one).

        Raises:
            ValueError: the body is not a JSON object with a string ``id``.
        """
        if not isinstance(body, Mapping):
            raise ValueError(f"the service sent {type(body).__name__}, not a profile object")
        profile_id = body.get("id")
        if not isinstance(profile_id, str) or not profile_id:
            raise ValueError("the service sent a profile without an id")
        token = (
            access_token if access_token is not None else _optional_str(body.get("access_token"))
        )
        data = {k: v for k, v in body.items() if k != "access_token"}
        return cls(
            id=profile_id,
            nickname=_optional_str(body.get("nickname")) or "",
            custom_data=_optional_str(body.get("custom_data")),
            created_at=_parse_time(body.get("created_at")),
            client_id=_optional_str(body.get("client_id")),
            custom_id=_optional_str(body.get("custom_id")),
            attributes=_attributes(body.get("attributes")),
            data=MappingProxyType(data),
            access_token=token,
            source=source,
            fetched_at=fetched_at or datetime.now(timezone.utc),
        )


def _rebuild(fields: dict[str, Any]) -> Profile:
    """Unpickle a :class:`Profile` (``data`` becomes a read-only view again)."""
    data = fields.pop("data", {})
    attributes = MappingProxyType(dict(fields.pop("attributes", {})))
    return Profile(data=MappingProxyType(dict(data)), attributes=attributes, **fields)
