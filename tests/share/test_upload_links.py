"""Upload links: presigned POST with an s3desk-made key and conditions in the policy.

Measured: moto's server accepts a POST within the conditions but does not check them, and
`rclone serve s3` refuses presigned POST; so the conditions are checked here by decoding the
policy document, and the upload itself runs on moto.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import pytest
import requests

from s3desk.core.errors import UsageError
from s3desk.core.session import Connection
from s3desk.core.share import (
    ShareRefused,
    SigningCredentials,
    clean_upload_name,
    parse_size,
    presign_post,
    upload_key,
)
from tests.servers import Server
from tests.share.support import IDENTITY, LONG_TERM, at

NOW = at("2024-05-01T12:00:00Z")


def sign(**kwargs):
    options = dict(
        identity_arn=IDENTITY, content_type="application/pdf", max_bytes=10_000_000,
        expires_in=3600, region="eu-central-1", credentials=LONG_TERM, clock=lambda: NOW,
        token="00112233aabbccdd",
    )  # fmt: skip
    options.update(kwargs)
    return presign_post(Connection(), "example-bucket", "inbox/", "Q1 report.pdf", **options)


def test_the_policy_pins_bucket_key_size_type_and_expiry(
    freeze_signing: Callable[[datetime], None],
) -> None:
    freeze_signing(NOW)
    link = sign()
    policy = link.policy()
    assert policy["expiration"] == "2024-05-01T13:00:00Z"
    conditions = policy["conditions"]
    assert {"bucket": "example-bucket"} in conditions
    assert {"key": "inbox/00112233aabbccdd/Q1-report.pdf"} in conditions
    assert ["content-length-range", 1, 10_000_000] in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions
    assert {"x-amz-date": "20240501T120000Z"} in conditions
    credential = next(c["x-amz-credential"] for c in conditions if "x-amz-credential" in c)
    assert credential == "AKIAIOSFODNN7EXAMPLE/20240501/eu-central-1/s3/aws4_request"
    assert link.fields["key"] == link.key == "inbox/00112233aabbccdd/Q1-report.pdf"
    assert link.fields["Content-Type"] == "application/pdf"
    assert link.url == "https://example-bucket.s3.eu-central-1.amazonaws.com/"
    assert link.expires_at == at("2024-05-01T13:00:00Z")


def test_a_type_wildcard_becomes_a_starts_with_condition() -> None:
    link = sign(content_type="image/*")
    assert ["starts-with", "$Content-Type", "image/"] in link.policy()["conditions"]
    assert "Content-Type" not in link.fields


def test_temporary_credentials_put_the_token_in_the_policy_and_cut_the_expiry() -> None:
    role = SigningCredentials("ASIAEXAMPLE", "s", "session-token", at("2024-05-01T12:30:00Z"))
    link = sign(credentials=role, expires_in=86400)
    assert {"x-amz-security-token": "session-token"} in link.policy()["conditions"]
    assert link.expires_at == at("2024-05-01T12:30:00Z")
    assert link.shortened and "2024-05-01 12:30:00 UTC" in link.warning


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [("Q1 report.pdf", "Q1-report.pdf"), ("../../etc/passwd", "passwd"),
     ("C:\\Users\\me\\scan (2).png", "scan-2.png"), ("Отчёт 2024.pdf", "Отчёт-2024.pdf"),
     ("..", "upload"), ("", "upload"), ("a?b#c%d.txt", "a-b-c-d.txt"), (".env", "env"),
     ("cafe\u0301.txt", "caf\u00e9.txt")],
)  # fmt: skip
def test_names_from_outside_are_cleaned_never_trusted(name: str, cleaned: str) -> None:
    assert clean_upload_name(name) == cleaned
    key = upload_key("inbox", name)
    assert re.fullmatch(r"inbox/[0-9a-f]{16}/" + re.escape(cleaned), key)
    assert ".." not in key.split("/")


def test_long_names_keep_their_extension() -> None:
    cleaned = clean_upload_name("x" * 300 + ".pdf")
    assert len(cleaned) == 120 and cleaned.endswith("x.pdf")


def test_each_link_gets_its_own_random_folder() -> None:
    assert upload_key("inbox/", "a.pdf") != upload_key("inbox/", "a.pdf")


@pytest.mark.parametrize("content_type", ["*/*", "pdf", "text/html; charset=utf-8", ""])
def test_bad_content_types_are_refused(content_type: str) -> None:
    with pytest.raises(UsageError):
        sign(content_type=content_type)


@pytest.mark.parametrize("max_bytes", [0, 5 * 1024**3 + 1])
def test_sizes_outside_what_post_allows_are_refused(max_bytes: int) -> None:
    with pytest.raises(UsageError):
        sign(max_bytes=max_bytes)


def test_expiry_rules_apply_to_upload_links() -> None:
    with pytest.raises(ShareRefused):
        sign(expires_in=604801)


@pytest.mark.parametrize(
    ("text", "size"),
    [("100MB", 100_000_000), ("5MiB", 5 * 1024**2), ("2048", 2048), ("1gb", 10**9)],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.integration
def test_a_post_within_the_conditions_stores_the_file(moto_server: Server) -> None:
    moto_server.make_bucket("shares")
    credentials = SigningCredentials(moto_server.access_key, moto_server.secret_key)
    link = presign_post(
        Connection(endpoint_url=moto_server.endpoint_url), "shares", "assets/private-reports/in",
        "../Quarterly report.pdf", identity_arn=IDENTITY, content_type="application/pdf",
        max_bytes=1000, credentials=credentials,
    )  # fmt: skip
    body = b"%PDF-1.4 numbers"
    reply = requests.post(
        link.url, data=link.fields, files={"file": ("x.pdf", body, "application/pdf")}, timeout=10
    )
    assert reply.status_code == 204, reply.text
    stored = moto_server.client().get_object(Bucket="shares", Key=link.key)
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "application/pdf"
    assert re.fullmatch(r"assets/private-reports/in/[0-9a-f]{16}/Quarterly-report\.pdf", link.key)
