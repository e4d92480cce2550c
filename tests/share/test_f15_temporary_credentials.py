"""F15: a link signed with temporary credentials never claims to outlive them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from botocore.credentials import Credentials, RefreshableCredentials

from s3desk.core.errors import S3DeskError
from s3desk.core.session import Connection
from s3desk.core.share import (
    SigningCredentials,
    effective_expiry,
    presign_get,
    signing_credentials,
)
from tests.share.support import IDENTITY, LONG_TERM, at, query

NOW = at("2024-05-01T12:00:00Z")
CREDENTIALS_END = at("2024-05-01T13:00:00Z")
ROLE = SigningCredentials(
    "ASIAIOSFODNN7EXAMPLE", "role-secret", "role-session-token", expires_at=CREDENTIALS_END
)


def sign(credentials: SigningCredentials, expires_in: int = 604800):
    return presign_get(
        Connection(),
        "example-bucket",
        "report.pdf",
        identity_arn=IDENTITY,
        expires_in=expires_in,
        region="us-east-1",
        credentials=credentials,
        clock=lambda: NOW,
    )


def test_role_credentials_cut_a_week_down_to_their_own_expiry(
    freeze_signing: Callable[[datetime], None],
) -> None:
    freeze_signing(NOW)
    link = sign(ROLE)
    params = query(link.url)
    assert params["X-Amz-Security-Token"] == "role-session-token"
    assert params["X-Amz-Expires"] == "604800"
    assert params["X-Amz-Date"] == "20240501T120000Z"
    assert params["X-Amz-Credential"].startswith("ASIAIOSFODNN7EXAMPLE/20240501/us-east-1/")
    assert link.expires_at == at("2024-05-01T13:00:00Z")
    assert link.shortened
    assert "2024-05-01 13:00:00 UTC" in link.warning
    assert "7 days" in link.warning


def test_effective_expiry_is_the_earlier_of_the_two() -> None:
    assert effective_expiry(NOW, 604800, CREDENTIALS_END) == CREDENTIALS_END
    assert effective_expiry(NOW, 900, CREDENTIALS_END) == at("2024-05-01T12:15:00Z")
    assert effective_expiry(NOW, 604800, None) == at("2024-05-08T12:00:00Z")


def test_a_link_shorter_than_the_credentials_is_not_shortened() -> None:
    link = sign(ROLE, expires_in=900)
    assert link.expires_at == at("2024-05-01T12:15:00Z")
    assert not link.shortened
    assert link.warning == ""


def test_long_term_keys_give_the_requested_expiry(freeze_signing) -> None:
    freeze_signing(NOW)
    link = sign(LONG_TERM)
    assert link.expires_at == at("2024-05-08T12:00:00Z")
    assert not link.shortened
    assert link.warning == ""
    assert "X-Amz-Security-Token" not in query(link.url)


def test_a_session_token_of_unknown_life_is_warned_about() -> None:
    unknown = SigningCredentials("ASIAIOSFODNN7EXAMPLE", "s", "token", expires_at=None)
    link = sign(unknown, expires_in=3600)
    assert link.expires_at == at("2024-05-01T13:00:00Z")
    assert "temporary credentials whose expiry is not known" in link.warning


def test_expired_credentials_sign_nothing() -> None:
    gone = SigningCredentials(
        "ASIAIOSFODNN7EXAMPLE", "s", "t", expires_at=at("2024-05-01T11:59:59Z")
    )
    with pytest.raises(S3DeskError) as refused:
        sign(gone)
    assert refused.value.code == "ExpiredToken"


class _Session:
    def __init__(self, credentials: object) -> None:
        self._credentials = credentials

    def get_credentials(self) -> object:
        return self._credentials


def _role_credentials(refreshes: list[str]) -> RefreshableCredentials:
    """Role credentials at 12:00 that expire at 13:00; a refresh gives a 12-hour session."""

    def refresh() -> dict[str, str]:
        refreshes.append("refreshed")
        return {
            "access_key": "ASIANEWKEY",
            "secret_key": "new-secret",
            "token": "new-token",
            "expiry_time": "2024-05-02T00:00:00Z",
        }

    return RefreshableCredentials(
        "ASIAOLDKEY", "old-secret", "old-token", CREDENTIALS_END, refresh, "assume-role",
        time_fetcher=lambda: NOW,
    )  # fmt: skip


def test_credentials_shorter_than_the_link_are_refreshed_before_signing() -> None:
    refreshes: list[str] = []
    resolved = signing_credentials(_Session(_role_credentials(refreshes)), 604800)
    assert refreshes == ["refreshed"]
    assert resolved.access_key == "ASIANEWKEY"
    assert resolved.token == "new-token"
    assert resolved.expires_at == at("2024-05-02T00:00:00Z")


def test_credentials_that_outlive_the_link_are_not_refreshed() -> None:
    refreshes: list[str] = []
    resolved = signing_credentials(_Session(_role_credentials(refreshes)), 1800)
    assert refreshes == []
    assert resolved.access_key == "ASIAOLDKEY"
    assert resolved.expires_at == CREDENTIALS_END


def test_long_term_credentials_have_no_expiry() -> None:
    resolved = signing_credentials(_Session(Credentials("AKIAEXAMPLE", "secret")), 604800)
    assert resolved.expires_at is None
    assert not resolved.temporary


def test_missing_credentials_are_explained() -> None:
    with pytest.raises(S3DeskError) as missing:
        signing_credentials(_Session(None), 900)
    assert missing.value.code == "NoCredentials"


def test_the_signing_credentials_repr_hides_the_secret_and_token() -> None:
    text = repr(ROLE)
    assert "role-secret" not in text
    assert "role-session-token" not in text
