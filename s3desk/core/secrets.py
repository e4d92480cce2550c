"""Keys typed into the app, kept only in the system keyring.

Each job (or profile) that runs with typed keys has one keyring entry under the service
`s3desk`; its value holds the access key id, the secret and the optional session token. When the
only keyring backend available stores secrets in a plain file, or nowhere at all, s3desk says so
and offers AWS profiles only: it never falls back to writing keys anywhere else.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.session import StaticKeys

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from s3desk.core.session import Connection

logger = logging.getLogger(__name__)

SERVICE = "s3desk"

# Backends that keep nothing, refuse everything, or keep secrets in a file next to the user's
# other files. keyrings.alt is refused whole: its stores live outside the operating system's
# keyring, and its encrypted one asks for a password on a terminal that a window does not have.
INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")

_KEY_TEXT = re.compile(r"[\x21-\x7e]+")

NO_SECURE_KEYRING = (
    "No secure system keyring is available ({backend}), so s3desk cannot keep keys. "
    "Use an AWS profile instead (aws configure --profile NAME, or aws configure sso); "
    "s3desk never writes keys to a file."
)


def entry_for_job(name: str) -> str:
    """The keyring user name under which a job's keys are kept."""
    return f"job:{name}"


def entry_for_profile(name: str) -> str:
    """The keyring user name under which keys typed for a named profile are kept."""
    return f"profile:{name}"


def backend_problem(backend: KeyringBackend | None = None) -> str:
    """Why the keyring cannot hold keys safely, or an empty string when it can.

    Args:
        backend: the backend to judge; by default the one keyring would use now.
    """
    if backend is None:
        import keyring

        backend = keyring.get_keyring()
    insecure = [b for b in _chained(backend) if _is_insecure(b)]
    if insecure or not _chained(backend):
        names = ", ".join(_name(b) for b in insecure) or _name(backend)
        return NO_SECURE_KEYRING.format(backend=names)
    return ""


def secure_keyring_available() -> bool:
    """True when keys typed into the app can be kept in a secure system keyring."""
    return not backend_problem()


def _chained(backend: KeyringBackend) -> list[KeyringBackend]:
    """The backends a write may reach: a chainer writes to the first one that accepts it."""
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return list(backend.backends)
    return [backend]


def _is_insecure(backend: KeyringBackend) -> bool:
    # Limitation: a third-party backend that s3desk does not know is trusted; only the known
    # file, null and failing backends (and any class named Plaintext) are refused.
    for cls in type(backend).__mro__:
        if cls.__module__.startswith(INSECURE_MODULES) or "plaintext" in cls.__name__.lower():
            return True
    return False


def _name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _require_secure() -> None:
    problem = backend_problem()
    if problem:
        raise S3DeskError("No secure keyring", problem, code="NoSecureKeyring")


def check_keys(keys: StaticKeys) -> None:
    """Refuse keys with spaces, control characters or missing parts, before they are kept.

    Raises:
        UsageError: naming the field (never its value).
    """
    fields = {
        "access key id": keys.access_key_id,
        "secret access key": keys.secret_access_key,
    }
    if keys.session_token:
        fields["session token"] = keys.session_token
    for label, value in fields.items():
        if not value:
            raise UsageError(f"The {label} is empty. Type it again.")
        if not _KEY_TEXT.fullmatch(value):
            raise UsageError(
                f"The {label} contains spaces or characters that keys never have. "
                "Copy it again without surrounding spaces."
            )


def store_keys(entry: str, keys: StaticKeys) -> None:
    """Keep `keys` in the system keyring under `entry`, replacing what was there.

    Raises:
        S3DeskError: no secure keyring backend exists, or the keyring refused the write.
    """
    check_keys(keys)
    _require_secure()
    value = json.dumps(
        {
            "access_key_id": keys.access_key_id,
            "secret_access_key": keys.secret_access_key,
            "session_token": keys.session_token or "",
        }
    )
    # Limitation: Windows Credential Manager holds at most 2,560 bytes per entry, which a long
    # session token can exceed; the keyring's own error is then shown.
    _call("keep the keys", lambda kr: kr.set_password(SERVICE, entry, value))
    logger.info("keys for %s kept in the system keyring", entry)


