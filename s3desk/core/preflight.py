"""Checks before the first dry run of a job: who the credentials are, whether the bucket and the
prefix can be reached and listed, and how exposed the bucket is.

Every check is a read-only call. A check that fails is an error and stops the dry run (a refused
listing would otherwise look like an empty prefix); what the bucket exposes is a warning with
what to do; a setting the credentials may not read is reported as not checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from s3desk.core import policy as iam
from s3desk.core.errors import S3DeskError, explain
from s3desk.core.identity import Identity, unverified_identity, who_am_i
from s3desk.core.session import Connection, make_client
from s3desk.core.target import Target

logger = logging.getLogger(__name__)

PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "everyone (AllUsers)",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": (
        "every AWS account (AuthenticatedUsers)"
    ),
}
BLOCK_PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
# Answers that mean "this server does not keep that setting" rather than "refused".
UNSUPPORTED_CODES = {"NotImplemented", "501", "MethodNotAllowed", "405", "InvalidRequest"}


class Severity(StrEnum):
    ERROR = "error"  # the dry run cannot go on
    WARNING = "warning"  # the job can run, but something should be fixed
    INFO = "info"  # not checked, or worth knowing
    OK = "ok"


@dataclass(frozen=True)
class Check:
    """The result of one check, in words for a person."""

    code: str
    severity: Severity
    title: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"[{self.severity}] {self.title}: {self.message}"
        return f"{text} {self.fix}" if self.fix else text


@dataclass(frozen=True)
class PreflightReport:
    """All checks for one target, in the order they ran."""

    target: Target
    identity: Identity | None
    region: str | None
    checks: tuple[Check, ...]

    @property
    def errors(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """True when nothing stops the dry run (warnings do not)."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise the first error as an S3DeskError, for callers that stop on it."""
        if self.errors:
            first = self.errors[0]
            raise S3DeskError(first.title, f"{first.message} {first.fix}".strip(), code=first.code)


@dataclass
class _Run:
    connection: Connection
    target: Target
    access: iam.Access | None
    client: Any
    checks: list[Check] = field(default_factory=list)
    region: str | None = None

    def add(self, check: Check) -> None:
        log = logger.warning if check.severity is Severity.WARNING else logger.info
        if check.severity is Severity.ERROR:
            log = logger.error
        log("preflight %s: %s", self.target.url, check)
        self.checks.append(check)


def run_preflight(
    connection: Connection,
    target: Target,
    access: iam.Access | None = None,
    *,
    exposure: bool = True,
    client: Any = None,
) -> PreflightReport:
    """Run the checks for `target`, as the job described by `access` (when known).

    Errors of the calls themselves become checks; this function raises nothing for them.
    """
    identity, stop = _check_identity(connection)
    run = _Run(connection, target, access, client)
    run.checks.extend(stop)
    if any(c.severity is Severity.ERROR for c in stop):
        return PreflightReport(target, identity, None, tuple(run.checks))
    if run.client is None:
        run.client = make_client(connection)
    reachable = _check_bucket(run)
    if reachable:
        reachable = _check_listing(run)
    if reachable and exposure:
        for check in _EXPOSURE_CHECKS:
            check(run)
    return PreflightReport(target, identity, run.region, tuple(run.checks))


# ---------------------------------------------------------------------------------------------
# Identity, bucket, listing


def _check_identity(connection: Connection) -> tuple[Identity | None, list[Check]]:
    try:
        identity = who_am_i(connection)
    except S3DeskError as error:
        if error.code != "NoSTS":
            return None, [Check("identity", Severity.ERROR, error.title, error.message)]
        identity = unverified_identity(connection)
        return identity, [
            Check(
                "identity",
                Severity.INFO,
                "Identity not verified",
                f"{error.message} The access key stands for the principal.",
            )
        ]
    ok = Check("identity", Severity.OK, "Identity", f"{identity.arn} (account {identity.account})")
    return identity, [ok]


def _check_bucket(run: _Run) -> bool:
    bucket = run.target.bucket
    try:
        reply = run.client.head_bucket(Bucket=bucket)
        headers = reply.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    except Exception as exc:
        return _bucket_refused(run, exc)
    run.region = headers.get("x-amz-bucket-region")
    _compare_region(run)
    where = f" in {run.region}" if run.region else ""
    run.add(Check("bucket", Severity.OK, "Bucket", f"{bucket} exists and answers{where}."))
    return True


