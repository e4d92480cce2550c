"""Share links: short-lived presigned URLs to download one object, or to upload one file.

Every link is SigV4 (the client pins `signature_version="s3v4"`), signed for the bucket's own
region (asked of the server, never guessed), lives at most 7 days (the SigV4 limit; a larger
maximum only on a custom endpoint whose user set one), never outlives the credentials that sign
it, and is written to the audit log without its URL or signature before it is handed out.
Only keys under the allowed prefix are signed, and upload keys are made here, never taken from
outside.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from s3desk.core import audit
from s3desk.core.errors import S3DeskError, UsageError, explain
from s3desk.core.listing import RemoteObject, listing_denied
from s3desk.core.session import Connection, client_config, make_client
from s3desk.core.target import Target, is_custom_endpoint, normalize_prefix, validate_bucket

logger = logging.getLogger(__name__)

MAX_EXPIRY_SECONDS = 604800  # 7 days: SigV4 refuses a longer X-Amz-Expires
DEFAULT_EXPIRY_SECONDS = 900
# The choices the window offers, in order; 15 minutes is the default.
EXPIRY_CHOICES: tuple[tuple[str, int], ...] = (
    ("5m", 300),
    ("15m", 900),
    ("1h", 3600),
    ("1d", 86400),
    ("7d", 604800),
)
DEFAULT_MAX_UPLOAD_BYTES = 100_000_000  # 100 MB, as `--max-size` says by default
MAX_POST_BYTES = 5 * 1024**3  # S3 refuses a POST upload larger than 5 GiB
MAX_NAME_CHARS = 120

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(-?\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3,
}  # fmt: skip
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b|b)?\s*$", re.IGNORECASE)
_TOKEN = r"[a-z0-9][a-z0-9!#$&^_.+-]*"
_CONTENT_TYPE = re.compile(rf"^{_TOKEN}/({_TOKEN}|\*)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC (the default clock; tests pass their own)."""
    return datetime.now(UTC)


