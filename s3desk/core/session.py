"""Sessions and clients: botocore's own credential chain, and the settings each endpoint needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

logger = logging.getLogger(__name__)

# Enough connections for the transfer threads of apply and the HEAD checks of a plan.
MAX_POOL_CONNECTIONS = 64
RETRY_ATTEMPTS = 5  # botocore's retries.max_attempts
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60


@dataclass(frozen=True)
class StaticKeys:
    """Keys typed into the app (kept in the keyring, never in a file)."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"StaticKeys(access_key_id={self.access_key_id[:4]}…, secret=***)"

    # The shape of botocore's frozen credentials, which the wire client reads.
    @property
    def access_key(self) -> str:
        return self.access_key_id

    @property
    def secret_key(self) -> str:
        return self.secret_access_key

    @property
    def token(self) -> str | None:
        return self.session_token

    def get_frozen_credentials(self) -> StaticKeys:
        return self


@dataclass(frozen=True)
class Connection:
    """How to reach S3: the profile or keys, and an optional endpoint and region."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    keys: StaticKeys | None = None

    def for_endpoint(self, endpoint_url: str | None, region: str | None) -> Connection:
        """The same credentials aimed at another endpoint or region (None keeps this one's)."""
        return replace(
            self,
            endpoint_url=endpoint_url or self.endpoint_url,
            region=region or self.region,
        )

    def session(self) -> boto3.Session:
        import boto3

        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.keys is not None:
            kwargs.update(
                aws_access_key_id=self.keys.access_key_id,
                aws_secret_access_key=self.keys.secret_access_key,
                aws_session_token=self.keys.session_token,
            )
        elif self.profile:
            kwargs["profile_name"] = self.profile
        return boto3.Session(**kwargs)


def client_config(endpoint_url: str | None, *, custom: bool) -> Any:
    """The botocore Config for a client: SigV4 always, and checksums only when required on
    S3-compatible servers, which refuse the newer default headers (aws-chunked bodies,
    x-amz-checksum-* trailers)."""
    from botocore.config import Config

    options: dict[str, Any] = {
        "signature_version": "s3v4",
        "max_pool_connections": MAX_POOL_CONNECTIONS,
        "retries": {"max_attempts": RETRY_ATTEMPTS, "mode": "standard"},
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
    }
    if custom:
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
        options["s3"] = {"addressing_style": "path"}
    return Config(**options)


def make_client(
    connection: Connection, service: str = "s3", *, session: boto3.Session | None = None
) -> Any:
    """A client for `service` at the connection's endpoint (the same one for STS on a custom
    server, which is where moto and similar servers answer it)."""
    from s3desk.core.target import is_custom_endpoint

    session = session or connection.session()
    custom = is_custom_endpoint(connection.endpoint_url)
    region = connection.region or session.region_name or "us-east-1"
    return session.client(
        service,
        region_name=region,
        endpoint_url=connection.endpoint_url if (custom or service == "s3") else None,
        config=client_config(connection.endpoint_url, custom=custom),
    )
