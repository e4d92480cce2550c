"""`s3desk policy` (the IAM policy a job needs, and a lint for policies) and `s3desk check`
(the checks before a dry run: identity, bucket, listing, public exposure)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from s3desk.core import policy as iam
from s3desk.core.errors import UsageError
from s3desk.core.preflight import PreflightReport, Severity, run_preflight
from s3desk.core.session import Connection
from s3desk.core.target import Target, parse_s3_url

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_FINDINGS = 0, 1, 3


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `s3desk policy` and `s3desk check`."""
    policy = subparsers.add_parser(
        "policy",
        parents=[common],
        help="print the IAM policy a job needs, or lint a policy",
        description="Print the smallest IAM policy for saved jobs (--job) or for a kind of "
        "job (--kind/--bucket/--prefix); or lint a policy file (--lint): exit 0 when clean, "
        "3 with findings.",
    )
    _job_arguments(policy)
    policy.add_argument(
        "--with-checks",
        action="store_true",
        help="also allow reading the bucket settings that `s3desk check` looks at",
    )
    policy.add_argument("--lint", metavar="FILE.json", help="lint this policy ('-' for stdin)")
    policy.set_defaults(func=run_policy)

    check = subparsers.add_parser(
        "check",
        parents=[common],
        help="check credentials, bucket, listing and public exposure before a dry run",
    )
    check.add_argument("url", nargs="?", metavar="s3://BUCKET/PREFIX", help="what to check")
    check.add_argument("--job", dest="jobs", action="append", default=[], metavar="NAME")
    check.add_argument("--kind", choices=iam.KINDS, help="the kind of job, to explain refusals")
    check.add_argument("--json", action="store_true", help="print the checks as JSON")
    check.set_defaults(func=run_check)


def _job_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--job", dest="jobs", action="append", default=[], metavar="NAME", help="a saved job"
    )
    parser.add_argument("--kind", choices=iam.KINDS, help="a kind of job, without saving one")
    parser.add_argument("--bucket", help="the bucket (with --kind)")
    parser.add_argument("--prefix", help="the prefix (with --kind; default: the kind's own)")
    deletes = parser.add_mutually_exclusive_group()
    deletes.add_argument(
        "--delete",
        dest="delete",
        action="store_true",
        default=None,
        help="the job deletes (site, images; default: as the kind's jobs do)",
    )
    deletes.add_argument("--no-delete", dest="delete", action="store_false")
    parser.add_argument(
        "--no-read",
        dest="reads",
        action="store_false",
        help="leave out s3:GetObject (the dry run then cannot read stored checksums or headers)",
    )


# ---------------------------------------------------------------------------------------------
# s3desk policy


def run_policy(args: argparse.Namespace) -> int:
    accesses = _accesses(args, required=not args.lint)
    if args.lint:
        return _lint(args.lint, accesses[0] if accesses else None)
    make = iam.generate_with_checks if args.with_checks else iam.generate
    document = make(accesses)
    print(iam.to_json(document))
    return EXIT_OK


def _accesses(args: argparse.Namespace, *, required: bool) -> list[iam.Access]:
    if args.jobs and args.kind:
        raise UsageError("Give either --job or --kind, not both.")
    if args.jobs:
        from s3desk.core import jobs

        return [iam.from_job(jobs.load_job(name), reads=args.reads) for name in args.jobs]
    if args.kind:
        if not args.bucket:
            raise UsageError("--kind needs --bucket (and --prefix, unless the kind's default).")
        return [_access_for_kind(args.kind, args.bucket, args.prefix, args.delete, args.reads)]
    if required:
        raise UsageError(
            "Name a saved job (--job NAME) or a kind (--kind site --bucket B --prefix P)."
        )
    return []


def _access_for_kind(
    kind: str, bucket: str, prefix: str | None, delete: bool | None, reads: bool
) -> iam.Access:
    """The access of a job of `kind` with that kind's defaults where no option is given."""
    from s3desk.core.jobs import KINDS, Kind

    rules = KINDS[Kind(kind)]
    return iam.Access(
        kind,
        bucket,
        rules.prefix if prefix is None else prefix,
        deletes=rules.delete if delete is None else delete,
        reads=reads or kind == "share",
    )


def _lint(path: str, job: iam.Access | None) -> int:
    text = sys.stdin.read() if path == "-" else _read(path)
    findings = iam.lint(iam.load_policy(text), job)
    if not findings:
        print("No findings: the policy has none of the known pitfalls.")
        return EXIT_OK
    for finding in findings:
        print(f"{finding.statement} [{finding.code}]")
        print(f"  {finding.problem}")
        print(f"  Fix: {finding.fix}")
    print(f"{len(findings)} finding(s).")
    return EXIT_FINDINGS


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"No policy file at {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} cannot be read ({exc}).") from None


# ---------------------------------------------------------------------------------------------
# s3desk check


def run_check(args: argparse.Namespace) -> int:
    runs = _check_targets(args)
    worst = EXIT_OK
    reports = []
    for connection, target, access in runs:
        report = run_preflight(connection, target, access)
        reports.append(report)
        if not report.ok:
            worst = EXIT_ERROR
    if args.json:
        print(json.dumps([_report_dict(r) for r in reports], indent=1))
    else:
        for report in reports:
            _print_report(report)
    return worst


def _check_targets(
    args: argparse.Namespace,
) -> list[tuple[Connection, Target, iam.Access | None]]:
    if args.jobs and args.url:
        raise UsageError("Give either --job or an s3:// URL, not both.")
    if args.jobs:
        from s3desk.core import jobs

        runs = []
        for name in args.jobs:
            job = jobs.load_job(name)
            runs.append((job.connection(), job.target_for_today(), iam.from_job(job)))
        return runs
    if not args.url:
        raise UsageError("Name what to check: --job NAME, or s3://BUCKET/PREFIX.")
    target = parse_s3_url(args.url, region=args.region, endpoint_url=args.endpoint_url)
    connection = Connection(
        profile=args.profile, region=args.region, endpoint_url=target.endpoint_url
    )
    access = iam.Access(args.kind, target.bucket, target.prefix) if args.kind else None
    return [(connection, target, access)]


_MARKS = {
    Severity.ERROR: "ERROR",
    Severity.WARNING: "WARNING",
    Severity.INFO: "info",
    Severity.OK: "ok",
}


def _print_report(report: PreflightReport) -> None:
    print(f"Checks for {report.target.url}")
    for check in report.checks:
        print(f"  {_MARKS[check.severity]:<7} {check.title}: {check.message}")
        if check.fix:
            print(f"          What to do: {check.fix}")
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        print(f"{errors} error(s): a dry run would fail. {warnings} warning(s).")
    else:
        print(f"Ready for a dry run. {warnings} warning(s).")


def _report_dict(report: PreflightReport) -> dict[str, Any]:
    return {
        "target": report.target.to_dict(),
        "identity": report.identity.to_dict() if report.identity else None,
        "region": report.region,
        "ok": report.ok,
        "checks": [
            {
                "code": c.code,
                "severity": str(c.severity),
                "title": c.title,
                "message": c.message,
                "fix": c.fix,
            }
            for c in report.checks
        ],
    }
