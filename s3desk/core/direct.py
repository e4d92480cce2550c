"""A dry run on an S3-compatible server over plain HTTP without starting boto3.

Importing boto3 and building its clients costs about 0.3 s of CPU (its service models are large
JSON files). On a no-change dry run of 10,000 files that was a quarter of the whole run, and it
sat in front of the listing. When everything botocore would read is known without it, the plan
asks STS and lists the prefix through `s3desk.core.wire` instead:

- the endpoint is a custom one over `http://` (no CA bundle or TLS setting to honour), and no
  proxy is set in the environment;
- the credentials are keys typed into s3desk, or the environment's AWS_ACCESS_KEY_ID and
  AWS_SECRET_ACCESS_KEY with no profile named (botocore's own first choice then);
- the region is the connection's, AWS_DEFAULT_REGION, or the profile's `region` in the AWS
  config file, as botocore resolves it.

Anything else (a profile, SSO, a credential process, HTTPS, a proxy) goes through botocore as
before; so does apply. Requests, retries and errors are the wire client's, so a refusal reads the
same either way.
"""

from __future__ import annotations

import configparser
import functools
import logging
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from s3desk.core.errors import S3DeskError
from s3desk.core.identity import Identity, sts_error, unverified
from s3desk.core.listing import RemoteObject
from s3desk.core.session import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    RETRY_ATTEMPTS,
    Connection,
    StaticKeys,
)
from s3desk.core.target import Target
from s3desk.core.wire import Route, WireClient, WrongRoute, wire_enabled

if TYPE_CHECKING:
    from s3desk.core.fastlist import RawPage

logger = logging.getLogger(__name__)

STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
STS_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
DEFAULT_REGION = "us-east-1"


class DirectEndpoint:
    """STS, the listing and HeadObject of one bucket on an S3-compatible server, sent by the
    wire client with credentials and region resolved as botocore would resolve them."""

    def __init__(self, connection: Connection, target: Target, credentials: StaticKeys,
                 region: str) -> None:  # fmt: skip
        self.connection = connection
        self.credentials = credentials
        parts = urlsplit(connection.endpoint_url or "")
        port = parts.port or 80
        host = parts.hostname or ""
        shown = f"[{host}]" if ":" in host else host
        host_header = shown if port == 80 else f"{shown}:{port}"
        base = parts.path.rstrip("/")
        route = Route("http", host, port, host_header, f"{base}/{target.bucket}", region)
        self.objects = _client(route, credentials)
        self.sts = _client(Route("http", host, port, host_header, base, region, "sts"), credentials)

    @classmethod
    def for_connection(cls, connection: Connection, target: Target) -> DirectEndpoint | None:
        """The direct route for this connection and target, or None where botocore must
        resolve something (the reason is logged at debug level)."""
        reason = _why_not(connection, target)
        credentials = None if reason else static_credentials(connection)
        if credentials is None:
            logger.debug("plan through botocore: %s", reason or "credentials not in the env")
            return None
        region = resolve_region(connection)
        if region is None:
            logger.debug("plan through botocore: the region needs botocore's config reader")
            return None
        return cls(connection, target, credentials, region)

    def identify(self) -> Identity:
        """Who the keys belong to (STS GetCallerIdentity); on a server without STS, the
        access key id, unverified, exactly as `s3desk.core.identity.identify` says it."""
        try:
            identity = self._who_am_i()
        except S3DeskError as exc:
            if exc.code != "NoSTS":
                raise
            logger.warning("identity not verified: %s", exc.message, extra={"console": False})
            return unverified(self.credentials.access_key)
        logger.info("identity: %s (account %s)", identity.arn, identity.account)
        return identity

    def list(self, target: Target) -> Iterator[RemoteObject]:
        """Every object under the target's prefix (see `s3desk.core.fastlist`)."""
        from s3desk.core.fastlist import list_pages

        return list_pages(functools.partial(self._page, target), target)

    def pages(self, target: Target, stop: threading.Event) -> Iterator[RawPage]:
        """The listing's pages unparsed, for a consumer that parses them itself."""
        from s3desk.core.fastlist import raw_pages

        return raw_pages(functools.partial(self._page, target), stop)

    def _page(self, target: Target, token: str | None) -> bytes:
        from s3desk.core.fastlist import listing_error, page_query

        query = page_query(target.prefix, token)
        try:
            return self.objects.request(
                "GET", self.objects.route.base_path or "/", "ListObjectsV2", query=query
            )[2]
        except WrongRoute as exc:
            raise listing_error(exc.__cause__ or exc, target) from exc
        except Exception as exc:
            raise listing_error(exc, target) from exc

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        """HeadObject, answered as boto3 answers it (for the planner's header checks)."""
        return self.objects.head_object(Key)

    def close(self) -> None:
        self.objects.close()
        self.sts.close()

    def _who_am_i(self) -> Identity:
        try:
            _, _, body = self.sts.request(
                "POST",
                self.sts.route.base_path or "/",
                "GetCallerIdentity",
                headers={"Content-Type": STS_CONTENT_TYPE},
                body=STS_BODY,
            )
            fields = _result_fields(body)
        except WrongRoute as exc:
            cause = exc.__cause__ or exc
            raise sts_error(cause, self.connection, self.credentials.access_key) from exc
        except Exception as exc:
            raise sts_error(exc, self.connection, self.credentials.access_key) from exc
        return Identity(
            account=fields.get("Account", ""),
            arn=fields.get("Arn", ""),
            user_id=fields.get("UserId", ""),
        )


