"""The checks before a dry run: identity, bucket, listing, and public exposure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from s3desk.core import preflight
from s3desk.core.errors import S3DeskError
from s3desk.core.policy import Access
from s3desk.core.preflight import PreflightReport, SessionPreflight, Severity, run_preflight
from s3desk.core.session import Connection, StaticKeys
from s3desk.core.target import Target
from tests.policy.conftest import BUCKET, EnforcedServer, site_access

SITE = Access("site", "web-bucket", "site/", deletes=True, reads=True, name="www")
CONNECTION = Connection(region="us-east-1")
TARGET = Target("web-bucket", "site/", region="us-east-1")


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="web-bucket")
        yield client


def harden(client: Any, *, abort_prefix: str = "") -> None:
    client.put_public_access_block(
        Bucket="web-bucket",
        PublicAccessBlockConfiguration=dict.fromkeys(preflight.BLOCK_PUBLIC_ACCESS_FLAGS, True),
    )
    client.put_bucket_versioning(Bucket="web-bucket", VersioningConfiguration={"Status": "Enabled"})
    rule = {
        "ID": "abort-uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": abort_prefix},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    }
    client.put_bucket_lifecycle_configuration(
        Bucket="web-bucket", LifecycleConfiguration={"Rules": [rule]}
    )


def by_code(report: PreflightReport) -> dict[str, preflight.Check]:
    return {c.code: c for c in report.checks}


def test_a_hardened_bucket_passes_every_check(s3: Any) -> None:
    harden(s3)

    report = run_preflight(CONNECTION, TARGET, SITE)

    assert [(c.code, c.severity) for c in report.checks] == [
        ("identity", Severity.OK),
        ("bucket", Severity.OK),
        ("listing", Severity.OK),
        ("public-access-block", Severity.OK),
        ("versioning", Severity.OK),
        ("lifecycle", Severity.OK),
    ]
    assert report.ok and report.identity is not None and report.region == "us-east-1"
    assert report.identity.account == "123456789012"


def test_an_exposed_bucket_gives_a_warning_with_a_fix_for_each_exposure(s3: Any) -> None:
    s3.put_public_access_block(
        Bucket="web-bucket",
        PublicAccessBlockConfiguration={"BlockPublicAcls": False, "IgnorePublicAcls": False,
                                        "BlockPublicPolicy": False, "RestrictPublicBuckets": True},
    )  # fmt: skip
    s3.put_bucket_acl(Bucket="web-bucket", ACL="public-read")
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::web-bucket/*"},
        ],
    }  # fmt: skip
    s3.put_bucket_policy(Bucket="web-bucket", Policy=json.dumps(public))

    report = run_preflight(CONNECTION, TARGET, SITE)

    warnings = {c.code: c for c in report.warnings}
    assert list(warnings) == [
        "public-access-block",
        "bucket-policy-public",
        "acl-public",
        "versioning",
        "lifecycle",
    ]
    assert all(c.fix for c in warnings.values())
    assert (
        "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy"
        in warnings["public-access-block"].message
    )
    assert "'PublicRead' (statement 1)" in warnings["bucket-policy-public"].message
    assert "READ to everyone (AllUsers)" in warnings["acl-public"].message
    assert "AbortIncompleteMultipartUpload" in warnings["lifecycle"].fix
    assert report.ok  # warnings never block a dry run


def test_public_policy_with_a_condition_is_only_information(s3: Any) -> None:
    harden(s3)
    s3.delete_public_access_block(Bucket="web-bucket")
    conditional = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "FromVpc", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::web-bucket/*",
             "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}},
        ],
    }  # fmt: skip
    s3.put_bucket_policy(Bucket="web-bucket", Policy=json.dumps(conditional))

    checks = by_code(run_preflight(CONNECTION, TARGET, SITE))

    assert checks["bucket-policy-public"].severity is Severity.INFO


@pytest.mark.parametrize(
    ("rule_prefix", "severity"), [("site/", Severity.OK), ("logs/", Severity.WARNING)]
)
def test_lifecycle_rule_must_cover_the_prefix(
    s3: Any, rule_prefix: str, severity: Severity
) -> None:
    harden(s3, abort_prefix=rule_prefix)
    assert by_code(run_preflight(CONNECTION, TARGET, SITE))["lifecycle"].severity is severity


def test_suspended_versioning_is_a_warning(s3: Any) -> None:
    harden(s3)
    s3.put_bucket_versioning(Bucket="web-bucket", VersioningConfiguration={"Status": "Suspended"})
    check = by_code(run_preflight(CONNECTION, TARGET, SITE))["versioning"]
    assert (check.severity, check.title) == (Severity.WARNING, "Versioning suspended")


def test_share_jobs_skip_the_checks_about_writing(s3: Any) -> None:
    share = Access("share", "web-bucket", "site/")
    codes = [c.code for c in run_preflight(CONNECTION, TARGET, share).checks]
    assert "versioning" not in codes and "lifecycle" not in codes


def test_missing_bucket_is_an_error_and_stops_the_checks(s3: Any) -> None:
    target = Target("no-such-bucket", "site/")

    report = run_preflight(CONNECTION, target, SITE)

    assert [(c.code, c.severity) for c in report.checks] == [
        ("identity", Severity.OK),
        ("bucket", Severity.ERROR),
    ]
    assert report.errors[0].title == "Bucket not found"
    with pytest.raises(S3DeskError, match="no bucket no-such-bucket"):
        report.raise_for_errors()


def test_bucket_in_another_region(s3: Any) -> None:
    s3.create_bucket(
        Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    report = run_preflight(CONNECTION, Target("eu-bucket", "site/"), SITE, exposure=False)

    check = by_code(report)["region"]
    assert check.severity is Severity.WARNING
    assert check.fix == "Set the job's region to eu-west-1."
    assert report.region == "eu-west-1"


class Refusing:
    """A client that answers AccessDenied for some methods, and passes the rest on."""

    def __init__(self, client: Any, *refused: str) -> None:
        self._client = client
        self._refused = refused

    def __getattr__(self, name: str) -> Any:
        if name in self._refused:

            def refuse(**kwargs: Any) -> Any:
                error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                         "ResponseMetadata": {"HTTPStatusCode": 403}}  # fmt: skip
                raise ClientError(error, name)

            return refuse
        return getattr(self._client, name)


def test_settings_the_credentials_may_not_read_are_reported_not_checked(s3: Any) -> None:
    client = Refusing(s3, "get_bucket_versioning", "get_public_access_block")

    checks = run_preflight(CONNECTION, TARGET, SITE, client=client).checks

    skipped = [c for c in checks if c.code == "not-checked"]
    assert [c.title for c in skipped] == [
        "Not checked: BucketPublicAccessBlock",
        "Not checked: BucketVersioning",
    ]
    assert all(c.severity is Severity.INFO and "--with-checks" in c.fix for c in skipped)


def test_refused_head_bucket_lets_the_listing_decide(s3: Any) -> None:
    """HeadBucket needs s3:ListBucket with no prefix, which a job's policy does not grant."""
    report = run_preflight(CONNECTION, TARGET, SITE, client=Refusing(s3, "head_bucket"))
    assert report.ok and by_code(report)["listing"].severity is Severity.OK


