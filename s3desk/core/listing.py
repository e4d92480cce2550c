"""The remote side: every object under a prefix, listed to the end.

A listing that fails is an error, never an empty remote: treating a refused listing as "nothing
there" would upload everything and hide every delete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from s3desk.core.errors import S3DeskError, explain
from s3desk.core.target import Target

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemoteObject:
    """One object as ListObjectsV2 reports it. The ETag is stored without quotes."""

    key: str
    size: int
    etag: str
    last_modified: float  # seconds since the epoch, UTC
    storage_class: str = "STANDARD"

    @property
    def is_multipart(self) -> bool:
        return "-" in self.etag


def list_prefix(client: Any, target: Target) -> Iterator[RemoteObject]:
    """Yield every object under the target's prefix, page by page, in the server's order.

    Raises:
        S3DeskError: the listing failed (access denied, no such bucket, unreachable endpoint).
    """
    paginator = client.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=target.bucket, Prefix=target.prefix)
    count = 0
    try:
        for page in pages:
            for item in page.get("Contents", ()):
                count += 1
                yield RemoteObject(
                    key=item["Key"],
                    size=int(item["Size"]),
                    etag=item.get("ETag", "").strip('"'),
                    last_modified=item["LastModified"].timestamp(),
                    storage_class=item.get("StorageClass", "STANDARD"),
                )
    except S3DeskError:
        raise
    except Exception as exc:
        error = explain(exc, operation="s3:ListBucket", bucket=target.bucket)
        if error.code == "AccessDenied":
            error = listing_denied(target, error)
        raise error from exc
    logger.debug("listed %d objects under %s", count, target.url)


def listing_denied(target: Target, error: S3DeskError) -> S3DeskError:
    """The message for a refused listing: which permission is missing, and why it matters."""
    return S3DeskError(
        "Listing refused",
        f"The credentials may not list {target.url} (s3:ListBucket on "
        f"arn:aws:s3:::{target.bucket}, with an s3:prefix condition for '{target.prefix}'). "
        "Without a listing s3desk cannot tell what is there, so it plans nothing: a refused "
        "listing is never taken for an empty prefix.",
        code="AccessDenied",
        details=error.details,
    )