def _bucket_refused(run: _Run, exc: Exception) -> bool:
    """HeadBucket failed: a missing bucket or an unreachable endpoint stops the checks; a
    refusal does not (HeadBucket needs s3:ListBucket without a prefix, which a least-privilege
    policy does not grant), so the listing decides."""
    response = getattr(exc, "response", {}) or {}
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    run.region = headers.get("x-amz-bucket-region")
    if status == 404:
        run.add(_missing_bucket(run.target))
        return False
    if status == 301 or (status == 400 and run.region):
        _compare_region(run)
        return True
    if status == 403:
        _compare_region(run)
        return True
    error = explain(exc, operation="s3:ListBucket (HeadBucket)", bucket=run.target.bucket)
    run.add(Check("bucket", Severity.ERROR, error.title, error.message))
    return False


def _missing_bucket(target: Target) -> Check:
    where = target.endpoint_url or "AWS"
    return Check(
        "bucket",
        Severity.ERROR,
        "Bucket not found",
        f"There is no bucket {target.bucket} at {where}.",
        "Check the bucket name, the endpoint and the account of the credentials.",
    )


def _compare_region(run: _Run) -> None:
    expected = run.target.region or run.connection.region
    if run.region and expected and run.region != expected:
        run.add(
            Check(
                "region",
                Severity.WARNING,
                "Bucket in another region",
                f"{run.target.bucket} is in {run.region}, but the job is set to {expected}; "
                "every call is redirected, and share links signed for the wrong region fail.",
                f"Set the job's region to {run.region}.",
            )
        )


def _check_listing(run: _Run) -> bool:
    target = run.target
    try:
        reply = run.client.list_objects_v2(Bucket=target.bucket, Prefix=target.prefix, MaxKeys=1)
    except Exception as exc:
        return _listing_refused(run, exc)
    found = "has objects" if reply.get("KeyCount", 0) else "is empty"
    run.add(Check("listing", Severity.OK, "Listing", f"{target.url} can be listed; it {found}."))
    return True


def _listing_refused(run: _Run, exc: Exception) -> bool:
    error = explain(exc, operation="s3:ListBucket", bucket=run.target.bucket)
    if error.code == "NoSuchBucket":
        run.add(_missing_bucket(run.target))
        return False
    if error.code != "AccessDenied":
        run.add(Check("listing", Severity.ERROR, error.title, error.message))
        return False
    arn = f"arn:aws:s3:::{run.target.bucket}"
    context = {"s3:prefix": run.target.prefix} if run.target.prefix else {}
    run.add(
        Check(
            "listing",
            Severity.ERROR,
            "Listing refused",
            f"s3:ListBucket on {arn} (prefix '{run.target.prefix}') was refused. Without a "
            "listing s3desk cannot tell what is there, so it will not make a plan: an empty "
            "answer would upload everything and hide every delete.",
            grant_advice(run.access, iam.LIST, arn, context),
        )
    )
    return False


def grant_advice(
    access: iam.Access | None, action: str, resource: str, context: dict[str, str] | None = None
) -> str:
    """What to do about a refused action: the statement of the job's policy that grants it."""
    if access is None:
        return (
            f"Ask for {action} on {resource}; `s3desk policy --kind KIND --bucket B --prefix P` "
            "prints the policy a job needs."
        )
    policy = iam.generate(access)
    statements = iam.granting(policy, action, resource, context)
    command = f"s3desk policy --job {access.name}" if access.name else "s3desk policy"
    if not statements:
        return (
            f"The {access.label} does not need {action} on {resource}; s3desk should not have "
            "asked for it. Please report this."
        )
    sid = statements[0].raw.get("Sid", statements[0].label)
    return (
        f"The job's policy grants it in statement '{sid}'. Attach the policy that `{command}` "
        "prints to these credentials (or ask whoever manages them to)."
    )


def explain_refusal(access: iam.Access | None, action: str, bucket: str, key: str = "") -> str:
    """A sentence for a refused call: the action, the resource, and the statement granting it."""
    resource = f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"
    return f"{action} on {resource} was refused. {grant_advice(access, action, resource)}"


