"""Plans built by hand for the window's tests."""

from __future__ import annotations

from s3desk.core.identity import Identity
from s3desk.core.plan import Action, Headers, Op, Options, Plan
from s3desk.core.target import Target

IDENTITY = Identity(account="123456789012", arn="arn:aws:iam::123456789012:user/alice")


def action(op: Op, key: str, size: int | None = 100, remote: int | None = None) -> Action:
    """One action whose sizes and reason fit its kind."""
    reasons = {
        Op.UPLOAD: "new file",
        Op.UPDATE: "content differs",
        Op.DELETE: "no local file",
        Op.SKIP: "same size and checksum",
        Op.METADATA: "cache-control differs",
        Op.CONFLICT: "changed remotely",
    }
    local = None if op is Op.DELETE else size
    remote_size = remote if remote is not None else (None if op is Op.UPLOAD else 90)
    return Action(
        op=op,
        key=key,
        path=None if op is Op.DELETE else f"/src/{key}",
        size=local,
        remote_size=remote_size,
        remote_etag=None if op is Op.UPLOAD else "0" * 32,
        reason=reasons[op],
        headers=Headers(cache_control="public,max-age=300")
        if op in (Op.UPLOAD, Op.UPDATE)
        else Headers(),
    )


def plan_of(
    actions: list[Action],
    *,
    bucket: str = "demo-bucket",
    prefix: str = "site/",
    blocked: bool = False,
    source: str = "/src",
    options: Options | None = None,
) -> Plan:
    return Plan(
        target=Target(bucket=bucket, prefix=prefix),
        source=source,
        options=options or Options(delete=True),
        identity=IDENTITY,
        actions=tuple(actions),
        blocked=blocked,
        block_reasons=("25 deletes is more than the limit of 20",) if blocked else (),
    )


def mixed_plan(**kwargs) -> Plan:
    """3 uploads (1.5 kB, 2 MB, 10 B), 2 updates, 2 deletes, 1 header change, 2 unchanged."""
    actions = [
        action(Op.UPLOAD, "site/a.html", 1500),
        action(Op.UPLOAD, "site/b.bin", 2_000_000),
        action(Op.UPLOAD, "site/c.txt", 10),
        action(Op.UPDATE, "site/index.html", 300),
        action(Op.UPDATE, "site/style.css", 200),
        action(Op.DELETE, "site/old.html"),
        action(Op.DELETE, "site/zz-old.js"),
        action(Op.METADATA, "site/logo.svg", 50, 50),
        action(Op.SKIP, "site/same1.txt", 5, 5),
        action(Op.SKIP, "site/same2.txt", 5, 5),
    ]
    return plan_of(actions, **kwargs)


def big_plan(count: int) -> Plan:
    """`count` actions: mostly uploads and unchanged, every tenth an update, every 50th a delete."""
    actions = []
    for i in range(count):
        if i % 50 == 0:
            op = Op.DELETE
        elif i % 10 == 0:
            op = Op.UPDATE
        elif i % 2:
            op = Op.SKIP
        else:
            op = Op.UPLOAD
        actions.append(action(op, f"site/dir{i % 97:02d}/file{i:06d}.html", i))
    return plan_of(actions)
