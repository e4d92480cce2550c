"""Fixtures for unit tests: moto in-process, a bucket, and a way to build local trees."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from s3desk.core.hashing import HashCache
from s3desk.core.identity import Identity
from s3desk.core.plan import Options, Plan
from s3desk.core.planner import make_plan
from s3desk.core.session import Connection
from s3desk.core.target import Target

BUCKET = "test-bucket"
# What moto's STS answers in-process: apply checks that a plan is applied as the identity it was
# made as, so plans made here carry this one.
IDENTITY = Identity(account="123456789012", arn="arn:aws:sts::123456789012:user/moto")


def utc(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def write(root: Path, relative: str, content: bytes | str = b"x", mtime: str | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    if mtime:
        stamp = utc(mtime)
        os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def s3() -> Iterator:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    return folder


@pytest.fixture
def plan_for(tmp_path: Path):
    """plan_for(source, prefix="", **options) -> Plan, against the in-process bucket."""
    cache = HashCache(tmp_path / "hashes.sqlite")

    def run(source: Path | str, prefix: str = "", lister=None, **options) -> Plan:
        return make_plan(
            source,
            Target(bucket=BUCKET, prefix=prefix),
            Options(**options),
            Connection(region="us-east-1"),
            identity=IDENTITY,
            hash_cache=cache,
            lister=lister,
        )

    return run


def ops(plan: Plan) -> dict[str, list[str]]:
    """The plan's keys grouped by op, each list in plan order."""
    grouped: dict[str, list[str]] = {}
    for action in plan.actions:
        grouped.setdefault(str(action.op), []).append(action.key)
    return grouped
