"""The wire client sends what botocore sends, and fails, retries and gives up as botocore does:
checked against botocore itself and a scripted server on 127.0.0.1 (no real S3 needed)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from s3desk.core import wire
from s3desk.core.errors import explain
from s3desk.core.session import Connection, StaticKeys, make_client
from s3desk.core.wire import WireClient, backoff, customised, route_for
from tests.wire.conftest import ScriptedServer, error_body

AWKWARD_KEYS = [
    "plain.txt",
    "with space.txt",
    "plus+sign.txt",
    "percent%41literal and 100%.txt",
    "hash#and?query=1&x=2.txt",
    "tilde~equals=comma,semi;.txt",
    "ünïcödé/çafé 😀.html",
    "deep/er/./and/../file.txt",
    "slash//double",
    "'quotes'\"and\"(parens)[brackets]{braces}!*$@:",
]
BODY = b"hello wire"
MD5 = base64.b64encode(hashlib.md5(BODY).digest()).decode()


def client_for(endpoint_url: str | None, region: str = "us-east-1") -> Any:
    keys = StaticKeys("AKIDWIRETEST", "wire-secret-key")
    return make_client(Connection(region=region, endpoint_url=endpoint_url, keys=keys))


class Captured(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def botocore_request(client: Any, operation: str, **params: Any) -> Any:
    """The request botocore would send, caught before it leaves the process."""

    def capture(request: Any, **kwargs: Any) -> None:
        raise Captured(request)

    client.meta.events.register_first(f"before-send.s3.{operation}", capture)
    try:
        getattr(client, operation_method(operation))(**params)
    except Captured as caught:
        return caught.request
    finally:
        client.meta.events.unregister(f"before-send.s3.{operation}", capture)
    raise AssertionError("botocore sent nothing")


def operation_method(operation: str) -> str:
    return {"PutObject": "put_object", "HeadObject": "head_object"}[operation]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
@pytest.mark.parametrize(
    ("endpoint_url", "region"),
    [("http://127.0.0.1:9", "us-east-1"), (None, "eu-west-1"), (None, "us-east-1")],
)
def test_path_and_host_are_botocores(key: str, endpoint_url: str | None, region: str) -> None:
    client = client_for(endpoint_url, region)
    route = route_for(client, "wire-bucket")
    sent = botocore_request(client, "HeadObject", Bucket="wire-bucket", Key=key)
    url = urlsplit(sent.url)
    assert route.path_for(key) == url.path
    assert route.host_header == url.netloc
    assert route.scheme == url.scheme
    assert route.region == region
    if endpoint_url is None:
        assert route.base_path == ""  # virtual-host style on AWS
        assert route.host.startswith("wire-bucket.s3.")
    else:
        assert route.base_path == "/wire-bucket"  # path style on a custom endpoint


@pytest.mark.parametrize("key", AWKWARD_KEYS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_signature_is_botocores(key: str, scheme: str) -> None:
    """For the same request and time, the Authorization header is exactly botocore's."""
    route = wire.Route(scheme, "127.0.0.1", 9000, "127.0.0.1:9000", "/wire-bucket", "eu-west-1")
    credentials = Credentials("AKIDWIRETEST", "wire-secret-key", "session-token")
    client = WireClient(route, credentials)
    path = route.path_for(key)
    payload = wire.UNSIGNED_PAYLOAD if scheme == "https" else hashlib.sha256(BODY).hexdigest()
    headers = {"Content-MD5": MD5, "If-None-Match": "*", "x-amz-content-sha256": payload}
    request = AWSRequest("PUT", f"{route.endpoint_url}{path}", headers=dict(headers), data=BODY)
    request.context["payload_signing_enabled"] = scheme == "http"  # botocore's S3 default
    S3SigV4Auth(credentials.get_frozen_credentials(), "s3", "eu-west-1").add_auth(request)
    stamp = request.headers["X-Amz-Date"]
    ours = {
        "Host": route.host_header,
        **headers,
        "x-amz-date": stamp,
        "x-amz-security-token": "session-token",
    }
    mine = client._authorization(
        "PUT", path, ours, payload, stamp, credentials.get_frozen_credentials()
    )
    assert mine == request.headers["Authorization"]


