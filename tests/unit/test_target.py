import pytest

from s3desk.core.errors import UsageError
from s3desk.core.target import Target, bucket_problem, normalize_prefix, parse_s3_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [("", ""), ("/", ""), ("site", "site/"), ("/site/", "site/"), ("a/b//", "a/b/"),
     ("//a/b", "a/b/"), ("assets/images", "assets/images/")],
)  # fmt: skip
def test_prefix_is_normalised(given: str, expected: str) -> None:
    assert normalize_prefix(given) == expected


@pytest.mark.parametrize("bad", ["a/../b", "..", "a/./b", "a\x00b", "tab\there", "a//b", "x\x7f"])
def test_prefix_with_dot_segments_or_control_characters_is_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="not valid"):
        normalize_prefix(bad)


@pytest.mark.parametrize("good", ["my-bucket", "a.b.c", "abc", "b" * 63, "123bucket"])
def test_valid_bucket_names(good: str) -> None:
    assert bucket_problem(good) == ""


@pytest.mark.parametrize(
    "bad", ["ab", "b" * 64, "My-Bucket", "-bucket", "bucket-", "a..b", "192.168.1.1",
            "xn--bucket", "bucket-s3alias", "under_score", "a.-b"],
)  # fmt: skip
def test_invalid_bucket_names_are_refused(bad: str) -> None:
    assert bucket_problem(bad)
    with pytest.raises(UsageError):
        Target(bucket=bad)


def test_parse_s3_url() -> None:
    target = parse_s3_url("s3://my-bucket/site", endpoint_url="http://127.0.0.1:9000/")
    assert (target.bucket, target.prefix) == ("my-bucket", "site/")
    assert target.endpoint_url == "http://127.0.0.1:9000"
    assert target.is_custom_endpoint
    assert target.url == "s3://my-bucket/site/"
    assert parse_s3_url("s3://my-bucket").prefix == ""


def test_aws_endpoint_is_not_custom() -> None:
    aws = Target(bucket="my-bucket", endpoint_url="https://s3.eu-west-1.amazonaws.com")
    assert not aws.is_custom_endpoint


@pytest.mark.parametrize("bad", ["my-bucket/site", "http://x/y", "s3:/b"])
def test_non_s3_urls_are_refused(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_s3_url(bad)


def test_endpoint_must_be_a_url() -> None:
    with pytest.raises(UsageError, match="not a URL"):
        Target(bucket="my-bucket", endpoint_url="127.0.0.1:9000")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://user:pw@127.0.0.1:9000", "never in the endpoint URL"),
        ("http://127.0.0.1:9000/some/path?x=1", "path or query"),
        ("http://127.0.0.1:notaport", "not a URL"),
    ],
)
def test_endpoints_with_credentials_paths_or_bad_ports_are_refused(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Target(bucket="my-bucket", endpoint_url=url)


@pytest.mark.parametrize("region", ["bad region!", "EU-WEST-1", "x" * 70])
def test_bad_region_names_are_refused(region: str) -> None:
    with pytest.raises(UsageError, match="not a region name"):
        Target(bucket="my-bucket", region=region)
