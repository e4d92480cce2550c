"""Where s3desk keeps its files, as platformdirs puts them. Nothing is created on import."""

from __future__ import annotations

from pathlib import Path

APP = "s3desk"


def config_dir() -> Path:
    """User settings: jobs."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def state_dir() -> Path:
    """Machine state: last plans, window layout."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP, appauthor=False))


def cache_dir() -> Path:
    """The local hash cache."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def log_dir() -> Path:
    """The log file and the audit log of signed links."""
    import platformdirs

    return Path(platformdirs.user_log_dir(APP, appauthor=False))
