"""Errors a user can see, each with a title and a message that says what to do.

One table maps the error codes of botocore and the operating system to those messages, so every
front end (window, command line) shows the same words.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class S3DeskError(Exception):
    """An error with words for a person: what happened, and what to do about it."""

    def __init__(self, title: str, message: str, *, code: str = "", details: str = "") -> None:
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message
        self.code = code
        self.details = details

    def __str__(self) -> str:
        return f"{self.title}. {self.message}"


class UsageError(S3DeskError):
    """The request itself is wrong: a bad bucket name, prefix, option or path."""

    def __init__(self, message: str, *, title: str = "Invalid input") -> None:
        super().__init__(title, message, code="Usage")


@dataclass(frozen=True)
class Advice:
    title: str
    message: str


# What each S3 or STS error code means to a person, and what to do about it.
CODE_ADVICE: dict[str, Advice] = {
    "AccessDenied": Advice(
        "Access denied",
        "The credentials in use are not allowed to do this. Check the profile, or ask for the "
        "permission named here ({operation}); `s3desk policy` prints what the job needs.",
    ),
    "AllAccessDisabled": Advice(
        "Access denied", "All access to this bucket has been disabled by its owner."
    ),
    "NoSuchBucket": Advice(
        "Bucket not found",
        "The bucket {bucket} does not exist at this endpoint. Check its name and the region.",
    ),
    "InvalidAccessKeyId": Advice(
        "Unknown access key",
        "The access key is not known to this endpoint. Check the profile or the keys.",
    ),
    "SignatureDoesNotMatch": Advice(
        "Wrong secret key",
        "The request signature was refused. The secret key does not belong to the access key.",
    ),
    "ExpiredToken": Advice(
        "Credentials expired",
        "The session token has expired. Renew it (for SSO: aws sso login --profile NAME).",
    ),
    "ExpiredTokenException": Advice(
        "Credentials expired",
        "The session token has expired. Renew it (for SSO: aws sso login --profile NAME).",
    ),
    "RequestTimeTooSkewed": Advice(
        "Clock out of step",
        "This computer's clock differs too much from the server's. Set the clock and retry.",
    ),
    "PermanentRedirect": Advice(
        "Wrong region",
        "The bucket {bucket} lives in another region. Set the bucket's region and retry.",
    ),
    "AuthorizationHeaderMalformed": Advice(
        "Wrong region",
        "The bucket {bucket} lives in another region. Set the bucket's region and retry.",
    ),
    "SlowDown": Advice("Server busy", "The server asked to slow down. Retry in a moment."),
    "InvalidBucketName": Advice("Invalid bucket name", "The server refused the bucket name."),
}


def from_client_error(exc: Exception, *, operation: str = "", bucket: str = "") -> S3DeskError:
    """Turn a botocore ClientError into an S3DeskError with advice from the table."""
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in ("", "403", "Forbidden") and status == 403:
        code = "AccessDenied"  # HEAD answers carry no body, only the status
    if not code and status == 404:
        code = "NoSuchBucket"
    advice = CODE_ADVICE.get(code)
    detail = str(error.get("Message", "")) or str(exc)
    if advice is None:
        return S3DeskError(
            "The server refused the request",
            f"{operation or 'The request'} failed with {code or status}: {detail}",
            code=code,
            details=str(exc),
        )
    message = advice.message.format(operation=operation or "this action", bucket=bucket or "")
    return S3DeskError(advice.title, message, code=code, details=detail)


OS_ADVICE: dict[int, Advice] = {
    errno.EACCES: Advice("Permission denied", "{path} cannot be read. Check its permissions."),
    errno.EPERM: Advice("Permission denied", "{path} cannot be read. Check its permissions."),
    errno.ENOENT: Advice("Not found", "{path} does not exist. Check the path."),
    errno.ENOTDIR: Advice("Not a folder", "{path} is not a folder."),
}


def from_os_error(exc: OSError, path: str = "") -> S3DeskError:
    """Turn an OSError into an S3DeskError naming the path."""
    where = path or exc.filename or "the file"
    advice = OS_ADVICE.get(exc.errno or 0)
    if advice is None:
        return S3DeskError("File error", f"{where}: {exc.strerror or exc}", code="OSError")
    return S3DeskError(advice.title, advice.message.format(path=where), code="OSError")


def explain(exc: BaseException, *, operation: str = "", bucket: str = "") -> S3DeskError:
    """Map any error to one a person can read; unknown errors keep their type in the details."""
    if isinstance(exc, S3DeskError):
        return exc
    from botocore import exceptions as bex

    if isinstance(exc, bex.ClientError):
        return from_client_error(exc, operation=operation, bucket=bucket)
    if isinstance(exc, bex.NoCredentialsError):
        return S3DeskError(
            "No credentials",
            "No AWS credentials were found. Choose a profile (aws configure, or aws sso login), "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
            code="NoCredentials",
        )
    if isinstance(
        exc, bex.TokenRetrievalError | bex.SSOTokenLoadError | bex.UnauthorizedSSOTokenError
    ):
        return S3DeskError(
            "SSO session expired",
            "The SSO login has expired. Renew it with: aws sso login --profile NAME",
            code="ExpiredSSOToken",
        )
    if isinstance(exc, bex.ProfileNotFound):
        return S3DeskError(
            "Profile not found", f"{exc}. Check the name in your AWS config.", code="Profile"
        )
    if isinstance(exc, bex.EndpointConnectionError | bex.ConnectionClosedError):
        return S3DeskError(
            "Endpoint unreachable",
            f"Could not connect to {getattr(exc, 'kwargs', {}).get('endpoint_url', 'the endpoint')}"
            ". Check the endpoint URL and the network.",
            code="EndpointUnreachable",
        )
    if isinstance(exc, bex.SSLError) and "WRONG_VERSION_NUMBER" in str(exc).upper():
        return S3DeskError(
            "Endpoint does not speak HTTPS",
            "The endpoint answered, but not over TLS. If it is a plain HTTP server, use an "
            "http:// endpoint URL.",
            code="SSLError",
        )
    if isinstance(exc, bex.SSLError):
        return S3DeskError(
            "TLS certificate refused",
            "The endpoint's certificate could not be verified. Check the URL, or set "
            "AWS_CA_BUNDLE to the certificate of a private endpoint.",
            code="SSLError",
        )
    if isinstance(exc, bex.ReadTimeoutError | bex.ConnectTimeoutError):
        return S3DeskError("Timed out", "The endpoint did not answer in time. Retry later.")
    if isinstance(exc, OSError):
        return from_os_error(exc)
    logger.debug("unmapped error", exc_info=exc)
    return S3DeskError("Unexpected error", f"{type(exc).__name__}: {exc}", code="Unexpected")
