"""Is a local file the same as the object under its key?

Three modes:

- `checksum` (default): equal when the sizes match and the local MD5 matches a single-part
  ETag, the MD5 s3desk stored in the metadata of a multipart upload, or the multipart ETag the
  file gives for the part size that produced it. Where none of these can be checked (SSE-KMS or
  SSE-C, an unknown part size) it falls back to size and time, and the reason says so.
- `mtime`: aws-cli's rule, upload when the size differs or the local file is newer than the
  object; a newer file whose MD5 still matches a single-part ETag is not uploaded again, so a
  file with a future mtime cannot loop.
- `size`: equal when the sizes match (`--size-only`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from s3desk.core.hashing import Hasher, MiB, part_size_candidates
from s3desk.core.listing import RemoteObject
from s3desk.core.scan import LocalFile

logger = logging.getLogger(__name__)

MODES = ("checksum", "mtime", "size")
MULTIPART_THRESHOLD = 8 * MiB
PART_SIZE = 8 * MiB
MD5_METADATA = "s3desk-md5"  # x-amz-meta-s3desk-md5, set on s3desk's multipart uploads
UNVERIFIABLE_SSE = ("aws:kms", "aws:kms:dsse")


@dataclass(frozen=True)
class HeadInfo:
    """What HeadObject says about an object, as far as comparing and copying need it."""

    etag: str = ""
    size: int = 0
    sse: str | None = None
    sse_customer: bool = False
    cache_control: str | None = None
    content_type: str | None = None
    content_encoding: str | None = None
    content_disposition: str | None = None
    content_language: str | None = None
    storage_class: str | None = None
    kms_key_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def etag_is_not_md5(self) -> bool:
        return self.sse in UNVERIFIABLE_SSE or self.sse_customer

    @classmethod
    def from_response(cls, reply: dict) -> HeadInfo:
        return cls(
            etag=reply.get("ETag", "").strip('"'),
            size=int(reply.get("ContentLength", 0)),
            sse=reply.get("ServerSideEncryption"),
            sse_customer=bool(reply.get("SSECustomerAlgorithm")),
            cache_control=reply.get("CacheControl"),
            content_type=reply.get("ContentType"),
            content_encoding=reply.get("ContentEncoding"),
            content_disposition=reply.get("ContentDisposition"),
            content_language=reply.get("ContentLanguage"),
            storage_class=reply.get("StorageClass"),
            kms_key_id=reply.get("SSEKMSKeyId"),
            metadata=dict(reply.get("Metadata", {})),
        )


# Returns HeadInfo, or None when HeadObject was refused or failed (state unknown).
HeadFn = Callable[[str], HeadInfo | None]


@dataclass(frozen=True)
class Verdict:
    same: bool
    reason: str
    md5: str | None = None
    verified: bool = False


def compare(
    local: LocalFile, remote: RemoteObject, mode: str, hasher: Hasher, head: HeadFn
) -> Verdict:
    """Decide whether `local` differs from `remote`, and why, in words for the review table."""
    if local.size != remote.size:
        return Verdict(False, f"size differs ({local.size} bytes here, {remote.size} there)")
    if mode == "size":
        return Verdict(True, "same size (size only; content not verified)")
    if mode == "mtime":
        return _compare_mtime(local, remote, hasher)
    return _compare_checksum(local, remote, hasher, head)


def _compare_mtime(local: LocalFile, remote: RemoteObject, hasher: Hasher) -> Verdict:
    if local.mtime_ns / 1e9 <= remote.last_modified:
        return Verdict(True, "same size, remote newer; content not verified")
    if remote.is_multipart:
        return Verdict(False, "local file is newer than the object")
    md5 = _md5(local, hasher)
    if md5 == remote.etag:
        return Verdict(True, "local file newer, but the MD5 matches", md5, verified=True)
    return Verdict(False, "local file is newer and its content differs", md5)


def _compare_checksum(
    local: LocalFile, remote: RemoteObject, hasher: Hasher, head: HeadFn
) -> Verdict:
    if not remote.is_multipart:
        md5 = _md5(local, hasher)
        if md5 == remote.etag:
            return Verdict(True, "unchanged (MD5 verified)", md5, verified=True)
        return _single_part_mismatch(local, remote, md5, head)
    return _compare_multipart(local, remote, hasher, head)


def _single_part_mismatch(
    local: LocalFile, remote: RemoteObject, md5: str, head: HeadFn
) -> Verdict:
    """The ETag differs from the MD5: a change, unless the ETag is not an MD5 at all."""
    info = head(remote.key)
    if info is None:
        return Verdict(False, "content differs (MD5); encryption could not be checked", md5)
    if info.metadata.get(MD5_METADATA) == md5:
        return Verdict(True, "unchanged (MD5 stored at upload verified)", md5, verified=True)
    if info.etag_is_not_md5:
        return _size_and_time(local, remote, "the ETag of an encrypted (KMS/SSE-C) object", md5)
    return Verdict(False, "content differs (MD5)", md5)


def _compare_multipart(
    local: LocalFile, remote: RemoteObject, hasher: Hasher, head: HeadFn
) -> Verdict:
    parts = int(remote.etag.rsplit("-", 1)[1]) if remote.etag.rsplit("-", 1)[1].isdigit() else 0
    candidates = part_size_candidates(local.size, parts, PART_SIZE) if parts else []
    if candidates:
        etags = hasher.multipart_etag(
            local.abspath, local.size, local.stamp_ns, local.inode, candidates
        )
        for part_size, etag in etags.items():
            if etag == remote.etag:
                reason = f"unchanged (multipart ETag verified, {part_size // MiB} MiB parts)"
                return Verdict(True, reason, verified=True)
    info = head(remote.key)
    stored = info.metadata.get(MD5_METADATA) if info else None
    if stored:
        md5 = _md5(local, hasher)
        if stored == md5:
            return Verdict(True, "unchanged (MD5 stored at upload verified)", md5, verified=True)
        return Verdict(False, "content differs (MD5 stored at upload)", md5)
    what = (
        "the ETag of an encrypted object"
        if info and info.etag_is_not_md5
        else ("a multipart ETag of unknown part size")
    )
    return _size_and_time(local, remote, what)


def _size_and_time(
    local: LocalFile, remote: RemoteObject, what: str, md5: str | None = None
) -> Verdict:
    """The fallback when content cannot be checked: aws-cli's size-and-time rule."""
    if local.mtime_ns / 1e9 <= remote.last_modified:
        return Verdict(True, f"same size, remote newer; content not verified ({what})", md5)
    return Verdict(False, f"local file newer; content cannot be checked ({what})", md5)


def _md5(local: LocalFile, hasher: Hasher) -> str:
    return hasher.md5(local.abspath, local.size, local.stamp_ns, local.inode)
