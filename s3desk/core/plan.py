"""The plan: an immutable record of what apply will do, and what it was computed against.

A plan names its target, source, options and the identity it was made as, and holds actions in
key order. Each action carries the remote state it was compared with (absent, or size and
ETag), so apply can make every write conditional on exactly that state.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from s3desk.core.errors import UsageError
from s3desk.core.identity import Identity
from s3desk.core.target import Target

logger = logging.getLogger(__name__)

PLAN_VERSION = 1


class Op(StrEnum):
    """What apply does with one key."""

    UPLOAD = "upload"  # the key is absent: create it
    UPDATE = "update"  # the key exists and its content differs: overwrite it
    METADATA = "metadata"  # same bytes, other headers: copy the object onto itself
    DELETE = "delete"  # the key has no local file (only with --delete)
    SKIP = "skip"  # nothing to do
    CONFLICT = "conflict"  # shown for review, never acted on automatically


WRITES = (Op.UPLOAD, Op.UPDATE, Op.METADATA)
CHANGES = (Op.UPLOAD, Op.UPDATE, Op.METADATA, Op.DELETE)


@dataclass(frozen=True, slots=True)
class Headers:
    """The headers an upload gets."""

    cache_control: str | None = None
    content_type: str | None = None
    content_encoding: str | None = None
    storage_class: str | None = None

    def to_dict(self) -> dict[str, str]:
        # Written out rather than asdict(): a plan of many files calls this once per action.
        fields = (
            ("cache_control", self.cache_control),
            ("content_type", self.content_type),
            ("content_encoding", self.content_encoding),
            ("storage_class", self.storage_class),
        )
        return {name: value for name, value in fields if value}


NO_HEADERS = Headers()


@dataclass(frozen=True, slots=True)  # slots: a plan may hold a million of them
class Action:
    """One step of a plan, with the local and remote state it was computed from."""

    op: Op
    key: str
    path: str | None = None
    size: int | None = None
    remote_size: int | None = None
    remote_etag: str | None = None
    reason: str = ""
    mtime_ns: int | None = None
    ctime_ns: int | None = None
    md5: str | None = None
    headers: Headers = NO_HEADERS  # immutable, so shared by every action without headers

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "op": str(self.op),
            "key": self.key,
            "path": self.path,
            "size": self.size,
            "remote_size": self.remote_size,
            "remote_etag": self.remote_etag,
            "reason": self.reason,
        }
        if self.mtime_ns is not None:
            data["mtime_ns"] = self.mtime_ns
        if self.ctime_ns is not None:
            data["ctime_ns"] = self.ctime_ns
        if self.md5:
            data["md5"] = self.md5
        headers = self.headers.to_dict()
        if headers:
            data["headers"] = headers
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        for name in ("size", "remote_size", "mtime_ns", "ctime_ns"):
            if data.get(name) is not None and type(data[name]) is not int:
                raise ValueError(f"{name} of {data.get('key')!r} is not a whole number")
        return cls(
            op=Op(data["op"]),
            key=data["key"],
            path=data.get("path"),
            size=data.get("size"),
            remote_size=data.get("remote_size"),
            remote_etag=data.get("remote_etag"),
            reason=data.get("reason", ""),
            mtime_ns=data.get("mtime_ns"),
            ctime_ns=data.get("ctime_ns"),
            md5=data.get("md5"),
            headers=Headers(**data.get("headers", {})),
        )


@dataclass(frozen=True)
class Options:
    """The choices a plan was made with. Filters keep their command-line order."""

    delete: bool = False
    filters: tuple[tuple[str, str], ...] = ()
    compare: str = "checksum"
    follow_symlinks: bool = False
    cache_control: str | None = None
    content_type: str | None = None
    storage_class: str | None = None
    max_delete: int = 20
    delete_excluded: bool = False
    allow_empty_source: bool = False
    create_only: bool = False
    header_rules: tuple[tuple[str, str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["filters"] = [list(f) for f in self.filters]
        data["header_rules"] = [list(r) for r in self.header_rules]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Options:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["filters"] = tuple(tuple(f) for f in known.get("filters", ()))
        known["header_rules"] = tuple(tuple(r) for r in known.get("header_rules", ()))
        return cls(**known)


@dataclass(frozen=True)
class Summary:
    upload: int = 0
    update: int = 0
    metadata: int = 0
    delete: int = 0
    skip: int = 0
    conflict: int = 0
    upload_bytes: int = 0

    @property
    def changes(self) -> int:
        return self.upload + self.update + self.metadata + self.delete


@dataclass(frozen=True)
class Plan:
    """What will change, as reviewed. Apply performs these actions and nothing else."""

    target: Target
    source: str
    options: Options
    identity: Identity
    actions: tuple[Action, ...]
    created_at: str = field(default_factory=lambda: now_iso())
    blocked: bool = False
    block_reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    version: int = PLAN_VERSION
    job: str | None = None  # the saved job it was made for, whose credentials apply uses
    remote_objects: int = 0  # objects under the prefix when it was listed (for the guards)
    remote_bytes: int | None = None  # their bytes (None in plans saved before it was kept)

    @cached_property
    def summary(self) -> Summary:
        counts = dict.fromkeys(("upload", "update", "metadata", "delete", "skip", "conflict"), 0)
        upload_bytes = 0
        for action in self.actions:
            counts[str(action.op)] += 1
            if action.op in (Op.UPLOAD, Op.UPDATE):
                upload_bytes += action.size or 0
        return Summary(upload_bytes=upload_bytes, **counts)

    @property
    def changes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.op in CHANGES)

    def with_actions(self, actions: tuple[Action, ...]) -> Plan:
        return replace(self, actions=actions)

    def to_dict(self) -> dict[str, Any]:
        summary = self.summary
        return {
            "version": self.version,
            "created_at": self.created_at,
            "identity": self.identity.to_dict(),
            "target": self.target.to_dict(),
            "source": self.source,
            "options": self.options.to_dict(),
            "actions": [a.to_dict() for a in self.actions],
            "summary": {
                "upload": summary.upload,
                "update": summary.update,
                "metadata": summary.metadata,
                "delete": summary.delete,
                "skip": summary.skip,
                "conflict": summary.conflict,
                "upload_bytes": summary.upload_bytes,
            },
            "blocked": self.blocked,
            "block_reasons": list(self.block_reasons),
            "warnings": list(self.warnings),
            "job": self.job,
            "remote_objects": self.remote_objects,
            "remote_bytes": self.remote_bytes,
        }

    def to_json(self) -> str:
        """Indented, one action a line. json indents only in its pure-Python encoder (0.2 s
        for 10,000 actions), so each action is written by the C encoder on a line of its own."""
        data = self.to_dict()
        actions = data.pop("actions")
        head = json.dumps(data, indent=1, ensure_ascii=False)
        encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
        lines = ",\n  ".join(map(encode, actions))
        body = f"\n  {lines}\n " if actions else ""
        return f'{head[:-2]},\n "actions": [{body}]\n}}'

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        if data.get("version") != PLAN_VERSION:
            raise UsageError(
                f"This plan file has version {data.get('version')!r}; this s3desk reads "
                f"version {PLAN_VERSION}. Make a new plan."
            )
        return cls(
            target=Target.from_dict(data["target"]),
            source=data["source"],
            options=Options.from_dict(data.get("options", {})),
            identity=Identity.from_dict(data.get("identity", {})),
            actions=tuple(Action.from_dict(a) for a in data["actions"]),
            created_at=data["created_at"],
            blocked=bool(data.get("blocked")),
            block_reasons=tuple(data.get("block_reasons", ())),
            warnings=tuple(data.get("warnings", ())),
            job=data.get("job"),
            remote_objects=int(data.get("remote_objects", 0)),
            remote_bytes=_optional_int(data.get("remote_bytes")),
        )


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError("remote_bytes is not a whole number")
    return value


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def save_plan(plan: Plan, path: str | Path) -> None:
    Path(path).write_text(plan.to_json() + "\n", encoding="utf-8")
    logger.info("plan saved to %s", path)


def load_plan(path: str | Path) -> Plan:
    """Read a saved plan, with a plain message when the file is missing or not a plan."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Plan.from_dict(data)
    except FileNotFoundError as exc:
        raise UsageError(f"No plan file at {path}.") from exc
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"{path} is not an s3desk plan file ({exc}).") from exc
