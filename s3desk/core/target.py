"""Where a change goes: an endpoint, a region, a bucket and a prefix."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from s3desk.core.errors import UsageError

MAX_KEY_BYTES = 1024

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_bucket(name: str) -> str:
    """Return the bucket name, or raise UsageError saying which naming rule it breaks."""
    problem = bucket_problem(name)
    if problem:
        raise UsageError(f"Bucket name {name!r} is not valid: {problem}.")
    return name


def bucket_problem(name: str) -> str:
    """The first S3 bucket naming rule that `name` breaks, or an empty string."""
    if not 3 <= len(name) <= 63:
        return "it must be 3 to 63 characters long"
    if not _BUCKET_CHARS.match(name):
        return (
            "use only lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "dots may not be next to each other or to a hyphen"
    if _is_ip_address(name):
        return "it may not look like an IP address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        return "it may not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)"
    if name.endswith(("-s3alias", "--ol-s3", "--x-s3", ".mrap", "--table-s3")):
        return "it may not end with a reserved suffix"
    return ""


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def normalize_prefix(prefix: str) -> str:
    """Normalise a prefix to no leading `/` and exactly one trailing `/` ("" is the root).

    Raises:
        UsageError: the prefix has control characters, or `.` / `..` segments.
    """
    problem = prefix_problem(prefix)
    if problem:
        raise UsageError(f"Prefix {prefix!r} is not valid: {problem}.")
    stripped = prefix.strip("/")
    return f"{stripped}/" if stripped else ""


def prefix_problem(prefix: str) -> str:
    """The first prefix rule that `prefix` breaks, or an empty string."""
    if _CONTROL.search(prefix):
        return "it contains control characters"
    segments = prefix.strip("/").split("/")
    if any(segment in (".", "..") for segment in segments):
        return "it may not contain '.' or '..' segments"
    if "//" in prefix.strip("/"):
        return "it may not contain empty segments ('//')"
    if len(prefix.encode("utf-8")) >= MAX_KEY_BYTES:
        return f"it is longer than {MAX_KEY_BYTES} bytes"
    return ""


@dataclass(frozen=True)
class Target:
    """The destination of a plan. The prefix is always normalised."""

    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None

    def __post_init__(self) -> None:
        validate_bucket(self.bucket)
        object.__setattr__(self, "prefix", normalize_prefix(self.prefix))
        check_region(self.region)
        if self.endpoint_url:
            object.__setattr__(self, "endpoint_url", _check_endpoint(self.endpoint_url))

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def is_custom_endpoint(self) -> bool:
        """True for an S3-compatible server that is not AWS itself."""
        return is_custom_endpoint(self.endpoint_url)

    def key_for(self, relative_path: str) -> str:
        """The object key for a path relative to the source folder."""
        return self.prefix + relative_path

    def relative(self, key: str) -> str:
        """The path of `key` relative to the prefix."""
        return key[len(self.prefix) :]

    def to_dict(self) -> dict[str, str | None]:
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "bucket": self.bucket,
            "prefix": self.prefix,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Target:
        return cls(
            bucket=data["bucket"],
            prefix=data.get("prefix", ""),
            region=data.get("region"),
            endpoint_url=data.get("endpoint_url"),
        )


def is_custom_endpoint(endpoint_url: str | None) -> bool:
    """True when `endpoint_url` names a server other than AWS's own S3 endpoints."""
    if not endpoint_url:
        return False
    host = urlsplit(endpoint_url).hostname or ""
    return not host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _check_endpoint(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise UsageError(f"Endpoint {url!r} is not a URL like https://host:port.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"Endpoint {url!r} is not a URL like https://host:port.")
    if parts.username or parts.password:
        raise UsageError("Put credentials in a profile or the keyring, never in the endpoint URL.")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise UsageError(f"Endpoint {url!r} may not have a path or query: use https://host:port.")
    return url.rstrip("/")


_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_region(region: str | None) -> str | None:
    """A region name such as eu-west-1 (S3-compatible servers use names of their own)."""
    if region and not _REGION.match(region):
        raise UsageError(f"Region {region!r} is not a region name like eu-west-1.")
    return region


def parse_s3_url(url: str, *, region: str | None = None, endpoint_url: str | None = None) -> Target:
    """Parse `s3://bucket/prefix` into a Target."""
    if not url.startswith("s3://"):
        raise UsageError(f"{url!r} is not an S3 URL. Write it as s3://BUCKET/PREFIX.")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    return Target(bucket=bucket, prefix=prefix, region=region, endpoint_url=endpoint_url)