class ShareRefused(S3DeskError):
    """A guard refused to sign: a key outside the prefix, or an expiry out of range."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(title, message, code="Blocked")


# --- expiry ---------------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """Seconds in a duration such as `900`, `90s`, `15m`, `1h`, `1d` or `7d`.

    The sign is kept, so that a negative value reaches `check_expiry` and is refused there with
    the words for it.

    Raises:
        UsageError: the text is not a number with an optional unit.
    """
    match = _DURATION.match(text)
    if not match:
        raise UsageError(
            f"{text!r} is not a duration. Write a number with s, m, h or d, like 15m or 1d."
        )
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def describe_seconds(seconds: int) -> str:
    """A short human form of a duration: `15 minutes`, `7 days`, `1 hour 30 minutes`."""
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"


def expiry_limit(endpoint_url: str | None, configured_max: int | None = None) -> int:
    """The longest expiry allowed: 7 days, or a larger maximum the user set for a custom
    endpoint (some S3-compatible servers accept longer links).

    Raises:
        UsageError: a maximum above 7 days was set for AWS itself, where SigV4 refuses it.
    """
    if configured_max is None:
        return MAX_EXPIRY_SECONDS
    if configured_max <= 0:
        raise UsageError("The maximum link lifetime must be positive.")
    if configured_max > MAX_EXPIRY_SECONDS and not is_custom_endpoint(endpoint_url):
        raise UsageError(
            "A maximum link lifetime above 7 days can only be set for a custom endpoint; "
            "AWS refuses SigV4 links that live longer than 7 days."
        )
    return configured_max


def check_expiry(seconds: int, *, maximum: int = MAX_EXPIRY_SECONDS) -> int:
    """Return `seconds` when it is a lifetime a link may have.

    Raises:
        ShareRefused: zero, negative, or above `maximum`; nothing is signed.
    """
    if seconds <= 0:
        raise ShareRefused(
            "Expiry refused",
            f"A link must live at least 1 second; {seconds} seconds was asked. "
            "Choose 5m, 15m, 1h, 1d or 7d.",
        )
    if seconds > maximum:
        raise ShareRefused(
            "Expiry refused",
            f"A link may live at most {describe_seconds(maximum)} ({maximum} seconds); "
            f"{describe_seconds(seconds)} ({seconds} seconds) was asked. Choose a shorter expiry.",
        )
    return seconds


def effective_expiry(
    signed_at: datetime, expires_in: int, credentials_expire_at: datetime | None
) -> datetime:
    """When a link really stops working: min(signing time + lifetime, credential expiry)."""
    asked = signed_at + timedelta(seconds=expires_in)
    if credentials_expire_at is None:
        return asked
    return min(asked, credentials_expire_at)


# --- keys and names -------------------------------------------------------------------------


def check_share_key(key: str, allowed_prefix: str | None, *, job_name: str = "") -> str:
    """Return `key` when a link may be signed for it.

    Args:
        key: the object key, exactly as stored (already decoded).
        allowed_prefix: the one prefix sharing is allowed under (a job's prefix), or None when
            no job limits it.
        job_name: named in the message when given.

    Raises:
        ShareRefused: the key is empty, a folder marker, has `.` or `..` segments (which
            browsers and curl fold away, so the link would name another object), or lies
            outside the allowed prefix.
    """
    if not key:
        raise ShareRefused("Key refused", "No key was given. Name the object to share.")
    if key.endswith("/"):
        raise ShareRefused(
            "Key refused", f"{key!r} is a folder marker, not a file. Choose a file to share."
        )
    if any(segment in (".", "..") for segment in key.split("/")):
        raise ShareRefused(
            "Key refused",
            f"{key!r} has '.' or '..' segments. Links are not signed for such keys, because a "
            "browser would fetch a different object. Give the key without them.",
        )
    if allowed_prefix is None:
        return key
    prefix = normalize_prefix(allowed_prefix)
    if not key.startswith(prefix):
        owner = f"the job {job_name!r}" if job_name else "this share"
        raise ShareRefused(
            "Key outside the share prefix",
            f"{key!r} is not under {prefix!r}, the only prefix {owner} may share. "
            "Move the file under that prefix, or use a job made for its prefix.",
        )
    return key


def check_upload_prefix(prefix: str, allowed_prefix: str | None, *, job_name: str = "") -> str:
    """Return the normalised upload prefix when it lies under the allowed prefix.

    Raises:
        UsageError: the prefix has `.` or `..` segments or control characters.
        ShareRefused: the prefix is outside the allowed prefix.
    """
    prefix = normalize_prefix(prefix)
    if allowed_prefix is None:
        return prefix
    allowed = normalize_prefix(allowed_prefix)
    if not prefix.startswith(allowed):
        owner = f"the job {job_name!r}" if job_name else "this share"
        raise ShareRefused(
            "Prefix outside the share prefix",
            f"Uploads to {prefix!r} are refused: {owner} may only take uploads under "
            f"{allowed!r}. Choose a prefix under it.",
        )
    return prefix


def ascii_fallback(name: str) -> str:
    """The name as plain printable ASCII for the quoted `filename=` parameter: every other
    character, and `"`, `\\` and `%` (which some browsers would decode), becomes `_`."""
    return "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in name)


def clean_download_name(name: str) -> str:
    """The last path part of `name`, NFC, without control characters; empty stays empty."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    return _CONTROL.sub("", name).strip()


def content_disposition(filename: str) -> str:
    """An RFC 6266 `attachment` value for `filename`.

    A name that is plain ASCII gets only `filename="..."`; any other name also gets
    `filename*=UTF-8''...` (RFC 8187) with every byte outside `A-Z a-z 0-9 - . _ ~`
    percent-encoded, after an ASCII fallback for clients that ignore `filename*`.
    """
    name = clean_download_name(filename)
    if not name:
        raise UsageError("The download file name is empty. Give a name like report.pdf.")
    fallback = ascii_fallback(name)
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def clean_upload_name(name: str) -> str:
    """A file name from outside made safe as the last part of a key: NFC, letters, digits,
    `.`, `_` and `-` only (anything else becomes `-`), no leading dots, at most 120 chars."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in base)
    cleaned = re.sub(r"-*\.-*", ".", re.sub(r"-{2,}", "-", cleaned)).strip(".-")
    if len(cleaned) > MAX_NAME_CHARS:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and stem and len(ext) <= 16:
            cleaned = f"{stem[: MAX_NAME_CHARS - len(ext) - 1]}.{ext}"
        else:
            cleaned = cleaned[:MAX_NAME_CHARS]
    return cleaned or "upload"


def upload_key(prefix: str, filename: str, *, token: str | None = None) -> str:
    """The key an upload link writes to: the prefix, a random folder, then the cleaned name.

    The random part keeps two senders of `report.pdf` from overwriting each other, and makes
    the key unguessable from the name.
    """
    token = token or secrets.token_hex(8)
    return f"{normalize_prefix(prefix)}{token}/{clean_upload_name(filename)}"


def check_content_type(content_type: str) -> str:
    """Return the content type (lowercase) when it is `type/subtype` or `type/*`.

    Raises:
        UsageError: any other text, including `*/*`.
    """
    value = content_type.strip().lower()
    if not _CONTENT_TYPE.match(value):
        raise UsageError(
            f"{content_type!r} is not a content type. Write one like application/pdf or image/*."
        )
    return value


def default_upload_type(filename: str) -> str:
    """The Content-Type an upload link allows when none is chosen: from s3desk's fixed table.

    A compressed file (`data.json.gz`) is kept opaque: posted as its inner type without the
    Content-Encoding header, a browser would be served the wrong thing.
    """
    from s3desk.core.mime import content_type

    kind, encoding = content_type(clean_upload_name(filename))
    return kind if encoding is None else "application/octet-stream"


def parse_size(text: str) -> int:
    """Bytes in a size such as `100MB`, `5MiB`, `1GB` or `2048`.

    Raises:
        UsageError: not a size.
    """
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"{text!r} is not a size. Write a number with KB, MB or GB, like 100MB.")
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()]


# --- listing for the share view -------------------------------------------------------------


@dataclass(frozen=True)
class SharePage:
    """One page of the objects under a share prefix; `next_token` is None on the last page."""

    objects: tuple[RemoteObject, ...]
    next_token: str | None


def list_share_page(
    client: Any, target: Target, token: str | None = None, *, page_size: int = 1000
) -> SharePage:
    """One ListObjectsV2 page of the files under the target's prefix (folder markers left
    out), for a list that loads more as the user scrolls. Keys are used exactly as returned.

    Raises:
        S3DeskError: the listing was refused or failed.
    """
    kwargs: dict[str, Any] = {"Bucket": target.bucket, "Prefix": target.prefix}
    kwargs["MaxKeys"] = page_size
    if token:
        kwargs["ContinuationToken"] = token
    try:
        reply = client.list_objects_v2(**kwargs)
    except Exception as exc:
        error = explain(exc, operation="s3:ListBucket", bucket=target.bucket)
        raise (listing_denied(target, error) if error.code == "AccessDenied" else error) from exc
    objects = tuple(
        RemoteObject(
            key=item["Key"],
            size=int(item["Size"]),
            etag=item.get("ETag", "").strip('"'),
            last_modified=item["LastModified"].timestamp(),
            storage_class=item.get("StorageClass", "STANDARD"),
        )
        for item in reply.get("Contents", ())
        if not item["Key"].endswith("/")
    )
    more = reply.get("IsTruncated") and reply.get("NextContinuationToken")
    return SharePage(objects, reply["NextContinuationToken"] if more else None)


# --- region and credentials -----------------------------------------------------------------


def bucket_region(client: Any, bucket: str) -> str:
    """The bucket's region, as the server reports it: GetBucketLocation, then HeadBucket's
    `x-amz-bucket-region` header (which S3 sends even with a 301 or 403).

    Raises:
        S3DeskError: neither call told the region.
    """
    try:
        reply = client.get_bucket_location(Bucket=bucket)
        return _location_region(reply.get("LocationConstraint"))
    except Exception as exc:
        logger.debug("GetBucketLocation failed for %s: %s", bucket, exc)
        first_error = exc
    region = _head_bucket_region(client, bucket)
    if region:
        return region
    error = explain(first_error, operation="s3:GetBucketLocation", bucket=bucket)
    raise S3DeskError(
        "Bucket region unknown",
        f"The region of bucket {bucket} could not be looked up ({error.title}: {error.message}) "
        "A link signed for the wrong region does not work; check the bucket name and access.",
        code=error.code or "RegionUnknown",
        details=error.details,
    )


def _location_region(constraint: str | None) -> str:
    # An empty constraint means us-east-1; "EU" is the old name of eu-west-1.
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def _head_bucket_region(client: Any, bucket: str) -> str:
    try:
        response = client.head_bucket(Bucket=bucket)
    except Exception as exc:
        response = getattr(exc, "response", None) or {}
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return response.get("BucketRegion") or headers.get("x-amz-bucket-region", "")


@dataclass(frozen=True)
class SigningCredentials:
    """The exact keys a link is signed with, and when they stop working (None: not known)."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None

    @property
    def temporary(self) -> bool:
        return self.token is not None


