"""Logging to the platformdirs log folder, and quiet third-party loggers.

Nothing is logged that is a secret or a presigned URL's query string.
"""

from __future__ import annotations

import atexit
import copy
import logging
import logging.handlers
import os
import queue
import re
from pathlib import Path

from s3desk.core import paths

logger = logging.getLogger(__name__)

NOISY = ("botocore", "boto3", "s3transfer", "urllib3", "werkzeug", "moto")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class SafeFormatter(logging.Formatter):
    """One record, one line: control characters from keys and file names are escaped, so a
    name cannot forge log lines or move a terminal's cursor."""

    def format(self, record: logging.LogRecord) -> str:
        safe = copy.copy(record)
        safe.msg = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", record.getMessage())
        safe.args = None
        return super().format(safe)


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
    console.setFormatter(SafeFormatter("s3desk: %(levelname)s: %(message)s"))
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
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(_behind_queue(handler))
    return path


def _behind_queue(handler: logging.Handler) -> logging.Handler:
    """Hand records to one writer thread. Apply logs every key from many threads, and a file
    handler takes a lock and checks the file on each record: a third of a 10,000-file upload
    was spent waiting for that lock. The writer is stopped (and the queue drained) at exit."""
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, handler, respect_handler_level=True)
    listener.start()
    atexit.register(listener.stop)
    front = logging.handlers.QueueHandler(records)
    front.setLevel(handler.level)
    return front