# ---------------------------------------------------------------------------------------------
# Exposure: each a warning with what to do, or "not checked" when it cannot be read


def _read(run: _Run, method: str, action: str, missing: set[str]) -> dict[str, Any] | None:
    """Call a read-only bucket API. Returns {} when the setting does not exist (a code in
    `missing`), None when it could not be read (and says so)."""
    try:
        return getattr(run.client, method)(Bucket=run.target.bucket)
    except Exception as exc:
        response = getattr(exc, "response", {}) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in missing:
            return {}
        run.add(_not_checked(run, action, code or status, exc))
        return None


def _not_checked(run: _Run, action: str, code: str, exc: Exception) -> Check:
    title = f"Not checked: {action.removeprefix('s3:Get')}"
    if code in ("AccessDenied", "403"):
        return Check(
            "not-checked",
            Severity.INFO,
            title,
            f"The credentials may not read this setting ({action}).",
            "The job does not need it; `s3desk policy --with-checks` adds read-only access to "
            "these settings, or ask the bucket's owner to check it.",
        )
    if code in UNSUPPORTED_CODES or run.target.is_custom_endpoint:
        return Check(
            "not-checked", Severity.INFO, title, f"This server does not report it ({code})."
        )
    error = explain(exc, operation=action, bucket=run.target.bucket)
    return Check("not-checked", Severity.INFO, title, error.message)


def _check_block_public_access(run: _Run) -> None:
    reply = _read(
        run,
        "get_public_access_block",
        "s3:GetBucketPublicAccessBlock",
        {"NoSuchPublicAccessBlockConfiguration"},
    )
    if reply is None:
        return
    config = reply.get("PublicAccessBlockConfiguration", {})
    off = [flag for flag in BLOCK_PUBLIC_ACCESS_FLAGS if not config.get(flag)]
    if not off:
        run.add(Check("public-access-block", Severity.OK, "Block Public Access", "All on."))
        return
    if not config and run.target.is_custom_endpoint:
        run.add(
            Check(
                "public-access-block",
                Severity.INFO,
                "Block Public Access not reported",
                "This server keeps no Block Public Access settings (an AWS feature); whether "
                "objects can be public depends on the server's own configuration.",
            )
        )
        return
    what = "is not set for this bucket" if not config else f"is off for: {', '.join(off)}"
    run.add(
        Check(
            "public-access-block",
            Severity.WARNING,
            "Block Public Access incomplete",
            f"Block Public Access {what}, so a bucket policy or ACL can make objects public "
            "(an account-wide setting may still apply; bucket credentials cannot see it).",
            "Turn on all four Block Public Access settings for the bucket, unless it must serve "
            "files publicly; for a website, prefer CloudFront with origin access control.",
        )
    )


def _check_bucket_policy(run: _Run) -> None:
    reply = _read(run, "get_bucket_policy", "s3:GetBucketPolicy", {"NoSuchBucketPolicy"})
    if not reply:
        return
    try:
        document = json.loads(reply.get("Policy", "{}"))
        statements = iam.statements(document)
    except (ValueError, S3DeskError):
        return
    for statement in statements:
        if not (statement.allows and iam.principal_is_anyone(statement.principal)):
            continue
        actions = ", ".join(statement.actions) or "NotAction"
        if statement.condition:
            run.add(
                Check(
                    "bucket-policy-public",
                    Severity.INFO,
                    "Bucket policy allows anyone, with conditions",
                    f'Statement {statement.label} allows Principal "*" ({actions}) under '
                    "conditions.",
                    "Make sure the conditions limit it to who should have access.",
                )
            )
            continue
        run.add(
            Check(
                "bucket-policy-public",
                Severity.WARNING,
                "Bucket policy allows anyone",
                f'Statement {statement.label} of the bucket policy allows Principal "*" '
                f"({actions}) with no condition: anyone on the internet can do that.",
                "Remove the statement, or name the accounts that need it, or add a condition.",
            )
        )


