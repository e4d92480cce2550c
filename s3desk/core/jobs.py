"""Saved jobs: a named source, target and rules of one of four kinds, kept in a TOML file.

The jobs file (`jobs.toml` in the platformdirs config folder) holds user settings only and has
a schema version. Machine state (the last plan of each job, the job last selected) is kept apart
in the state folder. Keys typed into the app are never in either: a job that runs with keys
names its keyring entry, and `Job.connection()` fetches them from the system keyring.

The file is written by a small writer in this module (the subset of TOML that jobs need:
strings, booleans, integers, arrays and tables) and read with the standard library's tomllib.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from s3desk.core import paths, secrets
from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.filters import EXCLUDE, INCLUDE
from s3desk.core.plan import Options
from s3desk.core.session import Connection
from s3desk.core.target import Target

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
STATE_VERSION = 1
JOBS_FILE = "jobs.toml"
STATE_FILE = "jobs-state.json"
DATE_FIELD = "{date}"
DEFAULT_MAX_DELETE = Options().max_delete

# Each is used with fullmatch: `$` would also accept a trailing newline.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+( *;.*)?")
_STORAGE_CLASSES = (
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
    "REDUCED_REDUNDANCY",
)


class Kind(StrEnum):
    """The four kinds of work people come with."""

    SITE = "site"
    IMAGES = "images"
    BACKUP = "backup"
    SHARE = "share"


def _anywhere(*names: str) -> tuple[str, ...]:
    """Exclude patterns for file names at the top and at any depth (`*` also matches `/`)."""
    return tuple(p for name in names for p in (name, f"*/{name}"))


CLUTTER = (*_anywhere(".DS_Store", "Thumbs.db"), "*.tmp")


@dataclass(frozen=True)
class KindRules:
    """The defaults of a kind, and what it allows."""

    prefix: str
    delete: bool
    delete_allowed: bool
    cache_control: str | None
    storage_class: str | None
    excludes: tuple[str, ...]
    create_only: bool
    summary: str


KINDS: dict[Kind, KindRules] = {
    Kind.SITE: KindRules(
        prefix="site/",
        delete=True,
        delete_allowed=True,
        cache_control="public,max-age=300",
        storage_class=None,
        excludes=CLUTTER,
        create_only=False,
        summary="Publish a site build: the folder is mirrored, deletes guarded.",
    ),
    Kind.IMAGES: KindRules(
        prefix="assets/images/",
        delete=False,
        delete_allowed=True,
        cache_control="public,max-age=31536000,immutable",
        storage_class=None,
        excludes=("*.psd", *CLUTTER),
        create_only=False,
        summary="Upload images: long cache, no deletes unless turned on.",
    ),
    Kind.BACKUP: KindRules(
        prefix=f"backups/{DATE_FIELD}/",
        delete=False,
        delete_allowed=False,
        cache_control=None,
        storage_class="STANDARD_IA",
        excludes=("*.tmp",),
        create_only=True,
        summary="Keep a dated backup: append-only, never deletes or overwrites.",
    ),
    Kind.SHARE: KindRules(
        prefix="assets/private-reports/",
        delete=False,
        delete_allowed=False,
        cache_control=None,
        storage_class=None,
        excludes=(),
        create_only=False,
        summary="Share reports with short-lived links.",
    ),
}


class CredentialSource(StrEnum):
    """Where a job's credentials come from."""

    DEFAULT = "default"  # botocore's own chain: environment, default profile, instance role
    PROFILE = "profile"  # a named profile of the AWS config (SSO and assume-role included)
    KEYRING = "keyring"  # keys typed into the app, kept in the system keyring


@dataclass(frozen=True)
class Credentials:
    """How a job authenticates. Holds names only, never a key."""

    source: CredentialSource = CredentialSource.DEFAULT
    profile: str | None = None
    entry: str | None = None  # the keyring entry's user name, e.g. "job:site-prod"

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", CredentialSource(self.source))
        if self.source is CredentialSource.PROFILE and not self.profile:
            raise UsageError("A job that uses a profile must name it.")
        if self.source is CredentialSource.KEYRING and not self.entry:
            raise UsageError("A job that uses keys from the keyring must name the entry.")

    @classmethod
    def from_profile(cls, profile: str) -> Credentials:
        return cls(CredentialSource.PROFILE, profile=profile)

    @classmethod
    def from_keyring(cls, entry: str) -> Credentials:
        return cls(CredentialSource.KEYRING, entry=entry)

    def describe(self) -> str:
        """Words for a person, e.g. "profile deploy" or "keys in the system keyring"."""
        if self.source is CredentialSource.PROFILE:
            return f"profile {self.profile}"
        if self.source is CredentialSource.KEYRING:
            return f"keys in the system keyring ({self.entry})"
        return "default credentials (environment or default profile)"


