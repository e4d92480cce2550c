"""The fast listing path gives exactly what botocore's listing gives, on real loopback servers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from s3desk.core.errors import S3DeskError
from s3desk.core.fastlist import (
    list_prefix_fast,
    listing_route,
    page_url,
    parse_page,
    token_hint,
)
from s3desk.core.listing import RemoteObject, list_prefix
from s3desk.core.target import Target
from tests.servers import Server

pytestmark = pytest.mark.integration

# Keys that need URL encoding in a listing, or that an XML or URL parser could get wrong.
AWKWARD_KEYS = [
    "site/plain.txt",
    "site/with space.txt",
    "site/two  spaces and trailing ",
    "site/plus+sign.txt",
    "site/percent%41literal.txt",
    "site/100%.txt",
    "site/ünïcödé/çafé.html",
    "site/emoji 😀.png",
    "site/amp&ersand.txt",
    "site/less<than>greater.txt",
    "site/quote\"apos'.txt",
    "site/query?x=1#hash.txt",
    "site/tilde~equals=comma,semi;.txt",
    "site/deep/er/and/deeper/file.txt",
]


def _put(server: Server, bucket: str, keys: list[str]) -> None:
    client = server.client()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=key.encode()), keys)
        )


def _both(server: Server, target: Target) -> tuple[list[RemoteObject], list[RemoteObject]]:
    client = server.client()
    return list(list_prefix(client, target)), list(list_prefix_fast(client, target))


@pytest.fixture
def any_server(request: pytest.FixtureRequest) -> Server:
    """Each test that takes this runs against moto and rclone, over HTTP and HTTPS."""
    server: Server = request.getfixturevalue(request.param)
    if server.ca_bundle:
        # The client verifies with the test certificate; the fast path must use the same.
        request.getfixturevalue("monkeypatch").setenv("AWS_CA_BUNDLE", server.ca_bundle)
    return server


SERVERS = ["moto_server", "rclone_server", "moto_server_https", "rclone_server_https"]


@pytest.mark.parametrize("any_server", SERVERS, indirect=True)
def test_same_objects_as_botocore_for_awkward_keys(any_server: Server) -> None:
    any_server.make_bucket("bench")
    _put(any_server, "bench", [*AWKWARD_KEYS, "other/outside.txt"])

    slow, fast = _both(any_server, Target("bench", "site"))

    assert fast == slow
    assert sorted(obj.key for obj in fast) == sorted(AWKWARD_KEYS)
    sizes = {obj.key: obj.size for obj in fast}
    assert all(sizes[key] == len(key.encode()) for key in AWKWARD_KEYS)
    assert all(obj.etag and '"' not in obj.etag for obj in fast)
    assert all(obj.last_modified > 1_600_000_000 for obj in fast)


@pytest.mark.parametrize(
    ("server_name", "count"), [("moto_server", 1_050), ("rclone_server", 2_345)]
)
def test_pagination_past_one_thousand_keys(
    request: pytest.FixtureRequest, server_name: str, count: int
) -> None:
    server: Server = request.getfixturevalue(server_name)
    server.make_bucket("bench")
    keys = [f"many/{index // 100:02d}/file {index:05d}+x.txt" for index in range(count)]
    if server.root is not None:
        # rclone serves its folder as the bucket: writing the files there is much quicker.
        for key in keys:
            path = server.root / "bench" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(key.encode())
    else:
        _put(server, "bench", keys)

    slow, fast = _both(server, Target("bench", "many"))

    assert len(fast) == count
    assert fast == slow
    assert sorted(obj.key for obj in fast) == sorted(keys)


@pytest.mark.parametrize("server_name", ["moto_server", "rclone_server"])
def test_empty_prefix_and_whole_bucket(request: pytest.FixtureRequest, server_name: str) -> None:
    server: Server = request.getfixturevalue(server_name)
    server.make_bucket("bench")
    _put(server, "bench", ["a/one.txt", "b/two.txt"])

    assert _both(server, Target("bench", "nothing-here")) == ([], [])
    slow, fast = _both(server, Target("bench", ""))
    assert fast == slow
    assert [obj.key for obj in fast] == ["a/one.txt", "b/two.txt"]


def test_refused_listing_raises_listing_denied(moto_server_with_iam: tuple[Server, Server]) -> None:
    _admin, reader = moto_server_with_iam
    target = Target("guarded", "site")

    with pytest.raises(S3DeskError) as slow:
        list(list_prefix(reader.client(), target))
    with pytest.raises(S3DeskError) as fast:
        list(list_prefix_fast(reader.client(), target))

    assert fast.value.code == slow.value.code == "AccessDenied"
    assert fast.value.title == slow.value.title == "Listing refused"


def test_wrong_secret_raises_like_botocore(rclone_server: Server) -> None:
    rclone_server.make_bucket("bench")
    wrong = Server("rclone", rclone_server.endpoint_url, rclone_server.access_key, "not-the-secret")
    target = Target("bench", "site")

    with pytest.raises(S3DeskError) as slow:
        list(list_prefix(wrong.client(), target))
    with pytest.raises(S3DeskError) as fast:
        list(list_prefix_fast(wrong.client(), target))

    assert fast.value.code == slow.value.code
    assert fast.value.title == slow.value.title


@pytest.mark.parametrize("server_name", ["moto_server", "rclone_server"])
def test_missing_bucket_raises(request: pytest.FixtureRequest, server_name: str) -> None:
    server: Server = request.getfixturevalue(server_name)

    with pytest.raises(S3DeskError) as slow:
        list(list_prefix(server.client(), Target("no-such-bucket", "")))
    with pytest.raises(S3DeskError) as fast:
        list(list_prefix_fast(server.client(), Target("no-such-bucket", "")))

    assert fast.value.code == slow.value.code
    assert fast.value.title == slow.value.title


def test_unreachable_endpoint_raises() -> None:
    from tests.servers import free_port

    server = Server("moto", f"http://127.0.0.1:{free_port()}", "testing", "testing-secret")
    client = server.client()
    client.meta.config.retries = {"max_attempts": 1}

    with pytest.raises(S3DeskError) as fast:
        list(list_prefix_fast(client, Target("bench", "")))

    assert fast.value.code == "EndpointUnreachable"


def test_aws_route_is_virtual_host_in_the_bucket_region() -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="example-secret",
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
    )

    route = listing_route(client, "my-bucket")

    assert route.base_url == "https://my-bucket.s3.eu-west-1.amazonaws.com/"
    assert route.region == "eu-west-1"
    url = page_url(route, "site/a b+c/", "tok/en=")
    assert url == (
        "https://my-bucket.s3.eu-west-1.amazonaws.com/?continuation-token=tok%2Fen%3D"
        "&encoding-type=url&list-type=2&max-keys=1000&prefix=site%2Fa%20b%2Bc%2F"
    )


def test_custom_endpoint_route_is_path_style(moto_server: Server) -> None:
    route = listing_route(moto_server.client(), "bench")

    assert route.base_url == f"{moto_server.endpoint_url}/bench"


PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult>
  <Name>b</Name><Prefix>p%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated><NextContinuationToken>next+token</NextContinuationToken>
  <Contents><Key>p%2Fa+b%2Bc%25.txt</Key><LastModified>2026-01-02T03:04:05.678Z</LastModified>
    <ETag>&quot;abc-2&quot;</ETag><Size>12</Size><StorageClass>STANDARD_IA</StorageClass></Contents>
  <Contents><Key>p%2F%C3%BC</Key><LastModified>2026-01-02T03:04:05Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size></Contents>
  <EncodingType>url</EncodingType>
</ListBucketResult>"""


