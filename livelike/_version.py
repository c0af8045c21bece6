"""The version of the livelike package."""

__version__ = "0.1.0"