def test_requests_carry_the_headers_apply_asks_for(scripted_server: ScriptedServer) -> None:
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    assert client is not None
    client.put_object(
        "a b+c.txt", BODY, ContentMD5=MD5, IfNoneMatch="*", CacheControl="max-age=60",
        ContentType="text/html", ContentEncoding="gzip", StorageClass="STANDARD_IA",
    )  # fmt: skip
    client.delete_object("a b+c.txt", IfMatch='"abc"')
    put, delete = scripted_server.seen
    assert (put.method, put.path, put.body) == ("PUT", "/wire-bucket/a%20b%2Bc.txt", BODY)
    assert put.headers["Content-MD5"] == MD5
    assert put.headers["If-None-Match"] == "*"
    assert put.headers["Cache-Control"] == "max-age=60"
    assert put.headers["Content-Type"] == "text/html"
    assert put.headers["Content-Encoding"] == "gzip"
    assert put.headers["x-amz-storage-class"] == "STANDARD_IA"
    # Plain HTTP, but the signed Content-MD5 binds the body: no second hash of it.
    assert put.headers["x-amz-content-sha256"] == wire.UNSIGNED_PAYLOAD
    assert "Credential=AKIDWIRETEST/" in put.headers["Authorization"]
    assert (delete.method, delete.headers["If-Match"]) == ("DELETE", '"abc"')
    with pytest.raises(TypeError):
        client.put_object("k", BODY, Metadata="x")


@pytest.mark.parametrize("service", ["s3", "sts"])
def test_signature_with_a_query_or_a_body_is_botocores(service: str) -> None:
    """A listing page (query, no body) and an STS call (body, no Content-MD5) over plain
    HTTP: the SHA-256 of the body is signed, and the Authorization is exactly botocore's."""
    from botocore.auth import SigV4Auth

    route = wire.Route("http", "127.0.0.1", 9000, "127.0.0.1:9000", "/wire-bucket", "eu-west-1",
                       service)  # fmt: skip
    credentials = Credentials("AKIDWIRETEST", "wire-secret-key")
    client = WireClient(route, credentials)
    query = "continuation-token=a%2Fb%3D%3D&list-type=2&prefix=site%2F%C3%A9"
    body = b"Action=GetCallerIdentity&Version=2011-06-15" if service == "sts" else b""
    path, method = "/wire-bucket", "POST" if body else "GET"
    signed = client._signed_headers(method, path, query, {}, body)
    payload = hashlib.sha256(body).hexdigest()
    assert signed["x-amz-content-sha256"] == payload
    request = AWSRequest(method, f"{route.endpoint_url}{path}?{query}",
                         headers={"x-amz-content-sha256": payload}, data=body)  # fmt: skip
    auth = S3SigV4Auth if service == "s3" else SigV4Auth
    auth(credentials.get_frozen_credentials(), service, "eu-west-1").add_auth(request)
    stamp = request.headers["X-Amz-Date"]
    ours = {"Host": route.host_header, "x-amz-date": stamp, "x-amz-content-sha256": payload}
    mine = client._authorization(
        method, path, ours, payload, stamp, credentials.get_frozen_credentials(), query
    )
    assert mine == request.headers["Authorization"]


def test_one_connection_per_thread_is_kept_alive(scripted_server: ScriptedServer) -> None:
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    assert client is not None
    for i in range(5):
        client.put_object(f"k{i}", BODY, ContentMD5=MD5)
    assert len(client._connections) == 1
    client.close()
    assert client._connections == []