def static_credentials(connection: Connection) -> StaticKeys | None:
    """Keys typed into s3desk, or the environment's when no profile is named: the first
    place botocore's credential chain looks. None when the chain would look further."""
    if connection.keys is not None:
        return connection.keys
    if connection.profile:
        return None  # a named profile turns botocore's environment provider off
    access_key = os.environ.get("AWS_ACCESS_KEY_ID", "")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not access_key or not secret_key:
        return None
    token = os.environ.get("AWS_SECURITY_TOKEN") or os.environ.get("AWS_SESSION_TOKEN")
    return StaticKeys(access_key, secret_key, token or None)


def resolve_region(connection: Connection) -> str | None:
    """The signing region botocore would use for this connection; None when only botocore
    can tell (a config file it reads differently from configparser)."""
    if connection.region:
        return connection.region
    if os.environ.get("AWS_DEFAULT_REGION"):  # botocore reads it before any config file
        return os.environ["AWS_DEFAULT_REGION"]
    profile = (
        connection.profile
        or os.environ.get("AWS_DEFAULT_PROFILE")
        or os.environ.get("AWS_PROFILE")
        or "default"
    )
    return _config_region(profile)


def _config_region(profile: str) -> str | None:
    path = os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    names = [f"profile {profile}"] + (["default"] if profile == "default" else [])
    sections = [name for name in names if parser.has_section(name)]
    if len(sections) > 1:
        return None
    if not sections:
        return DEFAULT_REGION if profile == "default" else None
    return parser.get(sections[0], "region", fallback="").strip() or DEFAULT_REGION


def _why_not(connection: Connection, target: Target) -> str:
    if not wire_enabled():
        return "the wire client is switched off"
    if not target.is_custom_endpoint or not connection.endpoint_url:
        return "AWS endpoints go through botocore"
    parts = urlsplit(connection.endpoint_url)
    if parts.scheme != "http" or parts.query or parts.username:
        return "only plain http:// endpoints are sent directly"
    if any(os.environ.get(name) for name in PROXY_VARIABLES):
        return "a proxy is set"
    return ""


def _client(route: Route, credentials: StaticKeys) -> WireClient:
    return WireClient(
        route,
        credentials,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        attempts=RETRY_ATTEMPTS + 1,  # botocore's max_attempts counts the retries
    )


def _result_fields(body: bytes) -> dict[str, str]:
    """Account, Arn and UserId from a GetCallerIdentity answer (any namespace)."""
    root = ET.fromstring(body)
    fields = {}
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in ("Account", "Arn", "UserId"):
            fields[name] = (element.text or "").strip()
    if "Arn" not in fields:
        raise ValueError("the GetCallerIdentity answer has no Arn")
    return fields
