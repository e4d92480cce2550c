"""Logging to the platformdirs log folder, and quiet third-party loggers.

Nothing is logged that is a secret or a presigned URL's query string.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from s3desk.core import paths

logger = logging.getLogger(__name__)

NOISY = ("botocore", "boto3", "s3transfer", "urllib3", "werkzeug", "moto")


def setup_logging(*, verbose: bool = False) -> Path | None:
    """Log INFO and up to s3desk.log in the log folder, and WARNING and up (or everything
    with `verbose`) to stderr. Returns the log file, or None when it cannot be written."""
    root = logging.getLogger()
    if getattr(root, "_s3desk_configured", False):
        return None
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("s3desk: %(levelname)s: %(message)s"))
    # A record marked console=False was already shown to the user in plain words.
    console.addFilter(lambda record: getattr(record, "console", True))
    root.addHandler(console)
    log_file = _file_handler(root)
    root._s3desk_configured = True  # type: ignore[attr-defined]
    return log_file


def _file_handler(root: logging.Logger) -> Path | None:
    folder = paths.log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "s3desk.log"
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        os.chmod(path, 0o600)
    except OSError:
        logger.warning("cannot write the log file in %s", folder)
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