def test_refused_listing_is_an_error_naming_action_resource_and_statement(s3: Any) -> None:
    client = Refusing(s3, "head_bucket", "list_objects_v2")

    report = run_preflight(CONNECTION, TARGET, SITE, client=client)

    (error,) = report.errors
    assert error.title == "Listing refused"
    assert "s3:ListBucket on arn:aws:s3:::web-bucket (prefix 'site/') was refused" in error.message
    assert "statement 'ListJobPrefixesWebBucket'" in error.fix
    assert "s3desk policy --job www" in error.fix
    assert "public-access-block" not in by_code(report)  # nothing more is checked


def test_session_preflight_runs_once_per_job_until_it_passes(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = preflight.run_preflight

    def counting(*args: Any, **kwargs: Any) -> PreflightReport:
        calls.append(args[1].url)
        return real(*args, **kwargs)

    monkeypatch.setattr(preflight, "run_preflight", counting)
    session = SessionPreflight()
    missing = Target("later-bucket", "site/")

    assert session.before_dry_run(CONNECTION, TARGET, SITE).ok
    assert session.before_dry_run(CONNECTION, TARGET, SITE).ok
    assert not session.before_dry_run(CONNECTION, missing, SITE).ok
    s3.create_bucket(Bucket="later-bucket")
    assert session.before_dry_run(CONNECTION, missing, SITE).ok
    assert session.before_dry_run(CONNECTION, missing, SITE).ok
    assert calls == ["s3://web-bucket/site/", "s3://later-bucket/site/", "s3://later-bucket/site/"]
    session.forget()
    session.before_dry_run(CONNECTION, TARGET, SITE)
    assert len(calls) == 4


def test_on_an_enforced_server_the_job_credentials_pass(enforced: EnforcedServer) -> None:
    target = Target(BUCKET, "site/", region="us-east-1", endpoint_url=enforced.server.endpoint_url)

    report = run_preflight(enforced.connection("www"), target, site_access())

    assert report.ok
    assert report.identity is not None and report.identity.arn == enforced.arns["www"]
    assert by_code(report)["listing"].severity is Severity.OK


def test_on_an_enforced_server_a_policy_without_listing_is_explained(
    enforced: EnforcedServer,
) -> None:
    """F13: only object actions on bucket/*. The listing is refused, never taken as empty."""
    target = Target(BUCKET, "site/", region="us-east-1", endpoint_url=enforced.server.endpoint_url)

    report = run_preflight(enforced.connection("nolist"), target, site_access())

    (error,) = report.errors
    assert "s3:ListBucket on arn:aws:s3:::demo-bucket (prefix 'site/') was refused" in error.message
    assert "statement 'ListJobPrefixesDemoBucket'" in error.fix


def test_on_a_server_without_sts_or_bucket_settings(rclone_server: Any) -> None:
    """`rclone serve s3`: no STS, no Block Public Access; the checks say so and pass."""
    rclone_server.make_bucket("web-bucket")
    connection = Connection(
        region="us-east-1",
        endpoint_url=rclone_server.endpoint_url,
        keys=StaticKeys(rclone_server.access_key, rclone_server.secret_key),
    )
    target = Target("web-bucket", "site/", endpoint_url=rclone_server.endpoint_url)

    report = run_preflight(connection, target, SITE)

    checks = by_code(report)
    assert report.ok
    assert (checks["identity"].severity, checks["identity"].title) == (
        Severity.INFO,
        "Identity not verified",
    )
    assert checks["public-access-block"].severity is Severity.INFO
    assert checks["listing"].severity is Severity.OK