def signing_credentials(session: Any, expires_in: int) -> SigningCredentials:
    """Resolve the session's credentials for signing a link of `expires_in` seconds.

    Refreshable credentials (roles, SSO, instance profiles) whose remaining life is shorter
    than `expires_in` are refreshed first, so that a link gets the longest life they can give.

    Raises:
        S3DeskError: no credentials, or they cannot be refreshed.
    """
    try:
        credentials = session.get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        _refresh_if_short(credentials, expires_in)
        frozen = credentials.get_frozen_credentials()
    except Exception as exc:
        raise explain(exc) from exc
    # Limitation: botocore keeps a credential's expiry in a private attribute
    # (`_expiry_time`); if a release renames it, the expiry is treated as unknown.
    expiry = getattr(credentials, "_expiry_time", None)
    return SigningCredentials(frozen.access_key, frozen.secret_key, frozen.token, _utc(expiry))


def _refresh_if_short(credentials: Any, expires_in: int) -> None:
    refresh_needed = getattr(credentials, "refresh_needed", None)
    if refresh_needed is None or not refresh_needed(expires_in):
        return
    # Limitation: botocore only refreshes on its own schedule (minutes before expiry); a
    # refresh for a longer lifetime goes through its private `_protected_refresh`, under its lock.
    refresh = getattr(credentials, "_protected_refresh", None)
    lock = getattr(credentials, "_refresh_lock", None)
    if refresh is None or lock is None:
        return
    logger.info("refreshing temporary credentials before signing a %s link", expires_in)
    with lock:
        refresh(is_mandatory=False)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- links ----------------------------------------------------------------------------------


