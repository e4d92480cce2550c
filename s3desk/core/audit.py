"""The audit log of signed links: one JSON object per line in the platformdirs log folder.

Each line says when a link was signed, by whom (the identity ARN), for which bucket and key, and
until when it works. It never holds the URL, its signature or any credential: whoever reads the
log learns what was shared, not how to fetch it.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from s3desk.core import paths
from s3desk.core.errors import S3DeskError

logger = logging.getLogger(__name__)

AUDIT_FILE = "share-links.jsonl"
AUDIT_VERSION = 1


@dataclass(frozen=True)
class AuditEntry:
    """One signed link, as the audit log records it. Times are ISO 8601 in UTC.

    `kind` is "download" (presigned GET) or "upload" (presigned POST). `expires_in` is the
    lifetime asked for and signed; `expires_at` the effective end, which is earlier when the
    signing credentials expire first.
    """

    time: str
    kind: str
    identity_arn: str
    endpoint: str
    bucket: str
    key: str
    expires_in: int
    expires_at: str

    def to_json(self) -> str:
        return json.dumps({"v": AUDIT_VERSION, **asdict(self)}, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> AuditEntry:
        names = {field.name for field in fields(cls)}
        values = {name: data[name] for name in names}
        values["expires_in"] = int(values["expires_in"])
        return cls(**values)


def audit_path() -> Path:
    """Where the audit log lives (the file may not exist yet)."""
    return paths.log_dir() / AUDIT_FILE


def record(entry: AuditEntry, path: Path | None = None) -> Path:
    """Append `entry` to the audit log, creating the file readable by its owner only.

    Raises:
        S3DeskError: the log cannot be written. Callers must then not hand the link out, since
            every link signed has to be on record.
    """
    path = path or audit_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as stream:
            stream.write(entry.to_json() + "\n")
    except OSError as exc:
        raise S3DeskError(
            "Audit log not writable",
            f"The link was not handed out because {path} cannot be written ({exc.strerror}). "
            "Free some space or fix the folder's permissions, then sign it again.",
            code="AuditLog",
        ) from exc
    logger.debug("audit entry written to %s", path)
    return path


def read_entries(path: Path | None = None, *, limit: int | None = None) -> list[AuditEntry]:
    """The newest `limit` entries (all with None), newest first. Unreadable lines are skipped
    with a warning; a missing log is an empty history."""
    path = path or audit_path()
    try:
        with path.open(encoding="utf-8") as stream:
            lines = deque(stream, maxlen=limit) if limit else list(stream)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise S3DeskError(
            "Audit log not readable",
            f"{path} cannot be read ({exc.strerror}). Check its permissions.",
            code="AuditLog",
        ) from exc
    entries = [entry for entry in map(_parse_line, lines) if entry is not None]
    entries.reverse()
    return entries


def _parse_line(line: str) -> AuditEntry | None:
    if not line.strip():
        return None
    try:
        return AuditEntry.from_dict(json.loads(line))
    except (ValueError, KeyError, TypeError):
        logger.warning("skipped an unreadable line in the audit log")
        return None
