"""``python -m livelike``: the command-line interface."""

from livelike.cli import main

raise SystemExit(main())
