"""On real loopback servers (moto and rclone, HTTP and HTTPS) the wire client's requests have the
same effect and the same answers as boto3's: keys that need encoding, conditional requests,
Content-MD5, errors."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3desk.core.compare import HeadInfo
from s3desk.core.errors import explain
from s3desk.core.session import Connection, StaticKeys, make_client
from s3desk.core.wire import WireClient
from tests.servers import Server
from tests.wire.conftest import SERVERS
from tests.wire.test_wire_requests import AWKWARD_KEYS

pytestmark = pytest.mark.integration
BUCKET = "wire-bucket"
# rclone stores keys as file paths, so it refuses "." and ".." segments and empty ones.
SERVER_KEYS = [k for k in AWKWARD_KEYS if "/./" not in k and "//" not in k]


def md5_of(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def clients(server: Server, secret: str | None = None) -> tuple[Any, WireClient]:
    """s3desk's own botocore client for the server, and the wire client made from it."""
    keys = StaticKeys(server.access_key, secret or server.secret_key)
    connection = Connection(region="us-east-1", endpoint_url=server.endpoint_url, keys=keys)
    boto = make_client(connection)
    wire = WireClient.for_client(boto, BUCKET)
    assert wire is not None
    return boto, wire


def outcome(call: Callable[[], Any]) -> tuple[int, str]:
    """(HTTP status, error code) of a call; (200, "") when it succeeded."""
    try:
        call()
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"]
    return 200, ""


@pytest.mark.parametrize("any_server", SERVERS, indirect=True)
def test_awkward_keys_round_trip(any_server: Server) -> None:
    any_server.make_bucket(BUCKET)
    boto, wire = clients(any_server)
    for key in SERVER_KEYS:
        body = f"body of {key}".encode()
        wire.put_object(key, body, ContentMD5=md5_of(body), IfNoneMatch="*",
                        ContentType="text/html", CacheControl="max-age=60")  # fmt: skip

    listed = boto.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert sorted(obj["Key"] for obj in listed) == sorted(SERVER_KEYS)
    for key in SERVER_KEYS:
        body = f"body of {key}".encode()
        assert boto.get_object(Bucket=BUCKET, Key=key)["Body"].read() == body
        by_boto = boto.head_object(Bucket=BUCKET, Key=key)
        by_wire = wire.head_object(key)
        assert HeadInfo.from_response(by_wire) == HeadInfo.from_response(by_boto)
        assert by_wire["ETag"].strip('"') == hashlib.md5(body).hexdigest()
        assert (by_wire["ContentType"], by_wire["CacheControl"]) == ("text/html", "max-age=60")

    for key in SERVER_KEYS:
        wire.delete_object(key, IfMatch=boto.head_object(Bucket=BUCKET, Key=key)["ETag"])
    assert boto.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


@pytest.mark.parametrize("any_server", SERVERS, indirect=True)
def test_head_of_an_object_put_by_boto3(any_server: Server) -> None:
    any_server.make_bucket(BUCKET)
    boto, wire = clients(any_server)
    boto.put_object(Bucket=BUCKET, Key="m/meta.txt", Body=b"x", Metadata={"s3desk-md5": "abc"},
                    ContentEncoding="gzip", ContentDisposition="attachment")  # fmt: skip
    assert HeadInfo.from_response(wire.head_object("m/meta.txt")) == HeadInfo.from_response(
        boto.head_object(Bucket=BUCKET, Key="m/meta.txt")
    )
    assert outcome(lambda: wire.head_object("m/absent")) == outcome(
        lambda: boto.head_object(Bucket=BUCKET, Key="m/absent")
    ) == (404, "404")  # fmt: skip