@dataclass(frozen=True)
class HeaderRule:
    """Headers for uploads whose relative path matches `glob`; the first matching rule wins."""

    glob: str
    cache_control: str | None = None
    content_type: str | None = None

    def __post_init__(self) -> None:
        problem = header_rule_problem(self.glob, self.cache_control, self.content_type)
        if problem:
            raise UsageError(f"Header rule for {self.glob!r} is not valid: {problem}.")

    def as_option(self) -> tuple[str, str, str]:
        """The rule as `Options.header_rules` holds it ("" for a header the rule leaves)."""
        return (self.glob, self.cache_control or "", self.content_type or "")

    def __str__(self) -> str:
        value = self.cache_control or ""
        if self.content_type:
            value += f";{self.content_type}"
        return f"{self.glob}={value}"


def header_rule_problem(glob: str, cache_control: str | None, content_type: str | None) -> str:
    """The first rule a header rule breaks, or an empty string."""
    if not glob.strip():
        return "the pattern is empty"
    if not cache_control and not content_type:
        return "it sets neither Cache-Control nor Content-Type"
    return header_values_problem(cache_control, content_type)


def header_values_problem(cache_control: str | None, content_type: str | None) -> str:
    """Why these header values cannot be sent, or an empty string."""
    for label, value in (("Cache-Control", cache_control), ("Content-Type", content_type)):
        if value and not _HEADER_VALUE.fullmatch(value):
            return f"{label} may hold only printable ASCII characters"
    if content_type and not _CONTENT_TYPE.fullmatch(content_type):
        return "Content-Type must look like type/subtype, e.g. text/html"
    return ""


def parse_header_rule(text: str) -> HeaderRule:
    """Parse `GLOB=cache-control;content-type` (either header may be empty).

    The glob ends at the first `=`, Cache-Control at the first `;`, so a Content-Type may carry
    parameters: `*.html=no-cache;text/html; charset=utf-8`.
    """
    glob, sep, value = text.partition("=")
    if not sep:
        raise UsageError(
            f"Header rule {text!r} has no '='. Write it as GLOB=CACHE-CONTROL;CONTENT-TYPE, "
            "e.g. '*.html=no-cache' or '*.json=;application/json'."
        )
    cache_control, _, content_type = value.partition(";")
    return HeaderRule(
        glob=glob.strip(),
        cache_control=cache_control.strip() or None,
        content_type=content_type.strip() or None,
    )


def name_problem(name: str) -> str:
    """The first job naming rule that `name` breaks, or an empty string."""
    if not name:
        return "it is empty"
    if not _NAME.fullmatch(name):
        return (
            "use 1 to 64 letters, digits, dots, hyphens and underscores, "
            "starting with a letter or digit"
        )
    return ""


def source_problem(source: str) -> str:
    """Why `source` cannot be a job's source folder now, or an empty string."""
    if not source.strip():
        return "no folder chosen"
    path = Path(source).expanduser()
    if not path.exists():
        return "the folder does not exist"
    if not path.is_dir():
        return "it is a file, not a folder"
    return ""