class _LinkLife:
    """How long a link lives, for both kinds of link (their dataclass fields hold the times)."""

    expires_in: int
    signed_at: datetime
    expires_at: datetime

    @property
    def shortened(self) -> bool:
        """True when the credentials expire before the lifetime asked for."""
        return self.expires_at < self.signed_at + timedelta(seconds=self.expires_in)

    @property
    def warning(self) -> str:
        """What the user must be told about this link's life, or an empty string."""
        return _life_warning(self)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ShareLink(_LinkLife):
    """A signed download link. Its repr never shows the signature."""

    url: str
    bucket: str
    key: str
    region: str
    filename: str
    content_disposition: str
    expires_in: int
    signed_at: datetime
    expires_at: datetime
    credentials_expire_at: datetime | None = None
    temporary_credentials: bool = False

    def __repr__(self) -> str:
        return (
            f"ShareLink(bucket={self.bucket!r}, key={self.key!r}, "
            f"expires_at={self.expires_at.isoformat()}, url={redact(self.url)!r})"
        )


@dataclass(frozen=True)
class UploadLink(_LinkLife):
    """A signed presigned POST: the URL and the form fields a sender must post with the file.
    Its repr never shows the signature."""

    url: str
    fields: dict[str, str]
    bucket: str
    key: str
    region: str
    content_type: str
    max_bytes: int
    expires_in: int
    signed_at: datetime
    expires_at: datetime
    credentials_expire_at: datetime | None = None
    temporary_credentials: bool = False

    def policy(self) -> dict[str, Any]:
        """The POST policy document the fields carry, decoded."""
        return json.loads(base64.b64decode(self.fields["policy"]))

    def curl_command(self, local_file: str = "FILE") -> str:
        """A curl command that sends `local_file` through this link."""
        form = " ".join(f"-F {_shell_quote(f'{k}={v}')}" for k, v in self.fields.items())
        return f"curl {form} -F {_shell_quote('file=@' + local_file)} {_shell_quote(self.url)}"

    def __repr__(self) -> str:
        return (
            f"UploadLink(bucket={self.bucket!r}, key={self.key!r}, "
            f"expires_at={self.expires_at.isoformat()}, url={self.url!r}, fields=<hidden>)"
        )


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _life_warning(link: ShareLink | UploadLink) -> str:
    if link.shortened:
        return (
            f"The link stops working at {format_time(link.expires_at)}, earlier than the "
            f"{describe_seconds(link.expires_in)} asked, because the temporary credentials "
            "that signed it expire then."
        )
    if link.temporary_credentials and link.credentials_expire_at is None:
        return (
            "The link was signed with temporary credentials whose expiry is not known; it "
            "stops working when they expire, which may be before the time shown."
        )
    return ""


