"""Fixtures for the jobs tests: fresh config, state and log folders and a fresh in-memory
keyring for every test, and a keyring that CLI subprocesses share through a file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest

from tests.jobs.file_keyring import ENV as KEYRING_FILE_ENV
from tests.memory_keyring import MemoryKeyring


@dataclass
class Folders:
    home: Path
    config: Path
    state: Path
    cache: Path

    def all_files(self) -> list[Path]:
        """Every file s3desk may have written: settings, state (logs included) and cache."""
        found = []
        for root in (self.config, self.state, self.cache):
            found += [p for p in root.rglob("*") if p.is_file()]
        return found


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Folders]:
    home = tmp_path / "home"
    result = Folders(home, home / "config", home / "state", home / "cache")
    for path in (result.config, result.state, result.cache):
        path.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(result.config))
    monkeypatch.setenv("XDG_STATE_HOME", str(result.state))
    monkeypatch.setenv("XDG_CACHE_HOME", str(result.cache))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield result
    keyring.set_keyring(previous)


@pytest.fixture
def shared_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A keyring file that CLI subprocesses share; it stands for the system keyring and lies
    outside every folder that s3desk writes to."""
    path = tmp_path / "system-keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.jobs.file_keyring.SystemKeyringStandIn")
    monkeypatch.setenv(KEYRING_FILE_ENV, str(path))
    return path
