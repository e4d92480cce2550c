"""`s3desk jobs list|show|add|remove`: saved jobs from a terminal.

Keys are never taken as arguments (they would land in the shell history and the process list):
`--keys` asks for them with getpass and keeps them in the system keyring.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from pathlib import Path
from typing import Any

from s3desk.core import jobs, secrets
from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.filters import EXCLUDE, INCLUDE
from s3desk.core.session import StaticKeys

logger = logging.getLogger(__name__)


class _FilterAction(argparse.Action):
    """Collect --exclude and --include into one list that keeps their command-line order."""

    def __call__(
        self, parser: Any, namespace: Any, values: Any, option_string: str | None = None
    ) -> None:
        rules = list(getattr(namespace, self.dest, None) or [])
        rules.append((self.const, values))
        setattr(namespace, self.dest, rules)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `s3desk jobs` and its four commands."""
    parser = subparsers.add_parser(
        "jobs", parents=[common], help="list, show, add and remove saved jobs"
    )
    parser.set_defaults(func=lambda args: _run(list_jobs, args))
    commands = parser.add_subparsers(dest="jobs_command", metavar="ACTION")

    listing = commands.add_parser("list", parents=[common], help="list saved jobs")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=lambda args: _run(list_jobs, args))

    show = commands.add_parser("show", parents=[common], help="show one job")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=lambda args: _run(show_job, args))

    add = commands.add_parser("add", parents=[common], help="save a new job")
    _add_arguments(add)
    add.set_defaults(func=lambda args: _run(add_job, args))

    remove = commands.add_parser("remove", parents=[common], help="remove a job and its keys")
    remove.add_argument("name")
    remove.set_defaults(func=lambda args: _run(remove_job, args))


def _add_arguments(add: argparse.ArgumentParser) -> None:
    add.add_argument("name", help="the job's name: letters, digits, '.', '-', '_'")
    add.add_argument("--kind", required=True, choices=[k.value for k in jobs.Kind])
    add.add_argument("--source", required=True, help="the local folder")
    add.add_argument("--bucket", required=True)
    add.add_argument("--prefix", help="the key prefix (default: the kind's)")
    add.add_argument(
        "--keys",
        action="store_true",
        help="ask for an access key and secret and keep them in the system keyring",
    )
    add.add_argument("--production", action="store_true", help="mark as production (red bar)")
    deletes = add.add_mutually_exclusive_group()
    deletes.add_argument(
        "--delete",
        dest="delete",
        action="store_true",
        default=None,
        help="delete remote files with no local file (default: the kind's; never for backup)",
    )
    deletes.add_argument("--no-delete", dest="delete", action="store_false", help="never delete")
    add.add_argument(
        "--max-delete",
        type=int,
        default=jobs.DEFAULT_MAX_DELETE,
        metavar="N",
        help=f"block a plan above N deletes until confirmed ({jobs.DEFAULT_MAX_DELETE})",
    )
    for flag, kind in (("--exclude", EXCLUDE), ("--include", INCLUDE)):
        add.add_argument(
            flag,
            dest="filters",
            action=_FilterAction,
            const=kind,
            metavar="PATTERN",
            default=[],
            help=f"{kind} paths matching PATTERN, after the kind's excludes; the last match wins",
        )
    add.add_argument(
        "--header-rule",
        dest="header_rules",
        action="append",
        default=[],
        metavar="'GLOB=CACHE-CONTROL;CONTENT-TYPE'",
        help="headers for uploads matching GLOB; the first matching rule wins",
    )
    add.add_argument("--cache-control", help="Cache-Control (default: the kind's)")
    add.add_argument("--content-type")
    add.add_argument("--storage-class", help="storage class (default: the kind's)")
    add.add_argument("--replace", action="store_true", help="replace a job of the same name")


