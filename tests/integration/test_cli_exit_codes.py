"""The command line's promises: exit codes, a blocked plan saved but refused, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_loop_on_servers import s3desk
from tests.servers import Server

pytestmark = pytest.mark.integration
BUCKET = "cli-bucket"


@pytest.fixture
def filled(moto_server: Server, tmp_path: Path) -> tuple[Server, Path]:
    moto_server.make_bucket(BUCKET)
    client = moto_server.client()
    for i in range(5):
        client.put_object(Bucket=BUCKET, Key=f"site/old{i}.html", Body=b"old")
    source = tmp_path / "build"
    source.mkdir()
    (source / "index.html").write_text("<h1>new</h1>")
    return moto_server, source


def test_blocked_plan_is_saved_with_exit_3_and_apply_refuses_it(filled, tmp_path) -> None:
    server, source = filled
    plan_file = tmp_path / "plan.json"
    made = s3desk(server, "plan", str(source), f"s3://{BUCKET}/site", "--delete", "-o",
                  str(plan_file))  # fmt: skip
    assert made.returncode == 3, made.stderr
    assert "BLOCKED" in made.stdout and "100% of the destination (5 objects)" in made.stdout
    saved = json.loads(plan_file.read_text())
    assert saved["blocked"] and saved["summary"]["delete"] == 5

    refused = s3desk(server, "apply", str(plan_file), "--yes")
    assert refused.returncode == 3
    assert "Nothing was written" in refused.stderr
    wrong = s3desk(server, "apply", str(plan_file), "--yes", "--allow-deletes", "4")
    assert wrong.returncode == 3
    keys = [o["Key"] for o in server.client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 5  # nothing written, nothing deleted

    confirmed = s3desk(server, "apply", str(plan_file), "--yes", "--allow-deletes", "5")
    assert confirmed.returncode == 0, confirmed.stderr
    keys = [o["Key"] for o in server.client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == ["site/index.html"]


def test_conflict_gives_exit_4(filled, tmp_path) -> None:
    server, source = filled
    plan_file = tmp_path / "plan.json"
    assert s3desk(server, "plan", str(source), f"s3://{BUCKET}/site/", "-o",
                  str(plan_file)).returncode == 0  # fmt: skip
    server.client().put_object(Bucket=BUCKET, Key="site/index.html", Body=b"raced")
    applied = s3desk(server, "apply", str(plan_file), "--yes")
    assert applied.returncode == 4
    assert "conflict" in applied.stdout


def test_apply_without_yes_and_without_a_terminal_writes_nothing(filled, tmp_path) -> None:
    server, source = filled
    plan_file = tmp_path / "plan.json"
    s3desk(server, "plan", str(source), f"s3://{BUCKET}/site/", "-o", str(plan_file))
    applied = s3desk(server, "apply", str(plan_file))
    assert applied.returncode == 2  # a script that forgot --yes must not look successful
    assert "Not applied" in applied.stderr and "--yes" in applied.stderr
    keys = [o["Key"] for o in server.client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert "site/index.html" not in keys


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "{src}", "s3://Bad_Bucket/x"], "not valid"),
        (["plan", "{src}", "s3://ok-bucket/a/../b"], "'..' segments"),
        (["plan", "{src}", "bucket/prefix"], "not an S3 URL"),
        (["plan", "{src}"], "Give SOURCE"),
        (["apply", "{src}/no-such-plan.json"], "No plan file"),
        (["apply", "{src}/index.html"], "not an s3desk plan file"),
    ],
)
def test_usage_errors_exit_2_with_one_plain_message(filled, args, message) -> None:
    server, source = filled
    result = s3desk(server, *[a.format(src=source) for a in args])
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_endpoint_url_that_differs_from_the_plan_is_refused(filled, tmp_path) -> None:
    server, source = filled
    plan_file = tmp_path / "plan.json"
    s3desk(server, "plan", str(source), f"s3://{BUCKET}/site/", "-o", str(plan_file))
    other = subprocess.run(
        [sys.executable, "-m", "s3desk", "--endpoint-url", "http://127.0.0.1:9", "apply",
         str(plan_file), "--yes"],
        capture_output=True, text=True, env=server.env(), timeout=120,
    )  # fmt: skip
    assert other.returncode == 2
    assert "names the endpoint" in other.stderr


def test_control_characters_in_keys_are_shown_escaped(filled, tmp_path) -> None:
    server, source = filled
    server.client().put_object(
        Bucket=BUCKET, Key="site/data.db\x1b[2K\r  upload   site/new.html", Body=b"x"
    )
    made = s3desk(server, "plan", str(source), f"s3://{BUCKET}/site/", "--delete",
                  "--max-delete", "99")  # fmt: skip
    assert "\x1b" not in made.stdout and "\r" not in made.stdout
    assert "site/data.db\\x1b[2K\\x0d" in made.stdout


def test_missing_source_exits_1_naming_it(filled, tmp_path) -> None:
    server, _ = filled
    result = s3desk(server, "plan", str(tmp_path / "unmounted"), f"s3://{BUCKET}/site/",
                    "--delete")  # fmt: skip
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "unmounted" in result.stderr


def test_missing_bucket_is_explained(moto_server: Server, tmp_path: Path) -> None:
    result = s3desk(moto_server, "plan", str(tmp_path), "s3://no-such-bucket/x/")
    assert result.returncode == 1
    assert "Bucket not found" in result.stderr
