"""Fixtures for the fast-path tests: a moto server that enforces IAM policies."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, start_moto

# The requests that set the server up (bucket, user, policy, key) go through unauthenticated;
# every request after them is checked against IAM.
SETUP_ACTIONS = 4


@pytest.fixture
def moto_server_with_iam(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """A moto server enforcing IAM, its admin view, and a user who may read but not list."""
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(SETUP_ACTIONS))
    for server in start_moto(tmp_path, env=env):
        server.make_bucket("guarded")
        iam = _iam(server)
        iam.create_user(UserName="reader")
        iam.put_user_policy(
            UserName="reader",
            PolicyName="read-only-objects",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::guarded/*",
                        }
                    ],
                }
            ),
        )
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        reader = Server("moto", server.endpoint_url, key["AccessKeyId"], key["SecretAccessKey"])
        yield server, reader


def _iam(server: Server):
    import boto3

    return boto3.client(
        "iam",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
    )