def test_head_reply_is_shaped_like_boto3s(scripted_server: ScriptedServer) -> None:
    headers = {
        "ETag": '"0123"',
        "Cache-Control": "no-cache",
        "Content-Type": "text/plain",
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "key-1",
        "x-amz-storage-class": "STANDARD_IA",
        "x-amz-meta-s3desk-md5": "abc",
    }
    scripted_server.default = lambda seen: (200, headers, b"x" * 7)
    boto = client_for(scripted_server.endpoint_url)
    expected = boto.head_object(Bucket="wire-bucket", Key="k")
    got = WireClient.for_client(boto, "wire-bucket").head_object("k")  # type: ignore[union-attr]
    for name in ("ETag", "CacheControl", "ContentType", "ServerSideEncryption", "SSEKMSKeyId",
                 "StorageClass", "ContentLength", "Metadata"):  # fmt: skip
        assert got[name] == expected[name], name


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, ""), (403, ""), (412, "PreconditionFailed"), (400, "BadDigest"),
     (403, "SignatureDoesNotMatch"), (409, "ConditionalRequestConflict")],
)  # fmt: skip
@pytest.mark.parametrize("method", ["head", "put", "delete"])
def test_errors_are_botocores(
    scripted_server: ScriptedServer, status: int, code: str, method: str
) -> None:
    """The same ClientError fields, and so the same words from `explain`."""
    scripted_server.default = lambda seen: (status, {}, error_body(code) if code else b"")
    boto = client_for(scripted_server.endpoint_url)
    client = WireClient.for_client(boto, "wire-bucket")
    assert client is not None
    calls = {
        "head": (lambda: boto.head_object(Bucket="wire-bucket", Key="k"),
                 lambda: client.head_object("k")),
        "put": (lambda: boto.put_object(Bucket="wire-bucket", Key="k", Body=BODY),
                lambda: client.put_object("k", BODY)),
        "delete": (lambda: boto.delete_object(Bucket="wire-bucket", Key="k"),
                   lambda: client.delete_object("k")),
    }[method]  # fmt: skip
    with pytest.raises(ClientError) as by_boto:
        calls[0]()
    with pytest.raises(ClientError) as by_wire:
        calls[1]()
    for caught in (by_boto, by_wire):
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert by_wire.value.response["Error"]["Code"] == by_boto.value.response["Error"]["Code"]
    mapped = explain(by_wire.value, operation="upload k")
    assert str(mapped) == str(explain(by_boto.value, operation="upload k"))


def test_throttling_is_retried_then_succeeds(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wire, "THROTTLING_SCALE", 0.001)
    slow = (503, {}, error_body("SlowDown"))
    scripted_server.script = [slow, slow, (500, {}, error_body("InternalError"))]
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    assert client is not None
    assert client.put_object("k", BODY, ContentMD5=MD5)["ETag"] == '"e"'
    assert len(scripted_server.seen) == 4


def test_gives_up_after_as_many_attempts_as_botocore(scripted_server: ScriptedServer) -> None:
    scripted_server.default = lambda seen: (503, {}, error_body("ServiceUnavailable"))
    boto = client_for(scripted_server.endpoint_url)
    with pytest.raises(ClientError):
        boto.put_object(Bucket="wire-bucket", Key="k", Body=BODY)
    by_boto = len(scripted_server.seen)
    scripted_server.seen.clear()
    with pytest.raises(ClientError) as caught:
        WireClient.for_client(boto, "wire-bucket").put_object("k", BODY)  # type: ignore[union-attr]
    assert len(scripted_server.seen) == by_boto == 6  # max_attempts 5 retries, and the first
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"


def test_client_errors_are_not_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.default = lambda seen: (412, {}, error_body("PreconditionFailed"))
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    with pytest.raises(ClientError):
        client.put_object("k", BODY, IfNoneMatch="*")  # type: ignore[union-attr]
    assert len(scripted_server.seen) == 1


def test_connection_closed_by_the_server_is_reopened(scripted_server: ScriptedServer) -> None:
    scripted_server.close_after_each = True
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    assert client is not None
    for i in range(4):
        client.put_object(f"k{i}", BODY, ContentMD5=MD5)
    assert [s.path for s in scripted_server.seen] == [f"/wire-bucket/k{i}" for i in range(4)]


def test_dropped_request_is_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.script = ["drop", "drop"]
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    assert client.put_object("k", BODY)["ETag"] == '"e"'  # type: ignore[union-attr]
    assert len(scripted_server.seen) == 3


def test_unreachable_endpoint_reads_like_botocores() -> None:
    from tests.servers import free_port

    boto = client_for(f"http://127.0.0.1:{free_port()}")
    client = WireClient(route_for(boto, "wire-bucket"), None, attempts=2)
    with pytest.raises(Exception) as caught:
        client.head_object("k")
    assert explain(caught.value).title == "Endpoint unreachable"


