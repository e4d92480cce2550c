"""How plans and results look in a terminal."""

from __future__ import annotations

import re
import sys
from typing import Any

from s3desk.core.errors import UsageError
from s3desk.core.plan import Op, Plan

MARKS = {
    Op.DELETE: "DELETE",
    Op.UPLOAD: "upload",
    Op.UPDATE: "update",
    Op.METADATA: "headers",
    Op.CONFLICT: "CONFLICT",
    Op.SKIP: "same",
}
ORDER = {Op.DELETE: 0, Op.CONFLICT: 1, Op.UPDATE: 2, Op.METADATA: 3, Op.UPLOAD: 4, Op.SKIP: 5}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """Text safe for a terminal: control characters in a key or file name (an escape
    sequence, a carriage return, a newline) are written as \\xNN, never obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def human_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def summary_line(plan: Plan) -> str:
    """E.g. '12 uploads (4.1 MB), 3 updates, 2 deletes to s3://bucket/prefix/'."""
    s = plan.summary
    upload_bytes = sum(a.size or 0 for a in plan.actions if a.op is Op.UPLOAD)
    parts = [f"{s.upload} upload{'s' * (s.upload != 1)} ({human_bytes(upload_bytes)})"]
    parts.append(f"{s.update} update{'s' * (s.update != 1)}")
    if s.metadata:
        parts.append(f"{s.metadata} header update{'s' * (s.metadata != 1)}")
    parts.append(f"{s.delete} delete{'s' * (s.delete != 1)}")
    if s.conflict:
        parts.append(f"{s.conflict} conflict{'s' * (s.conflict != 1)}")
    return f"{', '.join(parts)} to {plan.target.url}"


def print_plan(plan: Plan, *, show_unchanged: bool) -> None:
    identity = plan.identity
    if identity.verified:
        print(f"Who:   {identity.arn}  (account {identity.account})")
    else:
        print(f"Who:   {identity.arn or 'unknown'}  (not verified: {identity.note})")
    print(f"Where: {shown(plan.target.url)}  ({plan.target.endpoint_url or 'AWS'})")
    print(f"From:  {shown(plan.source)}")
    rows = [a for a in plan.actions if show_unchanged or a.op is not Op.SKIP]
    rows.sort(key=lambda a: ORDER[a.op])
    for action in rows:
        size = human_bytes(action.size if action.size is not None else action.remote_size)
        print(f"  {MARKS[action.op]:<8} {shown(action.key)}  [{size}]  {shown(action.reason)}")
    for warning in plan.warnings:
        print(f"  warning: {shown(warning)}")
    print(summary_line(plan) + f"; {plan.summary.skip} unchanged")
    if plan.blocked:
        print("BLOCKED: " + "; ".join(plan.block_reasons))
        print(f"To apply it anyway: s3desk apply PLAN.json --allow-deletes {plan.summary.delete}")


def confirm(plan: Plan) -> bool:
    """Ask on the terminal. Without one, refuse: a script must say --yes.

    Raises:
        UsageError: standard input is not a terminal.
    """
    if not sys.stdin.isatty():
        raise UsageError("Not applied: standard input is not a terminal. Pass --yes to apply "
                         "without asking.")  # fmt: skip
    answer = input(f"Apply {len(plan.changes)} changes to {shown(plan.target.url)}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def print_result(plan: Plan, result: Any) -> None:
    for item in result.results:
        note = f"  ({item.error})" if item.error else ""
        print(f"  {item.outcome:<20} {item.action.op:<8} {shown(item.action.key)}{shown(note)}")
    counts = {}
    for item in result.results:
        counts[str(item.outcome)] = counts.get(str(item.outcome), 0) + 1
    print("Applied: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    print(f"Guarantee: {result.guarantee}")
    if result.prefix_objects is not None:
        print(
            f"{plan.target.url} now holds {result.prefix_objects} "
            f"object{'' if result.prefix_objects == 1 else 's'}, "
            f"{human_bytes(result.prefix_bytes)}"
        )


class ProgressBar:
    """A one-line progress bar on stderr."""

    def update(self, progress: Any) -> None:
        total = max(progress.files_total, 1)
        filled = int(30 * progress.files_done / total)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {progress.files_done}/{total} files, "
            f"{human_bytes(progress.bytes_done)} of {human_bytes(progress.bytes_total)}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
