"""Real S3 servers on 127.0.0.1, started and stopped by the tests: moto's server and
`rclone serve s3`. Each is a plain HTTP server; the `_https` variants use a self-signed
certificate that the tests trust through AWS_CA_BUNDLE."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

RCLONE_KEY = "rclonekey"
RCLONE_SECRET = "rclonesecret"


@dataclass
class Server:
    """A running loopback S3 server."""

    kind: str  # "moto" or "rclone"
    endpoint_url: str
    access_key: str
    secret_key: str
    root: Path | None = None  # rclone's storage folder: each top-level folder is a bucket
    ca_bundle: str | None = None

    def env(self) -> dict[str, str]:
        """Environment for a CLI subprocess that talks to this server."""
        env = dict(os.environ)
        env["AWS_ACCESS_KEY_ID"] = self.access_key
        env["AWS_SECRET_ACCESS_KEY"] = self.secret_key
        if self.ca_bundle:
            env["AWS_CA_BUNDLE"] = self.ca_bundle
        return env

    def make_bucket(self, name: str) -> None:
        if self.root is not None:
            (self.root / name).mkdir(parents=True, exist_ok=True)
            return
        self.client().create_bucket(Bucket=name)

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            verify=self.ca_bundle or True,
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin(name: str) -> str:
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def _wait_until_up(url: str, process: subprocess.Popen, ca: str | None) -> None:
    import ssl

    context = ssl.create_default_context(cafile=ca) if ca else None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1, context=context)
            return
        except urllib.error.HTTPError:
            return  # it answers: a 403 or 404 is fine
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def self_signed_certificate(folder: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and localhost, and its key, as PEM files in a new folder."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="tls-", dir=folder))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def start_moto(folder: Path, *, https: bool = False, env: dict | None = None) -> Iterator[Server]:
    port = free_port()
    args = [_bin("moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    ca = None
    if https:
        ca, key = self_signed_certificate(folder)
        args += ["-c", ca, "-k", key]
    scheme = "https" if https else "http"
    log = open(folder / "moto.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/moto-api/", process, ca)
        yield Server("moto", url, "testing", "testing-secret", ca_bundle=ca)
    finally:
        _stop(process)
        log.close()


def start_rclone(folder: Path, *, https: bool = False) -> Iterator[Server]:
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="rclone-root-", dir=folder))
    args = [
        _bin("rclone"), "serve", "s3", "--addr", f"127.0.0.1:{port}",
        "--auth-key", f"{RCLONE_KEY},{RCLONE_SECRET}", "--config", "/dev/null",
        str(root),
    ]  # fmt: skip
    ca = None
    if https:
        ca, key = self_signed_certificate(folder)
        args += ["--cert", ca, "--key", key]
    scheme = "https" if https else "http"
    log = open(folder / "rclone.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/", process, ca)
        yield Server("rclone", url, RCLONE_KEY, RCLONE_SECRET, root=root, ca_bundle=ca)
    finally:
        _stop(process)
        log.close()


@pytest.fixture
def moto_server(tmp_path: Path) -> Iterator[Server]:
    yield from start_moto(tmp_path)


@pytest.fixture
def moto_server_https(tmp_path: Path) -> Iterator[Server]:
    yield from start_moto(tmp_path, https=True)


@pytest.fixture
def rclone_server(tmp_path: Path) -> Iterator[Server]:
    yield from start_rclone(tmp_path)


@pytest.fixture
def rclone_server_https(tmp_path: Path) -> Iterator[Server]:
    yield from start_rclone(tmp_path, https=True)


@pytest.fixture(params=["moto", "rclone"])
def s3_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """Each test that takes this runs once against each server."""
    start = start_moto if request.param == "moto" else start_rclone
    yield from start(tmp_path)
