"""A moto server with IAM enforced, and users that each hold exactly one policy.

moto counts requests and starts enforcing IAM after INITIAL_NO_AUTH_ACTION_COUNT of them, so
the server is started knowing how many set-up calls will come (the bucket, the seed objects,
and four calls per user) and enforcement begins with the first call after them. From then on
the set-up keys are unknown to the server: everything runs as one of the users.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from s3desk.core.policy import Access, from_job, generate
from s3desk.core.session import Connection, StaticKeys
from tests.servers import Server, start_moto

BUCKET = "demo-bucket"
CALLS_PER_USER = 4  # CreateUser, CreatePolicy, AttachUserPolicy, CreateAccessKey

# The F13 field case: object actions only, no s3:ListBucket on the bucket ARN.
NO_LIST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        }
    ],
}
AUDITOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"},
    ],
}
SEEDS = {
    "site/index.html": b"<h1>home</h1>\n",
    "site/old.html": b"<p>gone soon</p>\n",
    "other/keep.txt": b"not the job's\n",
    "other/stale.txt": b"old\n",
    "assets/images/old.png": b"\x89PNG old\n",
}


def site_access() -> Access:
    from s3desk.core.jobs import new_job

    return from_job(new_job("www", "site", "/unused", BUCKET))


def images_access() -> Access:
    from s3desk.core.jobs import new_job

    return from_job(new_job("pics", "images", "/unused", BUCKET))


def backup_access() -> Access:
    from s3desk.core.jobs import new_job

    return from_job(new_job("vault", "backup", "/unused", BUCKET))


@dataclass
class EnforcedServer:
    server: Server
    keys: dict[str, StaticKeys] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)

    def connection(self, user: str) -> Connection:
        return Connection(
            region="us-east-1", endpoint_url=self.server.endpoint_url, keys=self.keys[user]
        )

    def client(self, user: str) -> Any:
        from s3desk.core.session import make_client

        return make_client(self.connection(user))

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        """Every object under `prefix`, read as the auditor (list and get on the bucket)."""
        client = self.client("auditor")
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", ()):
                body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
                found[item["Key"]] = body
        return found


def start_enforced(folder: Path, policies: Mapping[str, Mapping[str, Any]]) -> Iterator[Any]:
    """A moto server where each user of `policies` holds exactly that policy."""
    setup_calls = 1 + len(SEEDS) + CALLS_PER_USER * len(policies)
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(setup_calls))
    for server in start_moto(folder, env=env):
        admin = server.client()
        admin.create_bucket(Bucket=BUCKET)
        for key, body in SEEDS.items():
            admin.put_object(Bucket=BUCKET, Key=key, Body=body)
        iam = boto3.client(
            "iam",
            endpoint_url=server.endpoint_url,
            aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key,
            region_name="us-east-1",
        )
        enforced = EnforcedServer(server)
        for user, document in policies.items():
            reply = iam.create_user(UserName=user)
            enforced.arns[user] = reply["User"]["Arn"]
            arn = iam.create_policy(
                PolicyName=f"{user}-policy", PolicyDocument=json.dumps(document)
            )
            iam.attach_user_policy(UserName=user, PolicyArn=arn["Policy"]["Arn"])
            key = iam.create_access_key(UserName=user)["AccessKey"]
            enforced.keys[user] = StaticKeys(key["AccessKeyId"], key["SecretAccessKey"])
        _assert_enforced(admin)
        yield enforced


def _assert_enforced(admin: Any) -> None:
    """The set-up keys must now be refused: enforcement began right after the set-up."""
    from botocore.exceptions import ClientError

    try:
        admin.list_objects_v2(Bucket=BUCKET)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "InvalidAccessKeyId"
        return
    raise AssertionError("IAM enforcement did not start after the set-up calls")


@pytest.fixture(scope="module")
def enforced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnforcedServer]:
    """One server per test module, with a user per job kind, one without listing (F13) and an
    auditor that reads everything; each test works under its own prefix."""
    policies = {
        "www": generate(site_access()),
        "pics": generate(images_access()),
        "vault": generate(backup_access()),
        "nolist": NO_LIST_POLICY,
        "auditor": AUDITOR_POLICY,
    }
    yield from start_enforced(tmp_path_factory.mktemp("moto-iam"), policies)