@dataclass(frozen=True)
class Job:
    """A saved, named target with the rules of its kind.

    Built directly, a job keeps exactly the fields given; `new_job` fills in a kind's defaults.
    A backup job can never delete (constructing one that does raises) and is always create-only.
    """

    name: str
    kind: Kind
    source: str
    target: Target
    credentials: Credentials = field(default_factory=Credentials)
    filters: tuple[tuple[str, str], ...] = ()
    header_rules: tuple[HeaderRule, ...] = ()
    production: bool = False
    delete: bool = False
    cache_control: str | None = None
    content_type: str | None = None
    storage_class: str | None = None
    max_delete: int = DEFAULT_MAX_DELETE
    create_only: bool = False

    def __post_init__(self) -> None:
        problem = name_problem(self.name)
        if problem:
            raise UsageError(f"Job name {self.name!r} is not valid: {problem}.")
        object.__setattr__(self, "kind", _kind(self.kind))
        object.__setattr__(self, "filters", tuple(tuple(f) for f in self.filters))
        _check_filters(self.filters)
        _check_delete(self.kind, self.delete)
        if self.rules.create_only:
            object.__setattr__(self, "create_only", True)
        if self.storage_class and self.storage_class not in _STORAGE_CLASSES:
            raise UsageError(
                f"Storage class {self.storage_class!r} is not known. Use one of: "
                + ", ".join(_STORAGE_CLASSES)
                + "."
            )
        if not 0 <= self.max_delete <= 1_000_000_000:
            raise UsageError("The delete limit must be between 0 and 1,000,000,000.")
        problem = header_values_problem(self.cache_control, self.content_type)
        if problem:
            raise UsageError(f"Job {self.name}: {problem}.")

    @property
    def rules(self) -> KindRules:
        return KINDS[self.kind]

    def options(self, *, delete: bool | None = None) -> Options:
        """The plan options of this job; `delete` overrides the job's own deletes flag.

        Raises:
            UsageError: deletes were asked of a kind that never deletes (backup, share).
        """
        wanted = self.delete if delete is None else delete
        _check_delete(self.kind, wanted)
        return Options(
            delete=wanted,
            filters=self.filters,
            cache_control=self.cache_control,
            content_type=self.content_type,
            storage_class=self.storage_class,
            max_delete=self.max_delete,
            create_only=self.create_only,
            header_rules=tuple(rule.as_option() for rule in self.header_rules),
        )

    def target_for_today(self, today: date | None = None) -> Target:
        """The target with `{date}` in the prefix replaced by today's local date, YYYY-MM-DD.

        Expanded when a plan is made, so a backup job made yesterday writes under today's date.
        """
        day = (today or date.today()).isoformat()
        return replace(self.target, prefix=self.target.prefix.replace(DATE_FIELD, day))

    def connection(self) -> Connection:
        """How to reach the target with this job's credentials.

        Keys kept in the keyring are fetched now, so the returned connection holds them in
        memory only.

        Raises:
            S3DeskError: the keyring is not secure, or holds no keys for this job.
        """
        region, endpoint = self.target.region, self.target.endpoint_url
        creds = self.credentials
        if creds.source is CredentialSource.KEYRING:
            keys = secrets.load_keys(creds.entry or secrets.entry_for_job(self.name))
            return Connection(region=region, endpoint_url=endpoint, keys=keys)
        if creds.source is CredentialSource.PROFILE:
            return Connection(profile=creds.profile, region=region, endpoint_url=endpoint)
        return Connection(region=region, endpoint_url=endpoint)

    def to_dict(self) -> dict[str, Any]:
        """The job as stored in the jobs file (no None values: TOML has no null)."""
        data: dict[str, Any] = {
            "kind": str(self.kind),
            "source": self.source,
            "bucket": self.target.bucket,
            "prefix": self.target.prefix,
            "region": self.target.region,
            "endpoint_url": self.target.endpoint_url,
            "production": self.production,
            "delete": self.delete,
            "max_delete": self.max_delete,
            "create_only": self.create_only,
            "cache_control": self.cache_control,
            "content_type": self.content_type,
            "storage_class": self.storage_class,
            "filters": [list(f) for f in self.filters],
            "header_rules": [_rule_dict(rule) for rule in self.header_rules],
            "credentials": _drop_none(
                {
                    "source": str(self.credentials.source),
                    "profile": self.credentials.profile,
                    "entry": self.credentials.entry,
                }
            ),
        }
        return _drop_none(data)

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> Job:
        creds = data.get("credentials", {})
        return cls(
            name=name,
            kind=_kind(data["kind"]),
            source=data["source"],
            target=Target(
                bucket=data["bucket"],
                prefix=data.get("prefix", ""),
                region=data.get("region"),
                endpoint_url=data.get("endpoint_url"),
            ),
            credentials=Credentials(
                source=CredentialSource(creds.get("source", "default")),
                profile=creds.get("profile"),
                entry=creds.get("entry"),
            ),
            filters=tuple((f[0], f[1]) for f in data.get("filters", ())),
            header_rules=tuple(HeaderRule(**rule) for rule in data.get("header_rules", ())),
            production=bool(data.get("production", False)),
            delete=bool(data.get("delete", False)),
            cache_control=data.get("cache_control"),
            content_type=data.get("content_type"),
            storage_class=data.get("storage_class"),
            max_delete=int(data.get("max_delete", DEFAULT_MAX_DELETE)),
            create_only=bool(data.get("create_only", False)),
        )


