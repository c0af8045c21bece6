"""Quickstart: get this user's LiveLike profile, reusing the saved one.

Run it twice: the first run creates a profile (billed as a Monthly Active
User) and saves its token; the second reuses it. Against the bundled
emulator::

    livelike emulator --client-id quickstart-demo &
    LIVELIKE_API_URL=http://127.0.0.1:8765/api/v1 python examples/quickstart.py
"""

from __future__ import annotations

import os
import sys

import livelike


def main() -> int:
    """Init the SDK and say whether the profile is new or reused."""
    client_id = os.environ.get("LIVELIKE_CLIENT_ID", "quickstart-demo")
    try:
        profile = livelike.init(client_id)
    except livelike.LiveLikeError as exc:
        print(f"quickstart: {exc}", file=sys.stderr)
        return 1
    if profile.source == "created":
        print(
            f"Created profile {profile.id} ({profile.nickname}); it counts towards "
            "Monthly Active Users. Its token is saved for next time."
        )
    else:
        print(f"Reused the saved profile {profile.id} ({profile.nickname}); nothing created.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
