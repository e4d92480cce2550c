"""The whole loop against real S3 servers on 127.0.0.1: moto's server and `rclone serve s3`.

Measured differences handled here: rclone ignores conditional headers (so apply's HeadObject
check is what catches a change), stores a multipart upload under a plain MD5 ETag, turns a
trailing-slash key into a file, and serves no STS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from s3desk.core.apply import Outcome, apply_plan
from s3desk.core.hashing import HashCache
from s3desk.core.plan import Op, Options
from s3desk.core.planner import make_plan
from s3desk.core.session import Connection, StaticKeys
from s3desk.core.target import Target
from tests.servers import Server

pytestmark = pytest.mark.integration
BUCKET = "loop-bucket"


def s3desk(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "s3desk", "--endpoint-url", server.endpoint_url, *args],
        capture_output=True,
        text=True,
        env=server.env(),
        timeout=120,
    )


def make_site(root: Path) -> Path:
    for i in range(12):
        page = root / f"pages/p{i}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<h1>page {i}</h1>\n")
    (root / "css").mkdir()
    (root / "css/site.css").write_text("body { color: #222; }\n")
    (root / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))  # multipart
    return root


def run_loop(server: Server, tmp_path: Path) -> None:
    server.make_bucket(BUCKET)
    site = make_site(tmp_path / "site")
    plan_file = tmp_path / "plan.json"
    destination = f"s3://{BUCKET}/site/"

    made = s3desk(server, "plan", str(site), destination, "--delete", "-o", str(plan_file))
    assert made.returncode == 0, made.stderr
    assert json.loads(plan_file.read_text())["summary"]["upload"] == 14

    applied = s3desk(server, "apply", str(plan_file), "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "now holds 14 objects" in applied.stdout

    again = s3desk(server, "plan", str(site), destination, "--delete", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)["summary"]
    assert (summary["upload"], summary["update"], summary["delete"], summary["skip"]) == (
        0, 0, 0, 14
    )  # fmt: skip


def test_cli_loop(s3_server: Server, tmp_path: Path) -> None:
    run_loop(s3_server, tmp_path)


def test_cli_loop_over_https_moto(moto_server_https: Server, tmp_path: Path) -> None:
    run_loop(moto_server_https, tmp_path)


def test_cli_loop_over_https_rclone(rclone_server_https: Server, tmp_path: Path) -> None:
    run_loop(rclone_server_https, tmp_path)


def connection(server: Server) -> Connection:
    return Connection(
        region="us-east-1",
        endpoint_url=server.endpoint_url,
        keys=StaticKeys(server.access_key, server.secret_key),
    )


def plan_on(server: Server, source: Path, tmp_path: Path, **options):
    return make_plan(
        source,
        Target(bucket=BUCKET, prefix="p/", endpoint_url=server.endpoint_url),
        Options(**options),
        connection(server),
        hash_cache=HashCache(tmp_path / "h.sqlite"),
    )


def test_conflicts_are_caught_on_both_servers(s3_server: Server, tmp_path: Path) -> None:
    """moto honours If-Match / If-None-Match; rclone ignores them, and the HeadObject check
    just before each write catches the change instead."""
    s3_server.make_bucket(BUCKET)
    client = s3_server.client()
    source = tmp_path / "src"
    source.mkdir()
    (source / "page.html").write_text("new")
    (source / "fresh.html").write_text("fresh")
    (source / "gone.txt").write_text("x")
    client.put_object(Bucket=BUCKET, Key="p/page.html", Body=b"old")
    plan = plan_on(s3_server, source, tmp_path)
    assert {a.key: a.op for a in plan.actions} == {
        "p/fresh.html": Op.UPLOAD, "p/gone.txt": Op.UPLOAD, "p/page.html": Op.UPDATE,
    }  # fmt: skip
    client.put_object(Bucket=BUCKET, Key="p/page.html", Body=b"someone else")
    client.put_object(Bucket=BUCKET, Key="p/fresh.html", Body=b"raced")
    result = apply_plan(plan, connection(s3_server))
    outcomes = {r.action.key: r.outcome for r in result.results}
    assert outcomes == {
        "p/page.html": Outcome.CONFLICT,
        "p/fresh.html": Outcome.CONFLICT,
        "p/gone.txt": Outcome.DONE,
    }
    body = client.get_object(Bucket=BUCKET, Key="p/page.html")["Body"].read()
    assert body == b"someone else"
    assert "HeadObject" in result.guarantee


def test_rclone_ignores_conditional_headers(rclone_server: Server) -> None:
    """The measured reason for the HeadObject check: rclone answers 200 to a failed If-Match."""
    rclone_server.make_bucket(BUCKET)
    client = rclone_server.client()
    client.put_object(Bucket=BUCKET, Key="k", Body=b"1")
    client.put_object(Bucket=BUCKET, Key="k", Body=b"2", IfMatch='"not-the-etag"')
    client.put_object(Bucket=BUCKET, Key="k", Body=b"3", IfNoneMatch="*")
    assert client.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"3"


def test_delete_conflict_is_caught_before_deleting(s3_server: Server, tmp_path: Path) -> None:
    s3_server.make_bucket(BUCKET)
    client = s3_server.client()
    source = tmp_path / "src"
    source.mkdir()
    (source / "keep.txt").write_text("k")
    client.put_object(Bucket=BUCKET, Key="p/keep.txt", Body=b"k")
    client.put_object(Bucket=BUCKET, Key="p/keep2.txt", Body=b"k")
    client.put_object(Bucket=BUCKET, Key="p/old.txt", Body=b"old")
    (source / "keep2.txt").write_text("k")
    plan = plan_on(s3_server, source, tmp_path, delete=True)
    assert [a.key for a in plan.actions if a.op is Op.DELETE] == ["p/old.txt"]
    client.put_object(Bucket=BUCKET, Key="p/old.txt", Body=b"rewritten by someone")
    result = apply_plan(plan, connection(s3_server))
    assert [r.outcome for r in result.results] == [Outcome.CONFLICT]
    assert client.get_object(Bucket=BUCKET, Key="p/old.txt")["Body"].read().startswith(b"rewr")


def test_multipart_upload_is_recognised_next_time(s3_server: Server, tmp_path: Path) -> None:
    """rclone stores a multipart upload with a plain MD5 ETag, moto with `-N`: both compare."""
    s3_server.make_bucket(BUCKET)
    source = tmp_path / "src"
    source.mkdir()
    (source / "video.mp4").write_bytes(os.urandom(17 * 1024 * 1024))
    assert apply_plan(plan_on(s3_server, source, tmp_path), connection(s3_server)).ok
    etag = s3_server.client().head_object(Bucket=BUCKET, Key="p/video.mp4")["ETag"]
    assert etag.strip('"').endswith("-3") == (s3_server.kind == "moto")
    again = plan_on(s3_server, source, tmp_path)
    assert [a.op for a in again.actions] == [Op.SKIP]
    assert "not verified" not in again.actions[0].reason


def test_rclone_marker_stored_as_a_file_is_a_conflict_not_a_delete(
    rclone_server: Server, tmp_path: Path
) -> None:
    rclone_server.make_bucket(BUCKET)
    client = rclone_server.client()
    client.put_object(Bucket=BUCKET, Key="p/www/", Body=b"")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == ["p/www"]  # the measured difference: the marker became a file
    source = tmp_path / "src"
    (source / "www").mkdir(parents=True)
    (source / "other.txt").write_text("o")
    plan = plan_on(rclone_server, source, tmp_path, delete=True)
    assert {a.key: a.op for a in plan.actions} == {
        "p/other.txt": Op.UPLOAD,
        "p/www": Op.CONFLICT,
    }


def test_identity_on_a_server_without_sts(rclone_server: Server, tmp_path: Path) -> None:
    rclone_server.make_bucket(BUCKET)
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("a")
    plan = plan_on(rclone_server, source, tmp_path)
    assert not plan.identity.verified
    assert plan.identity.arn == f"access key {rclone_server.access_key}"
    whoami = s3desk(rclone_server, "whoami")
    assert whoami.returncode == 1
    assert "serves S3 but not STS" in whoami.stderr
    assert "Traceback" not in whoami.stderr


def test_whoami_on_moto(moto_server: Server) -> None:
    whoami = s3desk(moto_server, "whoami")
    assert whoami.returncode == 0, whoami.stderr
    assert "123456789012" in whoami.stdout


def test_unreachable_endpoint_is_a_plain_error(tmp_path: Path) -> None:
    from tests.servers import free_port

    source = tmp_path / "src"
    source.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "s3desk", "plan", str(source), f"s3://{BUCKET}/p/",
         "--endpoint-url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Endpoint unreachable" in result.stderr
    assert "Traceback" not in result.stderr
