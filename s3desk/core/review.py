"""What apply checks of a plan before it writes anything.

A plan file can be edited between review and apply, by mistake or on purpose. Apply therefore
re-derives everything a guard decides from the actions themselves (it never trusts the stored
`blocked` flag), and refuses a plan whose keys leave the target prefix, whose files leave the
source folder, or that is applied with other credentials than it was made with.
"""

from __future__ import annotations

import logging
import os
import posixpath

from s3desk.core.errors import S3DeskError
from s3desk.core.identity import Identity
from s3desk.core.plan import Op, Plan
from s3desk.core.target import MAX_KEY_BYTES, prefix_problem

logger = logging.getLogger(__name__)


class PlanRefused(S3DeskError):
    def __init__(self, message: str, *, code: str = "PlanRefused") -> None:
        super().__init__("Plan refused", f"{message} Nothing was written.", code=code)


def guard_reasons(plan: Plan) -> list[str]:
    """The delete guards, computed from the actions and the recorded prefix size."""
    deletes = plan.summary.delete
    reasons = []
    if deletes > plan.options.max_delete:
        reasons.append(f"{_count(deletes, 'delete')} is more than --max-delete "
                       f"{plan.options.max_delete}")  # fmt: skip
    total = plan.remote_objects
    if total and deletes * 2 > total:
        share = round(100 * deletes / total)
        counted = _count(deletes, "object") if deletes == total else f"{deletes} of {total} objects"
        reasons.append(f"this plan deletes {share}% of the destination ({counted})")
    return reasons


def check_plan_shape(plan: Plan) -> None:
    """Every key under the target prefix and valid; every file inside the source folder."""
    for action in plan.actions:
        if action.op not in (Op.UPLOAD, Op.UPDATE, Op.METADATA, Op.DELETE):
            continue
        _check_key(plan, action.key)
        if action.op in (Op.UPLOAD, Op.UPDATE):
            _check_path(action.path)


def _check_key(plan: Plan, key: str) -> None:
    prefix = plan.target.prefix
    if not key.startswith(prefix) or key == prefix:
        raise PlanRefused(f"The key {key!r} is outside {plan.target.url}.")
    relative = key[len(prefix) :]
    if relative.startswith("/") or prefix_problem(relative.rstrip("/")):
        raise PlanRefused(f"The key {key!r} is not one s3desk would write.")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise PlanRefused(f"The key {key[:60]!r}… is longer than {MAX_KEY_BYTES} bytes.")


def _check_path(path: str | None) -> None:
    if not path or path.startswith("/") or os.path.isabs(path):
        raise PlanRefused(f"The file {path!r} is not a path inside the source folder.")
    if posixpath.normpath(path).startswith("..") or ".." in path.split("/"):
        raise PlanRefused(f"The file {path!r} is outside the source folder.")


def check_identity(planned: Identity, current: Identity) -> None:
    """The credentials applying a plan must be those it was reviewed with."""
    if not planned.arn:
        return
    same = planned.arn == current.arn and planned.account == current.account
    if not same:
        logger.warning("apply refused: plan made as %s, credentials now %s", planned.arn,
                       current.arn)  # fmt: skip
        raise PlanRefused(
            f"The plan was reviewed as {planned.arn or 'unknown'} but the credentials in use "
            f"now are {current.arn or 'unknown'}. Make a new dry run with these credentials, "
            "or apply with the ones the plan was made with.",
            code="IdentityChanged",
        )


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
