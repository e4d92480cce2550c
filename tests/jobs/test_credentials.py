"""Credentials: AWS profiles first, typed keys only in a secure system keyring, never a file."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from s3desk.core import jobs, secrets
from s3desk.core.errors import S3DeskError, UsageError
from s3desk.core.jobs import Credentials, CredentialSource, new_job
from s3desk.core.session import Connection, StaticKeys
from tests.jobs.conftest import Folders
from tests.memory_keyring import MemoryKeyring

KEYS = StaticKeys(
    "AKIAJOBSTEST00000001", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRET0001", "FwoGZX-token"
)


def keyring_job(**kwargs: Any) -> jobs.Job:
    return new_job(
        "photos",
        "images",
        "/data",
        "example-media",
        credentials=Credentials.from_keyring(secrets.entry_for_job("photos")),
        **kwargs,
    )


def test_profile_job_connection_names_the_profile_and_holds_no_keys() -> None:
    job = new_job(
        "site",
        "site",
        "/d",
        "example-site",
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:9000",
        credentials=Credentials.from_profile("deploy"),
    )
    assert job.connection() == Connection(
        profile="deploy", region="eu-west-1", endpoint_url="http://127.0.0.1:9000"
    )


def test_profile_job_resolves_through_botocore(folders: Folders) -> None:
    (folders.home / "aws-credentials").write_text(
        "[deploy]\naws_access_key_id = AKIAPROFILE000000001\n"
        "aws_secret_access_key = profile-secret\n"
    )
    job = new_job("s", "site", "/d", "example-site", credentials=Credentials.from_profile("deploy"))
    session = job.connection().session()
    assert session.get_credentials().get_frozen_credentials().access_key == "AKIAPROFILE000000001"


def test_default_job_uses_the_default_chain() -> None:
    job = new_job("s", "site", "/d", "example-site", region="us-west-2")
    assert job.credentials.source is CredentialSource.DEFAULT
    assert job.connection() == Connection(region="us-west-2")


def test_keyring_job_connection_fetches_the_keys_from_the_keyring() -> None:
    secrets.store_keys(secrets.entry_for_job("photos"), KEYS)
    connection = keyring_job(region="eu-central-1").connection()
    assert connection.keys == KEYS
    assert connection.profile is None
    assert connection.region == "eu-central-1"
    frozen = connection.session().get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        KEYS.access_key_id,
        KEYS.secret_access_key,
        KEYS.session_token,
    )
    assert KEYS.secret_access_key not in repr(connection)


def test_keys_are_one_entry_under_service_s3desk() -> None:
    secrets.store_keys("job:photos", KEYS)
    raw = keyring.get_password("s3desk", "job:photos")
    assert json.loads(raw)["secret_access_key"] == KEYS.secret_access_key
    secrets.store_keys(secrets.entry_for_profile("media"), StaticKeys("AKIAOTHER", "s2"))
    assert secrets.load_keys("profile:media") == StaticKeys("AKIAOTHER", "s2")
    assert secrets.load_keys("job:photos") == KEYS


def test_missing_keys_say_how_to_add_them() -> None:
    with pytest.raises(S3DeskError, match=r"holds no keys for job:photos.*--keys"):
        keyring_job().connection()


def test_keyring_job_file_holds_the_entry_name_only(folders: Folders) -> None:
    secrets.store_keys("job:photos", KEYS)
    jobs.add_job(keyring_job())
    text = jobs.jobs_path().read_text()
    assert 'entry = "job:photos"' in text
    for secret in (KEYS.access_key_id, KEYS.secret_access_key, KEYS.session_token):
        assert secret not in text


def test_removing_a_job_removes_its_keys() -> None:
    secrets.store_keys("job:photos", KEYS)
    jobs.add_job(keyring_job())
    jobs.remove_job("photos")
    assert keyring.get_password("s3desk", "job:photos") is None
    assert secrets.delete_keys("job:photos") is False


@pytest.mark.parametrize(
    "bad",
    [
        StaticKeys("", "hidden-secret-value"),
        StaticKeys("AKIAJOBSTEST00000001", ""),
        StaticKeys(" AKIAJOBSTEST00000001", "hidden-secret-value"),
        StaticKeys("AKIAJOBSTEST00000001", "hidden-secret-value\n"),
        StaticKeys("AKIAJOBSTEST00000001", "hidden secret value"),
        StaticKeys("AKIAJOBSTEST00000001", "hidden-secret-value", "token\x00"),
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(bad: StaticKeys) -> None:
    with pytest.raises(UsageError) as info:
        secrets.store_keys("job:x", bad)
    assert "hidden" not in str(info.value)
    assert keyring.get_password("s3desk", "job:x") is None


def plaintext_keyring(tmp_path: Path) -> KeyringBackend:
    alt = pytest.importorskip("keyrings.alt.file")
    backend = alt.PlaintextKeyring()
    backend.file_path = str(tmp_path / "plaintext-keyring.cfg")
    return backend


def insecure_backends(tmp_path: Path) -> dict[str, object]:
    backends: dict[str, object] = {"fail": fail.Keyring(), "null": null.Keyring()}
    with contextlib.suppress(pytest.skip.Exception):
        backends["plaintext"] = plaintext_keyring(tmp_path)
    return backends


@pytest.mark.parametrize("name", ["fail", "null", "plaintext"])
def test_no_plaintext_fallback_when_only_an_insecure_backend_exists(
    name: str, tmp_path: Path, folders: Folders
) -> None:
    backends = insecure_backends(tmp_path)
    if name not in backends:
        pytest.skip("keyrings.alt is not installed")
    keyring.set_keyring(backends[name])

    problem = secrets.backend_problem()
    assert "No secure system keyring" in problem
    assert "AWS profile" in problem
    assert not secrets.secure_keyring_available()
    with pytest.raises(S3DeskError, match="No secure system keyring") as info:
        secrets.store_keys("job:photos", KEYS)
    assert info.value.code == "NoSecureKeyring"
    with pytest.raises(S3DeskError, match="No secure system keyring"):
        keyring_job().connection()

    # Nothing holding the secret was written anywhere: not the keyring file, not our folders.
    for path in [*tmp_path.rglob("*")]:
        if path.is_file():
            assert KEYS.secret_access_key.encode() not in path.read_bytes(), path


def test_plaintext_backend_is_what_keyring_picks_without_a_system_keyring(tmp_path: Path) -> None:
    backend = plaintext_keyring(tmp_path)
    assert "keyrings.alt.file.PlaintextKeyring" in secrets.backend_problem(backend)


def test_chainer_that_may_write_to_a_plaintext_file_is_insecure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chained = [MemoryKeyring(), *insecure_backends(tmp_path).values()]
    monkeypatch.setattr(chainer.ChainerBackend, "backends", chained)
    assert secrets.backend_problem(chainer.ChainerBackend())
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [MemoryKeyring()])
    assert secrets.backend_problem(chainer.ChainerBackend()) == ""


def test_memory_backend_of_the_tests_counts_as_secure() -> None:
    assert secrets.backend_problem() == ""


def write_sso_profile(home: Path, token_expires: str) -> None:
    (home / "aws-config").write_text(
        "[profile sso-dev]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Deploy\n"
        "region = us-east-1\n\n"
        "[profile sso-new]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = Deploy\n\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    token = {
        "startUrl": "https://example.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": "expired-token",
        "expiresAt": token_expires,
    }
    for key in ("https://example.awsapps.com/start", "corp"):
        name = hashlib.sha1(key.encode()).hexdigest() + ".json"
        (cache / name).write_text(json.dumps(token))


@pytest.mark.parametrize("profile", ["sso-dev", "sso-new"])
def test_expired_sso_login_names_the_command_that_renews_it(profile: str, folders: Folders) -> None:
    write_sso_profile(folders.home, "2020-01-01T00:00:00Z")
    job = new_job("s", "site", "/d", "example-site", credentials=Credentials.from_profile(profile))
    with pytest.raises(S3DeskError) as info:
        secrets.check_credentials(job.connection())
    assert info.value.title == "SSO session expired"
    assert f"aws sso login --profile {profile}" in info.value.message


def test_expired_session_token_of_a_profile_names_the_profile() -> None:
    from botocore.exceptions import ClientError

    exc = ClientError({"Error": {"Code": "ExpiredToken", "Message": "x"}}, "ListObjectsV2")
    error = secrets.credentials_error(exc, "deploy")
    assert error is not None
    assert "aws sso login --profile deploy" in error.message
    other = ClientError({"Error": {"Code": "AccessDenied", "Message": "x"}}, "ListObjectsV2")
    assert secrets.credentials_error(other, "deploy") is None


def test_unknown_profile_is_explained() -> None:
    job = new_job("s", "site", "/d", "example-site", credentials=Credentials.from_profile("nope"))
    with pytest.raises(S3DeskError, match="Profile not found"):
        secrets.check_credentials(job.connection())