def load_keys(entry: str) -> StaticKeys:
    """The keys kept under `entry`.

    Raises:
        S3DeskError: no secure keyring, nothing kept under `entry`, or an unreadable entry.
    """
    _require_secure()
    value = _call("read the keys", lambda kr: kr.get_password(SERVICE, entry))
    if value is None:
        raise S3DeskError(
            "Keys not found",
            f"The system keyring holds no keys for {entry}. Type them again "
            f"(s3desk jobs add NAME ... --keys --replace, or the job editor).",
            code="NoKeys",
        )
    try:
        data = json.loads(value)
        return StaticKeys(
            access_key_id=data["access_key_id"],
            secret_access_key=data["secret_access_key"],
            session_token=data.get("session_token") or None,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise S3DeskError(
            "Keys unreadable",
            f"The keyring entry for {entry} is not one s3desk wrote. Type the keys again.",
            code="BadKeys",
        ) from exc


def has_keys(entry: str) -> bool:
    """True when a secure keyring holds something under `entry`."""
    if backend_problem():
        return False
    return _call("read the keys", lambda kr: kr.get_password(SERVICE, entry)) is not None


def delete_keys(entry: str) -> bool:
    """Remove the keys kept under `entry`; False when there were none."""
    import keyring.errors

    if backend_problem():
        return False
    try:
        _call("remove the keys", lambda kr: kr.delete_password(SERVICE, entry))
    except S3DeskError as exc:
        if isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
            return False
        raise
    logger.info("keys for %s removed from the system keyring", entry)
    return True


def _call(what: str, action):  # type: ignore[no-untyped-def]
    import keyring
    import keyring.errors

    try:
        return action(keyring.get_keyring())
    except keyring.errors.PasswordDeleteError as exc:
        raise S3DeskError("Keys not found", "The keyring held no such keys.") from exc
    except keyring.errors.KeyringLocked as exc:
        raise S3DeskError(
            "Keyring locked",
            f"The system keyring is locked, so s3desk could not {what}. Unlock it and retry.",
            code="KeyringLocked",
        ) from exc
    except keyring.errors.KeyringError as exc:
        raise S3DeskError(
            "Keyring error",
            f"The system keyring could not {what}: {type(exc).__name__}.",
            code="KeyringError",
        ) from exc


def sso_expired_error(profile: str | None) -> S3DeskError:
    """The error for an SSO login that has expired, naming the command that renews it."""
    command = f"aws sso login --profile {profile}" if profile else "aws sso login"
    where = f"profile {profile}" if profile else "the default profile"
    return S3DeskError(
        "SSO session expired",
        f"The SSO login for {where} has expired or was never made. Renew it with: {command}",
        code="ExpiredSSOToken",
    )


def credentials_error(exc: BaseException, profile: str | None) -> S3DeskError | None:
    """An S3DeskError naming the profile for errors of expired credentials, else None."""
    from botocore import exceptions as bex

    sso_errors = (bex.TokenRetrievalError, bex.SSOTokenLoadError, bex.UnauthorizedSSOTokenError)
    if isinstance(exc, sso_errors):
        return sso_expired_error(profile)
    if isinstance(exc, bex.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ExpiredToken", "ExpiredTokenException") and profile:
            return S3DeskError(
                "Credentials expired",
                f"The session token of profile {profile} has expired. Renew it (for an SSO "
                f"profile: aws sso login --profile {profile}) and retry.",
                code=code,
            )
    return None


def check_credentials(connection: Connection) -> None:
    """Resolve the connection's credentials, without any request to S3.

    For an SSO profile this reads the cached token; an expired one fails here with the command
    that renews it. Profiles that assume a role may call STS.

    Raises:
        S3DeskError: no credentials, an expired SSO login, or an unknown profile.
    """
    from s3desk.core.errors import explain

    try:
        credentials = connection.session().get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()
    except Exception as exc:
        raise (credentials_error(exc, connection.profile) or explain(exc)) from exc
    if credentials is None:
        from botocore.exceptions import NoCredentialsError

        raise explain(NoCredentialsError())
