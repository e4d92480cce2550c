"""Running the s3desk command line as a subprocess, as a user's terminal or script would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m s3desk ARGS` in a new session: with no terminal, getpass reads stdin."""
    return subprocess.run(
        [sys.executable, "-m", "s3desk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        timeout=120,
        cwd=cwd,
        start_new_session=True,
    )
