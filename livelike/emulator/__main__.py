"""``python -m livelike.emulator``: run the LiveLike emulator (same as ``livelike emulator``)."""

from livelike.emulator._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