def _kind(value: str | Kind) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        known = ", ".join(k.value for k in Kind)
        raise UsageError(f"Unknown job kind {value!r}. Use one of: {known}.") from None


def _check_delete(kind: Kind, delete: bool) -> None:
    if not delete or KINDS[kind].delete_allowed:
        return
    if kind is Kind.BACKUP:
        raise UsageError(
            "A backup job never deletes or overwrites, whatever the options say. "
            "Remove the delete option, or use a site job to mirror a folder.",
            title="Deletes refused",
        )
    raise UsageError(
        f"A {kind} job does not delete. Remove the delete option.", title="Deletes refused"
    )


def _check_filters(filters: tuple[tuple[str, ...], ...]) -> None:
    for rule in filters:
        if len(rule) != 2 or rule[0] not in (EXCLUDE, INCLUDE) or not rule[1]:
            raise UsageError(f"Filter {rule!r} is not valid: write ('exclude', PATTERN).")


def _rule_dict(rule: HeaderRule) -> dict[str, str]:
    return _drop_none(
        {"glob": rule.glob, "cache_control": rule.cache_control, "content_type": rule.content_type}
    )


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def new_job(
    name: str,
    kind: Kind | str,
    source: str,
    bucket: str,
    *,
    prefix: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    credentials: Credentials | None = None,
    production: bool = False,
    delete: bool | None = None,
    filters: Iterable[tuple[str, str]] = (),
    header_rules: Iterable[HeaderRule] = (),
    cache_control: str | None = None,
    content_type: str | None = None,
    storage_class: str | None = None,
    max_delete: int = DEFAULT_MAX_DELETE,
) -> Job:
    """A job of `kind` with that kind's defaults, changed where an argument is given.

    The kind's excludes come first and `filters` after them, so an include given here can
    bring back a file the defaults leave out (the last matching filter wins).
    """
    kind = _kind(kind)
    rules = KINDS[kind]
    return Job(
        name=name,
        kind=kind,
        source=source,
        target=Target(
            bucket=bucket,
            prefix=rules.prefix if prefix is None else prefix,
            region=region,
            endpoint_url=endpoint_url,
        ),
        credentials=credentials or Credentials(),
        filters=(*((EXCLUDE, p) for p in rules.excludes), *filters),
        header_rules=tuple(header_rules),
        production=production,
        delete=rules.delete if delete is None else delete,
        cache_control=cache_control or rules.cache_control,
        content_type=content_type,
        storage_class=storage_class or rules.storage_class,
        max_delete=max_delete,
        create_only=rules.create_only,
    )


# --- the jobs file ---------------------------------------------------------------------------


def jobs_path() -> Path:
    """The jobs file in the platformdirs config folder (not created here)."""
    return paths.config_dir() / JOBS_FILE


def load_jobs(path: Path | None = None) -> dict[str, Job]:
    """Every saved job by name, in file order; an empty dict when there is no jobs file.

    Raises:
        UsageError: the file is not valid TOML, has a newer schema, or holds an invalid job.
    """
    path = path or jobs_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise S3DeskError("Jobs unreadable", f"{path} cannot be read: {exc.strerror}.") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML ({exc}). Fix it or move it away.") from exc
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise UsageError(
            f"{path} has schema version {version!r}; this s3desk reads version "
            f"{SCHEMA_VERSION}. Use the s3desk that wrote it, or move the file away."
        )
    jobs: dict[str, Job] = {}
    for name, table in data.get("jobs", {}).items():
        try:
            jobs[name] = Job.from_dict(name, table)
        except UsageError as exc:
            raise UsageError(f"Job {name!r} in {path}: {exc.message}") from exc
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise UsageError(f"Job {name!r} in {path} is incomplete or malformed ({exc}).") from exc
    return jobs


def save_jobs(jobs: Iterable[Job], path: Path | None = None) -> Path:
    """Write every job to the jobs file at once (a new file moved into place)."""
    path = path or jobs_path()
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "jobs": {job.name: job.to_dict() for job in jobs},
    }
    header = "# s3desk jobs. No keys are kept here: typed keys live in the system keyring.\n"
    _write_atomically(path, header + dump_toml(document))
    logger.debug("jobs saved to %s", path)
    return path


