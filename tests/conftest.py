"""Shared fixtures: an isolated home for every test, moto in-process, loopback S3 servers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Qt aborts while creating the application on a machine without a display unless told to
# draw offscreen; set it before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Nothing a test runs may touch the real home folder, AWS config or keyring, including the
# subprocesses the CLI tests start, which inherit this environment.
_ISOLATED_HOME = Path(tempfile.mkdtemp(prefix="s3desk-test-home-"))
for _name, _value in {
    "HOME": str(_ISOLATED_HOME),
    "XDG_CONFIG_HOME": str(_ISOLATED_HOME / "config"),
    "XDG_CACHE_HOME": str(_ISOLATED_HOME / "cache"),
    "XDG_STATE_HOME": str(_ISOLATED_HOME / "state"),
    "XDG_DATA_HOME": str(_ISOLATED_HOME / "data"),
    "AWS_CONFIG_FILE": str(_ISOLATED_HOME / "aws-config"),
    "AWS_SHARED_CREDENTIALS_FILE": str(_ISOLATED_HOME / "aws-credentials"),
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PYTHON_KEYRING_BACKEND": "tests.memory_keyring.MemoryKeyring",
    # The repo root (for tests.*), and the guard whose sitecustomize keeps every Python
    # subprocess on loopback.
    "PYTHONPATH": os.pathsep.join(
        [
            str(Path(__file__).resolve().parent / "guard"),
            str(Path(__file__).resolve().parent.parent),
        ]
    ),
}.items():
    os.environ[_name] = _value
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"):
    os.environ.pop(_name, None)

from tests.guard.loopback import install  # noqa: E402

install()  # this process too: no test reaches any host but loopback

pytest_plugins = ["tests.servers"]
