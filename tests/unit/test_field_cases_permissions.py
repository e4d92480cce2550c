"""F13: AccessDenied where a tool expects 404, and refused listings that look like emptiness."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from s3desk.core.apply import Outcome, apply_plan
from s3desk.core.errors import S3DeskError
from s3desk.core.hashing import HashCache
from s3desk.core.plan import Action, Op, Options, Plan
from s3desk.core.planner import make_plan
from s3desk.core.session import Connection, StaticKeys
from s3desk.core.target import Target
from tests.unit.conftest import IDENTITY, write

BUCKET = "example-bucket"
F13_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        }
    ],
}


def _user_with_policy(policy: dict) -> StaticKeys:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="editor")
    iam.put_user_policy(UserName="editor", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="editor")["AccessKey"]
    return StaticKeys(key["AccessKeyId"], key["SecretAccessKey"])


@set_initial_no_auth_action_count(4)
@mock_aws
def test_f13_refused_listing_is_an_error_naming_the_permission(tmp_path: Path) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    keys = _user_with_policy(F13_POLICY)
    write(tmp_path / "src", "index.html", "i")
    write(tmp_path / "src", "app.js", "a")
    with pytest.raises(S3DeskError) as caught:
        make_plan(
            tmp_path / "src",
            Target(bucket=BUCKET, prefix="site/"),
            Options(delete=True),
            Connection(region="us-east-1", keys=keys),
            identity=IDENTITY,
            hash_cache=HashCache(tmp_path / "h.sqlite"),
        )
    assert caught.value.code == "AccessDenied"
    assert f"s3:ListBucket on arn:aws:s3:::{BUCKET}" in caught.value.message
    assert "s3:prefix" in caught.value.message


@mock_aws
def test_f13_head_403_is_unknown_never_absent(tmp_path: Path, monkeypatch) -> None:
    """Without s3:ListBucket, HeadObject of a missing key answers 403, which must not be read as
    'absent, so upload'. moto answers 404 there, so the 403 is injected at the client."""
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    write(tmp_path / "src", "missing.txt", "m")
    plan = Plan(
        target=Target(bucket=BUCKET),
        source=str(tmp_path / "src"),
        options=Options(),
        identity=IDENTITY,
        actions=(Action(Op.UPLOAD, "missing.txt", "missing.txt", 1),),
    )
    from s3desk.core import apply as apply_module

    real_make_client = apply_module.make_client

    def client_with_forbidden_head(connection):
        client = real_make_client(connection)
        client.meta.events.register("before-call.s3.HeadObject", _forbidden)
        return client

    monkeypatch.setattr(apply_module, "make_client", client_with_forbidden_head)
    monkeypatch.setattr(Target, "is_custom_endpoint", property(lambda self: True))
    result = apply_plan(plan, Connection(region="us-east-1"))
    assert [r.outcome for r in result.results] == [Outcome.FAILED]
    assert "Access denied" in result.results[0].error
    assert "Contents" not in boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket=BUCKET
    )


def _forbidden(**kwargs):
    class Response:
        status_code = 403
        headers = {}  # noqa: RUF012
        content = b""

    return Response(), {
        "Error": {"Code": "403", "Message": "Forbidden"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
