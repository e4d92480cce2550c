import os
import subprocess
import sys

import pytest

from tests.guard.loopback import NotLoopback


def test_core_imports_no_qt() -> None:
    code = (
        "import sys, pkgutil, importlib, s3desk.core as core\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('s3desk.core.' + m.name)\n"
        "import s3desk.cli, s3desk.cli.sync\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_tests_cannot_reach_other_hosts() -> None:
    import socket

    with pytest.raises(NotLoopback):
        socket.getaddrinfo("sts.us-east-1.amazonaws.com", 443)
    with pytest.raises(NotLoopback), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))


def test_subprocesses_are_guarded_too() -> None:
    code = "import socket; socket.getaddrinfo('s3.amazonaws.com', 443)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ), timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "test guard" in result.stderr


def test_tests_use_an_isolated_home() -> None:
    home = os.environ["HOME"]
    assert "s3desk-test-home-" in home
    import keyring

    assert type(keyring.get_keyring()).__name__ == "MemoryKeyring"
