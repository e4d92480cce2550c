"""F12: on a custom endpoint, uploads carry a plain Content-Length and none of the newer
default checksum headers (aws-chunked bodies, x-amz-checksum-* trailers), which S3-compatible
servers refuse. Checked over HTTPS, where botocore would otherwise stream aws-chunked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from s3desk.core import apply as apply_module
from s3desk.core.apply import apply_plan
from s3desk.core.hashing import HashCache
from s3desk.core.plan import Options
from s3desk.core.planner import make_plan
from s3desk.core.session import Connection, StaticKeys
from s3desk.core.target import Target
from tests.servers import Server

pytestmark = pytest.mark.integration


@pytest.fixture(params=["moto", "rclone"])
def https_server(request, moto_server_https, rclone_server_https) -> Server:
    return moto_server_https if request.param == "moto" else rclone_server_https


def test_f12_no_checksum_headers_on_custom_endpoints(
    https_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", https_server.ca_bundle or "")
    https_server.make_bucket("f12-bucket")
    source = tmp_path / "src"
    source.mkdir()
    (source / "hello.txt").write_bytes(b"hello\n")
    (source / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))
    sent: list = []
    real_make_client = apply_module.make_client

    def recording_client(connection):
        client = real_make_client(connection)
        client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request))
        return client

    monkeypatch.setattr(apply_module, "make_client", recording_client)
    connection = Connection(
        region="us-east-1",
        endpoint_url=https_server.endpoint_url,
        keys=StaticKeys(https_server.access_key, https_server.secret_key),
    )
    plan = make_plan(
        source,
        Target(bucket="f12-bucket", endpoint_url=https_server.endpoint_url),
        Options(),
        connection,
        hash_cache=HashCache(tmp_path / "h.sqlite"),
    )
    assert apply_plan(plan, connection).ok
    bodies = [r for r in sent if r.method == "PUT"]
    assert len(bodies) >= 3  # one single PUT and two parts
    for request in bodies:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert "content-length" in headers
        assert "x-amz-sdk-checksum-algorithm" not in headers
        assert not [k for k in headers if k.startswith("x-amz-checksum-")]
        assert "aws-chunked" not in str(headers.get("content-encoding", ""))
        assert "x-amz-trailer" not in headers
        assert "x-amz-decoded-content-length" not in headers
