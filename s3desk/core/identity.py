"""Who the credentials belong to, as STS reports it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from s3desk.core.errors import S3DeskError, explain
from s3desk.core.session import Connection, make_client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """The account and principal of the credentials in use.

    `verified` is False when STS could not be asked (an S3-compatible server without STS); the
    access key id (never the secret) then stands for the principal.
    """

    account: str
    arn: str
    user_id: str = ""
    verified: bool = True
    note: str = ""

    @property
    def principal(self) -> str:
        """The user or role part of the ARN, e.g. `user/alice` or `assumed-role/deploy/ci`."""
        return self.arn.split(":", 5)[-1] if self.arn.startswith("arn:") else self.arn

    def to_dict(self) -> dict[str, str | bool]:
        data: dict[str, str | bool] = {"account": self.account, "arn": self.arn}
        if not self.verified:
            data.update(verified=False, note=self.note)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Identity:
        return cls(
            account=data.get("account", ""),
            arn=data.get("arn", ""),
            verified=data.get("verified", True),
            note=data.get("note", ""),
        )


UNKNOWN = Identity(account="", arn="", verified=False, note="identity not determined")


def who_am_i(connection: Connection) -> Identity:
    """Ask STS who the connection's credentials belong to.

    Raises:
        S3DeskError: no credentials, expired token, unreachable endpoint; or, on a custom
            endpoint that serves S3 but not STS, an error with code `NoSTS`.
    """
    session = connection.session()
    credentials = _credentials_or_raise(session)
    sts = make_client(connection, "sts", session=session)
    try:
        reply = sts.get_caller_identity()
    except Exception as exc:
        raise sts_error(exc, connection, credentials.access_key) from exc
    identity = Identity(account=reply["Account"], arn=reply["Arn"], user_id=reply["UserId"])
    logger.info("identity: %s (account %s)", identity.arn, identity.account)
    return identity


def identify(connection: Connection) -> Identity:
    """Who the credentials are; on a server without STS, the access key id, unverified."""
    try:
        return who_am_i(connection)
    except S3DeskError as exc:
        if exc.code != "NoSTS":
            raise
        logger.warning("identity not verified: %s", exc.message, extra={"console": False})
        return unverified_identity(connection)


def unverified_identity(connection: Connection) -> Identity:
    """The identity to record on a server without STS: the access key id, marked unverified."""
    session = connection.session()
    return unverified(_credentials_or_raise(session).access_key)


def unverified(access_key: str) -> Identity:
    """The access key id standing for the principal (never the secret), marked unverified."""
    return Identity(
        account="",
        arn=f"access key {access_key}",
        verified=False,
        note="this endpoint serves S3 but not STS; the access key id stands for the principal",
    )


def _credentials_or_raise(session):  # type: ignore[no-untyped-def]
    try:
        credentials = session.get_credentials()
    except Exception as exc:
        raise explain(exc) from exc
    if credentials is None:
        from botocore.exceptions import NoCredentialsError

        raise explain(NoCredentialsError())
    try:
        return credentials.get_frozen_credentials()
    except Exception as exc:
        raise explain(exc) from exc


def sts_error(exc: Exception, connection: Connection, access_key: str) -> S3DeskError:
    error = explain(exc, operation="sts:GetCallerIdentity")
    serves_no_sts = connection.endpoint_url and error.code not in (
        "EndpointUnreachable",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "ExpiredSSOToken",
        "NoCredentials",
    )
    if serves_no_sts:
        return S3DeskError(
            "Identity not verified",
            f"The endpoint {connection.endpoint_url} serves S3 but not STS, so the account "
            f"cannot be confirmed. Access key in use: {access_key}.",
            code="NoSTS",
            details=error.message,
        )
    return error
