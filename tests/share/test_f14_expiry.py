"""F14: a presign expiry longer than 7 days (or zero, or negative) is refused before signing."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3desk.core import audit
from s3desk.core.errors import UsageError
from s3desk.core.session import Connection
from s3desk.core.share import (
    MAX_EXPIRY_SECONDS,
    ShareRefused,
    check_expiry,
    expiry_limit,
    parse_duration,
    presign_get,
)
from tests.share.support import IDENTITY, LONG_TERM, query

AWS = Connection()


def sign(expires_in: int, connection: Connection = AWS, **kwargs):
    return presign_get(
        connection,
        "example-bucket",
        "report.pdf",
        identity_arn=IDENTITY,
        expires_in=expires_in,
        region="us-east-1",
        credentials=LONG_TERM,
        **kwargs,
    )


def test_the_limit_is_sigv4s_week() -> None:
    assert MAX_EXPIRY_SECONDS == 604800


@pytest.mark.parametrize("seconds", [1, 604800])
def test_expiry_within_a_week_is_signed_as_asked(seconds: int) -> None:
    link = sign(seconds)
    assert query(link.url)["X-Amz-Expires"] == str(seconds)
    assert f"X-Amz-Expires={seconds}&" in link.url


@pytest.mark.parametrize("seconds", [0, -5, 604801, 2592000])
def test_expiry_out_of_range_is_refused_before_any_url(seconds: int, own_log_folder: Path) -> None:
    with pytest.raises(ShareRefused) as refused:
        sign(seconds)
    assert refused.value.code == "Blocked"
    assert str(seconds) in refused.value.message
    assert not own_log_folder.exists()  # nothing was signed, so nothing was recorded
    assert audit.read_entries() == []


def test_refusal_words_say_the_limit_and_what_to_do() -> None:
    with pytest.raises(ShareRefused) as refused:
        check_expiry(parse_duration("8d"))
    assert refused.value.message == (
        "A link may live at most 7 days (604800 seconds); 8 days (691200 seconds) was asked. "
        "Choose a shorter expiry."
    )


def test_a_custom_endpoint_may_allow_longer_links_when_the_user_sets_a_maximum() -> None:
    minio = Connection(endpoint_url="http://127.0.0.1:9000")
    month = 2592000
    assert expiry_limit(minio.endpoint_url, month) == month
    link = sign(month, minio, max_expiry=month)
    assert query(link.url)["X-Amz-Expires"] == str(month)
    with pytest.raises(ShareRefused):
        sign(month + 1, minio, max_expiry=month)


def test_without_a_set_maximum_a_custom_endpoint_keeps_the_week() -> None:
    minio = Connection(endpoint_url="http://127.0.0.1:9000")
    assert expiry_limit(minio.endpoint_url) == 604800
    with pytest.raises(ShareRefused):
        sign(604801, minio)


def test_aws_cannot_be_given_a_maximum_above_a_week() -> None:
    with pytest.raises(UsageError, match="custom endpoint"):
        sign(604801, max_expiry=2592000)
    with pytest.raises(UsageError, match="custom endpoint"):
        expiry_limit("https://s3.eu-central-1.amazonaws.com", 2592000)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("15m", 900), ("1h", 3600), ("1d", 86400), ("7d", 604800), ("90s", 90),
     ("604801", 604801), ("0", 0), ("-5", -5), ("8d", 691200), ("1W", 604800)],
)  # fmt: skip
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15 minutes", "1.5h", "m", "15mm"])
def test_unreadable_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)
