"""`whoami`, `plan`, `apply` and `sync`: the loop from a terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from s3desk.cli import output
from s3desk.core.errors import UsageError

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_DECLINED, EXIT_BLOCKED, EXIT_INCOMPLETE = 0, 1, 3, 4


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    whoami = subparsers.add_parser(
        "whoami", parents=[common], help="show the account and principal in use"
    )
    whoami.set_defaults(func=run_whoami)

    plan = subparsers.add_parser(
        "plan", parents=[common], help="dry run: what would change (writes nothing)"
    )
    _add_plan_arguments(plan)
    plan.add_argument("-o", "--output", metavar="PLAN.json", help="save the plan to this file")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.add_argument(
        "--show-unchanged", action="store_true", help="list unchanged files in the table too"
    )
    plan.set_defaults(func=run_plan)

    apply = subparsers.add_parser(
        "apply", parents=[common], help="apply a saved plan, exactly as reviewed"
    )
    apply.add_argument("plan_file", metavar="PLAN.json")
    _add_apply_arguments(apply)
    apply.set_defaults(func=run_apply)

    sync = subparsers.add_parser(
        "sync", parents=[common], help="dry run, show the plan, ask, then apply it"
    )
    _add_plan_arguments(sync)
    _add_apply_arguments(sync)
    sync.set_defaults(func=run_sync)


def _add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", metavar="SOURCE", help="local folder")
    parser.add_argument("destination", nargs="?", metavar="s3://BUCKET/PREFIX")
    parser.add_argument("--job", help="a saved job (s3desk jobs list)")
    parser.add_argument("--delete", action="store_true", help="delete objects with no local file")
    parser.add_argument(
        "--exclude", action=_FilterAction, dest="filters", metavar="PATTERN", default=[]
    )
    parser.add_argument(
        "--include", action=_FilterAction, dest="filters", metavar="PATTERN", default=[]
    )
    parser.add_argument(
        "--compare", choices=("checksum", "mtime", "size"), help="how files are compared"
    )
    parser.add_argument("--size-only", action="store_true", help="same as --compare size")
    parser.add_argument(
        "--exact-timestamps", action="store_true", help="accepted for aws-cli compatibility"
    )
    parser.add_argument("--follow-symlinks", action="store_true", default=None)
    parser.add_argument("--cache-control", metavar="VALUE")
    parser.add_argument("--content-type", metavar="VALUE")
    parser.add_argument("--storage-class", metavar="CLASS")
    parser.add_argument("--max-delete", type=int, metavar="N", help="block above N deletes (20)")
    parser.add_argument(
        "--delete-excluded", action="store_true", help="also delete excluded objects"
    )
    parser.add_argument(
        "--allow-empty-source",
        action="store_true",
        help="plan deletes even when the source folder is empty",
    )


def _add_apply_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--allow-deletes", type=int, metavar="N", help="apply a blocked plan with exactly N deletes"
    )


class _FilterAction(argparse.Action):
    """Keeps --exclude and --include in one list, in the order given."""

    def __call__(
        self, parser: Any, namespace: Any, values: Any, option_string: str | None = None
    ) -> None:
        rules = list(getattr(namespace, self.dest) or [])
        rules.append((option_string.lstrip("-"), values))
        setattr(namespace, self.dest, rules)


def run_whoami(args: argparse.Namespace) -> int:
    from s3desk.core.identity import who_am_i

    connection = connection_from(args)
    identity = who_am_i(connection)
    print(f"Account:   {identity.account}")
    print(f"Principal: {identity.principal}")
    print(f"ARN:       {identity.arn}")
    print(f"Region:    {connection.session().region_name or 'us-east-1'}")
    print(f"Endpoint:  {args.endpoint_url or 'AWS'}")
    return EXIT_OK


def run_plan(args: argparse.Namespace) -> int:
    from s3desk.core.plan import save_plan

    plan = make_plan_from(args)
    if args.output:
        save_plan(plan, args.output)
        _remember_plan(plan, args.output)
    if args.json:
        print(plan.to_json())
    else:
        output.print_plan(plan, show_unchanged=args.show_unchanged)
        if args.output:
            print(f"Saved to {args.output}. Apply it with: s3desk apply {args.output}")
    return EXIT_BLOCKED if plan.blocked else EXIT_OK


def _same_endpoint(args: argparse.Namespace, pinned: str | None, owner: str) -> None:
    """--endpoint-url may not silently differ from the endpoint a plan or job names."""
    given = (args.endpoint_url or "").rstrip("/")
    if given and given != (pinned or ""):
        raise UsageError(
            f"{owner} names the endpoint {pinned or 'AWS'}, but --endpoint-url {given} was "
            f"given. Leave --endpoint-url out, or change {owner}."
        )


def _remember_plan(plan: Any, path: str) -> None:
    if plan.job:
        from s3desk.core.jobs import record_plan

        record_plan(plan.job, path, plan.created_at)


def run_apply(args: argparse.Namespace) -> int:
    from s3desk.core.plan import load_plan

    plan = load_plan(args.plan_file)
    _same_endpoint(args, plan.target.endpoint_url, "the plan")
    output.print_plan(plan, show_unchanged=False)
    return apply_reviewed(plan, args)


def run_sync(args: argparse.Namespace) -> int:
    plan = make_plan_from(args)
    output.print_plan(plan, show_unchanged=False)
    return apply_reviewed(plan, args)


def apply_reviewed(plan: Any, args: argparse.Namespace) -> int:
    """Confirm, then apply; the exit code says whether everything was done."""
    from s3desk.core.apply import Outcome, apply_plan, check_applicable

    check_applicable(plan, args.allow_deletes)
    if not plan.changes:
        print("Nothing to do.")
        return EXIT_OK
    if not args.yes and not output.confirm(plan):
        print("Not applied.")
        return EXIT_DECLINED
    progress = output.ProgressBar() if sys.stderr.isatty() else None
    result = apply_plan(
        plan,
        connection_for_plan(plan, args),
        on_progress=progress.update if progress else None,
        allow_deletes=args.allow_deletes,
    )
    if progress:
        progress.close()
    output.print_result(plan, result)
    return EXIT_OK if all(r.outcome is Outcome.DONE for r in result.results) else EXIT_INCOMPLETE


def connection_for_plan(plan: Any, args: argparse.Namespace) -> Any:
    """A job's plan is applied with the job's credentials unless --profile says otherwise."""
    if plan.job and not args.profile:
        from s3desk.core.jobs import load_job

        return load_job(plan.job).connection()
    return connection_from(args)


def connection_from(args: argparse.Namespace) -> Any:
    from s3desk.core.session import Connection

    return Connection(profile=args.profile, region=args.region, endpoint_url=args.endpoint_url)


def make_plan_from(args: argparse.Namespace) -> Any:
    """Plan from a saved job or from SOURCE and s3://BUCKET/PREFIX."""
    from s3desk.core.planner import make_plan

    if args.job:
        return _plan_for_job(args)
    if not args.source or not args.destination:
        raise UsageError("Give SOURCE and s3://BUCKET/PREFIX, or --job NAME.")
    from s3desk.core.plan import Options
    from s3desk.core.target import parse_s3_url

    target = parse_s3_url(args.destination, region=args.region, endpoint_url=args.endpoint_url)
    options = _options_from(args, Options())
    return make_plan(args.source, target, options, connection_from(args))


def _plan_for_job(args: argparse.Namespace) -> Any:
    from s3desk.core.jobs import load_job
    from s3desk.core.planner import make_plan

    if args.source or args.destination:
        raise UsageError("With --job, the job names the source and the destination.")
    job = load_job(args.job)
    _same_endpoint(args, job.target.endpoint_url, f"the job {job.name}")
    options = _options_from(args, job.options(delete=True if args.delete else None))
    connection = connection_from(args) if args.profile else job.connection()
    return make_plan(job.source, job.target_for_today(), options, connection, job=job.name)


def _options_from(args: argparse.Namespace, base: Any) -> Any:
    """The command-line options laid over a job's (or the defaults)."""
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if args.delete and not base.delete:
        changes["delete"] = True
    if args.filters:
        changes["filters"] = (*base.filters, *(tuple(f) for f in args.filters))
    if args.size_only:
        changes["compare"] = "size"
    elif args.compare:
        changes["compare"] = args.compare
    for name in ("cache_control", "content_type", "storage_class", "max_delete"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.follow_symlinks:
        changes["follow_symlinks"] = True
    if args.delete_excluded:
        changes["delete_excluded"] = True
    if args.allow_empty_source:
        changes["allow_empty_source"] = True
    return replace(base, **changes)