def _check_acl(run: _Run) -> None:
    reply = _read(run, "get_bucket_acl", "s3:GetBucketAcl", set())
    if reply is None:
        return
    public = []
    for grant in reply.get("Grants", ()):
        who = PUBLIC_GROUPS.get(grant.get("Grantee", {}).get("URI", ""))
        if who:
            public.append(f"{grant.get('Permission', '?')} to {who}")
    if public:
        run.add(
            Check(
                "acl-public",
                Severity.WARNING,
                "Bucket ACL grants public access",
                f"The bucket's ACL grants {'; '.join(public)}.",
                "Remove those grants, turn on Block Public Access, and set Object Ownership to "
                "'Bucket owner enforced' so ACLs stop applying.",
            )
        )


def _check_versioning(run: _Run) -> None:
    if run.access is not None and not run.access.writes:
        return
    reply = _read(run, "get_bucket_versioning", "s3:GetBucketVersioning", set())
    if reply is None:
        return
    if reply.get("Status") == "Enabled":
        run.add(Check("versioning", Severity.OK, "Versioning", "On."))
        return
    state = "suspended" if reply.get("Status") == "Suspended" else "off"
    run.add(
        Check(
            "versioning",
            Severity.WARNING,
            f"Versioning {state}",
            "An overwritten or deleted object cannot be recovered.",
            "Turn versioning on for the bucket, with a lifecycle rule that expires old "
            "versions after some days so they do not pile up.",
        )
    )


def _check_lifecycle(run: _Run) -> None:
    if run.access is not None and not run.access.writes:
        return
    reply = _read(
        run,
        "get_bucket_lifecycle_configuration",
        "s3:GetLifecycleConfiguration",
        {"NoSuchLifecycleConfiguration"},
    )
    if reply is None:
        return
    if any(_aborts_uploads(rule, run.target.prefix) for rule in reply.get("Rules", ())):
        run.add(
            Check("lifecycle", Severity.OK, "Incomplete uploads", "A lifecycle rule aborts them.")
        )
        return
    run.add(
        Check(
            "lifecycle",
            Severity.WARNING,
            "Incomplete uploads are kept",
            f"No lifecycle rule aborts incomplete multipart uploads under {run.target.url}: "
            "the parts of an interrupted large upload stay stored, and billed, unseen.",
            "Add a lifecycle rule with AbortIncompleteMultipartUpload "
            "(DaysAfterInitiation 7) for the whole bucket or this prefix.",
        )
    )


def _aborts_uploads(rule: dict[str, Any], prefix: str) -> bool:
    if rule.get("Status") != "Enabled" or "AbortIncompleteMultipartUpload" not in rule:
        return False
    rule_filter = rule.get("Filter")
    if rule_filter is None:
        return prefix.startswith(rule.get("Prefix", ""))
    if "Tag" in rule_filter or ("And" in rule_filter and rule_filter["And"].get("Tags")):
        return False  # uploads in progress carry no tags the rule could match
    if "And" in rule_filter:
        rule_filter = rule_filter["And"]
    if any(k in rule_filter for k in ("ObjectSizeGreaterThan", "ObjectSizeLessThan")):
        return False
    return prefix.startswith(rule_filter.get("Prefix", ""))


_EXPOSURE_CHECKS: tuple[Callable[[_Run], None], ...] = (
    _check_block_public_access,
    _check_bucket_policy,
    _check_acl,
    _check_versioning,
    _check_lifecycle,
)


# ---------------------------------------------------------------------------------------------
# Once per job and session


class SessionPreflight:
    """Runs the checks before the first dry run of each job in a session, and remembers them.

    A report with errors is not remembered, so the next dry run checks again after a fix.
    """

    def __init__(self) -> None:
        self._reports: dict[tuple[str, str, str | None], PreflightReport] = {}

    def before_dry_run(
        self,
        connection: Connection,
        target: Target,
        access: iam.Access | None = None,
        *,
        client: Any = None,
    ) -> PreflightReport:
        key = (access.name if access else "", target.url, target.endpoint_url)
        report = self._reports.get(key)
        if report is None:
            report = run_preflight(connection, target, access, client=client)
            if report.ok:
                self._reports[key] = report
        return report

    def forget(self) -> None:
        """Check again before the next dry run of every job (new credentials, for example)."""
        self._reports.clear()
