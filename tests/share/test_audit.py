"""Every signed link is in the audit log; no URL, signature, token or secret is, anywhere."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from s3desk.core import audit
from s3desk.core.errors import S3DeskError
from s3desk.core.session import Connection
from s3desk.core.share import SigningCredentials, presign_get, presign_post
from tests.share.support import IDENTITY, at, query

NOW = at("2024-05-01T12:00:00Z")
ROLE = SigningCredentials(
    "ASIAIOSFODNN7EXAMPLE", "role-secret-value", "role-token-value", at("2024-05-01T13:00:00Z")
)


def sign_get(key: str = "reports/q1.pdf", **kwargs):
    return presign_get(
        Connection(), "example-bucket", key, identity_arn=IDENTITY, expires_in=900,
        region="us-east-1", credentials=ROLE, clock=lambda: NOW, **kwargs,
    )  # fmt: skip


def sign_post(**kwargs):
    return presign_post(
        Connection(), "example-bucket", "inbox/", "scan.pdf", identity_arn=IDENTITY,
        content_type="application/pdf", expires_in=604800, region="us-east-1",
        credentials=ROLE, clock=lambda: NOW, token="0123456789abcdef", **kwargs,
    )  # fmt: skip


def secrets_of(link) -> list[str]:
    found = [ROLE.secret_key, ROLE.token or ""]
    if hasattr(link, "fields"):
        found += [link.fields["x-amz-signature"], link.fields["policy"]]
    else:
        found += [query(link.url)["X-Amz-Signature"], link.url.split("?", 1)[1]]
    return found


def test_download_and_upload_links_are_recorded_with_exactly_these_fields(
    own_log_folder: Path,
) -> None:
    sign_get()
    sign_post()
    lines = own_log_folder.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"v": 1, "time": "2024-05-01T12:00:00Z", "kind": "download", "identity_arn": IDENTITY,
         "endpoint": "aws", "bucket": "example-bucket", "key": "reports/q1.pdf",
         "expires_in": 900, "expires_at": "2024-05-01T12:15:00Z"},
        {"v": 1, "time": "2024-05-01T12:00:00Z", "kind": "upload", "identity_arn": IDENTITY,
         "endpoint": "aws", "bucket": "example-bucket", "key": "inbox/0123456789abcdef/scan.pdf",
         "expires_in": 604800, "expires_at": "2024-05-01T13:00:00Z"},
    ]  # fmt: skip
    assert own_log_folder.parent.name == "log"  # platformdirs' log folder


def test_no_signature_url_token_or_secret_is_written_or_logged(
    own_log_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    links = [sign_get(), sign_post()]
    written = own_log_folder.read_text(encoding="utf-8")
    # botocore's own DEBUG lines show canonical requests; s3desk keeps botocore at WARNING
    # (core/logs.py), so what the app logs is what its own loggers say.
    ours = [record for record in caplog.records if record.name.startswith("s3desk")]
    logged = "\n".join(record.getMessage() for record in ours)
    for link in links:
        for secret in secrets_of(link):
            assert secret not in written
            assert secret not in logged
            assert secret not in repr(link)
    for marker in ("X-Amz-Signature", "x-amz-signature", "Signature=", "X-Amz-Security-Token"):
        assert marker not in written
        assert marker not in logged
    assert "http" not in written
    assert any(
        "link signed for s3://example-bucket/reports/q1.pdf" in m for m in logged.split("\n")
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_log_is_readable_by_its_owner_only(own_log_folder: Path) -> None:
    sign_get()
    assert stat.S_IMODE(own_log_folder.stat().st_mode) == 0o600


def test_history_reads_newest_first_and_skips_damaged_lines(own_log_folder: Path) -> None:
    sign_get("reports/first.pdf")
    with own_log_folder.open("a", encoding="utf-8") as stream:
        stream.write("{not json\n\n")
    sign_get("reports/second.pdf")
    entries = audit.read_entries()
    assert [entry.key for entry in entries] == ["reports/second.pdf", "reports/first.pdf"]
    assert [entry.key for entry in audit.read_entries(limit=1)] == ["reports/second.pdf"]


def test_no_history_is_an_empty_list() -> None:
    assert audit.read_entries() == []


def test_a_link_that_cannot_be_recorded_is_not_handed_out(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the log folder should be")
    with pytest.raises(S3DeskError) as refused:
        sign_get(audit_file=blocked / "share-links.jsonl")
    assert refused.value.code == "AuditLog"
    assert "was not handed out" in refused.value.message
