"""After a plan and an apply made with keys from the keyring, no secret is on disk.

The server is rclone's S3 server on 127.0.0.1, which accepts only its own keys: the run can only
succeed with the keys the job keeps in the keyring, since the environment holds none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.jobs.cli import run_cli
from tests.jobs.conftest import Folders
from tests.servers import Server

pytestmark = pytest.mark.integration

TOKEN = "FwoGZXIvYXdzJOBSDISKTOKEN0001"

APPLY_WITH_JOB = """
import sys
from s3desk.core.apply import apply_plan
from s3desk.core.jobs import load_job
from s3desk.core.logs import setup_logging
from s3desk.core.plan import load_plan

setup_logging(verbose=True)
result = apply_plan(load_plan(sys.argv[1]), load_job(sys.argv[2]).connection())
print([str(r.outcome) for r in result.results])
"""


def env_without_keys() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env


def test_no_secret_in_config_logs_or_plans_after_a_run(
    rclone_server: Server, shared_keyring: Path, folders: Folders, tmp_path: Path
) -> None:
    secret = rclone_server.secret_key
    rclone_server.make_bucket("example-media")
    source = tmp_path / "pictures"
    (source / "raw").mkdir(parents=True)
    (source / "hero.webp").write_bytes(b"RIFF0000WEBP")
    (source / "raw" / "hero.psd").write_bytes(b"8BPS")
    env = env_without_keys()

    added = run_cli(
        "jobs", "add", "photos", "--kind", "images", "--source", str(source),
        "--bucket", "example-media", "--endpoint-url", rclone_server.endpoint_url,
        "--region", "us-east-1", "--keys",
        stdin=f"{rclone_server.access_key}\n{secret}\n{TOKEN}\n", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    plan_file = tmp_path / "plan.json"
    planned = run_cli("-v", "plan", "--job", "photos", "-o", str(plan_file), env=env)
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(plan_file.read_text())
    assert [a["key"] for a in plan["actions"] if a["op"] == "upload"] == ["assets/images/hero.webp"]
    assert plan["options"]["cache_control"] == "public,max-age=31536000,immutable"

    applied = run_cli_script(APPLY_WITH_JOB, str(plan_file), "photos", env=env)
    assert applied.returncode == 0, applied.stderr
    assert "'done'" in applied.stdout
    stored = rclone_server.client().head_object(
        Bucket="example-media", Key="assets/images/hero.webp"
    )
    assert stored["CacheControl"] == "public,max-age=31536000,immutable"

    # The search is real: the stand-in for the system keyring holds both secrets.
    keyring_text = shared_keyring.read_bytes()
    assert secret.encode() in keyring_text and TOKEN.encode() in keyring_text

    written = [*folders.all_files(), plan_file]
    assert any(p.name == "s3desk.log" for p in written), written
    assert any(p.name == "jobs.toml" for p in written), written
    for path in written:
        data = path.read_bytes()
        assert secret.encode() not in data, path
        assert TOKEN.encode() not in data, path
    for output in (added, planned, applied):
        assert secret not in output.stdout + output.stderr
        assert TOKEN not in output.stdout + output.stderr


def run_cli_script(
    script: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        start_new_session=True,
    )
