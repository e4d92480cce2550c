"""F16: every link is SigV4 for the bucket's own region, which is looked up, not guessed."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest
from moto import mock_aws

from s3desk.core.errors import S3DeskError
from s3desk.core.session import Connection
from s3desk.core.share import bucket_region, lookup_region, presign_get
from tests.share.support import IDENTITY, query

SIGV4_PARAMS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
}


@pytest.fixture
def buckets() -> Iterator[None]:
    """secret.pdf under SSE-KMS in us-east-1, and a.txt in eu-central-1 (moto in-process)."""
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        east = boto3.client("s3", region_name="us-east-1")
        east.create_bucket(Bucket="kms-bucket")
        east.put_object(
            Bucket="kms-bucket", Key="secret.pdf", Body=b"%PDF", ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key_id,
        )  # fmt: skip
        central = boto3.client("s3", region_name="eu-central-1")
        central.create_bucket(
            Bucket="central-bucket",
            CreateBucketConfiguration={"LocationConstraint": "eu-central-1"},
        )
        central.put_object(Bucket="central-bucket", Key="a.txt", Body=b"a")
        yield


@pytest.mark.parametrize(
    ("bucket", "key", "region"),
    [("kms-bucket", "secret.pdf", "us-east-1"), ("central-bucket", "a.txt", "eu-central-1")],
)
def test_links_are_sigv4_for_the_buckets_region(
    buckets: None, bucket: str, key: str, region: str
) -> None:
    link = presign_get(Connection(), bucket, key, identity_arn=IDENTITY)
    params = query(link.url)
    assert params.keys() >= SIGV4_PARAMS
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-SignedHeaders"] == "host"
    assert params["X-Amz-Credential"].endswith(f"/{region}/s3/aws4_request")
    assert not {"AWSAccessKeyId", "Signature", "Expires"} & params.keys()
    assert link.region == region
    assert urlsplit(link.url).hostname == f"{bucket}.s3.{region}.amazonaws.com"


def test_even_a_us_east_1_client_with_a_sigv2_default_gets_sigv4(buckets: None) -> None:
    # A plain boto3 client in us-east-1 may presign with SigV2; s3desk's must not.
    link = presign_get(Connection(region="us-east-1"), "kms-bucket", "secret.pdf", identity_arn="")
    assert "AWSAccessKeyId=" not in link.url
    assert "&Signature=" not in link.url and "?Signature=" not in link.url
    assert query(link.url)["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"


def test_region_comes_from_the_server_even_when_the_connection_names_another(
    buckets: None,
) -> None:
    assert lookup_region(Connection(region="us-west-2"), "central-bucket") == "eu-central-1"


class _Client:
    """A client whose GetBucketLocation is refused; HeadBucket answers 403 with the header."""

    def __init__(self, head_region: str) -> None:
        self.head_region = head_region

    def get_bucket_location(self, Bucket: str) -> dict:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied"}}, "GetBucketLocation")

    def head_bucket(self, Bucket: str) -> dict:
        from botocore.exceptions import ClientError

        headers = {"x-amz-bucket-region": self.head_region} if self.head_region else {}
        raise ClientError(
            {"Error": {"Code": "403"}, "ResponseMetadata": {"HTTPHeaders": headers}}, "HeadBucket"
        )


def test_head_bucket_header_is_the_fallback_when_location_is_refused() -> None:
    assert bucket_region(_Client("ap-southeast-2"), "example-bucket") == "ap-southeast-2"


def test_no_region_from_either_call_is_an_error_on_aws() -> None:
    with pytest.raises(S3DeskError) as unknown:
        bucket_region(_Client(""), "example-bucket")
    assert unknown.value.title == "Bucket region unknown"
    assert "example-bucket" in unknown.value.message


@pytest.mark.parametrize(("constraint", "region"), [(None, "us-east-1"), ("EU", "eu-west-1")])
def test_legacy_location_constraints(constraint: str | None, region: str) -> None:
    class Old:
        def get_bucket_location(self, Bucket: str) -> dict:
            return {"LocationConstraint": constraint}

    assert bucket_region(Old(), "example-bucket") == region
