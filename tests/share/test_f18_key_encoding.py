"""F18: special characters in keys are encoded once, by RFC 3986, and fetch the right object."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from s3desk.core.session import Connection
from s3desk.core.share import SigningCredentials, presign_get
from tests.servers import Server
from tests.share.support import IDENTITY, LONG_TERM, fetch

PATHS = {
    "Screenshot 2020-05-01 at 10.35.08.png": "/Screenshot%202020-05-01%20at%2010.35.08.png",
    "document+copy.pdf": "/document%2Bcopy.pdf",
    "100% done.txt": "/100%25%20done.txt",
    "a#b?.txt": "/a%23b%3F.txt",
    "dir/ü.txt": "/dir/%C3%BC.txt",
    "x=y&z.txt": "/x%3Dy%26z.txt",
}


@pytest.mark.parametrize(("key", "path"), PATHS.items())
def test_virtual_host_paths(key: str, path: str) -> None:
    link = presign_get(
        Connection(), "example-bucket", key, identity_arn=IDENTITY, region="us-east-1",
        credentials=LONG_TERM,
    )  # fmt: skip
    parts = urlsplit(link.url)
    assert parts.hostname == "example-bucket.s3.us-east-1.amazonaws.com"
    assert parts.path == path  # encoded exactly once: `%` is %25, never %2525


def test_a_literal_plus_is_never_turned_into_a_space() -> None:
    link = presign_get(
        Connection(), "example-bucket", "document+copy.pdf", identity_arn=IDENTITY,
        region="us-east-1", credentials=LONG_TERM,
    )  # fmt: skip
    assert link.key == "document+copy.pdf"
    assert "document%20copy" not in link.url and "document+copy" not in link.url


@pytest.mark.integration
def test_each_link_fetches_exactly_its_own_object(s3_server: Server) -> None:
    s3_server.make_bucket("shares")
    client = s3_server.client()
    bodies = {key: f"object {i}: {key}".encode() for i, key in enumerate(PATHS)}
    for key, body in bodies.items():
        client.put_object(Bucket="shares", Key=key, Body=body)
    # A decoy: what a link for the plus key would fetch if `+` were read as a space.
    client.put_object(Bucket="shares", Key="document copy.pdf", Body=b"wrong object")
    connection = Connection(endpoint_url=s3_server.endpoint_url)
    credentials = SigningCredentials(s3_server.access_key, s3_server.secret_key)
    for key, path in PATHS.items():
        link = presign_get(
            connection, "shares", key, identity_arn=IDENTITY, credentials=credentials
        )
        assert urlsplit(link.url).path == "/shares" + path  # path style on a custom endpoint
        got = fetch(link.url)
        assert (got.status, got.body) == (200, bodies[key]), key
