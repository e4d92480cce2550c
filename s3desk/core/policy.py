"""Least privilege: the smallest IAM policy for a job, a lint for policies, and a small evaluator.

A job touches one bucket and one prefix, and s3desk knows which calls each kind of job makes:

- ListObjectsV2 (plan, share view, preflight): s3:ListBucket on the bucket ARN, limited by an
  `s3:prefix` condition;
- HeadObject (header checks, the check before each write on a custom endpoint), GetObject, and
  the source of CopyObject (a metadata update): s3:GetObject on the prefix's object ARN;
- PutObject, the steps of a multipart upload, the destination of CopyObject: s3:PutObject;
- AbortMultipartUpload after a failed large upload: s3:AbortMultipartUpload;
- DeleteObject, for a job with deletes: s3:DeleteObject.

So the policy is written from a small value, `Access`, and `from_job` derives that value from a
saved job.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from s3desk.core.errors import UsageError
from s3desk.core.target import normalize_prefix, validate_bucket

logger = logging.getLogger(__name__)

POLICY_VERSION = "2012-10-17"
KINDS = ("site", "images", "backup", "share")
# Kinds whose jobs may delete when their options say so; backups never delete, share jobs
# only read.
DELETING_KINDS = ("site", "images")

LIST = "s3:ListBucket"
GET = "s3:GetObject"
PUT = "s3:PutObject"
ABORT = "s3:AbortMultipartUpload"
DELETE = "s3:DeleteObject"

# Actions that work on the bucket ARN, and those that work on object ARNs. Used by the lint to
# spot actions placed on the wrong kind of resource, where they silently grant nothing.
BUCKET_ACTIONS = frozenset(
    a.lower()
    for a in (
        LIST,
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:GetBucketAcl",
        "s3:GetBucketVersioning",
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicyStatus",
    )
)
OBJECT_ACTIONS = frozenset(
    a.lower()
    for a in (
        GET,
        PUT,
        ABORT,
        DELETE,
        "s3:GetObjectVersion",
        "s3:DeleteObjectVersion",
        "s3:GetObjectAcl",
        "s3:PutObjectAcl",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:ListMultipartUploadParts",
        "s3:RestoreObject",
    )
)
DELETE_ACTIONS = frozenset(a.lower() for a in (DELETE, "s3:DeleteObjectVersion"))

# Read-only bucket settings that the preflight checks look at. Not part of a job's policy unless
# asked for (`with_checks`): a job runs without them, and the checks then say what they could
# not see.
CHECK_ACTIONS = (
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketVersioning",
    "s3:GetLifecycleConfiguration",
)

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Access:
    """What one job does to S3, which is all a policy needs to know.

    Attributes:
        kind: site, images, backup or share.
        bucket: the bucket name.
        prefix: the job's prefix; `{...}` placeholders (a backup's `{date}`) stand for any text.
        deletes: the job deletes keys that have no local file (site and images jobs only).
        reads: the job reads objects or their headers (share links; HeadObject to read stored
            checksums and headers, and before each write on a custom endpoint).
        large_uploads: the job may upload in parts, so it may need to abort a failed upload.
        name: the job's name, used in messages and commands shown to the user.
    """

    kind: str
    bucket: str
    prefix: str = ""
    deletes: bool = False
    reads: bool = False
    large_uploads: bool = True
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UsageError(f"Unknown job kind {self.kind!r}; choose one of {', '.join(KINDS)}.")
        validate_bucket(self.bucket)
        object.__setattr__(self, "prefix", _normal_template(self.prefix))
        if self.deletes and self.kind not in DELETING_KINDS:
            raise UsageError(
                f"A {self.kind} job never deletes, so its policy cannot grant s3:DeleteObject."
            )

    @property
    def writes(self) -> bool:
        return self.kind != "share"

    @property
    def create_only(self) -> bool:
        """Backups only ever create keys: no overwrite, no delete."""
        return self.kind == "backup"

    @property
    def reads_objects(self) -> bool:
        return self.reads or self.kind == "share"

    @property
    def label(self) -> str:
        return self.name or f"{self.kind} job"

    @property
    def list_patterns(self) -> tuple[str, ...]:
        """The values of the `s3:prefix` condition: the prefix itself and anything under it."""
        pattern = prefix_pattern(self.prefix)
        if not pattern:
            return ()
        return (pattern, pattern + "*") if not pattern.endswith("*") else (pattern,)

    def object_arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:s3:::{self.bucket}/{prefix_pattern(self.prefix)}*"

    def bucket_arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:s3:::{self.bucket}"


def _normal_template(prefix: str) -> str:
    # Placeholders are checked as if they were plain text, then kept as written.
    normalize_prefix(_PLACEHOLDER.sub("x", prefix))
    stripped = prefix.strip("/")
    return f"{stripped}/" if stripped else ""


def prefix_pattern(prefix: str) -> str:
    """The prefix as an IAM pattern: each `{...}` placeholder becomes `*`.

    Limitation: a literal `*` or `?` in a prefix is a wildcard in IAM too; s3desk does not escape
    them (IAM has no escape for `?`).
    """
    return _PLACEHOLDER.sub("*", prefix)


# ---------------------------------------------------------------------------------------------
# Generation


@dataclass
class _Draft:
    sid: str
    actions: tuple[str, ...]
    resources: list[str] = field(default_factory=list)
    condition: dict[str, Any] | None = None

    def add(self, resource: str) -> None:
        if resource not in self.resources:
            self.resources.append(resource)

    def to_dict(self) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": list(self.actions) if len(self.actions) > 1 else self.actions[0],
            "Resource": self.resources if len(self.resources) > 1 else self.resources[0],
        }
        if self.condition:
            statement["Condition"] = self.condition
        return statement


def generate(accesses: Access | Iterable[Access], *, partition: str = "aws") -> dict[str, Any]:
    """The smallest IAM policy for one or several jobs, one statement per purpose.

    Object statements are shared by all jobs (their resources are listed together); listing gets
    one statement per bucket, because its `s3:prefix` condition applies to the bucket it names.

    Raises:
        UsageError: no job was given.
    """
    items = [accesses] if isinstance(accesses, Access) else list(accesses)
    if not items:
        raise UsageError("Name at least one job to write a policy for.")
    drafts: dict[str, _Draft] = {}
    for access in items:
        _add_list(drafts, access, partition)
        _add_objects(drafts, access, partition)
    statements = [draft.to_dict() for draft in drafts.values()]
    logger.debug("policy for %s: %d statements", [a.label for a in items], len(statements))
    return {"Version": POLICY_VERSION, "Statement": statements}


def generate_with_checks(accesses: Iterable[Access], *, partition: str = "aws") -> dict[str, Any]:
    """The job policy plus read-only access to the bucket settings that preflight checks."""
    items = list(accesses)
    policy = generate(items, partition=partition)
    buckets = sorted({f"arn:{partition}:s3:::{a.bucket}" for a in items})
    policy["Statement"].append(
        {
            "Sid": "ReadBucketSafetySettings",
            "Effect": "Allow",
            "Action": list(CHECK_ACTIONS),
            "Resource": buckets if len(buckets) > 1 else buckets[0],
        }
    )
    return policy


def _add_list(drafts: dict[str, _Draft], access: Access, partition: str) -> None:
    bucket = access.bucket_arn(partition)
    sid = "ListJobPrefixes" + _camel(access.bucket)
    number = 1
    while sid in drafts and drafts[sid].resources != [bucket]:
        number += 1  # another bucket with the same letters (my-bucket, my.bucket)
        sid = f"ListJobPrefixes{_camel(access.bucket)}{number}"
    draft = drafts.get(sid)
    if draft is None:
        draft = drafts[sid] = _Draft(sid, (LIST,), [bucket], condition={})
    if draft.condition is None:
        return  # another job lists the whole bucket already
    patterns = access.list_patterns
    if not patterns:
        draft.condition = None  # the bucket root: no prefix to limit it to
        return
    like = draft.condition.setdefault("StringLike", {}).setdefault("s3:prefix", [])
    like.extend(p for p in patterns if p not in like)


def _add_objects(drafts: dict[str, _Draft], access: Access, partition: str) -> None:
    objects = access.object_arn(partition)
    if access.reads_objects:
        _draft(drafts, "ReadJobObjects", (GET,)).add(objects)
    if access.create_only:
        # PutObject and CompleteMultipartUpload only with If-None-Match, so an existing key is
        # never replaced; the steps of a multipart upload that take no conditional header are
        # allowed apart (the s3:ObjectCreationOperation key is false for them).
        # Limitation: only AWS evaluates these condition keys (since November 2024); an
        # S3-compatible server or an older policy engine may ignore them.
        _draft(
            drafts, "CreateBackupObjectsOnly", (PUT,), {"Null": {"s3:if-none-match": "false"}}
        ).add(objects)
        _draft(
            drafts,
            "UploadBackupParts",
            (PUT,),
            {"Bool": {"s3:ObjectCreationOperation": "false"}},
        ).add(objects)
        if access.large_uploads:
            _draft(drafts, "AbortFailedBackupUploads", (ABORT,)).add(objects)
    elif access.writes:
        actions = (PUT, ABORT) if access.large_uploads else (PUT,)
        _draft(drafts, "WriteJobObjects", actions).add(objects)
    if access.deletes:
        _draft(drafts, "DeleteJobObjects", (DELETE,)).add(objects)


def _draft(
    drafts: dict[str, _Draft],
    sid: str,
    actions: tuple[str, ...],
    condition: dict[str, Any] | None = None,
) -> _Draft:
    if sid not in drafts:
        drafts[sid] = _Draft(sid, actions, condition=condition)
    elif drafts[sid].actions != actions:
        # Jobs of the same purpose with and without large uploads: keep the wider set.
        merged = tuple(dict.fromkeys(drafts[sid].actions + actions))
        drafts[sid].actions = merged
    return drafts[sid]


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def to_json(policy: Mapping[str, Any]) -> str:
    """The policy as people paste it into the IAM console: two-space indent, key order kept."""
    return json.dumps(policy, indent=2)


# ---------------------------------------------------------------------------------------------
# A small evaluator: which statement grants an action on a resource


@dataclass(frozen=True)
class Statement:
    """One policy statement in a normal form: lists of actions and of resources."""

    label: str
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    principal: Any
    condition: Mapping[str, Any]
    raw: Mapping[str, Any]

    @property
    def allows(self) -> bool:
        return self.effect.lower() == "allow"

    def covers_action(self, action: str) -> bool:
        if self.not_actions:
            return not any(_match(p, action) for p in self.not_actions)
        return any(_match(p, action) for p in self.actions)

    def covers_resource(self, resource: str) -> bool:
        if self.not_resources:
            return not any(_match(p, resource, case=True) for p in self.not_resources)
        return any(_match(p, resource, case=True) for p in self.resources)

    def condition_holds(self, context: Mapping[str, str]) -> bool:
        """Whether the conditions hold for `context`. Only StringLike and StringEquals on keys
        that `context` names are evaluated; any other condition counts as holding.

        Limitation: this is enough to explain a refusal and to check a generated policy, not a
        full IAM evaluator.
        """
        for operator, block in self.condition.items():
            test = _CONDITION_TESTS.get(operator)
            if test is None or not isinstance(block, Mapping):
                continue
            for key, expected in block.items():
                if key not in context:
                    continue
                values = [expected] if isinstance(expected, str) else list(expected)
                if not any(test(str(v), context[key]) for v in values):
                    return False
        return True


_CONDITION_TESTS = {
    "StringLike": lambda pattern, value: _match(pattern, value, case=True),
    "StringEquals": lambda expected, value: expected == value,
}


def _match(pattern: str, value: str, *, case: bool = False) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def statements(policy: Mapping[str, Any]) -> list[Statement]:
    """The statements of a policy document, normalised.

    Raises:
        UsageError: the document is not an IAM policy.
    """
    if not isinstance(policy, Mapping) or "Statement" not in policy:
        raise UsageError("This is not an IAM policy: it has no Statement.")
    raw = policy["Statement"]
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not all(isinstance(s, Mapping) for s in items):
        raise UsageError("This is not an IAM policy: Statement must be a list of objects.")
    return [_normal_statement(i, s) for i, s in enumerate(items, start=1)]


def _normal_statement(index: int, raw: Mapping[str, Any]) -> Statement:
    sid = str(raw.get("Sid") or "")
    return Statement(
        label=f"{sid!r} (statement {index})" if sid else f"statement {index}",
        effect=str(raw.get("Effect", "")),
        actions=tuple(_as_list(raw.get("Action"))),
        not_actions=tuple(_as_list(raw.get("NotAction"))),
        resources=tuple(_as_list(raw.get("Resource"))),
        not_resources=tuple(_as_list(raw.get("NotResource"))),
        principal=raw.get("Principal"),
        condition=raw.get("Condition") or {},
        raw=raw,
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def granting(
    policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str] | None = None
) -> list[Statement]:
    """The Allow statements that grant `action` on `resource`; none when a Deny matches."""
    context = context or {}
    matching = [
        s
        for s in statements(policy)
        if s.covers_action(action) and s.covers_resource(resource) and s.condition_holds(context)
    ]
    if any(not s.allows for s in matching):
        return []
    return matching


def needed(access: Access, *, partition: str = "aws") -> list[tuple[str, str, dict[str, str]]]:
    """Each (action, resource, condition context) the job needs, for checking a policy."""
    objects = f"arn:{partition}:s3:::{access.bucket}/{prefix_pattern(access.prefix)}example"
    listing = {"s3:prefix": prefix_pattern(access.prefix)} if access.prefix else {}
    wants = [(LIST, access.bucket_arn(partition), listing)]
    if access.reads_objects:
        wants.append((GET, objects, {}))
    if access.writes:
        wants.append((PUT, objects, {}))
        if access.large_uploads:
            wants.append((ABORT, objects, {}))
    if access.deletes:
        wants.append((DELETE, objects, {}))
    return wants


# ---------------------------------------------------------------------------------------------
# Lint


@dataclass(frozen=True)
class Finding:
    """One problem in a policy: where it is, what is wrong, and how to fix it."""

    statement: str
    code: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.statement}: {self.problem} Fix: {self.fix}"


def lint(policy_document: Mapping[str, Any], job: Access | None = None) -> list[Finding]:
    """Report the pitfalls of an S3 policy, and with `job`, what is too wide or missing for it.

    Raises:
        UsageError: the document is not an IAM policy.
    """
    items = statements(policy_document)
    findings: list[Finding] = []
    for statement in items:
        findings += _statement_findings(statement)
    findings += _abort_findings(items, job)
    if job is not None:
        findings += _job_findings(items, job)
        findings += _missing_findings(policy_document, job, findings)
    return findings


def _statement_findings(s: Statement) -> list[Finding]:
    found: list[Finding] = []
    if principal_is_anyone(s.principal) and s.allows and not s.condition:
        found.append(
            Finding(
                s.label,
                "principal-anyone",
                'It allows Principal "*" (anyone on the internet) with no condition.',
                "Name the account or role that needs access, or add a condition such as "
                "aws:SourceVpce or aws:PrincipalOrgID; for a public website, serve it through "
                "CloudFront with origin access control instead.",
            )
        )
    if not s.allows:
        return found
    found += _wildcard_findings(s)
    found += _resource_kind_findings(s)
    return found


def principal_is_anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in _as_list(v) for v in principal.values())
    return False


def _wildcard_findings(s: Statement) -> list[Finding]:
    found: list[Finding] = []
    wild = [a for a in s.actions if "*" in a or "?" in a]
    if wild:
        found.append(
            Finding(
                s.label,
                "wildcard-action",
                f"It grants wildcard actions ({', '.join(wild)}), which include deletes, ACL "
                "and bucket-policy changes the job never makes.",
                "List the actions one by one: s3:ListBucket, s3:GetObject, s3:PutObject, "
                "s3:AbortMultipartUpload, and s3:DeleteObject only for a job that deletes.",
            )
        )
    if s.not_actions:
        found.append(
            Finding(
                s.label,
                "not-action",
                "It allows every action except those in NotAction.",
                "Use Action with the few actions the job needs instead of NotAction.",
            )
        )
    star = [r for r in s.resources if _is_everything(r)]
    if star or s.not_resources:
        found.append(
            Finding(
                s.label,
                "resource-anything",
                'Its Resource is "*" (or NotResource): every bucket in the account.',
                "Name the bucket ARN (arn:aws:s3:::BUCKET) for s3:ListBucket and the prefix's "
                "object ARN (arn:aws:s3:::BUCKET/PREFIX/*) for object actions.",
            )
        )
    return found


def _resource_kind_findings(s: Statement) -> list[Finding]:
    found: list[Finding] = []
    concrete = [r for r in s.resources if ":s3:::" in r and not _is_everything(r)]
    object_arns = [r for r in concrete if "/" in r.split(":s3:::", 1)[1]]
    bucket_arns = [r for r in concrete if r not in object_arns]
    bucket_actions = [a for a in s.actions if a.lower() in BUCKET_ACTIONS]
    object_actions = [a for a in s.actions if a.lower() in OBJECT_ACTIONS]
    if bucket_actions and object_arns and not bucket_arns:
        found.append(
            Finding(
                s.label,
                "list-on-object-arn",
                f"{', '.join(bucket_actions)} is granted on an object ARN ({object_arns[0]}), "
                "where it has no effect: listing is then refused, and a tool may take the "
                "refusal for an empty bucket.",
                f"Grant it on the bucket ARN ({_bucket_of(object_arns[0])}) with an s3:prefix "
                "condition for the job's prefix.",
            )
        )
    if object_actions and bucket_arns and not object_arns:
        found.append(
            Finding(
                s.label,
                "object-action-on-bucket-arn",
                f"{', '.join(object_actions)} is granted on the bucket ARN ({bucket_arns[0]}), "
                "which names no object, so it grants nothing.",
                f"Grant it on the prefix's object ARN ({bucket_arns[0]}/PREFIX/*).",
            )
        )
    return found


def _is_everything(resource: str) -> bool:
    return resource == "*" or re.fullmatch(r"arn:[^:]*:s3:::\*", resource) is not None


def _bucket_of(arn: str) -> str:
    head, _, rest = arn.partition(":s3:::")
    return f"{head}:s3:::{rest.split('/', 1)[0]}"


def _abort_findings(items: Sequence[Statement], job: Access | None) -> list[Finding]:
    if job is not None and not (job.writes and job.large_uploads):
        return []
    found: list[Finding] = []
    for s in items:
        if not s.allows or not _grants_explicitly(s, PUT):
            continue
        for resource in (r for r in s.resources if "/" in r.split(":s3:::", 1)[-1]):
            if not _granted_anywhere(items, ABORT, resource):
                found.append(
                    Finding(
                        s.label,
                        "missing-abort-multipart",
                        f"It allows s3:PutObject on {resource} but nothing allows "
                        "s3:AbortMultipartUpload there: a large upload that fails leaves its "
                        "parts behind, stored and billed, and cannot be cleaned up.",
                        f"Add s3:AbortMultipartUpload on {resource}.",
                    )
                )
                break
    return found


def _grants_explicitly(s: Statement, action: str) -> bool:
    return action.lower() in (a.lower() for a in s.actions)


def _granted_anywhere(items: Sequence[Statement], action: str, resource: str) -> bool:
    # A pattern covers another when it matches it as text: bucket/* covers bucket/site/*.
    return any(
        s.allows
        and s.covers_action(action)
        and any(_match(p, resource, case=True) for p in s.resources)
        for s in items
    )


def _job_findings(items: Sequence[Statement], job: Access) -> list[Finding]:
    found: list[Finding] = []
    if not job.deletes:
        for s in items:
            deletes = [a for a in s.actions if a.lower() in DELETE_ACTIONS] if s.allows else []
            if deletes:
                found.append(
                    Finding(
                        s.label,
                        "delete-not-needed",
                        f"It grants {', '.join(deletes)}, but the {job.label} never deletes.",
                        "Remove the delete actions from this statement.",
                    )
                )
    found += _outside_prefix_findings(items, job)
    found += _unlimited_list_findings(items, job)
    found += _bucket_setting_findings(items, job)
    if job.kind == "backup":
        found += _overwrite_findings(items)
    return found


# Actions that change a bucket's own settings: no s3desk job ever needs one, and each can make a
# bucket public, delete it, or take it over.
BUCKET_SETTING_ACTIONS = frozenset(
    a.lower()
    for a in (
        "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl",
        "s3:PutBucketPublicAccessBlock", "s3:DeleteBucketPublicAccessBlock",
        "s3:PutBucketOwnershipControls", "s3:DeleteBucket", "s3:PutBucketWebsite",
        "s3:PutBucketCORS", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration", "s3:PutBucketObjectLockConfiguration",
    )
)  # fmt: skip


def _bucket_setting_findings(items: Sequence[Statement], job: Access) -> list[Finding]:
    found: list[Finding] = []
    for s in items:
        risky = [a for a in s.actions if a.lower() in BUCKET_SETTING_ACTIONS] if s.allows else []
        if risky:
            found.append(
                Finding(
                    s.label,
                    "bucket-settings-not-needed",
                    f"It grants {', '.join(risky)}, which changes the bucket's own settings; "
                    f"the {job.label} never needs that.",
                    "Remove these actions; bucket settings belong to an administrator's role.",
                )
            )
    return found


def _overwrite_findings(items: Sequence[Statement]) -> list[Finding]:
    """A backup writes create-only: a PutObject grant must carry a create-only condition."""
    found: list[Finding] = []
    for s in items:
        if not (s.allows and s.covers_action(PUT)):
            continue
        condition = json.dumps(s.condition or {}).lower()
        if "s3:if-none-match" not in condition and "s3:objectcreationoperation" not in condition:
            found.append(
                Finding(
                    s.label,
                    "backup-can-overwrite",
                    "It grants s3:PutObject without a create-only condition, so these "
                    "credentials could overwrite a backup.",
                    'Add the condition {"Null": {"s3:if-none-match": "false"}}, as '
                    "`s3desk policy` prints for a backup job.",
                )
            )
    return found


def _missing_findings(
    policy: Mapping[str, Any], job: Access, earlier: Sequence[Finding]
) -> list[Finding]:
    """What the job needs that nothing grants (a missing abort is already reported)."""
    abort_reported = any(f.code == "missing-abort-multipart" for f in earlier)
    found: list[Finding] = []
    for action, resource, context in needed(job):
        if (action == ABORT and abort_reported) or granting(policy, action, resource, context):
            continue
        shown = job.bucket_arn() if action == LIST else job.object_arn()
        where = f" for the prefix '{context['s3:prefix']}'" if context.get("s3:prefix") else ""
        found.append(
            Finding(
                "(policy)",
                "missing-permission",
                f"Nothing grants {action} on {shown}{where}, which the {job.label} needs.",
                "Add the statement that `s3desk policy` prints for this job.",
            )
        )
    return found


def _outside_prefix_findings(items: Sequence[Statement], job: Access) -> list[Finding]:
    if not job.prefix:
        return []
    allowed = [job.object_arn()]
    found: list[Finding] = []
    for s in items:
        if not s.allows or not any(a.lower() in OBJECT_ACTIONS for a in s.actions):
            continue
        wider = [
            r
            for r in s.resources
            if r.endswith("*") and "/" in r and not any(_match(a, r, case=True) for a in allowed)
        ]
        if wider:
            found.append(
                Finding(
                    s.label,
                    "outside-prefix",
                    f"It reaches beyond the job's prefix: {', '.join(wider)}.",
                    f"Limit the resource to {job.object_arn()}.",
                )
            )
    return found


def _unlimited_list_findings(items: Sequence[Statement], job: Access) -> list[Finding]:
    if not job.prefix:
        return []
    found: list[Finding] = []
    for s in items:
        if not (s.allows and s.covers_action(LIST) and s.covers_resource(job.bucket_arn())):
            continue
        if not any("s3:prefix" in block for block in s.condition.values()):
            patterns = ", ".join(f'"{p}"' for p in job.list_patterns)
            found.append(
                Finding(
                    s.label,
                    "list-without-prefix",
                    f"It lets the credentials list the whole bucket {job.bucket}, not only "
                    f"'{prefix_pattern(job.prefix)}'.",
                    f'Add "Condition": {{"StringLike": {{"s3:prefix": [{patterns}]}}}}.',
                )
            )
    return found


def load_policy(text: str) -> dict[str, Any]:
    """Parse a policy pasted or read from a file; the IAM console's and the CLI's
    `get-policy-version` output are both accepted.

    Raises:
        UsageError: not JSON, or not a policy.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"The policy is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
    if isinstance(data, Mapping) and "PolicyVersion" in data:
        data = data["PolicyVersion"].get("Document", data)
    if isinstance(data, str):  # Document as a URL-encoded or JSON string
        return load_policy(data)
    statements(data)
    return dict(data)


# ---------------------------------------------------------------------------------------------
# Jobs


def from_job(job: Any, *, reads: bool = True) -> Access:
    """The access a saved job (s3desk.core.jobs.Job) needs.

    Deletes come from the job's options, for the kinds that may delete. Reads (s3:GetObject)
    are on by default because the planner sends HeadObject for every job: to read the MD5 it
    stored on a multipart upload or to tell an encrypted object's ETag from a changed file, to
    compare stored headers with the job's header rules or Cache-Control, and, on a custom
    endpoint, before each write. Without them those checks report "unknown", which costs
    re-uploads (or conflicts for a backup) but never a wrong write.
    """
    kind = str(job.kind)
    options = job.options()
    return Access(
        kind=kind,
        bucket=job.target.bucket,
        prefix=job.target.prefix,
        deletes=bool(options.delete) and kind in DELETING_KINDS,
        reads=reads or kind == "share",
        name=str(job.name),
    )