def load_job(name: str, path: Path | None = None) -> Job:
    """The saved job called `name`.

    Raises:
        UsageError: no such job (the message lists the saved ones).
    """
    jobs = load_jobs(path)
    if name not in jobs:
        known = ", ".join(jobs) or "none yet (add one with s3desk jobs add)"
        raise UsageError(f"No job called {name!r}. Saved jobs: {known}.", title="Job not found")
    return jobs[name]


def add_job(job: Job, *, replace: bool = False, path: Path | None = None) -> None:
    """Save `job`; an existing job of that name is replaced only when `replace` is set."""
    jobs = load_jobs(path)
    if job.name in jobs and not replace:
        raise UsageError(
            f"A job called {job.name!r} already exists. Choose another name, or replace it.",
            title="Job exists",
        )
    jobs[job.name] = job
    save_jobs(jobs.values(), path)
    logger.info("job %s saved (%s to %s)", job.name, job.kind, job.target.url)


def remove_job(name: str, *, path: Path | None = None) -> Job:
    """Delete the job called `name`, and the keys it kept in the keyring."""
    jobs = load_jobs(path)
    job = load_job(name, path)
    del jobs[name]
    save_jobs(jobs.values(), path)
    creds = job.credentials
    if creds.source is CredentialSource.KEYRING and creds.entry == secrets.entry_for_job(name):
        secrets.delete_keys(creds.entry)
    logger.info("job %s removed", name)
    return job


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- a small TOML writer ---------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def dump_toml(document: dict[str, Any]) -> str:
    """TOML for a document of tables, strings, booleans, integers and arrays of those (arrays
    may hold inline tables). Plain values of a table come before its sub-tables."""
    lines: list[str] = []
    _dump_table(document, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _dump_table(table: dict[str, Any], where: list[str], lines: list[str]) -> None:
    subtables = {k: v for k, v in table.items() if isinstance(v, dict)}
    plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
    if where and (plain or not subtables):
        lines.append("")
        lines.append("[" + ".".join(_key(k) for k in where) + "]")
    for key, value in plain.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in subtables.items():
        _dump_table(value, [*where, key], lines)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        items = [_value(v) for v in value]
        inline = "[" + ", ".join(items) + "]"
        if len(inline) <= 80:
            return inline
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


# --- machine state, apart from the settings --------------------------------------------------


def state_path() -> Path:
    """The machine-state file in the platformdirs state folder (not created here)."""
    return paths.state_dir() / STATE_FILE


@dataclass(frozen=True)
class JobState:
    """What this machine remembers of a job: its last saved plan, and when it was made."""

    last_plan: str | None = None
    last_plan_at: str | None = None


def _load_state(path: Path | None = None) -> dict[str, Any]:
    path = path or state_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"schema_version": STATE_VERSION, "jobs": {}}
    if not isinstance(data, dict) or data.get("schema_version") != STATE_VERSION:
        # Machine state is a convenience: an unknown version is started afresh, not an error.
        logger.warning("machine state in %s ignored: unknown schema version", path)
        return {"schema_version": STATE_VERSION, "jobs": {}}
    data.setdefault("jobs", {})
    return data


def _save_state(data: dict[str, Any], path: Path | None = None) -> None:
    _write_atomically(path or state_path(), json.dumps(data, indent=1) + "\n")


def job_state(name: str, path: Path | None = None) -> JobState:
    """What this machine remembers of the job called `name`."""
    entry = _load_state(path)["jobs"].get(name, {})
    return JobState(last_plan=entry.get("last_plan"), last_plan_at=entry.get("last_plan_at"))


def record_plan(name: str, plan_path: str | Path, made_at: str, path: Path | None = None) -> None:
    """Remember the plan last saved for the job called `name`."""
    data = _load_state(path)
    data["jobs"][name] = {"last_plan": str(plan_path), "last_plan_at": made_at}
    _save_state(data, path)


def selected_job_name(path: Path | None = None) -> str | None:
    """The job selected when the window last closed."""
    return _load_state(path).get("selected")


def remember_selected(name: str | None, path: Path | None = None) -> None:
    """Remember the selected job for the next start of the window."""
    data = _load_state(path)
    data["selected"] = name
    _save_state(data, path)
