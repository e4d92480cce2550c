"""apply through the wire client gives the same outcomes as through botocore, and concurrent
apply the same as serial, on moto and rclone: uploads, updates and deletes, keys that need
encoding, and keys changed in the bucket after the review (conflicts, then no deletes)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from s3desk.core import apply as apply_module
from s3desk.core import wire as wire_module
from s3desk.core.apply import Outcome, apply_plan
from s3desk.core.plan import Action, Op, Options, Plan
from s3desk.core.planner import make_plan
from s3desk.core.session import Connection, StaticKeys
from s3desk.core.target import Target, parse_s3_url
from tests.servers import Server
from tests.wire.conftest import ScriptedServer

pytestmark = pytest.mark.integration

NAMES = [
    "index.html",
    "with space.html",
    "plus+sign.css",
    "percent%20literal.txt",
    "hash#frag.txt",
    "query?x=1&y=2.txt",
    "tilde~equals=.txt",
    "ünïcödé/çafé 😀.html",
    *(f"pages/p{i:02d}.html" for i in range(30)),
]
# (run name, workers, wire on)
RUNS = [("concurrent-wire", 16, True), ("serial-wire", 1, True),
        ("concurrent-botocore", 16, False), ("serial-botocore", 1, False)]  # fmt: skip


def connection(server: Server) -> Connection:
    keys = StaticKeys(server.access_key, server.secret_key)
    return Connection(region="us-east-1", endpoint_url=server.endpoint_url, keys=keys)


def make_source(root: Path) -> Path:
    for i, name in enumerate(NAMES):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{name}\n".encode() * (1 + i * 37))
    return root


def seed_bucket(server: Server, bucket: str) -> None:
    """Remote state before the plan: two keys to update, three to delete."""
    client = server.client()
    # Through the API: rclone caches its root folder, so a folder made later is not seen.
    client.create_bucket(Bucket=bucket)
    for name in ("index.html", "pages/p00.html"):
        client.put_object(Bucket=bucket, Key=f"site/{name}", Body=b"old content")
    for name in ("gone 1.html", "gone+2.html", "old/gone#3.html"):
        client.put_object(Bucket=bucket, Key=f"site/{name}", Body=b"removed locally")


def tamper(server: Server, bucket: str) -> None:
    """Changes in the bucket after the review: a planned upload's key appears, a planned
    update's object changes."""
    client = server.client()
    client.put_object(Bucket=bucket, Key="site/with space.html", Body=b"someone else's")
    client.put_object(Bucket=bucket, Key="site/pages/p00.html", Body=b"changed meanwhile")


def remote_state(server: Server, bucket: str) -> dict[str, str]:
    client = server.client()
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def run_once(
    server: Server,
    source: Path,
    bucket: str,
    *,
    conflicts: bool,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
    wire_on: bool,
) -> tuple[dict[str, tuple[str, str, str]], dict[str, str], int]:
    seed_bucket(server, bucket)
    target = parse_s3_url(f"s3://{bucket}/site/", endpoint_url=server.endpoint_url)
    plan = make_plan(source, target, Options(delete=True, max_delete=100), connection(server))
    if conflicts:
        tamper(server, bucket)
    monkeypatch.setattr(apply_module, "WRITE_WORKERS", workers)
    monkeypatch.setenv("S3DESK_WIRE", "1" if wire_on else "0")
    sent = count_wire_requests(monkeypatch)
    result = apply_plan(plan, connection(server), allow_deletes=plan.summary.delete)
    outcomes = {r.action.key: (str(r.action.op), str(r.outcome), r.error) for r in result.results}
    return outcomes, remote_state(server, bucket), sent["count"]