def _run(command, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    command(args)
    return 0


def list_jobs(args: argparse.Namespace) -> None:
    saved = jobs.load_jobs()
    if getattr(args, "json", False):
        print(json.dumps([_summary(job) for job in saved.values()], indent=1))
        return
    if not saved:
        print("No saved jobs. Add one with: s3desk jobs add NAME --kind site --source DIR ...")
        return
    width = max(len(name) for name in saved)
    for job in saved.values():
        flag = "  PRODUCTION" if job.production else ""
        print(f"{job.name:<{width}}  {job.kind:<6}  {job.source} -> {job.target.url}{flag}")


def _summary(job: jobs.Job) -> dict[str, Any]:
    return {"name": job.name, **job.to_dict()}


def show_job(args: argparse.Namespace) -> None:
    job = jobs.load_job(args.name)
    if args.json:
        print(json.dumps(_summary(job), indent=1))
        return
    options = job.options()
    lines = [
        ("name", job.name),
        ("kind", f"{job.kind} — {job.rules.summary}"),
        ("source", job.source),
        ("target", job.target.url),
        ("endpoint", job.target.endpoint_url or "AWS"),
        ("region", job.target.region or "from the profile"),
        ("credentials", _credentials_line(job)),
        ("production", "yes" if job.production else "no"),
        ("deletes", _deletes_line(job)),
        ("create only", "yes" if options.create_only else "no"),
        ("cache-control", job.cache_control or "-"),
        ("content-type", job.content_type or "guessed from the file name"),
        ("storage class", job.storage_class or "STANDARD"),
    ]
    lines += [(f"filter {n}", f"{kind} {pattern}") for n, (kind, pattern) in _numbered(job.filters)]
    lines += [(f"header rule {n}", str(rule)) for n, rule in _numbered(job.header_rules)]
    for label, value in lines:
        print(f"{label + ':':<15} {value}")


def _numbered(items):  # type: ignore[no-untyped-def]
    return enumerate(items, start=1)


def _credentials_line(job: jobs.Job) -> str:
    creds = job.credentials
    if creds.source is not jobs.CredentialSource.KEYRING:
        return creds.describe()
    problem = secrets.backend_problem()
    if problem:
        return f"{creds.describe()}: unavailable. {problem}"
    kept = secrets.has_keys(creds.entry or "")
    return creds.describe() + ("" if kept else ": missing, add them again with --keys --replace")


def _deletes_line(job: jobs.Job) -> str:
    if not job.rules.delete_allowed:
        return f"never ({job.kind} jobs do not delete)"
    if not job.delete:
        return "off"
    return f"on, blocked above {job.max_delete} deletes until confirmed"


def add_job(args: argparse.Namespace) -> None:
    if args.keys and args.profile:
        raise UsageError("Choose either --profile or --keys, not both.")
    existing = jobs.load_jobs()
    if args.name in existing and not args.replace:
        raise UsageError(
            f"A job called {args.name!r} already exists. Add --replace to replace it.",
            title="Job exists",
        )
    job = jobs.new_job(
        args.name,
        args.kind,
        str(Path(args.source).expanduser().absolute()),
        args.bucket,
        prefix=args.prefix,
        region=args.region,
        endpoint_url=args.endpoint_url,
        credentials=_credentials(args),
        production=args.production,
        delete=args.delete,
        filters=args.filters,
        header_rules=[jobs.parse_header_rule(text) for text in args.header_rules],
        cache_control=args.cache_control,
        content_type=args.content_type,
        storage_class=args.storage_class,
        max_delete=args.max_delete,
    )
    problem = jobs.source_problem(job.source)
    if problem:
        print(f"s3desk: warning: source {job.source}: {problem}", file=sys.stderr)
    if args.keys:
        secrets.store_keys(job.credentials.entry or "", _ask_keys())
    jobs.add_job(job, replace=args.replace)
    print(f"Saved job {job.name}: {job.kind}, {job.source} -> {job.target.url}")


def _credentials(args: argparse.Namespace) -> jobs.Credentials:
    if args.keys:
        problem = secrets.backend_problem()
        if problem:
            raise S3DeskError("No secure keyring", problem, code="NoSecureKeyring")
        return jobs.Credentials.from_keyring(secrets.entry_for_job(args.name))
    if args.profile:
        return jobs.Credentials.from_profile(args.profile)
    return jobs.Credentials()


def _ask_keys() -> StaticKeys:
    """Ask for the keys without echoing them (getpass reads the terminal, or stdin)."""
    access_key = getpass.getpass("Access key id: ").strip()
    secret = getpass.getpass("Secret access key: ").strip()
    token = getpass.getpass("Session token (empty for none): ").strip()
    keys = StaticKeys(access_key, secret, token or None)
    secrets.check_keys(keys)
    return keys


def remove_job(args: argparse.Namespace) -> None:
    job = jobs.remove_job(args.name)
    kept = job.credentials.source is jobs.CredentialSource.KEYRING
    print(f"Removed job {job.name}" + (" and its keys from the keyring." if kept else "."))
