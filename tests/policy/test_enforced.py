"""Credentials that hold exactly the generated policy run the job end to end on moto's server
with IAM enforced, and are refused what the job does not need.

Measured on moto 5.2: actions and resources are enforced; conditions other than StringEquals
are treated as holding, so a listing outside the prefix is not refused there (the s3:prefix
condition is tested on the document in test_generate.py), and the backup's If-None-Match
condition is not enforced either (the core refuses overwrites; test_generate.py checks the
document). HeadBucket is checked as the action "s3:HeadBucket", which no policy grants.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from s3desk.core.apply import Outcome, apply_plan
from s3desk.core.errors import S3DeskError
from s3desk.core.jobs import new_job
from s3desk.core.plan import Op, Options
from s3desk.core.planner import make_plan
from s3desk.core.policy import DELETE, PUT
from s3desk.core.preflight import explain_refusal
from s3desk.core.target import Target
from tests.policy.conftest import BUCKET, SEEDS, EnforcedServer, images_access, site_access

MiB = 1024 * 1024


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, body in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return folder


def _job_target(enforced: EnforcedServer, prefix: str) -> Target:
    return Target(BUCKET, prefix, region="us-east-1", endpoint_url=enforced.server.endpoint_url)


def _plan_and_apply(enforced: EnforcedServer, user: str, job, source: Path, prefix: str):
    connection = enforced.connection(user)
    target = _job_target(enforced, prefix)
    plan = make_plan(source, target, job.options(), connection)
    allowed = plan.summary.delete if plan.blocked else None
    return plan, apply_plan(plan, connection, allow_deletes=allowed)


def test_site_job_runs_end_to_end_with_its_policy(enforced: EnforcedServer, tmp_path: Path) -> None:
    source = _write(
        tmp_path / "build",
        {
            "index.html": b"<h1>home</h1>\n",  # same bytes as remote: a metadata update
            "app.js": b"console.log(1)\n",
            "docs/page.html": b"<p>page</p>\n",
            "video.bin": b"\x00" * (9 * MiB),  # above 8 MiB: a multipart upload
        },
    )
    job = new_job("www", "site", str(source), BUCKET)

    plan, result = _plan_and_apply(enforced, "www", job, source, "site/")

    ops = {a.key: a.op for a in plan.changes}
    assert ops == {
        "site/index.html": Op.METADATA,
        "site/app.js": Op.UPLOAD,
        "site/docs/page.html": Op.UPLOAD,
        "site/video.bin": Op.UPLOAD,
        "site/old.html": Op.DELETE,
    }
    assert [(r.action.key, r.error) for r in result.results if r.outcome is not Outcome.DONE] == []
    stored = enforced.objects("site/")
    assert sorted(stored) == [
        "site/app.js",
        "site/docs/page.html",
        "site/index.html",
        "site/video.bin",
    ]
    assert len(stored["site/video.bin"]) == 9 * MiB
    assert enforced.objects("other/") == {k: v for k, v in SEEDS.items() if k.startswith("other/")}

    again = make_plan(
        source, _job_target(enforced, "site/"), job.options(), enforced.connection("www")
    )
    assert again.changes == ()


def test_site_credentials_are_refused_writes_outside_the_prefix(
    enforced: EnforcedServer, tmp_path: Path
) -> None:
    source = _write(tmp_path / "build", {"intruder.html": b"<p>no</p>\n"})
    connection = enforced.connection("www")
    target = _job_target(enforced, "other/")

    plan = make_plan(source, target, Options(delete=True), connection)
    result = apply_plan(plan, connection, allow_deletes=plan.summary.delete)

    outcomes = {r.action.key: (r.action.op, r.outcome) for r in result.results}
    assert outcomes == {
        "other/intruder.html": (Op.UPLOAD, Outcome.FAILED),
        # Deletes run only after every write succeeded, so these are never sent.
        "other/keep.txt": (Op.DELETE, Outcome.SKIPPED),
        "other/stale.txt": (Op.DELETE, Outcome.SKIPPED),
    }
    assert result.results[0].error.startswith("Access denied")
    assert enforced.objects("other/") == {
        "other/keep.txt": b"not the job's\n",
        "other/stale.txt": b"old\n",
    }


def test_site_credentials_are_refused_deletes_outside_the_prefix(
    enforced: EnforcedServer, tmp_path: Path
) -> None:
    source = _write(tmp_path / "build", {"keep.txt": b"not the job's\n"})
    connection = enforced.connection("www")
    target = _job_target(enforced, "other/")

    plan = make_plan(source, target, Options(delete=True), connection)
    result = apply_plan(plan, connection, allow_deletes=plan.summary.delete)

    assert [(a.key, a.op) for a in plan.changes] == [("other/stale.txt", Op.DELETE)]
    assert [(r.action.key, r.outcome) for r in result.results if r.action.op is Op.DELETE] == [
        ("other/stale.txt", Outcome.FAILED)
    ]
    assert "other/stale.txt" in enforced.objects("other/")


def test_images_credentials_are_refused_deletes_the_job_does_not_need(
    enforced: EnforcedServer, tmp_path: Path
) -> None:
    source = _write(tmp_path / "images", {"new.png": b"\x89PNG new\n"})
    job = new_job("pics", "images", str(source), BUCKET, delete=True)  # deletes turned on later
    connection = enforced.connection("pics")
    target = _job_target(enforced, "assets/images/")

    plan = make_plan(source, target, job.options(), connection)
    result = apply_plan(plan, connection, allow_deletes=plan.summary.delete)

    outcomes = {r.action.key: (r.action.op, r.outcome) for r in result.results}
    assert outcomes["assets/images/new.png"] == (Op.UPLOAD, Outcome.DONE)
    # Deletes run only when every write before them succeeded; the refusal is the server's.
    assert outcomes["assets/images/old.png"] == (Op.DELETE, Outcome.FAILED)
    assert "Access denied" in result.results[-1].error
    assert "assets/images/old.png" in enforced.objects("assets/images/")


def test_raw_refusals_and_their_explanation_name_the_action(enforced: EnforcedServer) -> None:
    client = enforced.client("pics")
    with pytest.raises(ClientError) as delete:
        client.delete_object(Bucket=BUCKET, Key="assets/images/old.png")
    assert delete.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as put:
        client.put_object(Bucket=BUCKET, Key="other/x.png", Body=b"x")
    assert put.value.response["Error"]["Code"] == "AccessDenied"

    images, site = images_access(), site_access()
    text = explain_refusal(images, DELETE, BUCKET, "assets/images/old.png")
    assert text.startswith(f"s3:DeleteObject on arn:aws:s3:::{BUCKET}/assets/images/old.png")
    assert "does not need s3:DeleteObject" in text
    text = explain_refusal(site, DELETE, BUCKET, "site/old.html")
    assert "statement 'DeleteJobObjects'" in text and "s3desk policy --job www" in text
    text = explain_refusal(site, PUT, BUCKET, "other/x.png")
    assert "does not need s3:PutObject on arn:aws:s3:::demo-bucket/other/x.png" in text


def test_apply_refusal_message_names_the_iam_action(
    enforced: EnforcedServer, tmp_path: Path
) -> None:
    source = _write(tmp_path / "build", {"intruder.html": b"<p>no</p>\n"})
    job = new_job("www", "site", str(source), BUCKET, prefix="other/", delete=False)
    _, result = _plan_and_apply(enforced, "www", job, source, "other/")
    assert re.search(r"\bs3:(GetObject|PutObject)\b", result.results[0].error)


def test_backup_runs_create_only_and_cannot_delete(
    enforced: EnforcedServer, tmp_path: Path
) -> None:
    source = _write(tmp_path / "docs", {"a.txt": b"alpha\n", "b/c.txt": b"gamma\n"})
    job = new_job("vault", "backup", str(source), BUCKET)
    target = job.target_for_today()
    connection = enforced.connection("vault")
    target = _job_target(enforced, target.prefix)

    plan = make_plan(source, target, job.options(), connection)
    result = apply_plan(plan, connection)

    assert result.ok and plan.summary.upload == 2
    assert sorted(enforced.objects(target.prefix)) == [
        target.prefix + "a.txt",
        target.prefix + "b/c.txt",
    ]
    with pytest.raises(ClientError) as refused:
        enforced.client("vault").delete_object(Bucket=BUCKET, Key=target.prefix + "a.txt")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_listing_refused_is_an_error_never_an_empty_prefix(
    enforced: EnforcedServer, tmp_path: Path
) -> None:
    """F13: a policy with object actions only. The dry run fails naming s3:ListBucket."""
    source = _write(tmp_path / "build", {"index.html": b"x"})
    job = new_job("nolist", "site", str(source), BUCKET)
    with pytest.raises(S3DeskError) as refused:
        make_plan(
            source, _job_target(enforced, "site/"), job.options(), enforced.connection("nolist")
        )
    assert "s3:ListBucket" in str(refused.value)
