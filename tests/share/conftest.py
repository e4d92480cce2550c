"""Fixtures for the share-link tests: a fresh audit log per test, and a fixed signing clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from s3desk.core import audit


@pytest.fixture(autouse=True)
def own_log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own platformdirs state (and so log) folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return audit.audit_path()


@pytest.fixture
def freeze_signing(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Make botocore sign (X-Amz-Date, POST policy expiration) at a given UTC time."""

    def freeze(moment: datetime) -> None:
        naive = moment.astimezone(UTC).replace(tzinfo=None)

        def fixed(remove_tzinfo: bool = True) -> datetime:
            return naive if remove_tzinfo else naive.replace(tzinfo=UTC)

        monkeypatch.setattr("botocore.auth.get_current_datetime", fixed)
        monkeypatch.setattr("botocore.signers.get_current_datetime", fixed)

    return freeze
