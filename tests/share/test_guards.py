"""Links are only signed for keys under the share prefix, and never for `.`/`..` segments."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3desk.core import audit
from s3desk.core.session import Connection
from s3desk.core.share import (
    ShareRefused,
    check_share_key,
    check_upload_prefix,
    presign_get,
    presign_post,
)
from tests.share.support import IDENTITY, LONG_TERM

PREFIX = "assets/private-reports/"


@pytest.mark.parametrize(
    "key",
    ["assets/private-reports/q1.pdf", "assets/private-reports/2024/Отчёт.pdf",
     "assets/private-reports/a..b.pdf", "assets/private-reports/.hidden"],
)  # fmt: skip
def test_keys_under_the_prefix_pass(key: str) -> None:
    assert check_share_key(key, PREFIX) == key
    assert check_share_key(key, "assets/private-reports") == key  # slash or not


@pytest.mark.parametrize(
    "key",
    ["site/index.html", "assets/private-reports-old/q1.pdf", "assets/q1.pdf",
     "Assets/private-reports/q1.pdf", "/assets/private-reports/q1.pdf"],
)  # fmt: skip
def test_keys_outside_the_prefix_are_refused(key: str) -> None:
    with pytest.raises(ShareRefused) as refused:
        check_share_key(key, PREFIX, job_name="reports")
    assert refused.value.title == "Key outside the share prefix"
    assert refused.value.message == (
        f"{key!r} is not under 'assets/private-reports/', the only prefix the job 'reports' "
        "may share. Move the file under that prefix, or use a job made for its prefix."
    )


@pytest.mark.parametrize(
    "key",
    ["assets/private-reports/../secret.pdf", "assets/private-reports/./q1.pdf", "../x", "a/.."],
)
def test_dot_segments_are_refused_even_without_a_prefix(key: str) -> None:
    with pytest.raises(ShareRefused, match=r"'\.' or '\.\.' segments"):
        check_share_key(key, None)
    with pytest.raises(ShareRefused, match=r"'\.' or '\.\.' segments"):
        check_share_key(key, PREFIX)


@pytest.mark.parametrize("key", ["", "assets/private-reports/", "assets/private-reports/2024/"])
def test_empty_keys_and_folder_markers_are_refused(key: str) -> None:
    with pytest.raises(ShareRefused):
        check_share_key(key, PREFIX)


def test_a_refused_key_is_neither_signed_nor_recorded(own_log_folder: Path) -> None:
    with pytest.raises(ShareRefused):
        presign_get(
            Connection(), "example-bucket", "site/index.html", identity_arn=IDENTITY,
            allowed_prefix=PREFIX, region="us-east-1", credentials=LONG_TERM,
        )  # fmt: skip
    assert audit.read_entries() == []
    assert not own_log_folder.exists()


def test_upload_prefixes_must_lie_under_the_allowed_prefix() -> None:
    assert check_upload_prefix("assets/private-reports/inbox", PREFIX) == (
        "assets/private-reports/inbox/"
    )
    with pytest.raises(ShareRefused, match="Uploads to 'site/' are refused"):
        check_upload_prefix("site", PREFIX)
    with pytest.raises(ShareRefused):
        presign_post(
            Connection(), "example-bucket", "assets/", "a.pdf", identity_arn=IDENTITY,
            allowed_prefix=PREFIX, region="us-east-1", credentials=LONG_TERM,
        )  # fmt: skip
