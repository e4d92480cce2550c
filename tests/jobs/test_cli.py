"""`s3desk jobs list|show|add|remove`, run as a user's terminal would run them."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from s3desk.core import jobs
from tests.jobs.cli import run_cli
from tests.jobs.conftest import Folders

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYJOBSCLI0001"
TOKEN = "FwoGZXIvYXdzJOBSCLITOKEN0001"


def add_site(source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "jobs", "add", "site-prod", "--kind", "site", "--source", str(source),
        "--bucket", "example-site", "--region", "eu-west-1", "--profile", "deploy",
        "--production", "--exclude", "drafts/*", "--include", "drafts/ok.html",
        "--header-rule", "*.html=no-cache;text/html; charset=utf-8",
        "--header-rule", "assets/*=max-age=31536000, immutable", *extra,
    )  # fmt: skip


def test_add_list_show_remove(tmp_path: Path) -> None:
    source = tmp_path / "build"
    source.mkdir()
    added = add_site(source)
    assert added.returncode == 0, added.stderr
    assert "Saved job site-prod" in added.stdout

    job = jobs.load_job("site-prod")
    assert job.source == str(source)
    assert job.production and job.delete
    assert job.credentials == jobs.Credentials.from_profile("deploy")
    assert job.filters[-2:] == (("exclude", "drafts/*"), ("include", "drafts/ok.html"))
    assert [r.as_option() for r in job.header_rules] == [
        ("*.html", "no-cache", "text/html; charset=utf-8"),
        ("assets/*", "max-age=31536000, immutable", ""),
    ]

    listed = run_cli("jobs", "list")
    assert listed.returncode == 0
    assert "site-prod" in listed.stdout and "s3://example-site/site/" in listed.stdout
    assert "PRODUCTION" in listed.stdout
    as_json = json.loads(run_cli("jobs", "list", "--json").stdout)
    assert [j["name"] for j in as_json] == ["site-prod"]

    shown = run_cli("jobs", "show", "site-prod")
    assert shown.returncode == 0
    assert "profile deploy" in shown.stdout
    assert "header rule 1:  *.html=no-cache;text/html; charset=utf-8" in shown.stdout
    assert "blocked above 20 deletes" in shown.stdout

    removed = run_cli("jobs", "remove", "site-prod")
    assert removed.returncode == 0
    assert jobs.load_jobs() == {}
    assert "No saved jobs" in run_cli("jobs", "list").stdout


def test_relative_source_is_saved_as_an_absolute_path(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    args = ("jobs", "add", "s", "--kind", "site", "--source", "build", "--bucket", "example-site")
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert jobs.load_job("s").source == str(tmp_path / "build")


def test_duplicate_needs_replace(tmp_path: Path) -> None:
    assert add_site(tmp_path).returncode == 0
    again = add_site(tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert add_site(tmp_path, "--replace", "--no-delete").returncode == 0
    assert jobs.load_job("site-prod").delete is False


def test_backup_job_refuses_delete_on_the_command_line(tmp_path: Path) -> None:
    result = run_cli(
        "jobs", "add", "nightly", "--kind", "backup", "--source", str(tmp_path),
        "--bucket", "example-backups", "--delete",
    )  # fmt: skip
    assert result.returncode == 2
    assert "backup job never deletes" in result.stderr
    assert "Traceback" not in result.stderr
    assert jobs.load_jobs() == {}


def test_backup_defaults_from_the_command_line(tmp_path: Path) -> None:
    result = run_cli(
        "jobs", "add", "nightly", "--kind", "backup", "--source", str(tmp_path),
        "--bucket", "example-backups",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = run_cli("jobs", "show", "nightly").stdout
    assert "s3://example-backups/backups/{date}/" in shown
    assert "never (backup jobs do not delete)" in shown
    assert "STANDARD_IA" in shown
    assert "create only:    yes" in shown


def test_bad_input_is_a_usage_error(tmp_path: Path) -> None:
    cases = [
        (["--bucket", "Bad_Bucket"], "Bucket name"),
        (["--bucket", "example-site", "--prefix", "a/../b"], "Prefix"),
        (["--bucket", "example-site", "--header-rule", "*.html"], "no '='"),
        (["--bucket", "example-site", "--profile", "p", "--keys"], "either --profile or --keys"),
    ]
    for extra, message in cases:
        result = run_cli("jobs", "add", "j", "--kind", "site", "--source", str(tmp_path), *extra)
        assert result.returncode == 2, extra
        assert message in result.stderr, (extra, result.stderr)


def test_show_unknown_job(tmp_path: Path) -> None:
    result = run_cli("jobs", "show", "nope")
    assert result.returncode == 2
    assert "No job called 'nope'" in result.stderr


def test_keys_are_prompted_and_kept_in_the_keyring_only(
    tmp_path: Path, shared_keyring: Path, folders: Folders
) -> None:
    result = run_cli(
        "jobs", "add", "photos", "--kind", "images", "--source", str(tmp_path),
        "--bucket", "example-media", "--keys",
        stdin=f"AKIAJOBSCLI000000001\n{SECRET}\n{TOKEN}\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr

    kept = json.loads(json.loads(shared_keyring.read_text())["s3desk\njob:photos"])
    assert kept == {
        "access_key_id": "AKIAJOBSCLI000000001",
        "secret_access_key": SECRET,
        "session_token": TOKEN,
    }
    data = tomllib.loads(jobs.jobs_path().read_text())
    assert data["jobs"]["photos"]["credentials"] == {"source": "keyring", "entry": "job:photos"}
    for path in folders.all_files():
        text = path.read_bytes()
        assert SECRET.encode() not in text and TOKEN.encode() not in text, path

    shown = run_cli("jobs", "show", "photos")
    assert "keys in the system keyring (job:photos)" in shown.stdout
    assert "missing" not in shown.stdout
    assert SECRET not in shown.stdout

    assert run_cli("jobs", "remove", "photos").returncode == 0
    assert "s3desk\njob:photos" not in json.loads(shared_keyring.read_text())


def test_keys_are_refused_without_a_secure_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: Folders
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    result = run_cli(
        "jobs", "add", "photos", "--kind", "images", "--source", str(tmp_path),
        "--bucket", "example-media", "--keys",
        stdin=f"AKIAJOBSCLI000000001\n{SECRET}\n\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert "No secure system keyring" in result.stderr
    assert "AWS profile" in result.stderr
    assert jobs.load_jobs() == {}
    for path in folders.all_files():
        assert SECRET.encode() not in path.read_bytes(), path


def test_plan_with_a_backup_job_refuses_delete(tmp_path: Path) -> None:
    added = run_cli(
        "jobs", "add", "nightly", "--kind", "backup", "--source", str(tmp_path),
        "--bucket", "example-backups", "--endpoint-url", "http://127.0.0.1:9",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    result = run_cli("plan", "--job", "nightly", "--delete")
    assert result.returncode == 2, result.stderr
    assert "never delete" in result.stderr
    assert "Traceback" not in result.stderr