def format_time(moment: datetime) -> str:
    """A time as `2024-05-01 13:00:00 UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def redact(url: str) -> str:
    """The URL without its query string (which holds the signature and token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def presign_get(
    connection: Connection,
    bucket: str,
    key: str,
    *,
    identity_arn: str,
    expires_in: int = DEFAULT_EXPIRY_SECONDS,
    filename: str | None = None,
    allowed_prefix: str | None = None,
    job_name: str = "",
    max_expiry: int | None = None,
    region: str | None = None,
    credentials: SigningCredentials | None = None,
    clock: Clock = utc_now,
    audit_file: Any = None,
) -> ShareLink:
    """Sign a download link for one object, record it in the audit log, and return it.

    Args:
        connection: how to reach S3 and whose credentials sign.
        bucket, key: the object, the key exactly as stored.
        identity_arn: who signs, for the audit log.
        expires_in: the lifetime asked for, in seconds (1 to the limit).
        filename: the name the browser saves the file as (default: the key's last part).
        allowed_prefix: the only prefix links may be signed under (a share job's prefix).
        max_expiry: a larger maximum than 7 days, honoured only for a custom endpoint.
        region: the bucket's region when already looked up; otherwise it is asked for.
        credentials: the keys to sign with; by default the connection's, refreshed if short.
        clock: the current time (tests pass a fixed one).
        audit_file: another audit log file than the standard one (tests).

    Raises:
        ShareRefused: a guard refused the key or the expiry.
        S3DeskError: no credentials, expired credentials, unknown region, audit log unwritable.
    """
    validate_bucket(bucket)
    check_share_key(key, allowed_prefix, job_name=job_name)
    check_expiry(expires_in, maximum=expiry_limit(connection.endpoint_url, max_expiry))
    name = clean_download_name(filename or key)
    disposition = content_disposition(name)

    credentials = credentials or signing_credentials(connection.session(), expires_in)
    signed_at = clock()
    _refuse_expired(credentials, signed_at)
    region = region or lookup_region(connection, bucket, credentials=credentials)
    client = _signing_client(connection, bucket, region, credentials)
    params = {"Bucket": bucket, "Key": key, "ResponseContentDisposition": disposition}
    url = client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    link = ShareLink(
        url=url,
        bucket=bucket,
        key=key,
        region=region,
        filename=name,
        content_disposition=disposition,
        expires_in=expires_in,
        signed_at=signed_at,
        expires_at=effective_expiry(signed_at, expires_in, credentials.expires_at),
        credentials_expire_at=credentials.expires_at,
        temporary_credentials=credentials.temporary,
    )
    _record(link, "download", identity_arn, connection, audit_file)
    logger.info("link signed for s3://%s/%s until %s", bucket, key, format_time(link.expires_at))
    return link


def presign_post(
    connection: Connection,
    bucket: str,
    prefix: str,
    filename: str,
    *,
    identity_arn: str,
    content_type: str = "application/octet-stream",
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    expires_in: int = DEFAULT_EXPIRY_SECONDS,
    allowed_prefix: str | None = None,
    job_name: str = "",
    max_expiry: int | None = None,
    region: str | None = None,
    credentials: SigningCredentials | None = None,
    clock: Clock = utc_now,
    token: str | None = None,
    audit_file: Any = None,
) -> UploadLink:
    """Sign an upload link (presigned POST) for one file under `prefix`, record it, return it.

    The key is made here (`upload_key`): the sender's file name is cleaned and put under a
    random folder, never used as a key as given. The policy pins the bucket and that key, and
    limits the size to 1..`max_bytes` and the Content-Type to `content_type` (exact, or any
    subtype for `type/*`).

    Raises:
        ShareRefused: the expiry is out of range, or the prefix is outside `allowed_prefix`.
        UsageError: bad content type, size or prefix.
        S3DeskError: no or expired credentials, unknown region, audit log unwritable.
    """
    validate_bucket(bucket)
    prefix = check_upload_prefix(prefix, allowed_prefix, job_name=job_name)
    content_type = check_content_type(content_type)
    if not 1 <= max_bytes <= MAX_POST_BYTES:
        raise UsageError("The maximum upload size must be between 1 byte and 5 GiB.")
    check_expiry(expires_in, maximum=expiry_limit(connection.endpoint_url, max_expiry))
    key = upload_key(prefix, filename, token=token)
    fields, conditions = post_conditions(content_type, max_bytes)

    credentials = credentials or signing_credentials(connection.session(), expires_in)
    signed_at = clock()
    _refuse_expired(credentials, signed_at)
    region = region or lookup_region(connection, bucket, credentials=credentials)
    client = _signing_client(connection, bucket, region, credentials)
    post = client.generate_presigned_post(
        bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )

    link = UploadLink(
        url=post["url"],
        fields=dict(post["fields"]),
        bucket=bucket,
        key=key,
        region=region,
        content_type=content_type,
        max_bytes=max_bytes,
        expires_in=expires_in,
        signed_at=signed_at,
        expires_at=effective_expiry(signed_at, expires_in, credentials.expires_at),
        credentials_expire_at=credentials.expires_at,
        temporary_credentials=credentials.temporary,
    )
    _record(link, "upload", identity_arn, connection, audit_file)
    logger.info(
        "upload link signed for s3://%s/%s until %s", bucket, key, format_time(link.expires_at)
    )
    return link


def post_conditions(content_type: str, max_bytes: int) -> tuple[dict[str, str], list[Any]]:
    """The form fields and policy conditions of an upload link (boto3 adds bucket and key)."""
    size = ["content-length-range", 1, max_bytes]
    if content_type.endswith("/*"):
        major = content_type[:-1]
        return {}, [["starts-with", "$Content-Type", major], size]
    return {"Content-Type": content_type}, [{"Content-Type": content_type}, size]


def lookup_region(
    connection: Connection, bucket: str, *, credentials: SigningCredentials | None = None
) -> str:
    """The bucket's region from the server, asked with `credentials` (default: the
    connection's own). On a custom endpoint that cannot say, the connection's region (or
    us-east-1) is used, since such servers mostly ignore it."""
    if credentials is None:
        client = make_client(connection)
    else:
        custom = is_custom_endpoint(connection.endpoint_url)
        config = client_config(connection.endpoint_url, custom=custom)
        region = connection.region or "us-east-1"
        client = _client(connection, credentials, region, connection.endpoint_url, config)
    try:
        return bucket_region(client, bucket)
    except S3DeskError:
        if not is_custom_endpoint(connection.endpoint_url):
            raise
    fallback = connection.region or "us-east-1"
    logger.warning("the endpoint did not tell the region of %s; signing for %s", bucket, fallback)
    return fallback


def _signing_client(
    connection: Connection, bucket: str, region: str, credentials: SigningCredentials
) -> Any:
    if is_custom_endpoint(connection.endpoint_url):
        config = client_config(connection.endpoint_url, custom=True)
        return _client(connection, credentials, region, connection.endpoint_url, config)
    from botocore.config import Config

    # The bucket's own regional host, virtual-hosted (a dotted name would break the TLS
    # certificate's wildcard there, so it goes in the path instead).
    style = "path" if "." in bucket else "virtual"
    config = client_config(None, custom=False).merge(Config(s3={"addressing_style": style}))
    endpoint = connection.endpoint_url or _regional_endpoint(region)
    return _client(connection, credentials, region, endpoint, config)


_SESSIONS: dict[str | None, Any] = {}
_SESSIONS_LOCK = threading.Lock()


def _client(
    connection: Connection,
    credentials: SigningCredentials,
    region: str,
    endpoint_url: str | None,
    config: Any,
) -> Any:
    """An S3 client with exactly `credentials`. One session per profile is kept, so that
    botocore's service models are read once rather than for every link."""
    import boto3

    with _SESSIONS_LOCK:  # a boto3 Session may not create clients from two threads at once
        session = _SESSIONS.get(connection.profile)
        if session is None:
            session = _SESSIONS[connection.profile] = boto3.Session(profile_name=connection.profile)
        return session.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            config=config,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
        )


def _regional_endpoint(region: str) -> str:
    # The regional host works for every bucket at once; the global one can redirect a bucket
    # made minutes ago, and a redirected presigned GET fails.
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://s3.{region}.{domain}"


def _refuse_expired(credentials: SigningCredentials, now: datetime) -> None:
    if credentials.expires_at is not None and credentials.expires_at <= now:
        raise S3DeskError(
            "Credentials expired",
            f"The credentials expired at {format_time(credentials.expires_at)}, so a link "
            "signed with them would not work. Renew them (for SSO: aws sso login) and retry.",
            code="ExpiredToken",
        )


def _record(
    link: ShareLink | UploadLink,
    kind: str,
    identity_arn: str,
    connection: Connection,
    audit_file: Any,
) -> None:
    entry = audit.AuditEntry(
        time=iso_time(link.signed_at),
        kind=kind,
        identity_arn=identity_arn or "unknown",
        endpoint=connection.endpoint_url or "aws",
        bucket=link.bucket,
        key=link.key,
        expires_in=link.expires_in,
        expires_at=iso_time(link.expires_at),
    )
    audit.record(entry, audit_file)


def iso_time(moment: datetime) -> str:
    """A time as `2024-05-01T13:00:00Z`."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
