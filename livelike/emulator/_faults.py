"""Fault injection: what a queued fault is and how its JSON description is checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from livelike.emulator._messages import Response, reason

__all__ = ["ROUTE_NAMES", "Fault", "fault_spec", "parse_fault"]

ROUTE_NAMES = (
    "config",
    "create_profile",
    "get_profile",
    "update_profile",
    "profile_detail",
    "update_profile_detail",
    "delete_profile",
    "create_by_custom_id",
    "get_by_custom_id",
    "other",
)
"""Route names used by the stats and by fault injection."""

_FAULT_WHEN = ("before", "after")
_FIELDS = frozenset({"route", "times", "status", "body", "retry_after", "delay", "drop", "when"})


@dataclass
class Fault:
    """One queued fault for a route; applies to the next ``times`` requests on it."""

    route: str
    times: int = 1
    status: int | None = None
    body: object = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    when: str = "before"

    def response(self) -> Response:
        """The response a status fault answers with."""
        status = self.status if self.status is not None else 500
        body = self.body if self.body is not None else {"detail": reason(status)}
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            seconds = self.retry_after
            headers["Retry-After"] = str(int(seconds)) if seconds == int(seconds) else str(seconds)
        return Response(status, body, headers)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_fault(spec: object) -> Fault:
    """Validate a fault description (the JSON of ``POST /_emulator/faults``).

    Raises ValueError with a readable message when the description is invalid.
    """
    if not isinstance(spec, Mapping):
        raise ValueError("A fault must be a JSON object.")
    unknown = sorted(str(key) for key in spec if key not in _FIELDS)
    if unknown:
        raise ValueError(f"Unknown fault field(s): {', '.join(unknown)}.")
    route = spec.get("route")
    if route not in ROUTE_NAMES:
        raise ValueError(f"'route' must be one of: {', '.join(ROUTE_NAMES)}.")
    times = spec.get("times", 1)
    if not _integer(times) or times < 1:
        raise ValueError("'times' must be an integer of at least 1.")
    status = spec.get("status")
    if status is not None and (not _integer(status) or not 100 <= status <= 599):
        raise ValueError("'status' must be an HTTP status code between 100 and 599.")
    delay = spec.get("delay", 0.0)
    if delay is None:
        delay = 0.0
    if not _number(delay) or not 0 <= delay <= 300:
        raise ValueError("'delay' must be a number of seconds between 0 and 300.")
    drop = spec.get("drop", False)
    if not isinstance(drop, bool):
        raise ValueError("'drop' must be true or false.")
    when = spec.get("when", "before")
    if when not in _FAULT_WHEN:
        raise ValueError("'when' must be 'before' or 'after'.")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (not _number(retry_after) or retry_after < 0):
        raise ValueError("'retry_after' must be a non-negative number of seconds.")
    if status is None and not drop and not delay:
        raise ValueError("A fault needs at least one of 'status', 'drop' or 'delay'.")
    return Fault(
        route=str(route),
        times=int(times),
        status=status,
        body=spec.get("body"),
        retry_after=None if retry_after is None else float(retry_after),
        delay=float(delay),
        drop=drop,
        when=str(when),
    )


def fault_spec(
    route: str,
    *,
    status: int | None,
    times: int,
    delay: float,
    drop: bool,
    when: str,
    retry_after: float | None,
    body: object,
) -> dict[str, object]:
    """The JSON description of a fault (what :func:`parse_fault` reads)."""
    spec: dict[str, object] = {
        "route": route,
        "times": times,
        "delay": delay,
        "drop": drop,
        "when": when,
    }
    if status is not None:
        spec["status"] = status
    if retry_after is not None:
        spec["retry_after"] = retry_after
    if body is not None:
        spec["body"] = body
    return spec
