"""An expired link and a tampered link are refused by a server that checks signatures.

Measured: `rclone serve s3` checks signature and expiry (an expired link answers 400 there,
403 on AWS); moto's server checks neither, so these run on rclone only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from s3desk.core.session import Connection
from s3desk.core.share import SigningCredentials, presign_get
from tests.servers import Server
from tests.share.support import IDENTITY, fetch

pytestmark = pytest.mark.integration

BODY = b"private numbers\n"


def _objects(server: Server) -> None:
    server.make_bucket("shares")
    server.client().put_object(Bucket="shares", Key="reports/q1.pdf", Body=BODY)
    server.client().put_object(Bucket="shares", Key="reports/q2.pdf", Body=b"other")


def _link(server: Server, **kwargs):
    return presign_get(
        Connection(endpoint_url=server.endpoint_url), "shares", "reports/q1.pdf",
        identity_arn=IDENTITY, credentials=SigningCredentials(server.access_key, server.secret_key),
        **kwargs,
    )  # fmt: skip


def test_a_fresh_link_works(rclone_server: Server) -> None:
    _objects(rclone_server)
    got = fetch(_link(rclone_server).url)
    assert (got.status, got.body) == (200, BODY)


def test_an_expired_link_is_refused(
    rclone_server: Server, freeze_signing: Callable[[datetime], None]
) -> None:
    _objects(rclone_server)
    signed_at = datetime.now(UTC) - timedelta(hours=1)
    freeze_signing(signed_at)
    link = _link(rclone_server, expires_in=60, clock=lambda: signed_at, region="us-east-1")
    assert link.expires_at < datetime.now(UTC)
    got = fetch(link.url)
    assert got.status == 400  # AWS answers 403 here
    assert BODY not in got.body


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("reports/q1.pdf", "reports/q2.pdf"),
        lambda url: url.replace("X-Amz-Expires=900", "X-Amz-Expires=604800"),
        lambda url: url.replace("filename%3D%22q1.pdf", "filename%3D%22q1.exe"),
        lambda url: url[:-6] + ("000000" if not url.endswith("000000") else "111111"),
    ],
    ids=["other-key", "longer-expiry", "other-filename", "signature"],
)
def test_a_tampered_link_is_refused(rclone_server: Server, tamper: Callable[[str], str]) -> None:
    _objects(rclone_server)
    link = _link(rclone_server)
    tampered = tamper(link.url)
    assert tampered != link.url
    got = fetch(tampered)
    assert got.status == 403
    assert b"SignatureDoesNotMatch" in got.body