def count_wire_requests(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    sent = {"count": 0}
    lock = threading.Lock()
    original = wire_module.WireClient._send

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            sent["count"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(wire_module.WireClient, "_send", counting)
    return sent


@pytest.mark.parametrize("server_name", ["moto_server", "rclone_server"])
@pytest.mark.parametrize("conflicts", [False, True], ids=["clean", "changed-after-review"])
def test_same_outcomes_concurrent_serial_wire_botocore(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    server_name: str,
    conflicts: bool,
) -> None:
    server: Server = request.getfixturevalue(server_name)
    source = make_source(tmp_path / "src")
    seen = {}
    for index, (name, workers, wire_on) in enumerate(RUNS):
        outcomes, state, sent = run_once(
            server, source, f"apply-{index}", conflicts=conflicts, monkeypatch=monkeypatch,
            workers=workers, wire_on=wire_on,
        )  # fmt: skip
        assert (sent > 0) == wire_on, name
        seen[name] = (outcomes, {k: state[k] for k in sorted(state)})

    first, first_state = seen[RUNS[0][0]]
    for name, (outcomes, state) in seen.items():
        assert outcomes == first, name
        assert state == first_state, name
    by_outcome: dict[str, set[str]] = {}
    for key, (_, outcome, _) in first.items():
        by_outcome.setdefault(outcome, set()).add(key)
    deletes = {"site/gone 1.html", "site/gone+2.html", "site/old/gone#3.html"}
    if conflicts:
        assert by_outcome["conflict"] == {"site/with space.html", "site/pages/p00.html"}
        assert by_outcome["skipped"] == deletes  # never delete after a failed write
        assert deletes <= set(first_state)
    else:
        assert set(by_outcome) == {"done"}
        assert set(first_state) == {f"site/{n}" for n in NAMES}
        assert first["site/index.html"][0] == "update"


def test_head_403_through_wire_is_unknown_never_absent(
    scripted_server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HeadObject refused (no s3:ListBucket): the upload fails with 'Access denied', and
    nothing is written."""
    from s3desk.core import apply as apply_module
    from s3desk.core.identity import Identity

    # The scripted server speaks no STS; the identity check before apply is not under test.
    who = Identity(account="", arn="access key testing", verified=False)
    monkeypatch.setattr(apply_module, "identify", lambda connection: who)
    scripted_server.default = lambda seen: (
        (403, {}, b"") if seen.method in ("HEAD", "GET") else (200, {"ETag": '"e"'}, b"")
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "missing.txt").write_text("m")
    plan = Plan(
        target=Target(bucket="wire-bucket", endpoint_url=scripted_server.endpoint_url),
        source=str(tmp_path / "src"),
        options=Options(),
        identity=who,
        actions=(Action(Op.UPLOAD, "missing.txt", "missing.txt", 1),),
    )
    result = apply_plan(plan, Connection(region="us-east-1"))
    assert [r.outcome for r in result.results] == [Outcome.FAILED]
    assert "Access denied" in result.results[0].error
    assert [s.method for s in scripted_server.seen if s.method != "GET"] == ["HEAD"]
    heads = [s for s in scripted_server.seen if s.method == "HEAD"]
    assert all("s3desk-wire" in s.headers.get("User-Agent", "") for s in heads)


def test_cancel_is_honoured(
    rclone_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_source(tmp_path / "src")
    rclone_server.make_bucket("cancel")
    target = parse_s3_url("s3://cancel/site/", endpoint_url=rclone_server.endpoint_url)
    plan = make_plan(source, target, Options(), connection(rclone_server))
    monkeypatch.setattr(apply_module, "WRITE_WORKERS", 1)
    cancel = threading.Event()

    def stop_after_three_results(result: Any) -> None:
        if sum(1 for _ in results) >= 2:
            cancel.set()
        results.append(result)

    results: list[Any] = []
    result = apply_plan(plan, connection(rclone_server), on_result=stop_after_three_results,
                        cancel=cancel)  # fmt: skip
    done = [r for r in result.results if r.outcome is Outcome.DONE]
    assert len(done) == 3
    assert all(r.error == "cancelled" for r in result.results if r.outcome is not Outcome.DONE)
    assert len(remote_state(rclone_server, "cancel")) == 3