@pytest.mark.parametrize("server_name", ["moto_server", "rclone_server"])
def test_conditional_requests_answer_as_for_boto3(
    request: pytest.FixtureRequest, server_name: str
) -> None:
    """Each conditional write gives the same answer through both clients, whatever the server
    makes of it (moto honours the conditions; rclone ignores them)."""
    server: Server = request.getfixturevalue(server_name)
    server.make_bucket(BUCKET)
    boto, wire = clients(server)
    body = b"first"
    etag = boto.put_object(Bucket=BUCKET, Key="exists", Body=body)["ETag"]

    def both(
        boto_call: Callable[[str], Any], wire_call: Callable[[str], Any]
    ) -> tuple[tuple[int, str], tuple[int, str]]:
        # Each client acts on its own copy of the same starting state.
        for copy in ("b-exists", "w-exists"):
            boto.put_object(Bucket=BUCKET, Key=copy, Body=body)
        return outcome(lambda: boto_call("b-exists")), outcome(lambda: wire_call("w-exists"))

    cases = {
        "create over existing": both(
            lambda k: boto.put_object(Bucket=BUCKET, Key=k, Body=b"2", IfNoneMatch="*"),
            lambda k: wire.put_object(k, b"2", IfNoneMatch="*"),
        ),
        "update with a stale etag": both(
            lambda k: boto.put_object(Bucket=BUCKET, Key=k, Body=b"2", IfMatch='"0000"'),
            lambda k: wire.put_object(k, b"2", IfMatch='"0000"'),
        ),
        "update with the etag": both(
            lambda k: boto.put_object(Bucket=BUCKET, Key=k, Body=b"2", IfMatch=etag),
            lambda k: wire.put_object(k, b"2", IfMatch=etag),
        ),
        "delete with a stale etag": both(
            lambda k: boto.delete_object(Bucket=BUCKET, Key=k, IfMatch='"0000"'),
            lambda k: wire.delete_object(k, IfMatch='"0000"'),
        ),
    }
    for name, (by_boto, by_wire) in cases.items():
        assert by_wire == by_boto, name
    assert cases["update with the etag"][1] == (200, "")
    if server.kind == "moto":
        assert cases["create over existing"][1] == (412, "PreconditionFailed")
        assert cases["update with a stale etag"][1] == (412, "PreconditionFailed")
        assert cases["delete with a stale etag"][1] == (412, "PreconditionFailed")
    assert outcome(lambda: wire.put_object("new", b"n", IfNoneMatch="*")) == (200, "")


@pytest.mark.parametrize("any_server", SERVERS, indirect=True)
def test_content_md5_mismatch_is_refused(any_server: Server) -> None:
    """A body that does not match its Content-MD5 is refused by a server that checks it, and
    answered the same through both clients by one that does not."""
    any_server.make_bucket(BUCKET)
    boto, wire = clients(any_server)
    wrong = md5_of(b"something else")
    by_wire = outcome(lambda: wire.put_object("bad", b"payload", ContentMD5=wrong))
    by_boto = outcome(
        lambda: boto.put_object(Bucket=BUCKET, Key="bad", Body=b"payload", ContentMD5=wrong)
    )
    assert by_wire == by_boto
    if any_server.kind == "rclone":  # moto's server does not check Content-MD5 (either way)
        assert by_wire[0] == 400 and by_wire[1] in ("BadDigest", "InvalidDigest")
        assert outcome(lambda: boto.head_object(Bucket=BUCKET, Key="bad"))[0] == 404


@pytest.mark.parametrize("server_name", ["rclone_server", "rclone_server_https"])
def test_wrong_secret_reads_the_same(request: pytest.FixtureRequest, server_name: str) -> None:
    """rclone checks signatures (moto does not): a wrong secret gives the same words."""
    server: Server = request.getfixturevalue(server_name)
    if server.ca_bundle:
        request.getfixturevalue("monkeypatch").setenv("AWS_CA_BUNDLE", server.ca_bundle)
    server.make_bucket(BUCKET)
    boto, wire = clients(server, secret="not-the-secret")
    errors = []
    for call in (lambda: boto.put_object(Bucket=BUCKET, Key="k", Body=b"x"),
                 lambda: wire.put_object("k", b"x")):  # fmt: skip
        with pytest.raises(ClientError) as caught:
            call()
        errors.append(str(explain(caught.value, operation="upload k")))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("server_name", ["moto_server_https", "rclone_server_https"])
def test_untrusted_certificate_is_refused(request: pytest.FixtureRequest, server_name: str) -> None:
    """Without AWS_CA_BUNDLE the self-signed certificate is refused, as botocore refuses it."""
    server: Server = request.getfixturevalue(server_name)
    boto, _ = clients_unverified(server)
    wire = WireClient.for_client(boto, BUCKET)
    assert wire is not None
    titles = []
    for call in (lambda: boto.head_object(Bucket=BUCKET, Key="k"),
                 lambda: wire.head_object("k")):  # fmt: skip
        with pytest.raises(Exception) as caught:
            call()
        titles.append(explain(caught.value).title)
    assert titles == ["TLS certificate refused"] * 2


def clients_unverified(server: Server) -> tuple[Any, None]:
    keys = StaticKeys(server.access_key, server.secret_key)
    connection = Connection(region="us-east-1", endpoint_url=server.endpoint_url, keys=keys)
    return make_client(connection), None
