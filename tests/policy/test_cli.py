"""`s3desk policy` and `s3desk check` from a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3desk.cli import main
from s3desk.core import jobs
from s3desk.core.policy import Access, generate
from tests.policy.conftest import AUDITOR_POLICY, BUCKET, start_enforced


@pytest.fixture(autouse=True)
def own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test saves its jobs in its own config folder."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return config


def save(*saved: jobs.Job) -> None:
    for job in saved:
        jobs.add_job(job)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_policy_for_a_kind_without_saved_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "--kind", "site", "--bucket", "my-bucket", "--delete")

    assert code == 0
    assert json.loads(out) == generate(
        Access("site", "my-bucket", "site/", deletes=True, reads=True)
    )


def test_policy_for_a_kind_follows_the_kinds_deletes(capsys: pytest.CaptureFixture[str]) -> None:
    def sids(*argv: str) -> list[str]:
        code, out, _ = run(capsys, "policy", "--bucket", "my-bucket", *argv)
        assert code == 0
        return [s["Sid"] for s in json.loads(out)["Statement"]]

    assert "DeleteJobObjects" in sids("--kind", "site")  # site jobs delete by default
    assert "DeleteJobObjects" not in sids("--kind", "site", "--no-delete")
    assert "DeleteJobObjects" not in sids("--kind", "images")
    assert "DeleteJobObjects" in sids("--kind", "images", "--delete")


def test_policy_for_a_kind_with_its_own_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "policy", "--kind", "images", "--bucket", "b-1", "--prefix", "/img/", "--no-read"
    )
    assert code == 0
    assert json.loads(out) == generate(Access("images", "b-1", "img/"))


def test_policy_for_several_saved_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    save(
        jobs.new_job("www", "site", "/build", "my-bucket"),
        jobs.new_job("vault", "backup", "/docs", "my-bucket"),
    )
    code, out, _ = run(capsys, "policy", "--job", "www", "--job", "vault", "--with-checks")

    assert code == 0
    sids = [s["Sid"] for s in json.loads(out)["Statement"]]
    assert sids == [
        "ListJobPrefixesMyBucket",
        "ReadJobObjects",
        "WriteJobObjects",
        "DeleteJobObjects",
        "CreateBackupObjectsOnly",
        "UploadBackupParts",
        "AbortFailedBackupUploads",
        "ReadBucketSafetySettings",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["policy"], "Name a saved job"),
        (["policy", "--kind", "site"], "--kind needs --bucket"),
        (["policy", "--job", "nope"], "No job called 'nope'"),
        (["policy", "--kind", "backup", "--bucket", "my-bucket", "--delete"], "never deletes"),
        (["policy", "--lint", "missing.json"], "No policy file at missing.json"),
        (["check"], "Name what to check"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_lint_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "F13", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": "arn:aws:s3:::my-bucket/*"},
    ]}))  # fmt: skip
    good = tmp_path / "good.json"
    good.write_text(json.dumps(generate(Access("site", "my-bucket", "site/", deletes=True))))

    code, out, _ = run(capsys, "policy", "--lint", str(bad))
    assert code == 3
    assert "'Everything' (statement 1) [wildcard-action]" in out
    assert "'F13' (statement 2) [list-on-object-arn]" in out
    assert "Fix: Grant it on the bucket ARN (arn:aws:s3:::my-bucket)" in out
    assert out.rstrip().endswith("3 finding(s).")

    assert run(capsys, "policy", "--lint", str(good))[0] == 0


def test_lint_against_a_job(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The site policy has a delete, which an images job never needs."""
    site_policy = tmp_path / "site.json"
    site_policy.write_text(
        json.dumps(generate(Access("images", "my-bucket", "assets/images/", deletes=True)))
    )
    save(jobs.new_job("pics", "images", "/img", "my-bucket"))

    code, out, _ = run(capsys, "policy", "--lint", str(site_policy), "--job", "pics")

    assert code == 3
    assert "[delete-not-needed]" in out and "the pics never deletes" in out


@pytest.fixture
def web_bucket() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="web-bucket")
        yield client


def test_check_a_url(capsys: pytest.CaptureFixture[str], web_bucket: Any) -> None:
    code, out, _ = run(capsys, "check", "s3://web-bucket/site/", "--kind", "site")

    assert code == 0
    assert "Checks for s3://web-bucket/site/" in out
    assert "WARNING Versioning off" in out
    assert "What to do: Turn versioning on" in out
    assert out.rstrip().endswith("Ready for a dry run. 3 warning(s).")


def test_check_a_missing_bucket_as_json(
    capsys: pytest.CaptureFixture[str], web_bucket: Any
) -> None:
    code, out, _ = run(capsys, "check", "s3://gone-bucket/x/", "--json")

    assert code == 1
    (report,) = json.loads(out)
    assert report["ok"] is False
    assert [c["code"] for c in report["checks"]] == ["identity", "bucket"]


def test_check_a_saved_job(capsys: pytest.CaptureFixture[str], web_bucket: Any) -> None:
    save(jobs.new_job("www", "site", "/build", "web-bucket", region="us-east-1"))
    code, out, _ = run(capsys, "check", "--job", "www")
    assert code == 0 and "Checks for s3://web-bucket/site/" in out


def _cli(env: dict[str, str], *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "s3desk", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_new_user_story_on_an_enforced_server(tmp_path: Path) -> None:
    """Create a site job, copy its policy, run the job with exactly that policy, and see a
    delete outside the job refused with a clear message."""
    build = tmp_path / "build"
    build.mkdir()
    (build / "index.html").write_text("<h1>home</h1>\n")
    (build / "about.html").write_text("<p>about</p>\n")
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))

    # The job and its policy, before any server exists: nothing here needs credentials.
    add = ["jobs", "add", "www", "--kind", "site", "--source", str(build), "--bucket", BUCKET]
    add += ["--region", "us-east-1"]
    added = _cli(env, *add, "--endpoint-url", "http://127.0.0.1:9", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    printed = _cli(env, "policy", "--job", "www", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    policy = json.loads(printed.stdout)

    for enforced in start_enforced(tmp_path, {"www": policy, "auditor": AUDITOR_POLICY}):
        endpoint = enforced.server.endpoint_url
        # Point the saved job at the server that was just started.
        _cli(env, "jobs", "remove", "www", cwd=tmp_path)
        added = _cli(env, *add, "--endpoint-url", endpoint, cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        keys = enforced.keys["www"]
        env.update(
            AWS_ACCESS_KEY_ID=keys.access_key_id, AWS_SECRET_ACCESS_KEY=keys.secret_access_key
        )

        checked = _cli(env, "check", "--job", "www", cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "Ready for a dry run" in checked.stdout

        synced = _cli(env, "sync", "--job", "www", "--yes", cwd=tmp_path)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert sorted(enforced.objects("site/")) == ["site/about.html", "site/index.html"]

        # A delete outside the job: everything under other/ that has no local file.
        keep = tmp_path / "keep"
        keep.mkdir()
        (keep / "keep.txt").write_bytes(b"not the job's\n")
        where = ["--endpoint-url", endpoint, "--region", "us-east-1"]
        sync = ["sync", str(keep), f"s3://{BUCKET}/other/", "--delete", "--yes"]
        outside = _cli(env, *where, *sync, cwd=tmp_path)
        said = outside.stdout + outside.stderr
        assert outside.returncode == 4, said
        assert "delete other/stale.txt: failed (Access denied" in said
        assert "other/stale.txt" in enforced.objects("other/")