def test_parse_page_decodes_after_seeing_encoding_type_anywhere() -> None:
    objects, token = parse_page(PAGE)

    assert token == "next+token"
    assert [obj.key for obj in objects] == ["p/a b+c%.txt", "p/ü"]
    assert objects[0] == RemoteObject("p/a b+c%.txt", 12, "abc-2", 1767323045.678, "STANDARD_IA")
    assert objects[0].is_multipart
    assert objects[1].etag == "d41d8cd98f00b204e9800998ecf8427e"
    assert objects[1].last_modified == 1767323045.0
    assert objects[1].storage_class == "STANDARD"


def test_parse_page_keeps_keys_when_not_encoded() -> None:
    page = PAGE.replace(b"<EncodingType>url</EncodingType>", b"")

    objects, _ = parse_page(page)

    assert objects[0].key == "p%2Fa+b%2Bc%25.txt"


def test_truncated_page_without_token_is_an_error() -> None:
    page = PAGE.replace(b"<NextContinuationToken>next+token</NextContinuationToken>", b"")

    with pytest.raises(S3DeskError) as error:
        parse_page(page)

    assert error.value.code == "ListingIncomplete"


def test_token_hint_reads_the_raw_token_with_entities() -> None:
    page = PAGE.replace(b"next+token", b"a&amp;b/c=")

    assert token_hint(page) == "a&b/c="
    assert parse_page(page)[1] == "a&b/c="
    assert token_hint(PAGE.replace(b"<NextContinuationToken>next+token", b"")) is None


def test_token_after_a_final_page_is_ignored() -> None:
    page = PAGE.replace(b"<IsTruncated>true</IsTruncated>", b"<IsTruncated>false</IsTruncated>")

    assert parse_page(page)[1] is None


def _app_client(server: Server):
    """A client made the way the app makes one: verification comes from AWS_CA_BUNDLE only."""
    from s3desk.core.session import Connection, StaticKeys, make_client

    keys = StaticKeys(server.access_key, server.secret_key)
    return make_client(Connection(endpoint_url=server.endpoint_url, keys=keys))


def test_https_trusts_the_ca_bundle_from_the_environment(
    rclone_server_https: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rclone_server_https.ca_bundle
    monkeypatch.setenv("AWS_CA_BUNDLE", rclone_server_https.ca_bundle)
    rclone_server_https.make_bucket("bench")
    _put(rclone_server_https, "bench", ["site/a.txt", "site/b c.txt"])

    objects = list(list_prefix_fast(_app_client(rclone_server_https), Target("bench", "site")))

    assert [obj.key for obj in objects] == ["site/a.txt", "site/b c.txt"]


def test_untrusted_certificate_is_an_error_not_an_empty_listing(
    moto_server_https: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    client = _app_client(moto_server_https)

    with pytest.raises(S3DeskError) as error:
        list(list_prefix_fast(client, Target("bench", "site")))

    assert error.value.code == "SSLError"


class _ClientWithoutSession:
    """A client as a future botocore might shape it: no private HTTP session to borrow."""

    def __init__(self, client: object) -> None:
        self._client = client

    def __getattr__(self, name: str) -> object:
        if name == "_endpoint":
            raise AttributeError(name)
        return getattr(self._client, name)


def test_falls_back_to_botocore_without_its_http_session(moto_server: Server) -> None:
    moto_server.make_bucket("bench")
    _put(moto_server, "bench", ["site/a b.txt", "site/c+d.txt"])
    client = moto_server.client()

    fast = list(list_prefix_fast(_ClientWithoutSession(client), Target("bench", "site")))

    assert fast == list(list_prefix(client, Target("bench", "site")))
    assert [obj.key for obj in fast] == ["site/a b.txt", "site/c+d.txt"]