def test_redirect_is_left_to_botocore(scripted_server: ScriptedServer) -> None:
    scripted_server.default = lambda seen: (301, {}, error_body("PermanentRedirect"))
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    with pytest.raises(wire.WrongRoute):
        client.head_object("k")  # type: ignore[union-attr]


def test_refresh_of_credentials_is_asked_for_each_request(
    scripted_server: ScriptedServer,
) -> None:
    class Rotating:
        def __init__(self) -> None:
            self.calls = 0

        def get_frozen_credentials(self) -> Any:
            self.calls += 1
            return Credentials(f"AKID{self.calls}", "secret").get_frozen_credentials()

    boto = client_for(scripted_server.endpoint_url)
    credentials = Rotating()
    client = WireClient(route_for(boto, "wire-bucket"), credentials)
    client.put_object("a", BODY)
    client.put_object("b", BODY)
    keys = [s.headers["Authorization"].split("Credential=")[1][:5] for s in scripted_server.seen]
    assert keys == ["AKID1", "AKID2"]


def test_a_customised_client_stays_on_botocore(scripted_server: ScriptedServer) -> None:
    boto = client_for(scripted_server.endpoint_url)
    assert customised(boto) == ""
    boto.meta.events.register("before-call.s3.PutObject", lambda **kwargs: None)
    assert customised(boto)
    assert WireClient.for_client(boto, "wire-bucket") is None


def test_moto_mock_stays_on_botocore() -> None:
    from moto import mock_aws

    with mock_aws():
        assert WireClient.for_client(client_for(None), "wire-bucket") is None


def test_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wire.wire_enabled()
    monkeypatch.setenv("S3DESK_WIRE", "0")
    assert not wire.wire_enabled()


@pytest.mark.parametrize("attempt", [1, 2, 5, 12])
def test_backoff_is_bounded_like_botocores(attempt: int) -> None:
    limit = min(0.05 * 2 ** (attempt - 1), 20)
    delays = [backoff(attempt, 0.05) for _ in range(200)]
    assert all(0 <= d <= limit for d in delays)
    assert max(delays) > limit / 2  # jitter spreads over the range
    assert backoff(attempt, 0.05, "3000") >= 3.0 or limit + 5 < 3.0


def answer_from(raw: bytes, method: str = "PUT") -> tuple[int, list[tuple[str, str]], bytes, bool]:
    """What a Link reads from `raw` bytes sent by a server."""
    import socket

    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(raw)
        theirs.shutdown(socket.SHUT_WR)
        return wire.Link(ours).receive(method)


def test_answers_are_read_like_http_client() -> None:
    chunked = (
        b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nX-Amz-Meta-A: b\r\n\r\n"
        b"5;ext=1\r\n<Erro\r\n3\r\nr/>\r\n0\r\nTrailer: x\r\n\r\n"
    )
    assert answer_from(chunked) == (
        403, [("Transfer-Encoding", "chunked"), ("X-Amz-Meta-A", "b")], b"<Error/>", False
    )  # fmt: skip
    continued = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    assert answer_from(continued)[::2] == (200, b"ok")
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    assert answer_from(closing)[3] is True
    old = b"HTTP/1.0 200 OK\r\n\r\nuntil the end"
    assert answer_from(old)[2:] == (b"until the end", True)
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
    assert answer_from(head, "HEAD")[2:] == (b"", False)
    with pytest.raises(wire.http.client.IncompleteRead):
        answer_from(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
    with pytest.raises(wire.http.client.RemoteDisconnected):
        answer_from(b"")
    with pytest.raises(wire.http.client.BadStatusLine):
        answer_from(b"SSH-2.0-OpenSSH\r\n\r\n")


def test_a_line_break_in_a_header_is_never_sent(scripted_server: ScriptedServer) -> None:
    client = WireClient.for_client(client_for(scripted_server.endpoint_url), "wire-bucket")
    with pytest.raises(ValueError):
        client.put_object(  # type: ignore[union-attr]
            "k", BODY, CacheControl="max-age=1\r\nX-Injected: 1"
        )
    assert scripted_server.seen == []
