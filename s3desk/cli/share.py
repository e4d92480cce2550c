"""`s3desk share`: sign a short-lived link to download one object, or to upload one file.

The URL goes to stdout alone (so `curl "$(s3desk share ...)"` works); when it stops working, and
any warning about that, go to stderr. `--json` prints everything as one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.identity import unverified_identity, who_am_i
from s3desk.core.session import Connection
from s3desk.core.target import validate_bucket

if TYPE_CHECKING:
    from s3desk.core import share

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_BLOCKED = 0, 3


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "share",
        parents=[common],
        help="sign a short-lived link to download one object (or to upload one file)",
        description=(
            "Sign a presigned link. Download: s3desk share s3://BUCKET/KEY. "
            "Upload: s3desk share --upload s3://BUCKET/PREFIX/ --filename NAME. "
            "Every link is recorded in the audit log (without its URL)."
        ),
    )
    parser.add_argument("url", metavar="s3://BUCKET/KEY", help="the object (or upload prefix)")
    parser.add_argument(
        "--expires",
        default="15m",
        help="how long the link works: 5m, 15m, 1h, 1d, up to 7d (default 15m)",
    )
    parser.add_argument(
        "--filename",
        help="download: the name the file is saved as (default: the key's last part); "
        "upload: the sender's file name, cleaned and put under a random folder",
    )
    parser.add_argument("--job", help="a share job: the key must be under the job's prefix")
    parser.add_argument(
        "--upload", action="store_true", help="sign an upload link (presigned POST) instead"
    )
    parser.add_argument(
        "--content-type",
        help="upload: the one Content-Type allowed, exact or like image/* "
        "(default: from the file name)",
    )
    parser.add_argument(
        "--max-size", default="100MB", help="upload: the largest file allowed (default 100MB)"
    )
    parser.add_argument(
        "--max-expires",
        help="custom endpoints only: allow links longer than 7 days, up to this duration",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run_share)


def run_share(args: argparse.Namespace) -> int:
    """Sign the link the arguments ask for; exit 3 when a guard refuses it."""
    from s3desk.core import share

    try:
        link = _sign(args)
    except share.ShareRefused as exc:
        print(f"s3desk: refused: {exc}", file=sys.stderr)
        logger.info("share refused: %s", exc.message)
        return EXIT_BLOCKED
    _print(link, as_json=args.json)
    return EXIT_OK


def _sign(args: argparse.Namespace) -> share.ShareLink | share.UploadLink:
    from s3desk.core import share

    connection = Connection(
        profile=args.profile, region=args.region, endpoint_url=args.endpoint_url
    )
    bucket, key = split_s3_url(args.url)
    expires_in = share.parse_duration(args.expires)
    max_expiry = share.parse_duration(args.max_expires) if args.max_expires else None
    allowed_prefix, job_name, connection = _job_scope(args, connection, bucket)
    # The guards need no network: run them before asking STS who we are.
    share.check_expiry(expires_in, maximum=share.expiry_limit(connection.endpoint_url, max_expiry))
    if args.upload:
        share.check_upload_prefix(key, allowed_prefix, job_name=job_name)
        return _sign_upload(args, connection, bucket, key, expires_in, max_expiry, allowed_prefix)
    share.check_share_key(key, allowed_prefix, job_name=job_name)
    return share.presign_get(
        connection,
        bucket,
        key,
        identity_arn=_identity_arn(connection),
        expires_in=expires_in,
        filename=args.filename,
        allowed_prefix=allowed_prefix,
        job_name=job_name,
        max_expiry=max_expiry,
    )


def split_s3_url(url: str) -> tuple[str, str]:
    """`s3://BUCKET/KEY` as (bucket, key); the key is kept exactly as written."""
    if not url.startswith("s3://"):
        raise UsageError(f"{url!r} is not an S3 URL. Write it as s3://BUCKET/KEY.")
    bucket, _, key = url[len("s3://") :].partition("/")
    return validate_bucket(bucket), key


def _sign_upload(
    args: argparse.Namespace,
    connection: Connection,
    bucket: str,
    prefix: str,
    expires_in: int,
    max_expiry: int | None,
    allowed_prefix: str | None,
) -> share.UploadLink:
    from s3desk.core import share

    if not args.filename:
        raise UsageError("An upload link needs --filename, the name of the file to be sent.")
    content_type = share.check_content_type(
        args.content_type or share.default_upload_type(args.filename)
    )
    max_bytes = share.parse_size(args.max_size)
    return share.presign_post(
        connection,
        bucket,
        prefix,
        args.filename,
        identity_arn=_identity_arn(connection),
        content_type=content_type,
        max_bytes=max_bytes,
        expires_in=expires_in,
        allowed_prefix=allowed_prefix,
        max_expiry=max_expiry,
    )


def _job_scope(
    args: argparse.Namespace, connection: Connection, bucket: str
) -> tuple[str | None, str, Connection]:
    """The allowed prefix, job name and connection (the job's own) when --job is given."""
    from s3desk.core import share

    if not args.job:
        return None, "", connection
    from s3desk.core.jobs import Kind, load_job

    job = load_job(args.job)
    if job.kind is not Kind.SHARE:
        raise share.ShareRefused(
            "Not a share job",
            f"The job {job.name!r} is a {job.kind} job; links are only signed for share jobs. "
            "Add one with: s3desk jobs add NAME --kind share ...",
        )
    if job.target.bucket != bucket:
        raise share.ShareRefused(
            "Bucket outside the job",
            f"The job {job.name!r} shares from bucket {job.target.bucket!r}, not {bucket!r}.",
        )
    return job.target.prefix, job.name, job.connection()


def _identity_arn(connection: Connection) -> str:
    """Who signs, for the audit log; the access key id on a server without STS."""
    try:
        return who_am_i(connection).arn
    except S3DeskError as exc:
        if exc.code != "NoSTS":
            raise
    return unverified_identity(connection).arn


def _print(link: share.ShareLink | share.UploadLink, *, as_json: bool) -> None:
    from s3desk.core import share

    summary = (
        f"Link for s3://{link.bucket}/{link.key} works until {share.format_time(link.expires_at)}"
        f" ({share.describe_seconds(_seconds_left(link))})."
    )
    if as_json:
        print(json.dumps(_as_dict(link), indent=2, ensure_ascii=False))
    elif isinstance(link, share.UploadLink):
        print(json.dumps({"url": link.url, "fields": link.fields}, indent=2))
        print(f"Send the file with: {link.curl_command()}", file=sys.stderr)
    else:
        print(link.url)
    print(summary, file=sys.stderr)
    if link.warning:
        print(f"s3desk: warning: {link.warning}", file=sys.stderr)


def _seconds_left(link: share.ShareLink | share.UploadLink) -> int:
    return int((link.expires_at - link.signed_at).total_seconds())


def _as_dict(link: share.ShareLink | share.UploadLink) -> dict[str, Any]:
    from s3desk.core import share

    data: dict[str, Any] = {
        "url": link.url,
        "bucket": link.bucket,
        "key": link.key,
        "region": link.region,
        "expires_in": link.expires_in,
        "expires_at": share.iso_time(link.expires_at),
        "warning": link.warning,
    }
    if isinstance(link, share.UploadLink):
        data.update(fields=link.fields, content_type=link.content_type, max_bytes=link.max_bytes)
    else:
        data.update(filename=link.filename, content_disposition=link.content_disposition)
    return data
