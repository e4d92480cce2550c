"""`s3desk share` from a terminal, against moto's server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from s3desk.core import audit, jobs
from tests.servers import Server
from tests.share.support import fetch, query

pytestmark = pytest.mark.integration

REPORT = b"%PDF-1.4 quarterly numbers\n"


@pytest.fixture
def shares(moto_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    """A bucket with a report under the share prefix and a page outside it, and a share job."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    moto_server.make_bucket("shares")
    client = moto_server.client()
    client.put_object(Bucket="shares", Key="assets/private-reports/Q1 Отчёт.pdf", Body=REPORT)
    client.put_object(Bucket="shares", Key="site/index.html", Body=b"<html>")
    job = jobs.new_job(
        "reports", "share", str(tmp_path), "shares", endpoint_url=moto_server.endpoint_url
    )
    jobs.add_job(job)
    jobs.add_job(jobs.new_job("web", "site", str(tmp_path), "shares"))
    return moto_server


def s3desk(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "s3desk", *args],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def share(server: Server, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return s3desk(server, "share", url, "--endpoint-url", server.endpoint_url, *args)


def test_a_link_prints_alone_on_stdout_and_fetches_the_report(shares: Server) -> None:
    done = share(shares, "s3://shares/assets/private-reports/Q1 Отчёт.pdf", "--expires", "1h")
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert "\n" not in url and url.isascii()
    assert query(url)["X-Amz-Expires"] == "3600"
    assert "works until" in done.stderr and "(1 hour)" in done.stderr
    got = fetch(url)
    assert got.body == REPORT
    assert got.headers["Content-Disposition"] == (
        'attachment; filename="Q1 _____.pdf"; '
        "filename*=UTF-8''Q1%20%D0%9E%D1%82%D1%87%D1%91%D1%82.pdf"
    )


def test_the_job_guard_and_the_audit_log_from_the_demo(shares: Server, tmp_path: Path) -> None:
    key = "assets/private-reports/Q1 Отчёт.pdf"
    done = s3desk(shares, "share", f"s3://shares/{key}", "--job", "reports", "--filename", "q1.pdf")
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()

    curl = shutil.which("curl")
    if curl:  # the demo: a colleague downloads the link with curl
        saved = tmp_path / "download"
        subprocess.run([curl, "-sfS", "-o", str(saved), url], check=True, timeout=30)
        assert saved.read_bytes() == REPORT

    outside = s3desk(shares, "share", "s3://shares/site/index.html", "--job", "reports")
    assert outside.returncode == 3
    assert outside.stdout == ""
    assert "'site/index.html' is not under 'assets/private-reports/'" in outside.stderr
    assert "the job 'reports'" in outside.stderr

    entries = audit.read_entries()
    assert [(e.bucket, e.key, e.kind) for e in entries] == [("shares", key, "download")]
    assert entries[0].identity_arn == "arn:aws:sts::123456789012:user/moto"
    assert entries[0].expires_in == 900
    signature = query(url)["X-Amz-Signature"]
    for written in audit.audit_path().parent.iterdir():  # the audit log and s3desk.log
        text = written.read_text(encoding="utf-8")
        assert signature not in text and "X-Amz-Signature" not in text
        assert url.split("?", 1)[1] not in text


@pytest.mark.parametrize("expires", ["8d", "604801", "0", "-5"])
def test_expiry_out_of_range_is_blocked_with_exit_3(shares: Server, expires: str) -> None:
    done = share(shares, "s3://shares/assets/private-reports/Q1 Отчёт.pdf", f"--expires={expires}")
    assert done.returncode == 3
    assert done.stdout == ""
    assert "Expiry refused" in done.stderr
    assert audit.read_entries() == []


def test_eight_days_are_refused_in_plain_words(shares: Server) -> None:
    done = share(shares, "s3://shares/assets/private-reports/Q1 Отчёт.pdf", "--expires", "8d")
    assert done.stderr.strip() == (
        "s3desk: refused: Expiry refused. A link may live at most 7 days (604800 seconds); "
        "8 days (691200 seconds) was asked. Choose a shorter expiry."
    )


def test_an_unreadable_expiry_is_a_usage_error(shares: Server) -> None:
    done = share(shares, "s3://shares/assets/private-reports/x.pdf", "--expires", "soon")
    assert done.returncode == 2
    assert "is not a duration" in done.stderr


def test_only_share_jobs_sign_links(shares: Server) -> None:
    done = s3desk(shares, "share", "s3://shares/site/index.html", "--job", "web")
    assert done.returncode == 3
    assert "is a site job" in done.stderr


def test_a_key_with_dot_segments_is_refused(shares: Server) -> None:
    done = share(shares, "s3://shares/assets/private-reports/../../site/index.html")
    assert done.returncode == 3
    assert "'..' segments" in done.stderr


def test_json_output(shares: Server) -> None:
    done = share(shares, "s3://shares/assets/private-reports/Q1 Отчёт.pdf", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["key"] == "assets/private-reports/Q1 Отчёт.pdf"
    assert data["expires_in"] == 900
    assert data["expires_at"].endswith("Z")
    assert fetch(data["url"]).body == REPORT


def test_an_upload_link_takes_a_file_under_the_jobs_prefix(shares: Server) -> None:
    done = s3desk(
        shares, "share", "--upload", "s3://shares/assets/private-reports/inbox/", "--job",
        "reports", "--filename", "../scan 1.pdf", "--max-size", "1MB", "--expires", "1d",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    link = json.loads(done.stdout)
    key = link["fields"]["key"]
    assert key.startswith("assets/private-reports/inbox/") and key.endswith("/scan-1.pdf")
    assert link["fields"]["Content-Type"] == "application/pdf"
    assert "curl -F" in done.stderr
    reply = requests.post(
        link["url"], data=link["fields"], files={"file": ("scan.pdf", REPORT)}, timeout=10
    )
    assert reply.status_code == 204, reply.text
    assert shares.client().get_object(Bucket="shares", Key=key)["Body"].read() == REPORT
    assert [e.kind for e in audit.read_entries()] == ["upload"]


def test_an_upload_prefix_outside_the_job_is_refused(shares: Server) -> None:
    done = s3desk(
        shares, "share", "--upload", "s3://shares/site/", "--job", "reports", "--filename", "a.pdf"
    )
    assert done.returncode == 3
    assert "Uploads to 'site/' are refused" in done.stderr


def test_a_custom_endpoint_may_allow_a_month_when_asked(shares: Server) -> None:
    key = "s3://shares/assets/private-reports/Q1 Отчёт.pdf"
    done = share(shares, key, "--expires", "30d", "--max-expires", "30d")
    assert done.returncode == 0, done.stderr
    assert query(done.stdout.strip())["X-Amz-Expires"] == "2592000"
    assert share(shares, key, "--expires", "31d", "--max-expires", "30d").returncode == 3
